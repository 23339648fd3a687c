"""Git Data routes: commits, trees and blobs (6 operations), as a writer of a state branch uses them.

Behaviour worth knowing (GitHub's, as its REST description and docs give it):

* Tree and blob shas are real git hashes (``gitdata``); ``git/get-tree`` takes a tree sha, a
  commit sha or a branch name (``tree_sha``: "The SHA1 value or ref (branch or tag) name of the
  tree"), and ``recursive`` (any value) lists every folder and file.
* ``git/create-tree``: ``base_tree`` plus ``tree`` entries of ``path``/``mode``/``type`` and either
  ``sha`` (``null`` deletes the path) or ``content``; 422 "Invalid tree info" for an unknown base
  tree or blob, or an entry with both ``sha`` and ``content``.
* ``git/create-commit``: ``parents`` omitted or empty makes a root commit (an orphan branch's
  first commit); 422 "Tree SHA does not exist" / "Parent SHA does not exist or is not a commit
  object". The commit is authored by the token's identity.
* ``git/create-blob``: ``encoding`` ``utf-8`` (default) or ``base64``; 201 with ``url`` and ``sha``.
* ``git/get-blob``: base64 ``content`` (wrapped at 60 characters like the Contents API), ``size``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from healing_guard.simulator.gitdata import FILE_MODE, TREE_MODE, apply_changes
from healing_guard.simulator.objects import iso, node_id
from healing_guard.simulator.protocol import ApiError, Response, missing_field, not_found
from healing_guard.simulator.records import Commit
from healing_guard.simulator.routing import Request, RouteTable

routes = RouteTable()

_TREES = "https://docs.github.com/rest/git/trees"
_COMMITS = "https://docs.github.com/rest/git/commits"
_BLOBS = "https://docs.github.com/rest/git/blobs"
_READ = ("contents", "read")
_WRITE = ("contents", "write")
_TREE_INFO = "Invalid tree info"


def _tree_payload(req: Request, sha: str, *, recursive: bool) -> dict[str, Any]:
    api = req.render.api
    entries = []
    for path, kind, entry_sha, size in req.state.git.listing(sha, recursive=recursive):
        entry: dict[str, Any] = {
            "path": path,
            "mode": TREE_MODE if kind == "tree" else FILE_MODE,
            "type": kind,
            "sha": entry_sha,
            "url": f"{api}/git/{kind}s/{entry_sha}",
        }
        if size is not None:
            entry["size"] = size
        entries.append(entry)
    return {"sha": sha, "url": f"{api}/git/trees/{sha}", "tree": entries, "truncated": False}


def _commit_payload(req: Request, commit: Commit) -> dict[str, Any]:
    api, web = req.render.api, req.render.web
    tree = req.state.git.tree_sha(commit.tree)
    person = {"name": commit.author_name, "email": commit.author_email, "date": iso(commit.date)}
    return {
        "sha": commit.sha,
        "node_id": node_id("C", commit.sha),
        "url": f"{api}/git/commits/{commit.sha}",
        "html_url": f"{web}/commit/{commit.sha}",
        "author": dict(person),
        "committer": dict(person),
        "tree": {"sha": tree, "url": f"{api}/git/trees/{tree}"},
        "message": commit.message,
        "parents": [
            {"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{web}/commit/{p}"} for p in commit.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/git/commits/{commit_sha}",
    "git/get-commit",
    f"{_COMMITS}#get-a-commit-object",
    permission=_READ,
)
def get_commit(req: Request) -> Response:
    commit = req.state.commits.get(req.params["commit_sha"])
    if commit is None:
        raise not_found()
    return Response(200, _commit_payload(req, commit))


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/git/commits",
    "git/create-commit",
    f"{_COMMITS}#create-a-commit",
    permission=_WRITE,
)
def create_commit(req: Request) -> Response:
    state = req.state
    data = req.body_dict()
    for name in ("message", "tree"):
        if data.get(name) is None:
            raise missing_field(name)
    tree = state.git.trees.get(str(data["tree"]))
    if tree is None:
        raise ApiError(422, "Tree SHA does not exist")
    parents = data.get("parents") or []
    if not isinstance(parents, list) or any(str(p) not in state.commits for p in parents):
        raise ApiError(422, "Parent SHA does not exist or is not a commit object")
    login = state.app_login
    email = f"{state.user(login).id}+{login}@users.noreply.github.com"
    seed = f"{data['tree']}\0{','.join(map(str, parents))}\0{data['message']}\0{len(state.commits)}"
    commit = Commit(
        sha=hashlib.sha1(seed.encode()).hexdigest(),
        tree=dict(tree),
        message=str(data["message"]),
        parents=[str(p) for p in parents],
        author_name=login,
        author_email=email,
        date=state.now(),
        author_login=login,
    )
    state.commits[commit.sha] = commit
    payload = _commit_payload(req, commit)
    return Response(201, payload, {"Location": payload["url"]})


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/git/trees/{tree_sha}",
    "git/get-tree",
    f"{_TREES}#get-a-tree",
    permission=_READ,
)
def get_tree(req: Request) -> Response:
    name = req.params["tree_sha"]
    state = req.state
    if name not in state.git.trees:
        commit = state.resolve_ref(name)
        if commit is None:
            raise not_found()
        name = state.git.tree_sha(commit.tree)
    return Response(200, _tree_payload(req, name, recursive="recursive" in req.query))


def _entry_change(req: Request, entry: Any) -> tuple[str, bytes | None]:
    if not isinstance(entry, dict) or not entry.get("path"):
        raise ApiError(422, _TREE_INFO)
    path = str(entry["path"]).strip("/")
    if "sha" in entry and "content" in entry:
        raise ApiError(422, _TREE_INFO)
    if "content" in entry:
        return path, str(entry["content"]).encode("utf-8")
    sha = entry.get("sha")
    if sha is None:
        return path, None
    data = req.state.git.blobs.get(str(sha))
    if data is None or entry.get("type", "blob") != "blob":
        raise ApiError(422, _TREE_INFO)
    return path, data


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/git/trees",
    "git/create-tree",
    f"{_TREES}#create-a-tree",
    permission=_WRITE,
)
def create_tree(req: Request) -> Response:
    state = req.state
    data = req.body_dict()
    entries = data.get("tree")
    if not isinstance(entries, list):
        raise missing_field("tree")
    base: dict[str, bytes] = {}
    if data.get("base_tree"):
        found = state.git.trees.get(str(data["base_tree"]))
        if found is None:
            raise ApiError(422, _TREE_INFO)
        base = found
    files = apply_changes(base, [_entry_change(req, e) for e in entries])
    sha = state.git.tree_sha(files)
    payload = _tree_payload(req, sha, recursive=False)
    return Response(201, payload, {"Location": payload["url"]})


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/git/blobs",
    "git/create-blob",
    f"{_BLOBS}#create-a-blob",
    permission=_WRITE,
)
def create_blob(req: Request) -> Response:
    data = req.body_dict()
    if data.get("content") is None:
        raise missing_field("content")
    encoding = data.get("encoding", "utf-8")
    if encoding == "base64":
        try:
            content = base64.b64decode(str(data["content"]), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(422, "content is not valid Base64") from None
    elif encoding in ("utf-8", "utf8"):
        content = str(data["content"]).encode("utf-8")
    else:
        raise ApiError(422, f"encoding must be utf-8 or base64, not {encoding}")
    sha = req.state.git.add_blob(content)
    url = f"{req.render.api}/git/blobs/{sha}"
    return Response(201, {"url": url, "sha": sha}, {"Location": url})


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/git/blobs/{file_sha}",
    "git/get-blob",
    f"{_BLOBS}#get-a-blob",
    permission=_READ,
)
def get_blob(req: Request) -> Response:
    sha = req.params["file_sha"]
    state = req.state
    data = state.git.blobs.get(sha)
    if data is None:  # a seeded file nobody has listed yet
        for commit in state.commits.values():
            state.git.tree_sha(commit.tree)
            if sha in state.git.blobs:
                data = state.git.blobs[sha]
                break
    if data is None:
        raise not_found()
    encoded = base64.b64encode(data).decode("ascii")
    wrapped = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60)) + "\n"
    return Response(
        200,
        {
            "sha": sha,
            "node_id": node_id("B", sha),
            "size": len(data),
            "url": f"{req.render.api}/git/blobs/{sha}",
            "content": wrapped,
            "encoding": "base64",
        },
    )
