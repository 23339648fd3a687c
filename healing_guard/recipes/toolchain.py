"""Fixes that need the project's own toolchain: lock files, formatters, ``go get``.

The guard does not run them: it dispatches the repository's fix workflow (``fixes.workflow``,
see ``examples/workflows/heal-fix.yml``) with the recipe, the commit and the failure signature.
That workflow sets up the toolchain, runs the recipe's command only if ``fixes.allowed_commands``
lists it (every recipe's own command by default), with a time limit and no secrets in its
environment, and hands the diff back to the guard in fix mode, which opens the pull request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Diagnosis
from . import known
from .base import Dispatch, FixSettings, Proposal, Repository, text_param

_GO_PATH = re.compile(r"^[a-z0-9.-]+\.[a-z]{2,}(?:/[A-Za-z0-9_.~+-]+)+$")
_GO_MODULE_LINE = re.compile(r"^\s*module\s+(\S+)", re.MULTILINE)


def allowed(command: str, settings: FixSettings) -> bool:
    """Whether the config lets the fix workflow run ``command`` (a recipe's command template)."""
    return command in (settings.allowed_commands if settings.allowed_commands is not None else default_commands())


def default_commands() -> tuple[str, ...]:
    """Every toolchain recipe's own command: the default allow-list."""
    return tuple(r.command for r in TOOLCHAIN_RECIPES)


@dataclass(frozen=True)
class ToolchainRecipe:
    """One command of one toolchain, run by the fix workflow."""

    id: str
    command: str
    toolchain: str
    summary: str
    #: a file at the top level that shows the project uses this toolchain
    marker_files: tuple[str, ...] = ()
    risk: str = "The command's whole output is proposed; review every changed file."
    verify: str = "Run the failing step again on this branch."
    #: the files (fnmatch globs, ``*`` crosses folders) the command's diff may change
    touches: tuple[str, ...] = ("*",)

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        return _dispatch_blocker(self.command, settings)

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        if self.marker_files:
            top = repo.listdir("") or []
            if not any(m in top for m in self.marker_files):
                files = " or ".join(self.marker_files)
                return f"the repository has no {files} at the top level: `{self.command}` is not run"
        return Dispatch(self.id, self.command, self.toolchain, self.summary, risk=self.risk, verify=self.verify)


def _dispatch_blocker(command: str, settings: FixSettings) -> str | None:
    if not settings.workflow:
        return (
            f"this fix needs the project's toolchain (`{command}`), and no fix workflow is configured: run it "
            "yourself and commit the result, or add examples/workflows/heal-fix.yml and set fixes.workflow"
        )
    if not allowed(command, settings):
        return f"`{command}` is not in the config's fixes.allowed_commands: run it yourself and commit the result"
    return None


def go_module_for(package: str, settings: FixSettings) -> str | None:
    """The known module that provides ``package`` (the longest known prefix), or None."""
    if not _GO_PATH.match(package):
        return None
    best = ""
    for module in (*known.go_modules(), *settings.go_modules):
        if (package == module or package.startswith(module + "/")) and len(module) > len(best):
            best = module
    return best or None


@dataclass(frozen=True)
class GoGet:
    """A package no module provides: ``go get`` its well-known module, then ``go mod tidy``."""

    id: str = "go-get"
    command: str = "go get {module} && go mod tidy"
    toolchain: str = "go"
    summary: str = "add the missing Go module to go.mod and go.sum (`go get`)"
    touches: tuple[str, ...] = ("go.mod", "go.sum", "*/go.mod", "*/go.sum")
    risk: str = "`go get` records the newest version of the module in go.mod and go.sum."
    verify: str = "Run `go build ./...` and the failing step again on this branch."

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        package = text_param(diagnosis, "package", "std")
        if not package:
            return f"{self.id} needs a missing package, and {diagnosis.strategy} names none"
        if "." not in package.split("/")[0]:
            return f"{package!r} is not a module path (a standard-library package, or a wrong Go version?)"
        if go_module_for(package, settings) is None:
            return (
                f"{package!r} is not in a well-known Go module, so no pull request adds it; run `go get` for "
                "it yourself, or name its module under fixes.go_modules in the config"
            )
        if text_param(diagnosis, "version"):
            return f"the version of {package} the build asks for does not exist: fix the version in go.mod"
        return _dispatch_blocker(self.command, settings)

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        package = text_param(diagnosis, "package", "std")
        module = go_module_for(package, settings) or ""
        found = repo.read("go.mod")
        if found is None:
            return "the repository has no go.mod at the top level"
        own = _GO_MODULE_LINE.search(found[0])
        if own and (package == own.group(1) or package.startswith(own.group(1) + "/")):
            return f"{package} is in the repository's own module {own.group(1)}: the import path is wrong"
        return Dispatch(
            self.id,
            self.command,
            self.toolchain,
            f"add {module} to go.mod",
            argument=module,
            risk=self.risk,
            verify=self.verify,
        )


@dataclass(frozen=True)
class ByEvidence:
    """Picks one of several toolchain recipes by the tool the evidence names (the one with an
    empty pattern when none does): a log line chooses only among fixed, allow-listed commands."""

    id: str
    summary: str
    choices: Sequence[tuple[str, ToolchainRecipe]] = field(default_factory=tuple)

    def pick(self, diagnosis: Diagnosis) -> ToolchainRecipe:
        text = "\n".join(e.text for e in diagnosis.evidence)
        for pattern, recipe in self.choices:
            if not pattern or re.search(pattern, text, re.MULTILINE):
                return recipe
        return self.choices[-1][1]

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        return self.pick(diagnosis).applies(diagnosis, settings)

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        return self.pick(diagnosis).propose(diagnosis, repo, settings)


_LOCK_RISK = "Only the lock file should change; dependency versions move only as far as the manifest asks."
GO_MOD_TIDY = ToolchainRecipe(
    "go-mod-tidy",
    "go mod tidy",
    "go",
    "update go.mod and go.sum (`go mod tidy`)",
    ("go.mod",),
    _LOCK_RISK,
    touches=("go.mod", "go.sum", "*/go.mod", "*/go.sum", "vendor/*"),
)
NPM_LOCK = ToolchainRecipe(
    "npm-lock",
    "npm install --package-lock-only --ignore-scripts",
    "node",
    "update package-lock.json to match package.json",
    ("package-lock.json", "package.json"),
    _LOCK_RISK,
    "Run `npm ci` and the failing step again on this branch.",
    touches=("package-lock.json", "*/package-lock.json"),
)
PNPM_LOCK = ToolchainRecipe(
    "pnpm-lock",
    "pnpm install --lockfile-only --ignore-scripts",
    "pnpm",
    "update pnpm-lock.yaml to match package.json",
    ("pnpm-lock.yaml",),
    _LOCK_RISK,
    "Run `pnpm install --frozen-lockfile` and the failing step again on this branch.",
    touches=("pnpm-lock.yaml",),
)
YARN_LOCK = ToolchainRecipe(
    "yarn-lock",
    "yarn install --mode=update-lockfile",
    "yarn",
    "update yarn.lock to match package.json",
    ("yarn.lock",),
    _LOCK_RISK,
    "Run `yarn install --immutable` (Yarn 1: `--frozen-lockfile`) and the failing step again.",
    touches=("yarn.lock",),
)
POETRY_LOCK = ToolchainRecipe(
    "poetry-lock",
    "poetry lock",
    "poetry",
    "regenerate poetry.lock (`poetry lock`)",
    ("poetry.lock",),
    _LOCK_RISK,
    touches=("poetry.lock",),
)
UV_LOCK = ToolchainRecipe(
    "uv-lock", "uv lock", "uv", "regenerate uv.lock (`uv lock`)", ("uv.lock",), _LOCK_RISK, touches=("uv.lock",)
)
CARGO_LOCK = ToolchainRecipe(
    "cargo-lock",
    "cargo update --workspace",
    "rust",
    "update Cargo.lock for the workspace's own crates",
    ("Cargo.lock",),
    _LOCK_RISK,
    touches=("Cargo.lock",),
)
_FMT_RISK = "A formatter changes layout only; review that no generated or vendored file was reformatted."
RUFF_FORMAT = ToolchainRecipe(
    "ruff-format",
    "ruff format .",
    "python",
    "format the Python files (`ruff format`)",
    (),
    _FMT_RISK,
    touches=("*.py", "*.pyi"),
)
BLACK = ToolchainRecipe(
    "black", "black .", "python", "format the Python files (`black`)", (), _FMT_RISK, touches=("*.py", "*.pyi")
)
ISORT = ToolchainRecipe(
    "isort", "isort .", "python", "sort the Python imports (`isort`)", (), _FMT_RISK, touches=("*.py", "*.pyi")
)
RUFF_FIX = ToolchainRecipe(
    "ruff-fix",
    "ruff check --fix .",
    "python",
    "apply ruff's safe fixes (`ruff check --fix`)",
    (),
    "Only ruff's safe fixes are applied; findings it cannot fix stay and still fail the job.",
    touches=("*.py", "*.pyi"),
)
PRETTIER = ToolchainRecipe(
    "prettier",
    "npx --no-install prettier --write .",
    "node",
    "format the files (`prettier --write`)",
    ("package.json",),
    _FMT_RISK,
)
BIOME = ToolchainRecipe(
    "biome",
    "npx --no-install biome format --write .",
    "node",
    "format the files (`biome format --write`)",
    ("package.json",),
    _FMT_RISK,
)
ESLINT_FIX = ToolchainRecipe(
    "eslint-fix",
    "npx --no-install eslint . --fix",
    "node",
    "apply ESLint's automatic fixes (`eslint --fix`)",
    ("package.json",),
    "Only fixable rules are fixed; the rest still fail the job.",
    touches=("*.js", "*.jsx", "*.mjs", "*.cjs", "*.ts", "*.tsx", "*.mts", "*.cts", "*.vue"),
)
GOFMT = ToolchainRecipe(
    "gofmt", "gofmt -w .", "go", "format the Go files (`gofmt -w`)", ("go.mod",), _FMT_RISK, touches=("*.go",)
)
CARGO_FMT = ToolchainRecipe(
    "cargo-fmt",
    "cargo fmt --all",
    "rust",
    "format the Rust files (`cargo fmt`)",
    ("Cargo.toml",),
    _FMT_RISK,
    touches=("*.rs",),
)

TOOLCHAIN_RECIPES: tuple[ToolchainRecipe | GoGet, ...] = (
    GoGet(),
    GO_MOD_TIDY,
    NPM_LOCK,
    PNPM_LOCK,
    YARN_LOCK,
    POETRY_LOCK,
    UV_LOCK,
    CARGO_LOCK,
    RUFF_FORMAT,
    BLACK,
    ISORT,
    RUFF_FIX,
    PRETTIER,
    BIOME,
    ESLINT_FIX,
    GOFMT,
    CARGO_FMT,
)
PYTHON_FORMAT = ByEvidence(
    "python-format",
    "run the formatter the log names (ruff format, black or isort)",
    (("^Would reformat: ", RUFF_FORMAT), ("Imports are incorrectly sorted", ISORT), ("", BLACK)),
)
JS_FORMAT = ByEvidence(
    "js-format",
    "run the formatter the log names (prettier or biome)",
    (("Formatter would have printed", BIOME), ("", PRETTIER)),
)


def toolchain_recipe(name: str) -> ToolchainRecipe | GoGet | None:
    """The toolchain recipe called ``name`` (None for any other name)."""
    return next((r for r in TOOLCHAIN_RECIPES if r.id == name), None)


def command_line(recipe: ToolchainRecipe | GoGet, argument: str, settings: FixSettings) -> str:
    """The command the fix workflow runs for ``recipe``; ``ValueError`` when the config does not
    allow it or ``argument`` is not what the recipe takes (a well-known Go module for go-get)."""
    if not allowed(recipe.command, settings):
        raise ValueError(f"`{recipe.command}` is not in the config's fixes.allowed_commands")
    if "{module}" in recipe.command:
        if go_module_for(argument, settings) != argument:
            raise ValueError(f"{argument[:100]!r} is not a well-known Go module (fixes.go_modules)")
        return recipe.command.replace("{module}", argument)
    if argument:
        raise ValueError(f"{recipe.id} takes no argument")
    return recipe.command
