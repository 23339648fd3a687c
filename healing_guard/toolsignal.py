"""What the failing step was running, and what that says about the failure.

A step that runs ``pytest`` and fails is most likely a test failure, one that runs ``tsc`` a compile
error, one that runs ``npm ci`` a dependency problem: the tool is a prior that the root line's own
vocabulary can override. Exit codes add their conventions (127 command not found, 137 killed,
pytest's 2/4/5). Nothing here reads the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: (category, pattern over one command line); the order only matters for one command naming two tools
_TOOLS: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (cat, name, re.compile(p))
    for cat, name, p in (
        (
            "lint",
            "linter",
            r"(?i)\b(?:eslint|ruff(?! format\b(?!.*--check))|flake8|pylint|mypy|pyright|black --check|isort --check"
            r"|prettier (?:--check|-c\b|--list-different)|stylelint|rubocop|golangci-lint|ktlint|detekt"
            r"|checkstyle|spotless(?:Check|:check)"
            r"|clippy|cargo fmt|rustfmt --check|swiftlint|shellcheck|hadolint|markdownlint|biome (?:check|ci"
            r"|lint|format)|(?:dart|flutter) analyze"
            r"|dart format|gofmt|go vet|staticcheck|phpcs|phpstan|psalm|pint|lint|format:check|format-check"
            r"|check-format|pre-commit run|tflint|yamllint|actionlint|(?:terraform|tofu) fmt)\b",
        ),
        (
            "test_failure",
            "test runner",
            r"(?i)\b(?:pytest|py\.test|tox|nox|unittest|jest|vitest|mocha|jasmine|karma|ava|playwright test|cypress run"
            r"|mvn(?:w)? .*\b(?:test|verify|integration-test)\b|gradlew? .*\b(?:test\w*|check"
            r"|connected\w*Test)\b|go test|cargo (?:test|nextest)|ctest"
            r"|dotnet test|rspec|phpunit|pest|minitest|swift test|xcodebuild .*\btest\b|flutter test|dart test"
            r"|npm (?:run )?test|yarn (?:run )?test"
            r"|pnpm (?:run )?test|bun test|npm run e2e|test:\w+|e2e|newman run|behave|cucumber|bats|busted"
            r"|mix test|sbt test|lein test|make (?:test|check)\b)",
        ),
        (
            "compile_error",
            "compiler",
            r"(?i)\b(?:tsc|javac|gcc|g\+\+|clang|clang\+\+|rustc|swiftc|xcodebuild|msbuild|dotnet build"
            r"|go build|cargo (?:build|check)"
            r"|mvn(?:w)? .*\b(?:compile|package|install)\b|gradlew? .*\b(?:assemble\w*|build|compile\w*"
            r"|bundle\w*)\b|flutter build|make\b|cmake --build"
            r"|ninja|bazel build|swift build|npm run build|yarn build|pnpm (?:run )?build|vite build|next build"
            r"|webpack|forge build|solc|hardhat compile"
            r"|latexmk|pdflatex|xelatex|typecheck|type-check|tsc --noEmit|ng build|expo export|eas build"
            r"|electron-builder)\b",
        ),
        (
            "dependency_missing",
            "installer",
            r"(?i)\b(?:npm (?:ci|install|i)\b|yarn(?: install)?\s*(?:--frozen-lockfile|--immutable)?$"
            r"|pnpm (?:install|i)\b|bun install"
            r"|pip3? install|poetry (?:install|lock)|pipenv install|uv (?:sync|pip install)|conda (?:install"
            r"|env create)|bundle(?: install)?\b|gem install"
            r"|apt(?:-get)? install|brew install|composer install|go mod (?:download|tidy)|cargo fetch"
            r"|flutter pub get|dart pub get|pub get"
            r"|pod install|mvn(?:w)? dependency:|npx --yes|dotnet restore|nuget restore|vcpkg install|conan install)",
        ),
        (
            "docker_image",
            "container",
            r"(?i)\b(?:docker (?:pull|run)|docker compose (?:pull|up)|docker-compose (?:pull|up))\b",
        ),
    )
)

#: a command that runs the project's own program: its failure says nothing about the tool
_RUNS_PROGRAM = re.compile(r"(?i)\b(?:exec:(?:java|exec)|spring-boot:run|bootRun|gradlew? run\b|mvn(?:w)? .*\bexec\b)")

#: what a bare exit code usually means (runner conventions)
_EXIT: dict[int, tuple[str, float]] = {
    127: ("dependency_missing", 0.4),  # command not found
    137: ("oom", 0.5),  # SIGKILL, usually the OOM killer
}
#: pytest's own exit codes: 1 tests failed, 2 interrupted (collection errors), 4 usage error, 5 no tests
_PYTEST_EXIT: dict[int, tuple[str, float]] = {1: ("test_failure", 0.3), 4: ("config_env", 0.4), 5: ("config_env", 0.4)}


@dataclass(frozen=True)
class ToolSignal:
    """The failing step's tool and the category it suggests."""

    category: str
    weight: float
    tool: str
    command: str


def from_command(command: Sequence[str], exit_code: int | None = None) -> list[ToolSignal]:
    """Signals from the step's command lines (the ``##[group]Run`` script, or a pseudo-step's trace)."""
    found: list[ToolSignal] = []
    for raw in command[:200]:
        line = raw.strip()
        if not line or line.startswith("#") or _RUNS_PROGRAM.search(line):
            continue
        for cat, name, pat in _TOOLS:
            if pat.search(line):
                found.append(ToolSignal(cat, 0.5, name, line[:200]))
                break
    out: list[ToolSignal] = []
    if found:
        # with `set -e` the failing command is usually the last tool of the script; earlier ones
        # count less, and a script that runs tools of several kinds says less about each
        kinds = {s.category for s in found}
        share = 1.0 if len(kinds) == 1 else 0.6
        last = found[-1]
        out.append(ToolSignal(last.category, round(last.weight * share, 3), last.tool, last.command))
        for s in reversed(found[:-1]):
            if s.category not in {o.category for o in out}:
                out.append(ToolSignal(s.category, round(0.2 * share, 3), s.tool, s.command))
    if exit_code is not None:
        if exit_code in _EXIT:
            cat, w = _EXIT[exit_code]
            out.append(ToolSignal(cat, w, f"exit code {exit_code}", ""))
        if any("pytest" in s.command for s in found) and exit_code in _PYTEST_EXIT:
            cat, w = _PYTEST_EXIT[exit_code]
            out.append(ToolSignal(cat, w, f"pytest exit code {exit_code}", ""))
    return out


#: tools whose findings are printed as plain lines without error words (the root line hook)
_FINDING_LINES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"(?i)\bprettier\b"), re.compile(r"^\[warn\] (?!Code style issues)\S")),
    (re.compile(r"(?i)\bblack\b"), re.compile(r"^would reformat ")),
    (re.compile(r"(?i)\b(?:gofmt|go fmt)\b"), re.compile(r"^\S+\.go$")),
    # `terraform fmt -check` lists the files it would rewrite, one per line, and exits 3
    (re.compile(r"(?i)\b(?:terraform|tofu) fmt\b"), re.compile(r"^\S+\.(?:tf|tfvars|tftest\.hcl)$")),
)


def finding_pattern(command: Sequence[str]) -> re.Pattern[str] | None:
    """For a formatter that lists offending files plainly, the pattern of those lines."""
    text = "\n".join(command[:200])
    for tool, lines in _FINDING_LINES:
        if tool.search(text):
            return lines
    return None
