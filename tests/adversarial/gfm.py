"""Render Markdown the way GitHub does (cmark-gfm, with its table, autolink, strikethrough and task
list extensions) and read back what a reader would see: the HTML elements, the links, and the text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# GitHub's mention and reference filters run on the rendered text, outside code and links
PINGS = re.compile(r"(?<![\w/])@[A-Za-z0-9]|#\d|\bGH-\d", re.IGNORECASE)


def to_html(markdown: str) -> str:
    # unsafe: keep raw HTML so that a test sees it (GitHub's sanitiser would drop some, not all, of it)
    html: str = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    return html


@dataclass
class Rendered:
    tags: Counter[str] = field(default_factory=Counter)
    hrefs: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # outside code, pre and links
    code: list[str] = field(default_factory=list)  # the text of each code element
    all_text: list[str] = field(default_factory=list)

    @property
    def prose(self) -> str:
        return "".join(self.text)

    @property
    def visible(self) -> str:
        return "".join(self.all_text)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Rendered()
        self._inert = 0  # inside code, pre or a (where GitHub links and pings nothing)
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags[tag] += 1
        if tag == "a":
            self.out.hrefs.append(dict(attrs).get("href") or "")
        if tag in ("code", "pre", "a"):
            self._inert += 1
        if tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("code", "pre", "a"):
            self._inert -= 1
        if tag == "code" and self._code is not None:
            self.out.code.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        self.out.all_text.append(data)
        if self._code is not None:
            self._code.append(data)
        if not self._inert:
            self.out.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.out.comments.append(data)


def read(markdown: str) -> Rendered:
    reader = _Reader()
    reader.feed(to_html(markdown))
    reader.close()
    return reader.out
