"""The git object model behind the Git Data API: trees and blobs hashed as git hashes them.

A ``Commit`` holds its whole file tree as a flat ``{path: bytes}`` map; this module gives such a
map (and each of its folders) its real git tree sha, remembers every tree and blob by sha so that
``git/get-tree`` and ``git/get-blob`` can answer for them, and applies a ``git/create-tree``
change list to a base tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from healing_guard.simulator.records import git_blob_sha

FILE_MODE = "100644"
TREE_MODE = "040000"


class GitObjects:
    """Every tree and blob the server has handed out or been given, by sha."""

    def __init__(self) -> None:
        #: tree sha -> the tree's files, flat, relative to the tree
        self.trees: dict[str, dict[str, bytes]] = {}
        self.blobs: dict[str, bytes] = {}

    def add_blob(self, data: bytes) -> str:
        sha = git_blob_sha(data)
        self.blobs[sha] = data
        return sha

    def tree_sha(self, files: Mapping[str, bytes]) -> str:
        """The git sha of the tree holding ``files`` (registered with every subtree and blob)."""
        top: dict[str, bytes] = {}
        folders: dict[str, dict[str, bytes]] = {}
        for path, data in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                folders.setdefault(head, {})[rest] = data
            else:
                top[head] = data
        entries: list[tuple[str, str, str]] = []  # (sort key, mode name, binary-able sha)
        for name, data in top.items():
            entries.append((name, f"{FILE_MODE} {name}", self.add_blob(data)))
        for name, inner in folders.items():
            entries.append((name + "/", f"40000 {name}", self.tree_sha(inner)))
        body = b"".join(head.encode() + b"\0" + bytes.fromhex(sha) for _, head, sha in sorted(entries))
        sha = hashlib.sha1(b"tree %d\0" % len(body) + body).hexdigest()
        self.trees[sha] = dict(files)
        return sha

    def listing(self, sha: str, *, recursive: bool) -> list[tuple[str, str, str, int | None]]:
        """``(path, type, sha, size)`` of a known tree's entries (folders before their files)."""
        files = self.trees[sha]
        out: list[tuple[str, str, str, int | None]] = []
        folders: set[str] = set()
        for path in sorted(files):
            parts = path.split("/")
            limit = len(parts) - 1 if recursive else min(1, len(parts) - 1)
            for depth in range(1, limit + 1):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders.add(folder)
                    inner = {p[len(folder) + 1 :]: d for p, d in files.items() if p.startswith(folder + "/")}
                    out.append((folder, "tree", self.tree_sha(inner), None))
            if recursive or len(parts) == 1:
                out.append((path, "blob", self.add_blob(files[path]), len(files[path])))
        return out


def apply_changes(base: Mapping[str, bytes], changes: list[tuple[str, bytes | None]]) -> dict[str, bytes]:
    """``base`` with each ``(path, content)`` written, or removed when ``content`` is None (a folder
    path removes everything under it)."""
    files = dict(base)
    for path, data in changes:
        if data is None:
            for name in [p for p in files if p == path or p.startswith(path + "/")]:
                del files[name]
        else:
            for name in [p for p in files if p.startswith(path + "/")]:
                del files[name]
            files[path] = data
    return files
