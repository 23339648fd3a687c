"""GitHub-shaped JSON payloads built from the simulator's records.

Each method returns a fresh ``dict`` with the fields (and ``null``s) GitHub's OpenAPI schema
requires for that object (``workflow-run``, ``job``, ``issue``, ``issue-comment``,
``pull-request-simple``/``pull-request``, ``full-repository``, ``minimal-repository``,
``simple-user``, ``git-ref``, ``content-file``, ``content-directory``, ``file-commit``,
``actions-cache-list`` entries), modelled on GitHub's own example payloads.  Every ``url``
points at the fake server (``<base>/repos/<owner>/<repo>/...``) so clients can follow it;
``html_url``s use the same host without the ``/repos`` prefix, like github.com.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from healing_guard.simulator.records import Cache, Comment, Commit, Issue, Job, Pull, Run, git_blob_sha
from healing_guard.simulator.state import SimState

JSONDict = dict[str, Any]


def iso(moment: datetime | None) -> str | None:
    """GitHub's timestamp format (``2020-01-22T19:33:08Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def node_id(prefix: str, ident: int | str) -> str:
    """An opaque GraphQL node id."""
    return f"{prefix}_" + base64.b64encode(str(ident).encode()).decode().rstrip("=")


def _base64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


class Renderer:
    """Builds payloads for one server (``base`` is its ``http://127.0.0.1:PORT``)."""

    def __init__(self, state: SimState, base: str) -> None:
        self.state = state
        self.base = base
        self.full_name = f"{state.owner}/{state.repo}"
        self.api = f"{base}/repos/{self.full_name}"
        self.web = f"{base}/{self.full_name}"

    # ----------------------------------------------------------------- users and repositories

    def user(self, login: str) -> JSONDict:
        """A ``simple-user``."""
        account = self.state.user(login)
        api = f"{self.base}/users/{quote(login)}"
        web = f"{self.base}/apps/{login[:-5]}" if account.type == "Bot" else f"{self.base}/{login}"
        return {
            "login": login,
            "id": account.id,
            "node_id": node_id("U" if account.type == "User" else account.type[0], account.id),
            "avatar_url": f"{self.base}/avatars/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": web,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def collaborator_permission(self, login: str, role: str, permission: str) -> JSONDict:
        """A ``repository-collaborator-permission``."""
        rank = ("none", "read", "triage", "write", "maintain", "admin").index(role if role != "none" else "none")
        user = self.user(login)
        user.update(
            {
                "permissions": {
                    "pull": rank >= 1,
                    "triage": rank >= 2,
                    "push": rank >= 3,
                    "maintain": rank >= 4,
                    "admin": rank >= 5,
                },
                "role_name": role,
            }
        )
        return {"permission": permission, "role_name": role, "user": user}

    def private_user(self, login: str) -> JSONDict:
        """A ``private-user`` (``GET /user`` with a personal token)."""
        account = self.state.user(login)
        created = iso(self.state.created_at)
        payload = self.user(login)
        payload.update(
            {
                "user_view_type": "private",
                "name": None,
                "company": None,
                "blog": "",
                "location": None,
                "email": None,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": 1,
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": created,
                "updated_at": created,
                "private_gists": 0,
                "total_private_repos": 0,
                "owned_private_repos": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": True,
            }
        )
        payload["id"] = account.id
        return payload

    def minimal_repository(self, full_name: str | None = None) -> JSONDict:
        """A ``minimal-repository`` (as embedded in workflow runs)."""
        full_name = full_name or self.full_name
        owner, name = full_name.split("/", 1)
        api = f"{self.base}/repos/{full_name}"
        is_home = full_name == self.full_name
        repo_id = self.state.repo_id if is_home else int(hashlib.sha1(full_name.encode()).hexdigest()[:7], 16)
        templates = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "contributors_url": "/contributors",
            "deployments_url": "/deployments",
            "downloads_url": "/downloads",
            "events_url": "/events",
            "forks_url": "/forks",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "hooks_url": "/hooks",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "languages_url": "/languages",
            "merges_url": "/merges",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "stargazers_url": "/stargazers",
            "statuses_url": "/statuses/{sha}",
            "subscribers_url": "/subscribers",
            "subscription_url": "/subscription",
            "tags_url": "/tags",
            "teams_url": "/teams",
            "trees_url": "/git/trees{/sha}",
        }
        payload: JSONDict = {
            "id": repo_id,
            "node_id": node_id("R", repo_id),
            "name": name,
            "full_name": full_name,
            "owner": self.user(owner),
            "private": self.state.private,
            "html_url": f"{self.base}/{full_name}",
            "description": None,
            "fork": not is_home,
            "url": api,
        }
        payload.update({field: api + suffix for field, suffix in templates.items()})
        return payload

    def repository(self, full_name: str | None = None) -> JSONDict:
        """A ``full-repository`` (also valid as the ``repository`` in pull request heads)."""
        full_name = full_name or self.full_name
        state = self.state
        host = self.base.split("://", 1)[1]
        open_count = sum(1 for i in state.issues.values() if i.state == "open")
        payload = self.minimal_repository(full_name)
        payload.update(
            {
                "git_url": f"git://{host}/{full_name}.git",
                "ssh_url": f"git@{host.split(':')[0]}:{full_name}.git",
                "clone_url": f"{self.base}/{full_name}.git",
                "svn_url": f"{self.base}/{full_name}",
                "mirror_url": None,
                "homepage": None,
                "language": "Python",
                "forks_count": 0,
                "forks": 0,
                "stargazers_count": 0,
                "watchers_count": 0,
                "watchers": 0,
                "size": 108,
                "default_branch": state.default_branch,
                "open_issues_count": open_count,
                "open_issues": open_count,
                "is_template": False,
                "topics": [],
                "has_issues": state.has_issues,
                "has_projects": True,
                "has_wiki": False,
                "has_pages": False,
                "has_downloads": True,
                "has_discussions": False,
                "archived": False,
                "disabled": False,
                "visibility": "private" if state.private else "public",
                "pushed_at": iso(state.now()),
                "created_at": iso(state.created_at),
                "updated_at": iso(state.now()),
                "permissions": {
                    "admin": False,
                    "maintain": False,
                    "push": state.permissions.get("contents") == "write",
                    "triage": state.permissions.get("issues") == "write",
                    "pull": True,
                },
                "allow_forking": True,
                "web_commit_signoff_required": False,
                "license": None,
                "subscribers_count": 0,
                "network_count": 0,
                "delete_branch_on_merge": False,
            }
        )
        return payload

    # ----------------------------------------------------------------- actions

    def run(self, run: Run, attempt_number: int | None = None) -> JSONDict:
        """A ``workflow-run`` as of its latest attempt (or attempt ``attempt_number``)."""
        attempt = run.attempts[attempt_number] if attempt_number else run.latest
        url = f"{self.api}/actions/runs/{run.id}"
        pulls = [self.pull_minimal(ref) for ref in run.pull_requests]
        commit = self.state.commits.get(run.head_sha)
        return {
            "id": run.id,
            "name": run.name,
            "node_id": node_id("WFR", run.id),
            "check_suite_id": run.check_suite_id,
            "check_suite_node_id": node_id("CS", run.check_suite_id),
            "head_branch": run.head_branch,
            "head_sha": run.head_sha,
            "path": run.path,
            "display_title": run.display_title,
            "run_number": run.run_number,
            "event": run.event,
            "status": attempt.status,
            "conclusion": attempt.conclusion,
            "workflow_id": run.workflow_id,
            "url": url,
            "html_url": f"{self.web}/actions/runs/{run.id}",
            "pull_requests": [p for p in pulls if p is not None],
            "created_at": iso(run.created_at),
            "updated_at": iso(attempt.updated_at),
            "actor": self.user(run.actor),
            "run_attempt": attempt.number,
            "referenced_workflows": [],
            "run_started_at": iso(attempt.run_started_at),
            "triggering_actor": self.user(attempt.triggering_actor),
            "jobs_url": f"{url}/jobs",
            "logs_url": f"{url}/logs",
            "check_suite_url": f"{self.api}/check-suites/{run.check_suite_id}",
            "artifacts_url": f"{url}/artifacts",
            "cancel_url": f"{url}/cancel",
            "rerun_url": f"{url}/rerun",
            "previous_attempt_url": f"{url}/attempts/{attempt.number - 1}" if attempt.number > 1 else None,
            "workflow_url": f"{self.api}/actions/workflows/{run.workflow_id}",
            "head_commit": {
                "id": run.head_sha,
                "tree_id": hashlib.sha1(f"tree:{run.head_sha}".encode()).hexdigest(),
                "message": commit.message if commit and commit.message != "Seeded commit" else run.display_title,
                "timestamp": iso(run.created_at),
                "author": {"name": "Octo Cat", "email": "octocat@github.com"},
                "committer": {"name": "GitHub", "email": "noreply@github.com"},
            },
            "repository": self.minimal_repository(),
            "head_repository": self.minimal_repository(run.head_repository),
            "head_repository_id": self.minimal_repository(run.head_repository)["id"],
        }

    def pull_minimal(self, ref: int | dict[str, object]) -> JSONDict | None:
        """A ``pull-request-minimal`` for a seeded pull number (dicts pass through)."""
        if isinstance(ref, dict):
            return dict(ref)
        pull = self.state.pulls.get(ref)
        if pull is None:
            return None
        base_commit = self.state.branch_commit(pull.base_ref)
        repo = {"id": self.state.repo_id, "url": self.api, "name": self.state.repo}
        head_repo = self.minimal_repository(f"{pull.head_owner}/{self.state.repo}")
        return {
            "id": pull.id,
            "number": pull.number,
            "url": f"{self.api}/pulls/{pull.number}",
            "head": {
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "repo": {"id": head_repo["id"], "url": head_repo["url"], "name": head_repo["name"]},
            },
            "base": {"ref": pull.base_ref, "sha": base_commit.sha if base_commit else "", "repo": repo},
        }

    def job(self, job: Job) -> JSONDict:
        """A ``job``."""
        run = self.state.runs[job.run_id]
        return {
            "id": job.id,
            "run_id": job.run_id,
            "workflow_name": run.name,
            "head_branch": run.head_branch,
            "run_url": f"{self.api}/actions/runs/{job.run_id}",
            "run_attempt": job.run_attempt,
            "node_id": node_id("CR", job.id),
            "head_sha": run.head_sha,
            "url": f"{self.api}/actions/jobs/{job.id}",
            "html_url": f"{self.web}/actions/runs/{job.run_id}/job/{job.id}",
            "status": job.status,
            "conclusion": job.conclusion,
            "created_at": iso(job.created_at),
            "started_at": iso(job.started_at),
            "completed_at": iso(job.completed_at),
            "name": job.name,
            "steps": [
                {
                    "name": step.name,
                    "status": step.status,
                    "conclusion": step.conclusion,
                    "number": step.number,
                    "started_at": iso(step.started_at),
                    "completed_at": iso(step.completed_at),
                }
                for step in job.steps
            ],
            "check_run_url": f"{self.api}/check-runs/{job.id}",
            "labels": list(job.labels),
            "runner_id": job.runner_id,
            "runner_name": job.runner_name,
            "runner_group_id": 1 if job.runner_group_name else None,
            "runner_group_name": job.runner_group_name,
        }

    def cache(self, cache: Cache) -> JSONDict:
        """One entry of an ``actions-cache-list``."""
        return {
            "id": cache.id,
            "ref": cache.ref,
            "key": cache.key,
            "version": cache.version,
            "last_accessed_at": iso(cache.last_accessed_at),
            "created_at": iso(cache.created_at),
            "size_in_bytes": cache.size_in_bytes,
        }

    # ----------------------------------------------------------------- issues and pulls

    def _label(self, name: str) -> JSONDict:
        label = self.state.label(name)
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.api}/labels/{quote(name)}",
            "name": name,
            "description": label.description or "",
            "color": label.color,
            "default": False,
        }

    def _reactions(self, url: str) -> JSONDict:
        counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
        return {"url": f"{url}/reactions", "total_count": 0, **counts}

    def _association(self, login: str) -> str:
        if login == self.state.owner:
            return "OWNER"
        if self.state.user(login).type == "Bot":
            return "NONE"
        return "CONTRIBUTOR"

    def issue(self, issue: Issue) -> JSONDict:
        """An ``issue`` (a pull request's issue carries a ``pull_request`` object)."""
        url = f"{self.api}/issues/{issue.number}"
        kind = "pull" if issue.is_pull else "issues"
        comments = sum(1 for c in self.state.comments.values() if c.issue_number == issue.number)
        payload: JSONDict = {
            "id": issue.id,
            "node_id": node_id("PR" if issue.is_pull else "I", issue.id),
            "url": url,
            "repository_url": self.api,
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": f"{self.web}/{kind}/{issue.number}",
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(issue.user),
            "labels": [self._label(name) for name in issue.labels],
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(login) for login in issue.assignees],
            "milestone": None,
            "locked": False,
            "active_lock_reason": None,
            "comments": comments,
            "closed_at": iso(issue.closed_at),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "author_association": self._association(issue.user),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
            "reactions": self._reactions(url),
        }
        if issue.is_pull:
            pull = self.state.pulls[issue.number]
            payload["draft"] = pull.draft
            payload["pull_request"] = {
                "url": f"{self.api}/pulls/{issue.number}",
                "html_url": f"{self.web}/pull/{issue.number}",
                "diff_url": f"{self.web}/pull/{issue.number}.diff",
                "patch_url": f"{self.web}/pull/{issue.number}.patch",
                "merged_at": iso(pull.merged_at),
            }
        return payload

    def comment(self, comment: Comment) -> JSONDict:
        """An ``issue-comment``."""
        issue = self.state.issues[comment.issue_number]
        kind = "pull" if issue.is_pull else "issues"
        url = f"{self.api}/issues/comments/{comment.id}"
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": url,
            "html_url": f"{self.web}/{kind}/{comment.issue_number}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self.user(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "issue_url": f"{self.api}/issues/{comment.issue_number}",
            "author_association": self._association(comment.user),
            "performed_via_github_app": None,
            "reactions": self._reactions(url),
            "pin": None,
            "minimized": None,
        }

    def _pull_side(self, owner: str, ref: str, sha: str) -> JSONDict:
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.user(owner),
            "repo": self.repository(f"{owner}/{self.state.repo}"),
        }

    def pull(self, pull: Pull, *, full: bool = False) -> JSONDict:
        """A ``pull-request-simple`` (list), or a ``pull-request`` when ``full``."""
        issue = self.state.issues[pull.number]
        url = f"{self.api}/pulls/{pull.number}"
        issue_url = f"{self.api}/issues/{pull.number}"
        html = f"{self.web}/pull/{pull.number}"
        statuses = f"{self.api}/statuses/{pull.head_sha}"
        base_commit = self.state.branch_commit(pull.base_ref)
        links = {
            "self": url,
            "html": html,
            "issue": issue_url,
            "comments": f"{issue_url}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{self.api}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": statuses,
        }
        payload: JSONDict = {
            "url": url,
            "id": pull.id,
            "node_id": node_id("PR", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_url,
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{self.api}/pulls/comments{{/number}}",
            "comments_url": f"{issue_url}/comments",
            "statuses_url": statuses,
            "number": pull.number,
            "state": issue.state,
            "locked": False,
            "title": issue.title,
            "user": self.user(issue.user),
            "body": issue.body,
            "labels": [self._label(name) for name in issue.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": None,
            "assignee": self.user(issue.assignees[0]) if issue.assignees else None,
            "assignees": [self.user(login) for login in issue.assignees],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._pull_side(pull.head_owner, pull.head_ref, pull.head_sha),
            "base": self._pull_side(self.state.owner, pull.base_ref, base_commit.sha if base_commit else ""),
            "_links": {name: {"href": href} for name, href in links.items()},
            "author_association": self._association(issue.user),
            "auto_merge": None,
            "draft": pull.draft,
        }
        if full:
            payload.update(
                {
                    "merged": pull.merged_at is not None,
                    "mergeable": None,
                    "rebaseable": None,
                    "mergeable_state": "unknown",
                    "merged_by": None,
                    "comments": sum(1 for c in self.state.comments.values() if c.issue_number == pull.number),
                    "review_comments": 0,
                    "maintainer_can_modify": pull.maintainer_can_modify,
                    "commits": 1,
                    "additions": 0,
                    "deletions": 0,
                    "changed_files": 0,
                }
            )
        return payload

    # ----------------------------------------------------------------- git data

    def commit(self, sha: str) -> JSONDict:
        """A ``commit`` (as listed by compare)."""
        commit = self.state.commits[sha]
        tree_sha = hashlib.sha1(f"tree:{commit.sha}".encode()).hexdigest()
        signature = {"name": commit.author_name, "email": commit.author_email, "date": iso(commit.date)}
        account = self.user(commit.author_login) if commit.author_login else None
        return {
            "url": f"{self.api}/commits/{sha}",
            "sha": sha,
            "node_id": node_id("C", sha),
            "html_url": f"{self.web}/commit/{sha}",
            "comments_url": f"{self.api}/commits/{sha}/comments",
            "commit": {
                "url": f"{self.api}/git/commits/{sha}",
                "author": dict(signature),
                "committer": dict(signature),
                "message": commit.message,
                "comment_count": 0,
                "tree": {"sha": tree_sha, "url": f"{self.api}/git/trees/{tree_sha}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "author": account,
            "committer": account,
            "parents": [
                {"sha": p, "url": f"{self.api}/commits/{p}", "html_url": f"{self.web}/commit/{p}"}
                for p in commit.parents
            ],
        }

    def comparison(
        self,
        basehead: str,
        base: str,
        merge_base: str,
        head: str,
        status: str,
        ahead_by: int,
        behind_by: int,
        commits: list[str],
    ) -> JSONDict:
        """A ``commit-comparison`` (without ``files``)."""
        quoted = quote(basehead)
        return {
            "url": f"{self.api}/compare/{quoted}",
            "html_url": f"{self.web}/compare/{quoted}",
            "permalink_url": f"{self.web}/compare/{self.state.owner}:{base}...{self.state.owner}:{head}",
            "diff_url": f"{self.web}/compare/{quoted}.diff",
            "patch_url": f"{self.web}/compare/{quoted}.patch",
            "base_commit": self.commit(base),
            "merge_base_commit": self.commit(merge_base),
            "status": status,
            "ahead_by": ahead_by,
            "behind_by": behind_by,
            "total_commits": ahead_by,
            "commits": [self.commit(sha) for sha in commits],
        }

    def git_ref(self, ref: str, sha: str) -> JSONDict:
        """A ``git-ref`` (``ref`` is the full name, ``refs/heads/...``)."""
        return {
            "ref": ref,
            "node_id": node_id("REF", ref),
            "url": f"{self.api}/git/{quote(ref)}",
            "object": {"type": "commit", "sha": sha, "url": f"{self.api}/git/commits/{sha}"},
        }

    def _content_links(self, path: str, ref: str, kind: str, sha: str) -> JSONDict:
        quoted = quote(path)
        url = f"{self.api}/contents/{quoted}?ref={quote(ref, safe='')}"
        git_kind = "trees" if kind == "dir" else "blobs"
        git_url = f"{self.api}/git/{git_kind}/{sha}"
        html_url = f"{self.web}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{quoted}"
        return {
            "url": url,
            "git_url": git_url,
            "html_url": html_url,
            "download_url": None if kind == "dir" else f"{self.base}/_raw/{self.full_name}/{ref}/{quoted}",
            "_links": {"self": url, "git": git_url, "html": html_url},
        }

    def content_file(self, path: str, data: bytes, ref: str) -> JSONDict:
        """A ``content-file`` (base64, wrapped at 60 characters like GitHub's)."""
        sha = git_blob_sha(data)
        payload: JSONDict = {
            "type": "file",
            "encoding": "base64",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": _base64_lines(data),
            "sha": sha,
        }
        payload.update(self._content_links(path, ref, "file", sha))
        return payload

    def content_entry(self, path: str, commit: Commit, ref: str) -> JSONDict:
        """One item of a ``content-directory`` listing."""
        if path in commit.tree:
            kind, size, sha = "file", len(commit.tree[path]), git_blob_sha(commit.tree[path])
        else:
            kind, size = "dir", 0
            inside = sorted(p for p in commit.tree if p.startswith(path + "/"))
            sha = hashlib.sha1("\n".join(inside).encode()).hexdigest()
        entry: JSONDict = {
            "type": kind,
            "size": size,
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": sha,
        }
        entry.update(self._content_links(path, ref, kind, sha))
        return entry

    def file_commit(self, path: str, commit: Commit, branch: str) -> JSONDict:
        """A ``file-commit`` (the answer to a contents PUT)."""
        content = self.content_file(path, commit.tree[path], branch)
        del content["content"], content["encoding"]
        tree_sha = hashlib.sha1(f"tree:{commit.sha}".encode()).hexdigest()
        signature = {"date": iso(commit.date), "name": commit.author_name, "email": commit.author_email}
        return {
            "content": content,
            "commit": {
                "sha": commit.sha,
                "node_id": node_id("C", commit.sha),
                "url": f"{self.api}/git/commits/{commit.sha}",
                "html_url": f"{self.web}/commit/{commit.sha}",
                "author": dict(signature),
                "committer": dict(signature),
                "message": commit.message,
                "tree": {"url": f"{self.api}/git/trees/{tree_sha}", "sha": tree_sha},
                "parents": [
                    {"url": f"{self.api}/git/commits/{p}", "html_url": f"{self.web}/commit/{p}", "sha": p}
                    for p in commit.parents
                ],
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
        }
