"""A missing Node package: add it to package.json, keeping its indentation and key order.

The package name comes from the import the log prints (``lodash/fp`` → ``lodash``,
``@scope/pkg/sub`` → ``@scope/pkg``); a Node built-in, a relative path, the project's own name
or one of its workspaces' packages, or a name on no known list, is advice. The package manager
(npm, pnpm, yarn, bun) is told by its lock file; the PR says which command updates that lock file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..models import Diagnosis
from . import known
from .base import FileChange, FixSettings, Proposal, Repository, text_param
from .jsonedit import JsonEditError, set_member

_NAME = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]{0,213}$")
#: Node's built-in modules (``node:`` prefixed or not): never a package to add.
BUILTINS = frozenset(
    """assert async_hooks buffer child_process cluster console constants crypto dgram diagnostics_channel
    dns domain events fs http http2 https inspector module net os path perf_hooks process punycode
    querystring readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm
    wasi worker_threads zlib test""".split()  # noqa: SIM905
)
LOCK_FILES = (
    ("pnpm-lock.yaml", "pnpm", "pnpm install"),
    ("yarn.lock", "yarn", "yarn install"),
    ("bun.lockb", "bun", "bun install"),
    ("bun.lock", "bun", "bun install"),
    ("package-lock.json", "npm", "npm install"),
)
_DEV_IMPORTER = re.compile(
    r"(?:^|[/\\])(?:tests?|__tests__|spec|e2e|scripts?)[/\\]|\.(?:test|spec|config)\.[cm]?[jt]sx?$"
)


def package_name(module: str) -> str | None:
    """The npm package an import names, or None for a relative path or a Node built-in."""
    if module.startswith((".", "/", "node:")) or "\\" in module:
        return None
    parts = module.split("/")
    name = "/".join(parts[:2]) if module.startswith("@") else parts[0]
    if name in BUILTINS or not _NAME.match(name):
        return None
    return name


def package_manager(top: list[str] | None) -> tuple[str, str]:
    """(manager, install command) told by the lock file at the top level (npm when none)."""
    for lock, manager, command in LOCK_FILES:
        if top is not None and lock in top:
            return manager, command
    return "npm", "npm install"


def workspace_names(repo: Repository, manifest: dict[str, object], limit: int = 60) -> set[str]:
    """The package names of the workspaces ``manifest`` declares (``packages/*`` style globs)."""
    spaces = manifest.get("workspaces")
    if isinstance(spaces, dict):
        spaces = spaces.get("packages")
    names: set[str] = set()
    if not isinstance(spaces, list):
        return names
    for pattern in spaces[:20]:
        if not isinstance(pattern, str) or not re.fullmatch(r"[\w.@-]+(?:/[\w.@-]+)*(?:/\*)?", pattern):
            continue
        folders = [pattern]
        if pattern.endswith("/*"):
            base = pattern[:-2]
            folders = [f"{base}/{n}" for n in (repo.listdir(base) or [])]
        for folder in folders[:limit]:
            found = repo.read(f"{folder}/package.json")
            if found is None:
                continue
            try:
                name = json.loads(found[0]).get("name")
            except (ValueError, AttributeError):
                continue
            if isinstance(name, str):
                names.add(name)
    return names


@dataclass(frozen=True)
class NodeDependency:
    """A missing npm package: add it to package.json (dependencies, or devDependencies when only
    tests, scripts or config import it)."""

    id: str = "node-dependency"
    summary: str = "add the missing package to package.json"

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        module = text_param(diagnosis, "module", "package")
        if diagnosis.category != "dependency_missing" or not module:
            return f"{self.id} needs a missing package, and {diagnosis.strategy} names none"
        name = package_name(module)
        if name is None:
            return f"{module!r} is a relative path or a Node built-in, not a package to install"
        if name not in known.npm_packages() and name not in settings.npm_packages:
            return (
                f"{name!r} is not a well-known npm package, so no pull request adds it (a typo, or the "
                "project's own module?); if it is a dependency, run `npm install` for it, or name it under "
                "fixes.npm_packages in the config"
            )
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        name = package_name(text_param(diagnosis, "module", "package")) or ""
        found = repo.read("package.json")
        if found is None:
            return "the repository has no package.json at the top level to add the package to"
        text, sha = found
        try:
            manifest = json.loads(text)
        except ValueError:
            return "package.json does not parse as JSON: the guard does not touch a file it cannot parse"
        if not isinstance(manifest, dict):
            return "package.json is not a JSON object: the guard leaves it alone"
        if name == manifest.get("name") or name in workspace_names(repo, manifest):
            return f"{name} is the project's own package (its name or one of its workspaces): not a dependency missing"
        for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
            listed = manifest.get(section)
            if isinstance(listed, dict) and name in listed:
                return (
                    f"{name} is already in package.json ({section}): the job may not install dependencies "
                    "in this folder before this step, or prune devDependencies"
                )
        importer = text_param(diagnosis, "importer", "file")
        section = "devDependencies" if name.startswith("@types/") or _DEV_IMPORTER.search(importer) else "dependencies"
        try:
            new = set_member(text, (section,), name, "*")
        except JsonEditError as exc:
            return f"package.json could not be edited without disturbing it ({exc})"
        _, install = package_manager(repo.listdir(""))
        return FileChange(
            "package.json",
            new,
            sha,
            f"add {name} to package.json {section}",
            risk=(
                f'{name} is added as "*" (any version): pin the range you want. The lock file is not '
                f"updated by this change: run `{install}` on this branch and commit it, or `npm ci` / a "
                "frozen-lockfile install fails."
            ),
            verify=f"Run `{install}` on this branch, commit the lock file, and run the failing step again.",
        )
