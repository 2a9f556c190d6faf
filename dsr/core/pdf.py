"""Rendering HTML to PDF with WeasyPrint, offline: the URL fetcher refuses every address.

Callers import this module on first use, inside the function that renders: importing
WeasyPrint parses its stylesheets, which every web process and command would otherwise pay
for at start-up.
"""

from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class NoNetwork(URLFetcher):  # type: ignore[misc]
    """Refuses every URL but inline ``data:`` ones: a record holding ``<img src="http://…">``
    is text in a table cell, and even a stray reference in markup fetches nothing."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError("the report fetches nothing from outside")


def render(html: str) -> bytes:
    return bytes(HTML(string=html, url_fetcher=NoNetwork()).write_pdf())
