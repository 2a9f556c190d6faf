"""Reading rendered forms in tests: elements by id, attributes in any order."""

from html.parser import HTMLParser


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.text = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def describedby(self) -> list[str]:
        return self.attrs.get("aria-describedby", "").split()


class _Collector(HTMLParser):
    VOID = {"input", "br", "hr", "img", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data


def elements(page: str) -> list[Element]:
    collector = _Collector()
    collector.feed(page)
    return collector.elements


def by_id(page: str, element_id: str) -> Element:
    [found] = [e for e in elements(page) if e.attrs.get("id") == element_id]
    return found


def label_for(page: str, element_id: str) -> str:
    [found] = [e for e in elements(page) if e.tag == "label" and e.attrs.get("for") == element_id]
    return " ".join(found.text.split())


def duplicate_ids(page: str) -> list[str]:
    """The ids that more than one element of the page carries."""
    seen: dict[str, int] = {}
    for element in elements(page):
        if "id" in element.attrs:
            seen[element.attrs["id"]] = seen.get(element.attrs["id"], 0) + 1
    return sorted(element_id for element_id, count in seen.items() if count > 1)
