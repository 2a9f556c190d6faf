"""Names of the files in the answer package, safe in any unzip tool.

System aliases and category names come from configuration and from the connectors (a mapping,
a vendor's object type): a name must never climb out of its folder (``../``), start at the root,
or hide its real ending behind control or direction characters.
"""

import unicodedata

MAX_SEGMENT = 100


def segment(text: str) -> str:
    """One part of a path: no separators, no control or format characters, never ``.``/``..``."""
    kept = "".join(
        "_" if char in "/\\:" else char
        for char in unicodedata.normalize("NFC", str(text))
        if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    kept = kept.strip().strip(".").strip()[:MAX_SEGMENT]
    return kept or "_"


def data_file(system: str, category: str) -> str:
    """``data/<system>/<category>.csv``, each part cleaned."""
    return f"data/{segment(system)}/{segment(category)}.csv"
