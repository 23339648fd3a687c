"""Repository routes: the user, the repository, collaborators, issues, comments, pulls, git refs, compare,
contents (21 operations).

Behaviour worth knowing:

* Issues and pull requests share numbers; the Issues API lists pull requests too (with a
  ``pull_request`` object), and comments on a pull request go through the Issues API.
* Permissions: issue/comment reads need ``issues: read``, writes ``issues: write``; on a pull
  request's number ``pull-requests`` at the same level is accepted instead.  Pulls need
  ``pull-requests: read|write``; refs and contents ``contents: read|write``.  Writing under
  ``.github/workflows/`` also needs ``workflows: write``, which a ``GITHUB_TOKEN`` never has.
* Issue, pull and comment bodies over 65536 characters are refused with 422.
* ``pulls/create``: 422 when the head branch (same repository) or base branch does not exist,
  when an open pull request already exists for that head and base, or when head and base point
  at the same commit ("No commits between ..."); fork heads (``other:branch``) are refused as
  an unknown head because forks' branches are not modelled.  403 "GitHub Actions is not
  permitted to create or approve pull requests." when the repository setting is off.
* ``pulls/update``: title, body, state and base; 404 for an unknown number, 422 for an empty
  title or an unknown base.
* ``git/create-ref``: 422 "Reference already exists", "Object does not exist" (unknown sha),
  "Reference name must contain at least three slash-separated components.".
  ``git/update-ref``: 422 "Reference does not exist", "Object does not exist", and "Update is
  not a fast forward" unless ``force``.
* ``users/get-authenticated`` (``GET /user``): the token's user for a personal token; 403
  "Resource not accessible by integration" for an installation token (``GITHUB_TOKEN`` or a
  GitHub App's), as GitHub answers.
* ``repos/compare-commits-with-basehead``: ``base...head`` (branches or shas) over the commit
  graph: ``status``, ``ahead_by``/``behind_by``, the merge base, and the head's commits not in
  base (oldest first, at most 250), each with its author account (``author``: the account that
  made it through the API, ``null`` for seeded commits without one), and ``files`` (``diff-entry``:
  every path that differs between the merge base and the head, at most 300).
* ``repos/get-collaborator-permission-level``: a collaborator's role (``FakeGitHub.add_collaborator``);
  ``permission`` is the legacy base role (``maintain`` reads ``write``, ``triage`` reads ``read``,
  as GitHub maps them), ``role_name`` the role itself. An account that is not a collaborator
  reads ``read`` on a public repository and ``none`` on a private one; an unknown login is 404.
* Contents PUT commits as the token's identity (``github-actions[bot]`` for a ``GITHUB_TOKEN``).
* Contents PUT: 201 when creating, 200 when updating; 422 ``"sha" wasn't supplied.`` when
  updating without ``sha``; 409 ``<path> does not match <sha>`` on a stale sha; 404 "Branch
  <name> not found" for a missing branch.  GET with an unknown ``ref`` answers 404 "No commit
  found for the ref <ref>".
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from typing import Any

from healing_guard.simulator.protocol import (
    ApiError,
    Response,
    custom_invalid,
    invalid,
    missing_field,
    not_found,
    paginate,
)
from healing_guard.simulator.records import Issue, Pull, git_blob_sha
from healing_guard.simulator.routing import PERMISSION_DENIED, Permission, Request, RouteTable, permission_error

routes = RouteTable()

_ISSUES = "https://docs.github.com/rest/issues/issues"
_COMMENTS = "https://docs.github.com/rest/issues/comments"
_PULLS = "https://docs.github.com/rest/pulls/pulls"
_REFS = "https://docs.github.com/rest/git/refs"
_CONTENTS = "https://docs.github.com/rest/repos/contents"
MAX_BODY = 65536


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid("Issue", "since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _noreply(req: Request) -> tuple[str, str]:
    """The commit author GitHub records for an API commit made with the token."""
    login = req.state.app_login
    return login, f"{req.state.user(login).id}+{login}@users.noreply.github.com"


def _check_body(resource: str, body: Any) -> str | None:
    if body is None:
        return None
    text = str(body)
    if len(text) > MAX_BODY:
        raise custom_invalid(resource, f"body is too long (maximum is {MAX_BODY} characters)", "body")
    return text


def _issue_access(req: Request, issue: Issue | None, level: str) -> None:
    alternatives: tuple[Permission, ...] = (("issues", level),)
    if issue is not None and issue.is_pull:
        alternatives += (("pull-requests", level),)
    req.require(*alternatives)
    if issue is None:
        raise not_found()


def _issue(req: Request, level: str) -> Issue:
    issue = req.state.issues.get(req.int_param("issue_number"))
    _issue_access(req, issue, level)
    assert issue is not None
    return issue


def _label_names(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise invalid("Issue", "labels")
    names = [item.get("name") if isinstance(item, dict) else item for item in value]
    if not all(isinstance(name, str) and name for name in names):
        raise invalid("Label", "name", "missing_field")
    return [str(name) for name in names]


# --------------------------------------------------------------------------- the authenticated user


@routes.add(
    "GET",
    "/user",
    "users/get-authenticated",
    "https://docs.github.com/rest/users/users#get-the-authenticated-user",
    permission=None,
)
def get_authenticated_user(req: Request) -> Response:
    if req.state.installation_token:
        raise ApiError(403, PERMISSION_DENIED)
    return Response(200, req.render.private_user(req.state.app_login))


# --------------------------------------------------------------------------- repository


@routes.add(
    "GET",
    "/repos/{owner}/{repo}",
    "repos/get",
    "https://docs.github.com/rest/repos/repos#get-a-repository",
    permission=("metadata", "read"),
)
def get_repository(req: Request) -> Response:
    return Response(200, req.render.repository())


# --------------------------------------------------------------------------- collaborators

#: GitHub's mapping of roles to the legacy ``permission`` field.
_LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/collaborators/{username}/permission",
    "repos/get-collaborator-permission-level",
    "https://docs.github.com/rest/collaborators/collaborators#get-repository-permissions-for-a-user",
    permission=("metadata", "read"),
)
def get_collaborator_permission(req: Request) -> Response:
    login = req.params["username"]
    if login not in req.state.users and login not in req.state.collaborators:
        raise not_found()
    role = req.state.collaborators.get(login) or ("none" if req.state.private else "read")
    permission = _LEGACY_PERMISSION.get(role, "none")
    return Response(200, req.render.collaborator_permission(login, role, permission))


# --------------------------------------------------------------------------- issues


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/issues",
    "issues/list-for-repo",
    f"{_ISSUES}#list-repository-issues",
    permission=("issues", "read"),
)
def list_issues(req: Request) -> Response:
    query = req.query
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("Issue", "state")
    issues = [i for i in req.state.issues.values() if state == "all" or i.state == state]
    if query.get("labels"):
        wanted = {name.strip() for name in query["labels"].split(",") if name.strip()}
        issues = [i for i in issues if wanted <= set(i.labels)]
    if "creator" in query:
        issues = [i for i in issues if i.user == query["creator"]]
    if "assignee" in query:
        who = query["assignee"]
        if who == "none":
            issues = [i for i in issues if not i.assignees]
        elif who != "*":
            issues = [i for i in issues if who in i.assignees]
    if "since" in query:
        since = _parse_time(query["since"])
        issues = [i for i in issues if i.updated_at >= since]
    counts = {n: sum(1 for c in req.state.comments.values() if c.issue_number == n) for n in req.state.issues}
    keyed = sorted(issues, key=lambda i: i.number)
    sort = query.get("sort", "created")
    if sort not in ("created", "updated", "comments"):
        raise invalid("Issue", "sort")
    sort_key: dict[str, Any] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (counts[i.number], i.number),
    }
    keyed.sort(key=sort_key[sort], reverse=query.get("direction", "desc") != "asc")
    page, headers = paginate(keyed, query, req.page_url)
    return Response(200, [req.render.issue(i) for i in page], headers)


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/issues",
    "issues/create",
    f"{_ISSUES}#create-an-issue",
    permission=("issues", "write"),
)
def create_issue(req: Request) -> Response:
    if not req.state.has_issues:
        raise ApiError(410, "Issues are disabled for this repo")
    data = req.body_dict()
    title = data.get("title")
    if title is None or str(title) == "":
        raise missing_field("title")
    issue = req.state.add_issue(
        title=str(title),
        body=_check_body("Issue", data.get("body")),
        user=req.state.app_login,
        labels=_label_names(data.get("labels", [])),
        assignees=list(data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])),
    )
    payload = req.render.issue(issue)
    return Response(201, payload, {"Location": payload["url"]})


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "issues/get",
    f"{_ISSUES}#get-an-issue",
    permission=None,
)
def get_issue(req: Request) -> Response:
    return Response(200, req.render.issue(_issue(req, "read")))


@routes.add(
    "PATCH",
    "/repos/{owner}/{repo}/issues/{issue_number}",
    "issues/update",
    f"{_ISSUES}#update-an-issue",
    permission=None,
)
def update_issue(req: Request) -> Response:
    issue = _issue(req, "write")
    data = req.body_dict()
    now = req.state.now()
    if data.get("title") is not None:
        issue.title = str(data["title"])
    if "body" in data:
        issue.body = _check_body("Issue", data["body"])
    if "labels" in data:
        issue.labels = list(dict.fromkeys(_label_names(data["labels"] or [])))
        for name in issue.labels:
            req.state.label(name)
    if "assignees" in data:
        issue.assignees = [str(login) for login in data["assignees"] or []]
    if data.get("state") is not None:
        state = data["state"]
        if state not in ("open", "closed"):
            raise invalid("Issue", "state")
        if state == "closed" and issue.state != "closed":
            issue.closed_at, issue.closed_by = now, req.state.app_login
            issue.state_reason = data.get("state_reason") or "completed"
        elif state == "open" and issue.state != "open":
            issue.closed_at, issue.closed_by, issue.state_reason = None, None, "reopened"
        issue.state = state
    elif data.get("state_reason"):
        issue.state_reason = data["state_reason"]
    issue.updated_at = now
    return Response(200, req.render.issue(issue))


# --------------------------------------------------------------------------- comments


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "issues/list-comments",
    f"{_COMMENTS}#list-issue-comments",
    permission=None,
)
def list_comments(req: Request) -> Response:
    issue = _issue(req, "read")
    comments = sorted((c for c in req.state.comments.values() if c.issue_number == issue.number), key=lambda c: c.id)
    if "since" in req.query:
        since = _parse_time(req.query["since"])
        comments = [c for c in comments if c.updated_at >= since]
    page, headers = paginate(comments, req.query, req.page_url)
    return Response(200, [req.render.comment(c) for c in page], headers)


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    "issues/create-comment",
    f"{_COMMENTS}#create-an-issue-comment",
    permission=None,
)
def create_comment(req: Request) -> Response:
    issue = _issue(req, "write")
    body = _check_body("IssueComment", req.body_dict().get("body"))
    if not body:
        raise missing_field("body")
    comment = req.state.add_comment(issue, body, req.state.app_login)
    payload = req.render.comment(comment)
    return Response(201, payload, {"Location": payload["url"]})


def _comment_target(req: Request, level: str) -> int:
    comment = req.state.comments.get(req.int_param("comment_id"))
    issue = req.state.issues.get(comment.issue_number) if comment else None
    if comment is None:
        req.require(("issues", level), ("pull-requests", level))
        raise not_found()
    _issue_access(req, issue, level)
    return comment.id


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "issues/get-comment",
    f"{_COMMENTS}#get-an-issue-comment",
    permission=None,
)
def get_comment(req: Request) -> Response:
    comment = req.state.comments[_comment_target(req, "read")]
    return Response(200, req.render.comment(comment))


@routes.add(
    "PATCH",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "issues/update-comment",
    f"{_COMMENTS}#update-an-issue-comment",
    permission=None,
)
def update_comment(req: Request) -> Response:
    comment = req.state.comments[_comment_target(req, "write")]
    body = _check_body("IssueComment", req.body_dict().get("body"))
    if not body:
        raise missing_field("body")
    comment.body, comment.updated_at = body, req.state.now()
    return Response(200, req.render.comment(comment))


@routes.add(
    "DELETE",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    "issues/delete-comment",
    f"{_COMMENTS}#delete-an-issue-comment",
    permission=None,
)
def delete_comment(req: Request) -> Response:
    del req.state.comments[_comment_target(req, "write")]
    return Response(204)


# --------------------------------------------------------------------------- pulls


def _split_head(req: Request, head: str) -> tuple[str, str]:
    owner, sep, branch = head.partition(":")
    return (owner, branch) if sep else (req.state.owner, head)


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/pulls",
    "pulls/list",
    f"{_PULLS}#list-pull-requests",
    permission=("pull-requests", "read"),
)
def list_pulls(req: Request) -> Response:
    query = req.query
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("PullRequest", "state")
    issues = req.state.issues
    pulls: list[Pull] = [p for p in req.state.pulls.values() if state == "all" or issues[p.number].state == state]
    if query.get("head"):
        owner, branch = _split_head(req, query["head"])
        pulls = [p for p in pulls if p.head_owner.lower() == owner.lower() and p.head_ref == branch]
    if query.get("base"):
        pulls = [p for p in pulls if p.base_ref == query["base"]]
    sort = query.get("sort", "created")
    if sort not in ("created", "updated", "popularity", "long-running"):
        raise invalid("PullRequest", "sort")
    direction = query.get("direction", "desc" if sort == "created" else "asc")
    stamp = "updated_at" if sort == "updated" else "created_at"
    pulls.sort(key=lambda p: (getattr(issues[p.number], stamp), p.number), reverse=direction != "asc")
    page, headers = paginate(pulls, query, req.page_url)
    return Response(200, [req.render.pull(p) for p in page], headers)


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/pulls",
    "pulls/create",
    f"{_PULLS}#create-a-pull-request",
    permission=("pull-requests", "write"),
)
def create_pull(req: Request) -> Response:
    state = req.state
    if not state.allow_actions_to_create_prs:
        raise ApiError(403, "GitHub Actions is not permitted to create or approve pull requests.")
    data = req.body_dict()
    for name in ("head", "base"):
        if not data.get(name):
            raise invalid("PullRequest", name, "missing_field")
    if not data.get("title"):
        raise missing_field("title")
    owner, branch = _split_head(req, str(data["head"]))
    base = str(data["base"])
    head_commit = state.branch_commit(branch) if owner.lower() == state.owner.lower() else None
    if head_commit is None:
        raise invalid("PullRequest", "head")
    base_commit = state.branch_commit(base)
    if base_commit is None:
        raise invalid("PullRequest", "base")
    for pull in state.pulls.values():
        if (
            state.issues[pull.number].state == "open"
            and pull.head_owner.lower() == owner.lower()
            and pull.head_ref == branch
            and pull.base_ref == base
        ):
            raise custom_invalid("PullRequest", f"A pull request already exists for {owner}:{branch}.")
    if head_commit.sha == base_commit.sha:
        raise custom_invalid("PullRequest", f"No commits between {base} and {branch}")
    pull = state.add_pull(
        title=str(data["title"]),
        body=_check_body("PullRequest", data.get("body")),
        user=state.app_login,
        head_owner=state.owner,
        head_ref=branch,
        head_sha=head_commit.sha,
        base_ref=base,
        draft=bool(data.get("draft", False)),
    )
    pull.maintainer_can_modify = bool(data.get("maintainer_can_modify", True))
    payload = req.render.pull(pull, full=True)
    return Response(201, payload, {"Location": payload["url"]})


@routes.add(
    "PATCH",
    "/repos/{owner}/{repo}/pulls/{pull_number}",
    "pulls/update",
    f"{_PULLS}#update-a-pull-request",
    permission=("pull-requests", "write"),
)
def update_pull(req: Request) -> Response:
    pull = req.state.pulls.get(req.int_param("pull_number"))
    if pull is None:
        raise not_found()
    issue = req.state.issues[pull.number]
    data = req.body_dict()
    if "title" in data:
        if not data["title"]:
            raise missing_field("title")
        issue.title = str(data["title"])
    if "body" in data:
        issue.body = _check_body("PullRequest", data["body"])
    if data.get("state") is not None:
        if data["state"] not in ("open", "closed"):
            raise invalid("PullRequest", "state")
        if data["state"] == "closed" and issue.state != "closed":
            issue.closed_at, issue.closed_by = req.state.now(), req.state.app_login
        elif data["state"] == "open":
            issue.closed_at, issue.closed_by = None, None
        issue.state = str(data["state"])
    if data.get("base") is not None:
        if req.state.branch_commit(str(data["base"])) is None:
            raise invalid("PullRequest", "base")
        pull.base_ref = str(data["base"])
    issue.updated_at = req.state.now()
    return Response(200, req.render.pull(pull, full=True))


# --------------------------------------------------------------------------- git refs


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/git/ref/{ref}",
    "git/get-ref",
    f"{_REFS}#get-a-reference",
    permission=("contents", "read"),
)
def get_ref(req: Request) -> Response:
    full = f"refs/{req.params['ref']}"
    sha = req.state.refs.get(full)
    if sha is None:
        raise not_found()
    return Response(200, req.render.git_ref(full, sha))


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/git/refs",
    "git/create-ref",
    f"{_REFS}#create-a-reference",
    permission=("contents", "write"),
)
def create_ref(req: Request) -> Response:
    data = req.body_dict()
    ref, sha = data.get("ref"), data.get("sha")
    if not ref:
        raise missing_field("ref")
    if not sha:
        raise missing_field("sha")
    ref, sha = str(ref), str(sha)
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, "Reference name must contain at least three slash-separated components.")
    if ref in req.state.refs:
        raise ApiError(422, "Reference already exists")
    if sha not in req.state.commits:
        raise ApiError(422, "Object does not exist")
    req.state.refs[ref] = sha
    payload = req.render.git_ref(ref, sha)
    return Response(201, payload, {"Location": payload["url"]})


@routes.add(
    "PATCH",
    "/repos/{owner}/{repo}/git/refs/{ref}",
    "git/update-ref",
    f"{_REFS}#update-a-reference",
    permission=("contents", "write"),
)
def update_ref(req: Request) -> Response:
    full = f"refs/{req.params['ref']}"
    data = req.body_dict()
    sha = data.get("sha")
    if not sha:
        raise missing_field("sha")
    sha = str(sha)
    current = req.state.refs.get(full)
    if current is None:
        raise ApiError(422, "Reference does not exist")
    if sha not in req.state.commits:
        raise ApiError(422, "Object does not exist")
    if not data.get("force") and current not in req.state.ancestors(sha):
        raise ApiError(422, "Update is not a fast forward")
    req.state.refs[full] = sha
    return Response(200, req.render.git_ref(full, sha))


# --------------------------------------------------------------------------- compare


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/compare/{basehead}",
    "repos/compare-commits-with-basehead",
    "https://docs.github.com/rest/commits/commits#compare-two-commits",
    permission=("contents", "read"),
)
def compare(req: Request) -> Response:
    base_name, sep, head_name = req.params["basehead"].partition("...")
    if not sep:
        raise not_found()
    base, head = req.state.resolve_ref(base_name), req.state.resolve_ref(head_name)
    if base is None or head is None:
        raise not_found()
    head_line = req.state.ancestors(head.sha)
    base_line = req.state.ancestors(base.sha)
    in_base = set(base_line)
    merge_base = next((sha for sha in head_line if sha in in_base), None)
    if merge_base is None:
        raise ApiError(404, f"No common ancestor between {base_name} and {head_name}.")
    ahead = [sha for sha in head_line if sha not in in_base]
    behind = [sha for sha in base_line if sha not in set(head_line)]
    status = (
        "identical" if not ahead and not behind else "ahead" if not behind else "behind" if not ahead else "diverged"
    )
    basehead = req.params["basehead"]
    payload = req.render.comparison(
        basehead, base.sha, merge_base, head.sha, status, len(ahead), len(behind), list(reversed(ahead))[:250]
    )
    payload["files"] = _diff_entries(req, req.state.commits[merge_base].tree, head.tree, head.sha)
    return Response(200, payload)


def _diff_entries(req: Request, before: dict[str, bytes], after: dict[str, bytes], head: str) -> list[dict[str, Any]]:
    """GitHub's ``diff-entry`` list (at most 300 files, as GitHub answers) from the merge base to the head."""
    entries: list[dict[str, Any]] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        status = "added" if old is None else "removed" if new is None else "modified"
        plus = len((new or b"").splitlines()) if status != "removed" else 0
        minus = len((old or b"").splitlines()) if status != "added" else 0
        entries.append(
            {
                "sha": git_blob_sha(new) if new is not None else None,
                "filename": name,
                "status": status,
                "additions": plus,
                "deletions": minus,
                "changes": plus + minus,
                "blob_url": f"{req.render.web}/blob/{head}/{name}",
                "raw_url": f"{req.render.web}/raw/{head}/{name}",
                "contents_url": f"{req.render.api}/contents/{name}?ref={head}",
            }
        )
    return entries[:300]


