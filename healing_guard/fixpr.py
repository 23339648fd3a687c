"""One fix pull request per failure signature and branch: its branch name, what it says, and the
call that opens it or brings it up to date. Used by the executor (pure file edits the guard makes
itself) and by fix mode (the diff the repository's fix workflow hands back)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .provider import Posted, Provider

#: Every branch the guard pushes starts with this; a failure on one of them never gets a fix of its own.
FIX_BRANCH_PREFIX = "healing-guard/"
#: How to make the guard's pull requests start CI (a GITHUB_TOKEN's pull requests start no workflow).
APP_TOKEN_HOWTO = (
    "A pull request opened with the workflow's GITHUB_TOKEN starts no workflow run, so its checks do not "
    "run by themselves: push a commit to the branch, or close and reopen the pull request. To have them "
    "run, pass the guard an installation token of a GitHub App (contents and pull-requests write), made "
    "with actions/create-github-app-token, as its github-token input."
)


@dataclass(frozen=True)
class FixProposal:
    """What a fix pull request changes and says about it."""

    summary: str
    #: (path, new text) of each changed file
    files: tuple[tuple[str, str], ...]
    recipe: str
    risk: str = ""
    verify: str = ""
    #: the toolchain command that made the change ("" for an edit the guard made itself)
    command: str = ""

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.files]


def fix_branch(base: str, signature: str) -> str:
    """The one branch of the fix for ``signature`` on ``base``: ``healing-guard/<base>/fix-<signature>``."""
    safe_base = re.sub(r"[^A-Za-z0-9._/-]+", "-", base).strip("/.") or "branch"
    safe_sig = re.sub(r"[^A-Za-z0-9_.-]+", "-", signature)[:64] or "unknown"
    return f"{FIX_BRANCH_PREFIX}{safe_base}/fix-{safe_sig}"


def is_fix_branch(branch: str) -> bool:
    return branch.startswith(FIX_BRANCH_PREFIX)


def open_fix(
    provider: Provider, *, base: str, signature: str, proposal: FixProposal, title: str, body: str, run_id: int
) -> Posted:
    """Open the fix pull request, or update the open one for the same signature and branch."""
    return provider.open_fix_pull_request(
        base=base,
        branch=fix_branch(base, signature),
        files=list(proposal.files),
        message=f"{title}\n\nProposed by Self-Healing Pipeline Guard for run {run_id} (recipe {proposal.recipe}).",
        title=title,
        body=body,
    )
