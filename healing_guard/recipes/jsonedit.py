"""Round-trip edits of JSON files written by people and by npm: a member is added or changed in
the text itself, so indentation (tabs or spaces), key order, and everything else stay as they
were. The result is parsed again and must equal what was meant, or nothing is changed."""

from __future__ import annotations

import json
import re
from typing import Any

_WS = re.compile(r"\s*")


class JsonEditError(ValueError):
    """The text is not JSON, or the edit could not be made without disturbing it."""


def _skip_string(text: str, i: int) -> int:
    """The index after the JSON string that starts at ``text[i]`` (a quote)."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        i += 1
    raise JsonEditError("unterminated string")


def _end_of_value(text: str, i: int) -> int:
    """The index after the JSON value that starts at ``text[i]``."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            i = _skip_string(text, i)
            if depth == 0:
                return i
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
            if depth < 0:
                return i
        elif depth == 0 and c in ",\n\r\t ":
            return i
        i += 1
    return i


def members(text: str, start: int) -> tuple[list[tuple[str, int, int, int]], int]:
    """The members of the object whose ``{`` is at ``start``: (key, key start, value start,
    value end) each, and the index of its closing ``}``."""
    out: list[tuple[str, int, int, int]] = []
    i = _WS.match(text, start + 1).end()  # type: ignore[union-attr]
    if text[i] == "}":
        return out, i
    while True:
        if text[i] != '"':
            raise JsonEditError("expected a key")
        key_end = _skip_string(text, i)
        key = json.loads(text[i:key_end])
        colon = _WS.match(text, key_end).end()  # type: ignore[union-attr]
        if text[colon] != ":":
            raise JsonEditError("expected ':'")
        value = _WS.match(text, colon + 1).end()  # type: ignore[union-attr]
        end = _end_of_value(text, value)
        out.append((key, i, value, end))
        i = _WS.match(text, end).end()  # type: ignore[union-attr]
        if text[i] == ",":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            continue
        if text[i] == "}":
            return out, i
        raise JsonEditError("expected ',' or '}'")


def _indent_of(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    return re.match(r"[ \t]*", text[line_start:]).group(0)  # type: ignore[union-attr]


def _unit(text: str) -> str:
    m = re.search(r"\n([ \t]+)\S", text)
    return m.group(1) if m else "  "


def object_at(text: str, path: tuple[str, ...]) -> int | None:
    """The index of the ``{`` of the object at ``path`` (None when a step is missing or not an object)."""
    i = _WS.match(text).end()  # type: ignore[union-attr]
    if i >= len(text) or text[i] != "{":
        raise JsonEditError("the document is not a JSON object")
    for step in path:
        found = [m for m in members(text, i)[0] if m[0] == step]
        if not found or text[found[-1][2]] != "{":
            return None
        i = found[-1][2]
    return i


def set_member(text: str, path: tuple[str, ...], key: str, value: Any, *, sort: bool | None = None) -> str:
    """``text`` with ``path.key`` set to ``value`` (created, with missing parent objects, when absent).

    A new key goes in alphabetical place when the object's keys are sorted (``sort`` None), else at
    the end."""
    try:
        expected = json.loads(text)
    except ValueError as exc:
        raise JsonEditError(f"not valid JSON ({exc})") from exc
    if not isinstance(expected, dict):
        raise JsonEditError("the document is not a JSON object")
    target = expected
    for step in path:
        target = target.setdefault(step, {})
        if not isinstance(target, dict):
            raise JsonEditError(f"{'.'.join(path)} is not an object")
    target[key] = value
    new = _set(text, path, key, value, sort)
    if json.loads(new) != expected:
        raise JsonEditError("the edit did not produce the intended document")
    return new


def _set(text: str, path: tuple[str, ...], key: str, value: Any, sort: bool | None) -> str:
    unit = _unit(text)
    # find the deepest existing object on the path
    depth = len(path)
    while object_at(text, path[:depth]) is None:
        depth -= 1
    start = object_at(text, path[:depth])
    assert start is not None
    rest = path[depth:]
    if rest:  # create the missing objects, the value inside
        key, value = rest[0], _nest((*rest[1:], key), value)
        sort = False
    found, close = members(text, start)
    level = _indent_of(text, start) + unit if not found else _indent_of(text, found[0][1])
    dumped = _dump(value, level, unit)
    for k, _, vstart, vend in found:
        if k == key:
            return text[:vstart] + dumped + text[vend:]
    entry = f"{json.dumps(key, ensure_ascii=False)}: {dumped}"
    if not found:
        closing_indent = _indent_of(text, start)
        return f"{text[: start + 1]}\n{level}{entry}\n{closing_indent}{text[close:]}"
    keys = [k for k, *_ in found]
    ordered = keys == sorted(keys) if sort is None else sort
    after = len(found) - 1
    if ordered:
        after = max((n for n, k in enumerate(keys) if k < key), default=-1)
    if after < 0:  # before the first member
        first = found[0][1]
        return f"{text[:first]}{entry},\n{level}{text[first:]}"
    end = found[after][3]
    return f"{text[:end]},\n{level}{entry}{text[end:]}"


def _nest(path: tuple[str, ...], value: Any) -> Any:
    for step in reversed(path):
        value = {step: value}
    return value


def _dump(value: Any, level: str, unit: str) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=unit if isinstance(value, dict | list) else None)
    return text.replace("\n", "\n" + level)
