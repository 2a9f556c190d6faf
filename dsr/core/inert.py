"""Links in our e-mails: only the ones we wrote. Whatever else looks like a link is defanged."""

import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

# A web address with a scheme, a scheme a mail client would open (mailto:, javascript:, …),
# "www." anything, or a bare domain ("evil.example", "xn--…"): what a mail client may turn
# into a link. A bare domain right after "@" is an e-mail address's (see ADDRESS). Each pattern
# starts only where a run of its characters starts: linear time on long input.
_SCHEME = r"(?<![a-z0-9+.\-])[a-z][a-z0-9+.\-]*://[^\s<>\"']+"
_OPENER = r"\b(?:mailto|javascript|vbscript|data|file|tel|sms|callto|ftp):[^\s<>\"']+"
_BARE = (
    r"(?<![\w@.\-/])(?:[^\W_](?:[\w\-]*[^\W_])?\.)+(?:[^\W\d_]{2,}|xn--[a-z0-9\-]+)\b"
    r"(?:[/?#][^\s<>\"']*)?"
)
LINKLIKE = re.compile(rf"{_SCHEME}|{_OPENER}|{_BARE}", re.IGNORECASE)
ADDRESS = re.compile(
    r"(?<![\w.+\-])[\w.+\-]+@(?:[^\W_](?:[\w\-]*[^\W_])?\.)+[^\W\d_]{2,}\b", re.IGNORECASE
)
# File names the portal writes into its letters ("data.json"): not top-level domains.
_FILES = {"json", "pdf", "csv"}
# Punctuation that ends a sentence, not a link.
_TRAILING = ".,;:!?)]}'\""


def _trim(token: str) -> tuple[str, str]:
    core = token.rstrip(_TRAILING)
    return core, token[len(core) :]


def ours(url: str) -> bool:
    base = settings.DSR_BASE_URL.rstrip("/")
    return url == base or url.startswith(base + "/")


def defang(text: str, *, allowed: Iterable[str] = ()) -> str:
    """``text`` with every link-like word that is not ours made inert: "evil[.]example",
    "hxxps[:]//…", "someone@evil[.]example". ``allowed``: words the controller configured (an
    authority's website, the DPO's address) or that are the request's own addresses."""
    kept = {word.strip().lower() for word in allowed if word and word.strip()}

    def address(match: re.Match[str]) -> str:
        word = match.group(0)
        if word.lower() in kept:
            return word
        local, _, domain = word.partition("@")
        return f"{local}@{domain.replace('.', '[.]')}"

    def link(match: re.Match[str]) -> str:
        word, tail = _trim(match.group(0))
        if "[.]" in word or ours(word) or word.lower() in kept:
            return word + tail
        bare = "://" not in word and ":" not in word.split("/")[0]
        if bare and word.rsplit(".", 1)[-1].lower() in _FILES:
            return word + tail
        word = word.replace("://", "[:]//", 1)
        word = re.sub(r"^(https?|ftp)(?=\[:\])", lambda m: m.group(1).replace("t", "x"), word)
        word = re.sub(r"^([a-z][a-z0-9+.\-]*):(?!\[)", r"\1[:]", word, flags=re.IGNORECASE)
        return word.replace(".", "[.]") + tail

    # Addresses first; the links' pattern then skips what already carries "[.]".
    parts = []
    for piece in re.split(rf"({ADDRESS.pattern})", text, flags=re.IGNORECASE):
        if ADDRESS.fullmatch(piece):
            parts.append(ADDRESS.sub(address, piece))
        else:
            parts.append(LINKLIKE.sub(link, piece))
    return "".join(parts)


def configured_words(*values: str) -> set[str]:
    """The link-like words in what the privacy admin configured."""
    words: set[str] = set()
    for value in values:
        for pattern in (ADDRESS, LINKLIKE):
            for match in pattern.finditer(value or ""):
                words.add(_trim(match.group(0))[0])
    return words


def link_ours(text: str) -> SafeString:
    """The text escaped, with a link only where it has one of the portal's own URLs."""
    out: list[str] = []
    position = 0
    for match in re.finditer(r"https?://[^\s<>\"']+", text):
        url, _tail = _trim(match.group(0))
        if not ours(url):
            continue
        out.append(escape(text[position : match.start()]))
        out.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        position = match.start() + len(url)
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - escaped above


def html_from_text(text: str) -> SafeString:
    """The HTML part from the (already defanged) text part: escaped, paragraphs kept, and a
    link only where the text has one of the portal's own URLs."""
    return mark_safe(linebreaks(link_ours(text), autoescape=False))  # noqa: S308 - escaped
