"""Lock the image's dependencies with hashes, and check that the locks are not stale.

Two lock files, both written by pip-compile (pip-tools) from ``pyproject.toml``:

* ``requirements.lock``: ``[project] dependencies`` and everything they pull in, each pinned
  ``==`` with the sha256 of every file PyPI has for that version (all platforms, so the same lock
  serves linux/amd64 and linux/arm64). The set is resolved for the Python that runs pip-compile;
  no pinned package has an environment marker, and the lock installs on the image's Python 3.12
  and on the test base's 3.11. The Dockerfile installs it with ``pip install --require-hashes``.
* ``requirements-build.lock``: the build backend (``[build-system] requires``: hatchling and its
  dependencies). The Dockerfile's builder stage installs it with hashes into a throw-away venv
  and builds the wheel with ``--no-build-isolation``, so no unpinned package enters the build.

Each lock starts with a comment holding the sha256 of the requirement list it was compiled from.

Usage::

    python tools/lock.py            # (re)write both locks (needs the package index)
    python tools/lock.py --check    # offline: the locks match pyproject.toml, every pin has hashes
    python tools/lock.py --check --online
                                    # also recompile into a temporary file (keeping the current
                                    # pins as preferences) and fail if the pins would change

Why both checks: the offline check (also run by the unit tests) catches the usual staleness, a
dependency added, removed or re-ranged in pyproject.toml without re-locking, and a lock edited by
hand. Only a recompile catches a lock whose transitive set no longer resolves the way pip-compile
would resolve it now (a new dependency of a pinned package, a version removed from the index); it
needs the index, which CI has, so ``.ci/run`` runs ``--check --online``.

pip-compile runs with the machine's pip configuration switched off (no extra indexes, find-links
or constraints: a wheel from a local directory would put a hash in the lock that PyPI's file does
not have) against ``$HEALING_GUARD_INDEX_URL`` (default https://pypi.org/simple). ``PIP_CERT`` is
kept, for machines whose TLS goes through a proxy.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INDEX = "https://pypi.org/simple"
DIGEST_PREFIX = "# requirements-sha256: "
SHA256 = re.compile(r"--hash=sha256:([0-9a-f]{64})")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;[^\\]*)?$")


@dataclass(frozen=True)
class LockSpec:
    """One lock file and the requirement list it is compiled from."""

    path: str
    title: str
    compile_args: tuple[str, ...]

    def requirements(self, pyproject: dict[str, Any]) -> list[str]:
        if "--only-build-deps" in self.compile_args:
            build = pyproject.get("build-system")
            return list(build.get("requires", [])) if isinstance(build, dict) else []
        project = pyproject.get("project")
        return list(project.get("dependencies", [])) if isinstance(project, dict) else []


LOCKS = (
    LockSpec("requirements.lock", "the image's runtime dependencies ([project] dependencies)", ()),
    LockSpec(
        "requirements-build.lock",
        "the build backend ([build-system] requires)",
        ("--build-deps-for", "wheel", "--only-build-deps"),
    ),
)


@dataclass
class Pin:
    """One ``name==version`` entry of a lock and the hashes that go with it."""

    name: str
    version: str
    hashes: set[str] = field(default_factory=set)


class LockError(Exception):
    """A lock file cannot be read, or pip-compile failed."""


def load_pyproject(root: Path) -> dict[str, Any]:
    """pyproject.toml, parsed (tomllib from Python 3.11, else tomli if it is installed)."""
    toml = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    data: dict[str, Any] = toml.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return data


def requirements_digest(requirements: Sequence[str]) -> str:
    """sha256 of a requirement list, insensitive to order and spacing."""
    canonical = sorted(str(Requirement(r)) for r in requirements)
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()


def header(spec: LockSpec, requirements: Sequence[str]) -> str:
    return (
        f"# {spec.path}: {spec.title}, pinned with hashes.\n"
        "# Written by `python tools/lock.py` (pip-compile --generate-hashes from pyproject.toml); do not edit.\n"
        f"{DIGEST_PREFIX}{requirements_digest(requirements)}\n"
    )


def parse_lock(text: str) -> tuple[str | None, dict[str, Pin]]:
    """The recorded requirements digest and the pins of a lock file (continuation lines joined)."""
    digest = None
    for line in text.splitlines():
        if line.startswith(DIGEST_PREFIX):
            digest = line[len(DIGEST_PREFIX) :].strip()
    pins: dict[str, Pin] = {}
    for entry in re.sub(r"\\\n", " ", text).splitlines():
        entry = entry.split("#", 1)[0] if entry.lstrip().startswith("#") else entry
        hashes = set(SHA256.findall(entry))
        requirement = SHA256.sub("", entry).strip()
        if not requirement:
            continue
        if requirement.startswith("-"):
            raise LockError(f"unexpected option line {requirement!r}: a lock holds pins only")
        match = PIN.match(requirement)
        if match is None:
            raise LockError(f"{requirement!r} is not pinned with ==")
        name = canonicalize_name(match.group(1))
        if name in pins:
            raise LockError(f"{name} is pinned twice")
        pins[name] = Pin(name, match.group(2), hashes)
    return digest, pins


def check_offline(spec: LockSpec, pyproject: dict[str, Any], text: str) -> list[str]:
    """Problems that make the lock unusable or stale, found without the index."""
    requirements = spec.requirements(pyproject)
    try:
        digest, pins = parse_lock(text)
    except LockError as exc:
        return [f"{spec.path}: {exc}"]
    problems = []
    if digest != requirements_digest(requirements):
        problems.append(
            f"{spec.path} was compiled from another requirement list than pyproject.toml has now "
            "(the recorded requirements-sha256 differs): run python tools/lock.py"
        )
    for pin in pins.values():
        if not pin.hashes:
            problems.append(f"{spec.path}: {pin.name}=={pin.version} has no --hash (pip --require-hashes refuses it)")
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        locked = pins.get(canonicalize_name(requirement.name))
        if locked is None:
            problems.append(f"{spec.path}: {requirement.name} (from pyproject.toml) is not in the lock")
        elif not requirement.specifier.contains(locked.version, prereleases=True):
            problems.append(f"{spec.path}: {locked.name}=={locked.version} does not satisfy {line!r} in pyproject.toml")
    return problems


def compare_pins(spec: LockSpec, locked: dict[str, Pin], fresh: dict[str, Pin]) -> list[str]:
    """Differences between the committed lock and a recompile of it.

    Versions must match exactly. Hashes may grow (the index gained a file for a pinned version,
    a wheel for a new Python: not a reason to fail), but a locked hash must still be offered.
    """
    problems = []
    for name in sorted(locked.keys() - fresh.keys()):
        problems.append(f"{spec.path}: {name}=={locked[name].version} is no longer needed")
    for name in sorted(fresh.keys() - locked.keys()):
        problems.append(f"{spec.path}: {name}=={fresh[name].version} is missing")
    for name in sorted(locked.keys() & fresh.keys()):
        old, new = locked[name], fresh[name]
        if old.version != new.version:
            problems.append(f"{spec.path}: {name} is locked at {old.version}, a recompile gives {new.version}")
        elif old.hashes - new.hashes:
            problems.append(f"{spec.path}: {name}=={old.version} has hashes the index no longer offers")
    return problems


def compile_env() -> dict[str, str]:
    """The environment for pip-compile: this machine's pip configuration switched off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    for kept in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if kept in os.environ:
            env[kept] = os.environ[kept]
    return env


