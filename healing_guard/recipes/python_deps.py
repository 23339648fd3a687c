"""A missing Python module: add its well-known distribution where the project declares its
dependencies, keeping the file's formatting and comments.

Where, in this order (the first the repository has): a top-level ``requirements*.txt`` (plain
``requirements.txt`` first), ``pyproject.toml``'s PEP 621 ``[project].dependencies`` (also uv's),
Poetry's ``[tool.poetry.dependencies]``, ``setup.cfg``'s ``[options] install_requires``. TOML is
edited with tomlkit, which keeps every comment and the layout; setup.cfg and requirements files
are edited as text, one line appended. A file that does not parse is not touched.

Never added: a module that is the repository's own code (a top-level or ``src/`` folder or
module of that name, or the project's own name), or one that is on no well-known list.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Collection, Mapping, MutableMapping
from dataclasses import dataclass

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Array

from ..models import Diagnosis
from . import known
from .base import FileChange, FixSettings, Proposal, Repository, newline_terminated, text_param
from .known import normalise

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
VERIFY = "Install the project as the job does (`pip install -r …` or `pip install .`) and run the failing step again."


def known_distribution(module: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The well-known distribution that provides ``module``, or None when it is not known.

    ``extra`` (the config's ``fixes.python_distributions``) is looked up first; then the built-in
    map, the module first and its top-level package next; then the well-known names."""
    if not _MODULE.match(module):
        return None
    top = module.split(".")[0]
    for table in (extra or {}, known.python_imports()):
        for name in (module, top):
            if name in table:
                return table[name]
    wanted = normalise(top)
    for name in known.python_distributions():
        if normalise(name) == wanted:
            return name
    return None


def distribution_for(module: str) -> str:
    """The distribution to name in advice: the known one, else the module's top-level name."""
    return known_distribution(module) or module.split(".")[0]


def project_names(repo: Repository, top: Collection[str] | None = None) -> set[str]:
    """The names (normalised) the repository publishes itself under: pyproject.toml's
    ``[project]`` or ``[tool.poetry]`` name, setup.cfg's ``[metadata]`` name."""
    found: set[str] = set()
    pyproject = repo.read("pyproject.toml") if top is None or "pyproject.toml" in top else None
    if pyproject is not None:
        try:
            doc = tomlkit.parse(pyproject[0])
        except TOMLKitError:
            doc = tomlkit.document()
        for table in (doc.get("project"), (doc.get("tool") or {}).get("poetry")):
            name = table.get("name") if isinstance(table, dict) else None
            if isinstance(name, str) and name:
                found.add(normalise(name))
    setup_cfg = repo.read("setup.cfg") if top is None or "setup.cfg" in top else None
    if setup_cfg is not None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg[0])
            name = parser.get("metadata", "name", fallback="")
        except configparser.Error:
            name = ""
        if name:
            found.add(normalise(name))
    return found


def own_package(module: str, dist: str, repo: Repository, top: Collection[str] | None = None) -> str | None:
    """Why ``module`` is the repository's own code (None when it is not)."""
    name = module.split(".")[0]
    top = repo.listdir("") if top is None else top
    src = repo.listdir("src") if top is None or "src" in top else None
    for entries, label in ((top, "the top level"), (src, "src/")):
        if entries and (name in entries or f"{name}.py" in entries):
            return f"{name} is the repository's own package (in {label})"
    projects = project_names(repo, top)
    if normalise(name) in projects or normalise(dist) in projects:
        return f"{name} is this project's own name"
    return None


def requirement_names(lines: list[str]) -> set[str]:
    """The (normalised) names that requirement strings declare."""
    out: set[str] = set()
    for line in lines:
        if line.strip().startswith(("#", "-")):
            continue
        m = _REQUIREMENT_NAME.match(line)
        if m:
            out.add(normalise(m.group(1)))
    return out


# -- the editors: each returns the new text, or why it cannot add the dependency ----------------


def add_to_requirements(text: str, dist: str) -> str:
    if normalise(dist) in requirement_names(text.splitlines()):
        return text
    return f"{newline_terminated(text)}{dist}\n"


def add_to_pyproject(text: str, dist: str) -> str | None:
    """``text`` with ``dist`` added to PEP 621 or Poetry dependencies; None when the file declares
    neither (or declares them dynamically); ``ValueError`` when it does not parse."""
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ValueError(f"pyproject.toml does not parse ({exc})") from exc
    project = doc.get("project")
    if isinstance(project, MutableMapping):  # a Table, or a proxy of a table split in parts
        deps = project.get("dependencies")
        if isinstance(deps, Array):
            if normalise(dist) not in requirement_names([str(d) for d in deps]):
                deps.append(dist)
            return tomlkit.dumps(doc)
    poetry = (doc.get("tool") or {}).get("poetry")
    if isinstance(poetry, MutableMapping):
        pdeps = poetry.get("dependencies")
        if isinstance(pdeps, MutableMapping):
            if normalise(dist) not in {normalise(str(k)) for k in pdeps}:
                pdeps[dist] = "*"
            return tomlkit.dumps(doc)
    return None


