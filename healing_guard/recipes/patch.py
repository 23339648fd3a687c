"""Apply the unified diff a fix workflow hands back (``git diff`` output) to the files at the
failing commit, strictly: every context and removed line must match, or nothing is proposed.

Only text changes to existing or new files are taken; a deletion, rename, copy, mode change or
binary patch is refused, and so is a path outside the repository, under ``.github/workflows/``
(a ``GITHUB_TOKEN`` cannot change it) or outside what the recipe may touch.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .base import WORKFLOWS_REFUSED, in_workflows, safe_path

MAX_PATCH_BYTES = 5 << 20
MAX_FILES = 300
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_REFUSED = (
    "deleted file mode",
    "rename from",
    "copy from",
    "old mode",
    "new mode",
    "similarity index",
    "Binary files",
    "GIT binary patch",
)


class PatchError(ValueError):
    """The diff cannot be applied as it is (the reason says why)."""


@dataclass
class FilePatch:
    path: str
    new_file: bool = False
    hunks: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)


def parse(text: str) -> list[FilePatch]:
    """The files of a ``git diff`` and their hunks."""
    if len(text.encode("utf-8")) > MAX_PATCH_BYTES:
        raise PatchError(f"the diff is larger than {MAX_PATCH_BYTES >> 20} MB")
    files: list[FilePatch] = []
    current: FilePatch | None = None
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            current = None
            i += 1
            continue
        if line.startswith(_REFUSED):
            raise PatchError(f"the diff holds a change the guard does not propose ({line.strip()[:80]})")
        if line.startswith("--- "):
            old = line[4:].rstrip("\n")
            new_line = lines[i + 1] if i + 1 < len(lines) else ""
            if not new_line.startswith("+++ "):
                raise PatchError("a '---' line without its '+++' line")
            new = new_line[4:].rstrip("\n")
            if new == "/dev/null":
                raise PatchError("the diff deletes a file")
            if not new.startswith("b/") or '"' in new or "\t" in new:
                raise PatchError(f"unexpected path {new[:80]!r} (not git's b/ form)")
            current = FilePatch(new[2:], new_file=old == "/dev/null")
            files.append(current)
            i += 2
            continue
        m = _HUNK.match(line)
        if m:
            if current is None:
                raise PatchError("a hunk outside a file")
            old_count = int(m.group(2)) if m.group(2) is not None else 1
            new_count = int(m.group(4)) if m.group(4) is not None else 1
            body: list[tuple[str, str]] = []
            i += 1
            seen_old = seen_new = 0
            while i < len(lines) and (seen_old < old_count or seen_new < new_count or lines[i].startswith("\\")):
                row = lines[i]
                if row.startswith("\\"):  # "\ No newline at end of file": the line before has none
                    if body:
                        op, value = body[-1]
                        body[-1] = (op, value.removesuffix("\n"))
                    i += 1
                    continue
                op, value = row[:1], row[1:]
                if op not in (" ", "-", "+"):
                    raise PatchError(f"a malformed hunk line in {current.path}")
                seen_old += op in (" ", "-")
                seen_new += op in (" ", "+")
                body.append((op, value))
                i += 1
            if seen_old != old_count or seen_new != new_count:
                raise PatchError(f"a truncated hunk in {current.path}")
            current.hunks.append((int(m.group(1)), body))
            continue
        i += 1
    if len(files) > MAX_FILES:
        raise PatchError(f"the diff changes {len(files)} files, more than {MAX_FILES}")
    return files


def apply_one(original: str, patch: FilePatch) -> str:
    """``original`` with ``patch``'s hunks applied; every context and removed line must match."""
    lines = original.splitlines(keepends=True)
    out: list[str] = []
    at = 0  # index into lines
    for start, body in patch.hunks:
        begin = max(start - 1, 0) if any(op != "+" for op, _ in body) else start
        if begin < at or begin > len(lines):
            raise PatchError(f"{patch.path}: a hunk does not fit the file at the failing commit")
        out.extend(lines[at:begin])
        at = begin
        for op, value in body:
            if op in (" ", "-"):
                if at >= len(lines) or lines[at] != value:
                    raise PatchError(f"{patch.path}: the diff does not match the file at the failing commit")
                at += 1
            if op in (" ", "+"):
                out.append(value)
    out.extend(lines[at:])
    return "".join(out)


def apply(text: str, read: Callable[[str], str | None], touches: Sequence[str]) -> list[tuple[str, str]]:
    """(path, new text) of every file the diff changes, read at the failing commit by ``read``."""
    result: list[tuple[str, str]] = []
    for patch in parse(text):
        if not safe_path(patch.path):
            raise PatchError(f"{patch.path[:80]!r} is not a path inside the repository")
        if in_workflows(patch.path):
            raise PatchError(f"the diff changes {patch.path}: {WORKFLOWS_REFUSED}")
        if not any(fnmatch.fnmatchcase(patch.path, glob) for glob in touches):
            raise PatchError(f"the diff changes {patch.path}, which this recipe does not touch ({', '.join(touches)})")
        original = read(patch.path)
        if original is None and not patch.new_file:
            raise PatchError(f"{patch.path} is not in the repository at the failing commit")
        if original is not None and patch.new_file:
            raise PatchError(f"the diff creates {patch.path}, which exists already")
        result.append((patch.path, apply_one(original or "", patch)))
    return result
