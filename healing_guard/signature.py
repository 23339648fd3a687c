"""A failure's signature: the same for the same failure across runs, different otherwise."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?"), "<time>"),
    (re.compile(r"\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"0x[0-9a-f]+", re.I), "<hex>"),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,}\b", re.I), "<hex>"),
    (re.compile(r"(?:/tmp|/var/folders|/private/var/folders)/[^\s'\":]+"), "<tmp>"),
    (re.compile(r"[A-Za-z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp\\[^\s'\":]+"), "<tmp>"),
    (re.compile(r"/home/runner/work/[^/\s]+/[^/\s]+/"), "./"),
    (re.compile(r"/__w/[^/\s]+/[^/\s]+/"), "./"),
    (re.compile(r"[A-Za-z]:\\a\\[^\\\s]+\\[^\\\s]+\\"), "./"),
    (re.compile(r"/builds/workspace/[^/\s]+/"), "./"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:ms|s|m|h|MB|GB|KB|B)?\b"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def normalise(text: str) -> str:
    """The text with run-specific parts (times, ids, hex, temp paths, numbers) replaced."""
    out = text.strip()
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    return out


def signature(strategy: str, root_text: str, params: Mapping[str, Any]) -> str:
    """16 hex digits naming this failure across runs."""
    stable = {
        k: (sorted(normalise(str(x)) for x in v) if isinstance(v, list) else normalise(str(v)))
        for k, v in sorted(params.items())
        if k not in ("exit_code",)
    }
    payload = json.dumps([strategy, normalise(root_text), stable], sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