def pip_compile(spec: LockSpec, output: Path, root: Path) -> None:
    """Run pip-compile for one lock into ``output`` (existing pins in it are kept as preferences)."""
    executable = Path(sys.executable).parent / "pip-compile"
    command = [str(executable)] if executable.is_file() else [sys.executable, "-m", "piptools", "compile"]
    index = os.environ.get("HEALING_GUARD_INDEX_URL", DEFAULT_INDEX)
    argv = [
        *command,
        "--quiet",
        "--no-config",
        "--generate-hashes",
        "--allow-unsafe",
        "--strip-extras",
        "--no-header",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--no-emit-trusted-host",
        "--index-url",
        index,
        *spec.compile_args,
        "--output-file",
        str(output),
        "pyproject.toml",
    ]
    result = subprocess.run(argv, cwd=root, env=compile_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LockError(f"pip-compile failed for {spec.path}:\n{result.stdout}{result.stderr}")


def write_locks(root: Path) -> None:
    pyproject = load_pyproject(root)
    for spec in LOCKS:
        target = root / spec.path
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / spec.path
            if target.exists():
                shutil.copyfile(target, output)
            pip_compile(spec, output, root)
            body = output.read_text(encoding="utf-8")
        target.write_text(header(spec, spec.requirements(pyproject)) + body, encoding="utf-8")
        print(f"wrote {spec.path}")


def check(root: Path, *, online: bool) -> list[str]:
    pyproject = load_pyproject(root)
    problems: list[str] = []
    for spec in LOCKS:
        path = root / spec.path
        if not path.is_file():
            problems.append(f"{spec.path} is missing: run python tools/lock.py")
            continue
        text = path.read_text(encoding="utf-8")
        found = check_offline(spec, pyproject, text)
        problems += found
        if online and not found:
            with tempfile.TemporaryDirectory() as tmp:
                output = Path(tmp) / spec.path
                shutil.copyfile(path, output)
                pip_compile(spec, output, root)
                problems += compare_pins(spec, parse_lock(text)[1], parse_lock(output.read_text(encoding="utf-8"))[1])
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="check the locks instead of writing them")
    parser.add_argument("--online", action="store_true", help="with --check: also recompile and compare")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if not args.check:
            write_locks(args.root)
            return 0
        problems = check(args.root, online=args.online)
    except LockError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"stale lock: {problem}", file=sys.stderr)
    if not problems:
        print("locks OK: " + ", ".join(spec.path for spec in LOCKS) + (" (recompiled)" if args.online else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
