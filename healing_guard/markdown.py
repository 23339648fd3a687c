"""Untrusted text in GitHub Markdown: shown as it is, never live.

Each helper takes any value, cleans it (``sanitize.clean``: normalised, redacted, neutralised) and
returns ``Md``, a string that is safe to place in its context as it is:

* ``md_text``: inline text (a paragraph, a list item, a table cell, a heading, an HTML block such as
  ``<summary>``). Markdown and HTML characters become entities (``[``, ``<``, backticks, ``|`` …), so
  no link, image, raw HTML, code span or table cell can start; ``@name``, ``#123``, ``GH-1``, URLs
  and ``www.`` get a zero-width space so that GitHub links and pings nothing; a leading ``#``, ``-``,
  ``+``, ``=`` or ``1.`` cannot start a block. Line ends become spaces.
* ``md_prose``: like ``md_text``, but code spans written in the text (the catalogue's advice puts
  commands in backticks) stay code spans, whatever the log put inside them.
* ``md_code``: an inline code span that shows the text verbatim (no entities: GitHub does not link
  or ping inside code); its backtick fence is longer than any backtick run in the text. In a table
  cell (``table=True``) ``|`` is escaped, the one thing GitHub reads inside a code span there.
* ``md_fence``: a fenced block whose fence no backtick run in the text can close.
* ``md_url``: a link destination: http(s) only, with every character that could end it encoded.
* ``md_comment``: an HTML comment (the guard's hidden markers) that no text can close.

``finalize`` is the Jinja ``finalize`` of the guard's environment: any ``{{ value }}`` that is not
already ``Md`` goes through ``md_text``, so raw interpolation of log text cannot happen.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from .sanitize import ZWSP, clean, clean_data

__all__ = ["Md", "as_text", "finalize", "md_code", "md_comment", "md_fence", "md_prose", "md_text", "md_url"]


class Md(str):
    """Markdown built by the helpers here: safe to place in the template as it is."""

    __slots__ = ()


_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "\\": "&#92;",
    "`": "&#96;",
    "*": "&#42;",
    "~": "&#126;",
    "|": "&#124;",
}
_ENTITY_RE = re.compile("[" + re.escape("".join(_ENTITIES)) + "]")
# what GitHub turns into a mention, an issue or commit reference, or an autolink
_PINGS = re.compile(r"@(?=[A-Za-z0-9_-])|#(?=\d)|(?i:\bgh-)(?=\d)|(?<=:)(?=//)|(?i:\bw)(?=ww\.)")
# the first characters of a line that would start a heading, a list, a quote, a rule or a setext line
_BLOCK_START = re.compile(r"^([ \t]*)(?:([#+=-])|(\d{1,9})([.)])(?=\s|$))")


def as_text(value: object) -> str:
    """A value as people read it: lists joined with commas (not a repr that would escape control
    characters into text that cleaning can no longer see)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{as_text(k)}={as_text(v)}" for k, v in value.items())
    return str(value)


def _clean_text(value: object) -> str:
    # each item of a list or a dict cleaned on its own first: joined, one item's key could be read
    # as the value of the item before it ("token=" + "PGPASSWORD: x") and its own value left bare
    return clean(value if isinstance(value, str) else as_text(clean_data(value)))


def _inline(value: object) -> str:
    return _clean_text(value).replace("\t", " ").replace("\n", " ")


# "_" opens or closes emphasis only at the edge of a word; inside one (snake_case, a token such as
# ghs_…, which the run's redactor must still find whole in the rendered text) it is left as it is
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _escape(text: str) -> str:
    text = _PINGS.sub(lambda m: m.group(0) + ZWSP, text)
    text = _ENTITY_RE.sub(lambda m: _ENTITIES[m.group(0)], text)
    text = _EDGE_UNDERSCORE.sub("&#95;", text)
    m = _BLOCK_START.match(text)
    if m:
        if m.group(2):
            text = f"{m.group(1)}&#{ord(m.group(2))};{text[m.end() :]}"
        else:
            text = f"{m.group(1)}{m.group(3)}&#{ord(m.group(4))};{text[m.end() :]}"
    return text


def md_text(value: object) -> Md:
    """Inline text that renders as exactly this text (bar invisible zero-width spaces)."""
    if isinstance(value, Md):
        return value
    return Md(_escape(_inline(value)))


def _code_span(text: str, *, table: bool = False) -> str:
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    # CommonMark strips one space from each end when both have one: pad so that the text survives
    pad = " " if text[:1] == "`" or text[-1:] == "`" or (text[:1] == text[-1:] == " " and text.strip(" ")) else ""
    if not text:
        text = " "
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_code(value: object, table: bool = False) -> Md:
    """An inline code span that shows ``value`` verbatim, whatever backticks it holds."""
    return Md(_code_span(_inline(value), table=table))


_RUN = re.compile(r"`+")


def md_prose(value: object, table: bool = False) -> Md:
    """Text whose backtick code spans stay code spans; everything else is escaped like ``md_text``."""
    if isinstance(value, Md):
        return value
    text = _inline(value)
    out: list[str] = []
    pos = 0
    runs = list(_RUN.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        closing = next((j for j in range(i + 1, len(runs)) if len(runs[j].group(0)) == len(opening.group(0))), None)
        if closing is None:
            i += 1
            continue
        out.append(_escape(text[pos : opening.start()]))
        inner = text[opening.end() : runs[closing].start()]
        if len(inner) > 2 and inner[0] == inner[-1] == " " and inner.strip(" "):
            inner = inner[1:-1]
        out.append(_code_span(inner, table=table))
        pos = runs[closing].end()
        i = closing + 1
    out.append(_escape(text[pos:]))
    return Md("".join(out))


def md_fence(text: object, info: str = "text") -> Md:
    """A fenced block that no backtick run inside ``text`` can close."""
    body = _clean_text(text)
    longest = max((len(r) for r in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    info = re.sub(r"[^A-Za-z0-9_+.-]", "", info)
    return Md(f"{fence}{info}\n{body}\n{fence}")


def md_url(value: object) -> Md:
    """A link destination: an http(s) URL with anything that could end or break the link encoded."""
    url = clean(str(value)).replace(ZWSP, "").strip()
    if not re.match(r"(?i)https?://[^/\s]", url):
        return Md("#")
    return Md(quote(url, safe=":/?#@!$&*+,;=%-._~"))


def md_comment(value: object) -> Md:
    """An HTML comment (``<!-- value -->``) whose content cannot close it or break out of it.

    ``<`` and ``>`` in the content become ``\\u003c`` and ``\\u003e``: the same string to a JSON
    parser, so state kept as JSON in a comment reads back unchanged.
    """
    text = str(value)
    if text.startswith("<!--") and text.endswith("-->"):
        text = text[4:-3].strip()
    text = clean(text).replace("\n", " ").replace("<", "\\u003c").replace(">", "\\u003e")
    return Md(f"<!-- {text} -->")


def finalize(value: object) -> object:
    """Jinja's ``finalize``: every ``{{ value }}`` not built by a helper here is escaped as text."""
    if isinstance(value, Md):
        return value
    if value is None:
        return ""
    return md_text(value)
