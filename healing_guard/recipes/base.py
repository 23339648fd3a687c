"""What every fix recipe shares: what it may read, what it proposes, and the settings it obeys.

A recipe proposes one of three things, and never chooses it from log text alone:

* ``FileChange``: a pure file edit the guard commits itself through the API;
* ``Dispatch``: a command of the project's own toolchain, run by the repository's fix workflow
  (``workflow_dispatch``) only if the config's ``fixes.allowed_commands`` lists it;
* a ``str``: the reason there is no change, which becomes the advice given instead.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from ..models import Diagnosis

#: GitHub refuses a ``GITHUB_TOKEN`` any change under this folder (it has no ``workflows`` permission).
WORKFLOWS_DIR = ".github/workflows/"
WORKFLOWS_REFUSED = (
    "the change belongs in .github/workflows/, which the guard does not change: a GITHUB_TOKEN never "
    "has the `workflows` permission GitHub requires for it, and a workflow edit deserves a person's review"
)


@dataclass(frozen=True)
class FileChange:
    """One file's new text; ``sha`` is the blob it replaces (None: a new file)."""

    path: str
    content: str
    sha: str | None
    summary: str
    #: what the change risks, for the pull request body
    risk: str = ""
    #: how to check the change, for the pull request body
    verify: str = ""


@dataclass(frozen=True)
class Dispatch:
    """A toolchain command the repository's fix workflow runs (if allowed), then hands back."""

    recipe: str
    command: str
    toolchain: str
    summary: str
    #: the argument the command takes (a validated module name), "" when none
    argument: str = ""
    risk: str = ""
    verify: str = ""


Proposal = FileChange | Dispatch | str


@dataclass(frozen=True)
class Repository:
    """What a recipe may read of the repository, at the branch the fix would go to."""

    #: (text, blob sha) of a file, or None
    read: Callable[[str], tuple[str, str] | None]
    #: the names in a folder ("" for the top level), or None when there is no such folder
    listdir: Callable[[str], list[str] | None]


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class FixSettings:
    """The config's ``fixes`` section (every default filled in)."""

    #: import name -> PyPI distribution a fix may add, beside the built-in list
    python_distributions: Mapping[str, str] = field(default_factory=_empty, hash=False)
    #: npm packages, gems and Go module paths a fix may add, beside the built-in lists
    npm_packages: frozenset[str] = frozenset()
    gems: frozenset[str] = frozenset()
    go_modules: frozenset[str] = frozenset()
    #: the fix workflow's file name (``heal-fix.yml``); "" when the repository has none
    workflow: str = ""
    #: the toolchain commands the fix workflow may run; None: every recipe's own command
    allowed_commands: tuple[str, ...] | None = None


class Recipe(Protocol):
    """A change a fix pull request can propose."""

    @property
    def id(self) -> str: ...

    @property
    def summary(self) -> str: ...

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        """None when the recipe can fix this diagnosis (facts only, no I/O), else why not."""
        ...

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        """The change, or the reason there is none (the reason becomes advice)."""
        ...


def text_param(diagnosis: Diagnosis, *names: str) -> str:
    """The first of ``names`` that the diagnosis has as a non-empty string ("" when none)."""
    for name in names:
        value = diagnosis.params.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def newline_terminated(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def in_workflows(path: str) -> bool:
    """Whether ``path`` is one a ``GITHUB_TOKEN`` may not change."""
    normal = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
    return normal == WORKFLOWS_DIR.rstrip("/") or normal.startswith(WORKFLOWS_DIR)


_SAFE_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.{1,2}(?:/|$))(?!.*//)[A-Za-z0-9_.@+/ -]{1,300}$")


def safe_path(path: str) -> bool:
    """A relative path inside the repository (no ``.`` or ``..`` segment, not absolute, plain characters)."""
    return bool(_SAFE_PATH.match(path)) and not path.startswith(".git/") and path != ".git"
