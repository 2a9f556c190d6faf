"""Rendering HTML to PDF with WeasyPrint, offline: the URL fetcher refuses every address.

Callers import this module on first use, inside the function that renders: importing
WeasyPrint parses its stylesheets, which every web process and command would otherwise pay
for at start-up. A process that renders keeps what WeasyPrint can reuse from one document to
the next: the font configuration (fontconfig and Pango set up once) and each stylesheet it
was given, parsed once. A worker process pays for both before its first task (``warm``).
"""

import functools
from typing import Any

from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher


class NoNetwork(URLFetcher):  # type: ignore[misc]
    """Refuses every URL but inline ``data:`` ones: a record holding ``<img src="http://…">``
    is text in a table cell, and even a stray reference in markup fetches nothing."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError("the report fetches nothing from outside")


@functools.cache
def _fonts() -> FontConfiguration:
    # Shared by every render of this process. It only grows with @font-face rules, and our
    # stylesheets have none: the fonts are the system's.
    return FontConfiguration()


@functools.cache
def _stylesheet(template: str) -> CSS:
    return CSS(string=render_to_string(template), font_config=_fonts(), url_fetcher=NoNetwork())


def render(html: str, *, stylesheet: str = "") -> bytes:
    """The PDF of ``html``; ``stylesheet``: a template holding CSS, parsed once per process."""
    sheets = [_stylesheet(stylesheet)] if stylesheet else []
    return bytes(
        HTML(string=html, url_fetcher=NoNetwork()).write_pdf(
            font_config=_fonts(), stylesheets=sheets
        )
    )


def warm(*stylesheets: str) -> None:
    """Pay here what the first document would: WeasyPrint's set-up and the stylesheets."""
    render("<p>warm</p>", stylesheet=stylesheets[0] if stylesheets else "")
    for name in stylesheets[1:]:
        _stylesheet(name)
