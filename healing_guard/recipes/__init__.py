"""Fix recipes: the change a fix pull request proposes for a diagnosis, one module per kind.

| module | recipes | how the change is made |
|---|---|---|
| ``python_deps`` | python-dependency | the guard edits requirements*.txt / pyproject.toml / setup.cfg |
| ``node_deps`` | node-dependency | the guard edits package.json |
| ``ruby_deps`` | ruby-gem | the guard edits the Gemfile |
| ``limits`` | pytest-timeout, jest-timeout, jvm-memory (edits); go-test-timeout, node-heap (advice) | |
| ``toolchain`` | go-get, go-mod-tidy, *-lock, formatters | the fix workflow runs the command |
| ``workflow`` | workflow-edit | advice: the change is in .github/workflows/ |

A strategy names its recipe (``remediation.recipe``); ``RECIPES`` maps the names to recipes and a
contract test checks that every ``fix-pr`` strategy names one that exists.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Diagnosis
from .base import (
    WORKFLOWS_REFUSED,
    Dispatch,
    FileChange,
    FixSettings,
    Proposal,
    Recipe,
    Repository,
    in_workflows,
    safe_path,
)
from .limits import GO_TEST_TIMEOUT, NODE_HEAP, JestTimeout, JvmMemory, PytestTimeout
from .node_deps import NodeDependency
from .python_deps import PythonDependency, distribution_for, known_distribution
from .ruby_deps import RubyGem
from .toolchain import JS_FORMAT, PYTHON_FORMAT, TOOLCHAIN_RECIPES, allowed, default_commands
from .workflow import WORKFLOW_EDIT

__all__ = [
    "RECIPES",
    "WORKFLOWS_REFUSED",
    "Dispatch",
    "FileChange",
    "FixSettings",
    "Proposal",
    "Recipe",
    "Repository",
    "allowed",
    "default_commands",
    "distribution_for",
    "fix_recipe",
    "in_workflows",
    "known_distribution",
    "recipe",
    "safe_path",
    "touches",
]

RECIPES: Mapping[str, Recipe] = {
    r.id: r
    for r in (
        PythonDependency(),
        NodeDependency(),
        RubyGem(),
        PytestTimeout(),
        JestTimeout(),
        JvmMemory(),
        GO_TEST_TIMEOUT,
        NODE_HEAP,
        *TOOLCHAIN_RECIPES,
        PYTHON_FORMAT,
        JS_FORMAT,
        WORKFLOW_EDIT,
    )
}


#: the files (fnmatch globs, ``*`` crosses folders) each file-editing recipe may change; the
#: toolchain recipes declare their own (``ToolchainRecipe.touches``), advice changes nothing
EDITS: Mapping[str, tuple[str, ...]] = {
    "python-dependency": ("requirements*.txt", "pyproject.toml", "setup.cfg"),
    "node-dependency": ("package.json", "*/package.json"),
    "ruby-gem": ("Gemfile",),
    "pytest-timeout": ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini"),
    "jest-timeout": ("jest.config.*", "package.json"),
    "jvm-memory": ("gradle.properties", ".mvn/jvm.config"),
}


def touches(diagnosis: Diagnosis) -> tuple[str, ...]:
    """The files the diagnosis' recipe may change, as globs (``()`` when it changes none)."""
    chosen = fix_recipe(diagnosis)
    if chosen is None:
        return ()
    declared = getattr(chosen, "touches", None)
    if isinstance(declared, tuple):
        return declared
    return EDITS.get(chosen.id, ())


def recipe(name: str) -> Recipe | None:
    """The recipe called ``name`` (None for anything else)."""
    return RECIPES.get(name)


def fix_recipe(diagnosis: Diagnosis) -> Recipe | None:
    """The recipe the diagnosis' strategy names (None when it names none, or one that does not exist)."""
    name = diagnosis.remediation.recipe if diagnosis.remediation else None
    return RECIPES.get(name) if name else None