# --------------------------------------------------------------------------- contents


def _ref_name(req: Request, ref: str | None) -> str:
    name = ref or req.state.default_branch
    return name.removeprefix("refs/heads/")


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/contents/{path}",
    "repos/get-content",
    f"{_CONTENTS}#get-repository-content",
    permission=("contents", "read"),
)
def get_content(req: Request) -> Response:
    path = req.params["path"].strip("/")
    ref = req.query.get("ref")
    commit = req.state.resolve_ref(ref)
    if commit is None:
        raise ApiError(404, f"No commit found for the ref {ref or req.state.default_branch}")
    ref_name = _ref_name(req, ref)
    if path in commit.tree:
        return Response(200, req.render.content_file(path, commit.tree[path], ref_name))
    prefix = f"{path}/" if path else ""
    children = sorted({p[len(prefix) :].split("/", 1)[0] for p in commit.tree if p.startswith(prefix)})
    if not children:
        raise not_found()
    entries = [req.render.content_entry(f"{prefix}{name}", commit, ref_name) for name in children]
    return Response(200, entries)


@routes.add(
    "PUT",
    "/repos/{owner}/{repo}/contents/{path}",
    "repos/create-or-update-file-contents",
    f"{_CONTENTS}#create-or-update-file-contents",
    permission=("contents", "write"),
)
def put_content(req: Request) -> Response:
    state = req.state
    path = req.params["path"].strip("/")
    if path.startswith(".github/workflows/") and state.permissions.get("workflows") != "write":
        raise permission_error((("workflows", "write"),))
    data = req.body_dict()
    for name in ("message", "content"):
        if data.get(name) is None:
            raise missing_field(name)
    try:
        content = base64.b64decode(str(data["content"]), validate=True)
    except (binascii.Error, ValueError):
        raise custom_invalid("Content", "content is not valid Base64", "content") from None
    branch = str(data.get("branch") or state.default_branch).removeprefix("refs/heads/")
    head = state.branch_commit(branch)
    if head is None:
        raise ApiError(404, f"Branch {branch} not found")
    existing = head.tree.get(path)
    if existing is not None:
        if not data.get("sha"):
            raise missing_field("sha")
        current = req.render.content_file(path, existing, branch)["sha"]
        if data["sha"] != current:
            raise ApiError(409, f"{path} does not match {data['sha']}")
    committer = data.get("committer") or data.get("author") or {}
    named = isinstance(committer, dict) and committer.get("name") and committer.get("email")
    name, email = (str(committer["name"]), str(committer["email"])) if named else _noreply(req)
    commit = state.commit_file(branch, path, content, str(data["message"]), name, email, state.app_login)
    return Response(201 if existing is None else 200, req.render.file_commit(path, commit, branch))