_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*(?:[#;].*)?$")
_KEY = re.compile(r"^(?P<key>[A-Za-z0-9_.-]+)\s*[=:]")


def add_to_setup_cfg(text: str, dist: str) -> str | None:
    """``text`` with ``dist`` appended to ``[options] install_requires``; None when there is no
    such key; ``ValueError`` when the file does not parse."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise ValueError(f"setup.cfg does not parse ({type(exc).__name__})") from exc
    if not parser.has_option("options", "install_requires"):
        return None
    if normalise(dist) in requirement_names(parser.get("options", "install_requires").splitlines()):
        return text
    lines = text.splitlines(keepends=True)
    section = ""
    start = end = -1
    for i, line in enumerate(lines):
        header = _SECTION.match(line)
        if header:
            section = header.group("name").strip()
            if start >= 0:
                break
            continue
        key = _KEY.match(line)
        if start >= 0:
            if key or not line.strip():
                break
            if line[:1] in " \t":
                end = i
        elif section == "options" and key and key.group("key") == "install_requires":
            start = end = i
    if start < 0:
        return None
    indent = re.match(r"^[ \t]+", lines[end]).group(0) if end > start else "    "  # type: ignore[union-attr]
    lines[end] = newline_terminated(lines[end])
    lines.insert(end + 1, f"{indent}{dist}\n")
    new = "".join(lines)
    check = configparser.ConfigParser(interpolation=None)
    check.read_string(new)
    if normalise(dist) not in requirement_names(check.get("options", "install_requires").splitlines()):
        raise ValueError("setup.cfg: the edit did not land in install_requires")
    return new


@dataclass(frozen=True)
class PythonDependency:
    """A missing Python module: add its well-known distribution to the project's dependencies."""

    id: str = "python-dependency"
    summary: str = "add the missing distribution to requirements*.txt, pyproject.toml or setup.cfg"

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        module = text_param(diagnosis, "module")
        if diagnosis.category != "dependency_missing" or not module:
            return f"{self.id} needs a missing module, and {diagnosis.strategy} names none"
        dist = known_distribution(module, settings.python_distributions)
        if dist is None or not _SAFE_NAME.match(dist):
            return (
                f"{module.split('.')[0]!r} is not a well-known distribution, so no pull request adds it "
                "(a typo, or a module of the repository itself?); if it is a dependency, add it to "
                "requirements.txt, or name it under fixes.python_distributions in the config"
            )
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        module = text_param(diagnosis, "module")
        dist = known_distribution(module, settings.python_distributions) or ""
        top = repo.listdir("")
        own = own_package(module, dist, repo, top)
        if own is not None:
            return f"{own}: the import path or the install step is wrong, not a dependency missing"
        risk = (
            f"{dist} is added without a version pin, so the newest release is installed; pin it if the "
            "project pins its dependencies, and update any lock file (poetry.lock, uv.lock)."
        )
        for path in _candidates(top):
            found = repo.read(path)
            if found is None:
                continue
            text, sha = found
            try:
                new = _edit(path, text, dist)
            except ValueError as exc:
                return f"{exc}: the guard does not touch a file it cannot parse"
            if new is None:
                continue
            if new == text:
                return f"{dist} is already in {path}: the job may install another file or environment"
            return FileChange(path, new, sha, f"add {dist} to {path}", risk=risk, verify=VERIFY)
        return (
            "the repository declares its dependencies in no file the guard edits (requirements*.txt, "
            "pyproject.toml [project] or [tool.poetry], setup.cfg install_requires)"
        )


def _candidates(top: list[str] | None) -> list[str]:
    if top is None:
        return ["requirements.txt", "pyproject.toml", "setup.cfg"]
    reqs = sorted(n for n in top if re.fullmatch(r"requirements[\w.-]*\.txt", n))
    reqs.sort(key=lambda n: (n != "requirements.txt", "dev" in n or "test" in n or "doc" in n, n))
    nested = ["requirements/base.txt"] if "requirements" in top and not reqs else []
    return [*reqs[:1], *nested, *(n for n in ("pyproject.toml", "setup.cfg") if n in top)]


def _edit(path: str, text: str, dist: str) -> str | None:
    if path.endswith(".txt"):
        return add_to_requirements(text, dist)
    if path == "pyproject.toml":
        return add_to_pyproject(text, dist)
    return add_to_setup_cfg(text, dist)
