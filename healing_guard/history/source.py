"""Which trail a command reads: the options every history command shares, and the trail they name.

By default a command reads the repository's own trail (its state branch) through the GitHub API,
naming the repository, the API and the token as a workflow does: ``GITHUB_REPOSITORY``,
``GITHUB_API_URL`` and ``GITHUB_TOKEN``. ``--repo``, ``--api-url`` and ``--token-env`` (the name
of the variable that holds the token: a token never goes on the command line) override them, and
``--branch`` names another state branch. ``--trail-dir DIR`` reads a local copy instead (a
checkout of the state branch), and ``--db PATH`` the SQLite database ``healing-guard history sync``
wrote, so the commands work offline.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import HealingGuardError
from .github_trail import DEFAULT_BRANCH, GitHubTrail
from .store import LocalTrail, Trail

if TYPE_CHECKING:
    from ..github_api import GitHubClient

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_TOKEN_ENV = "GITHUB_TOKEN"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def add_repository_arguments(parser: argparse.ArgumentParser) -> None:
    """``--repo``, ``--api-url``, ``--token-env`` and ``--branch``: the repository read through the API."""
    group = parser.add_argument_group("repository (as in a workflow: GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_TOKEN)")
    group.add_argument("--repo", metavar="OWNER/NAME", help="the repository (default: $GITHUB_REPOSITORY)")
    group.add_argument("--api-url", metavar="URL", help=f"the REST API (default: $GITHUB_API_URL or {DEFAULT_API_URL})")
    group.add_argument(
        "--token-env",
        metavar="NAME",
        default=DEFAULT_TOKEN_ENV,
        help=f"the environment variable holding the token (default: {DEFAULT_TOKEN_ENV}); never the token itself",
    )
    group.add_argument(
        "--branch", metavar="NAME", default=DEFAULT_BRANCH, help=f"the trail's branch (default: {DEFAULT_BRANCH})"
    )


def add_trail_arguments(parser: argparse.ArgumentParser, *, db: bool = True) -> None:
    """The trail to read: the repository's (default), ``--trail-dir`` or ``--db``."""
    group = parser.add_argument_group("trail")
    group.add_argument(
        "--trail-dir",
        metavar="DIR",
        type=Path,
        help="read the trail from a local directory (its trail/*.jsonl files) instead of the repository",
    )
    if db:
        group.add_argument(
            "--db",
            metavar="PATH",
            type=Path,
            help="read the trail from the SQLite database `healing-guard history sync` wrote (offline)",
        )
    add_repository_arguments(parser)


def github_client(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> GitHubClient:
    """A client for the repository the options (or the environment) name."""
    from ..github_api import GitHubClient

    env = os.environ if env is None else env
    repo = getattr(args, "repo", None) or env.get("GITHUB_REPOSITORY", "")
    if not _REPOSITORY.fullmatch(repo):
        got = f" ({repo!r} is not OWNER/NAME)" if repo else ""
        raise HealingGuardError(
            f"no repository{got}: give --repo OWNER/NAME or set GITHUB_REPOSITORY, or read a local copy "
            "with --trail-dir DIR or --db PATH"
        )
    api_url = (getattr(args, "api_url", None) or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise HealingGuardError(f"--api-url {api_url!r} is not an http(s) URL")
    name = getattr(args, "token_env", None) or DEFAULT_TOKEN_ENV
    if not _ENV_NAME.fullmatch(name):
        raise HealingGuardError(f"--token-env {name!r} is not the name of an environment variable")
    token = env.get(name, "").strip()
    if not token:
        raise HealingGuardError(
            f"no token: the environment variable {name} is empty or not set. Export it (for example "
            f"`export {name}=$(gh auth token)`), or name another variable with --token-env"
        )
    return GitHubClient(token, repo, api_url=api_url)


def open_trail(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Trail:
    """The trail the command's options name."""
    directory: Path | None = getattr(args, "trail_dir", None)
    if directory is not None:
        if not directory.is_dir():
            raise HealingGuardError(f"--trail-dir {directory}: no such directory")
        return LocalTrail(directory)
    database: Path | None = getattr(args, "db", None)
    if database is not None:
        from .sqlite_store import SqliteTrail

        if not database.is_file():
            raise HealingGuardError(
                f"--db {database}: no such file; write it first with `healing-guard history sync --db {database}`"
            )
        return SqliteTrail(database)
    return GitHubTrail(github_client(args, env), branch=getattr(args, "branch", None) or DEFAULT_BRANCH)
