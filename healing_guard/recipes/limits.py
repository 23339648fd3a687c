"""Raise a limit that a failure ran into: a test timeout or a JVM's heap.

Only a limit the repository itself sets in a file, and that the log shows was the one hit, is
raised (doubled, up to a ceiling); a limit on the command line of a workflow (``go test
-timeout``, ``NODE_OPTIONS``) is advice, since a ``GITHUB_TOKEN`` cannot change
``.github/workflows/``.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from dataclasses import dataclass

import tomlkit
from tomlkit.exceptions import TOMLKitError

from ..models import Diagnosis
from .base import FileChange, FixSettings, Proposal, Repository, newline_terminated, text_param
from .jsonedit import JsonEditError, set_member
from .workflow import WorkflowAdvice

MAX_TEST_TIMEOUT_SECONDS = 3600
#: The most heap the guard gives a JVM (GitHub's standard Linux runners have 7 to 16 GB).
MAX_HEAP_MB = 6144
DEFAULT_GRADLE_ARGS = "-Xmx2g -XX:MaxMetaspaceSize=512m"
_XMX = re.compile(r"-Xmx(\d+)([kKmMgG]?)\b")


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _ini_set(text: str, sections: tuple[str, ...], key: str, old: float, new: str) -> str | None:
    """``text`` with ``key = old`` in one of ``sections`` set to ``new`` (None when not there)."""
    section = ""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            section = header.group(1).strip()
            continue
        m = re.match(rf"^(\s*{key}\s*=\s*)([\d.]+)(.*)$", line, re.DOTALL)
        if section in sections and m and _number(m.group(2)) == old:
            lines[i] = f"{m.group(1)}{new}{m.group(3)}"
            return "".join(lines)
    return None


@dataclass(frozen=True)
class PytestTimeout:
    """pytest-timeout's limit, where the project sets it: pyproject.toml, pytest.ini, tox.ini, setup.cfg."""

    id: str = "pytest-timeout"
    summary: str = "double pytest-timeout's `timeout` where the project sets it"

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        limit = _number(text_param(diagnosis, "limit"))
        if diagnosis.category != "timeout" or limit is None or limit <= 0:
            return f"{self.id} needs the timeout the log shows, and {diagnosis.strategy} names none"
        if limit >= MAX_TEST_TIMEOUT_SECONDS:
            return f"the timeout is already {limit:g} s: a test that needs longer hangs; read the stack dump"
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        limit = _number(text_param(diagnosis, "limit")) or 0.0
        new = min(int(limit * 2), MAX_TEST_TIMEOUT_SECONDS)
        top = repo.listdir("") or []
        for path, sections in (("pytest.ini", ("pytest",)), ("tox.ini", ("pytest",)), ("setup.cfg", ("tool:pytest",))):
            found = repo.read(path) if path in top else None
            edited = _ini_set(found[0], sections, "timeout", limit, str(new)) if found else None
            if found and edited:
                return self._change(path, edited, found[1], limit, new)
        found = repo.read("pyproject.toml") if "pyproject.toml" in top else None
        if found:
            try:
                doc = tomlkit.parse(found[0])
            except TOMLKitError:
                return "pyproject.toml does not parse: the guard does not touch a file it cannot parse"
            options = ((doc.get("tool") or {}).get("pytest") or {}).get("ini_options")
            value = options.get("timeout") if isinstance(options, MutableMapping) else None
            if value is not None and _number(str(value)) == limit:
                options["timeout"] = str(new) if isinstance(value, str) else new  # type: ignore[index]
                return self._change("pyproject.toml", tomlkit.dumps(doc), found[1], limit, new)
        return (
            f"the {limit:g} s limit is not set in pytest.ini, tox.ini, setup.cfg or pyproject.toml (a "
            "`@pytest.mark.timeout` marker or `--timeout` on the command line?): raise it there, or find "
            "where the test hangs"
        )

    def _change(self, path: str, text: str, sha: str, old: float, new: int) -> FileChange:
        return FileChange(
            path,
            text,
            sha,
            f"raise pytest-timeout from {old:g} s to {new} s in {path}",
            risk="A test that hangs for good now takes longer to fail; every test gets the larger limit.",
            verify="Run the test suite on this branch; the test should finish within the new limit.",
        )


_JEST_LITERAL = re.compile(r"(\btestTimeout\s*:\s*)(\d+)\b")


@dataclass(frozen=True)
class JestTimeout:
    """Jest's ``testTimeout`` in package.json's ``jest`` section or a jest.config file."""

    id: str = "jest-timeout"
    summary: str = "double Jest's `testTimeout` where the project sets it"

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        limit = _number(text_param(diagnosis, "limit"))
        if diagnosis.category != "timeout" or limit is None or limit <= 0:
            return f"{self.id} needs the timeout the log shows, and {diagnosis.strategy} names none"
        if limit >= MAX_TEST_TIMEOUT_SECONDS * 1000:
            return f"the timeout is already {limit:g} ms: a test that needs longer hangs"
        if "Exceeded timeout" not in " ".join(e.text for e in diagnosis.evidence):
            return (
                "the timeout is not Jest's (Vitest and Mocha keep theirs elsewhere): raise it in that runner's config"
            )
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        limit = int(_number(text_param(diagnosis, "limit")) or 0)
        new = min(limit * 2, MAX_TEST_TIMEOUT_SECONDS * 1000)
        top = repo.listdir("") or []
        for path in ("jest.config.js", "jest.config.ts", "jest.config.mjs", "jest.config.cjs", "jest.config.json"):
            found = repo.read(path) if path in top else None
            if not found:
                continue
            hits = [m for m in _JEST_LITERAL.finditer(found[0]) if int(m.group(2)) == limit]
            if len(hits) != 1:
                return f"{path} does not set testTimeout to {limit} once, as a plain number: raise it there by hand"
            m = hits[0]
            text = found[0][: m.start(2)] + str(new) + found[0][m.end(2) :]
            return self._change(path, text, found[1], limit, new)
        found = repo.read("package.json") if "package.json" in top else None
        if found:
            try:
                jest = json.loads(found[0]).get("jest")
            except (ValueError, AttributeError):
                return "package.json does not parse: the guard does not touch a file it cannot parse"
            if isinstance(jest, dict) and (
                jest.get("testTimeout") == limit or ("testTimeout" not in jest and limit == 5000)
            ):
                try:
                    text = set_member(found[0], ("jest",), "testTimeout", new)
                except JsonEditError as exc:
                    return f"package.json could not be edited without disturbing it ({exc})"
                return self._change("package.json", text, found[1], limit, new)
        return (
            f"Jest's {limit} ms limit is not set where the guard edits it (a jest.config file or package.json's "
            "`jest` section): pass a timeout to the slow test (`test(name, fn, ms)`) or raise `testTimeout`"
        )

    def _change(self, path: str, text: str, sha: str, old: int, new: int) -> FileChange:
        return FileChange(
            path,
            text,
            sha,
            f"raise Jest's testTimeout from {old} ms to {new} ms in {path}",
            risk="A test that never settles now takes longer to fail; every test gets the larger limit.",
            verify="Run the tests on this branch; the test should finish within the new limit.",
        )


GO_TEST_TIMEOUT = WorkflowAdvice(
    "go-test-timeout",
    "advise raising `go test -timeout` (it is on the workflow's command line)",
    "`go test -timeout` is set where the workflow runs go test: raise it there (e.g. `-timeout 20m`) "
    "if the test is slow rather than stuck",
)
NODE_HEAP = WorkflowAdvice(
    "node-heap",
    "advise raising Node's heap with NODE_OPTIONS (set in the workflow's env)",
    "raise Node's heap in the workflow step's env: `NODE_OPTIONS: --max-old-space-size=6144` (below the "
    "runner's memory)",
)


def _mb(amount: int, unit: str) -> int:
    return {"k": amount // 1024, "m": amount, "g": amount * 1024, "": amount // (1024 * 1024)}[unit.lower()]


def _doubled_heap(args: str) -> tuple[str, str] | str:
    """``args`` with its -Xmx doubled (or -Xmx2g added), and a description; or why not."""
    m = _XMX.search(args)
    if not m:
        return (f"{args} -Xmx2g".strip(), "set the JVM heap to 2 GB (-Xmx2g)")
    current = _mb(int(m.group(1)), m.group(2))
    if current >= MAX_HEAP_MB:
        return f"the heap is already {current} MB: use less memory (fewer workers or forks) or a larger runner"
    new = min(current * 2, MAX_HEAP_MB)
    value = f"-Xmx{new // 1024}g" if new % 1024 == 0 else f"-Xmx{new}m"
    return (args[: m.start()] + value + args[m.end() :], f"raise the JVM heap from {m.group(0)} to {value}")


_GRADLE_WORDS = re.compile(r"Gradle|[Dd]aemon|org\.gradle")


@dataclass(frozen=True)
class JvmMemory:
    """The heap of Gradle's daemon (``org.gradle.jvmargs`` in gradle.properties) or of Maven
    (``.mvn/jvm.config``)."""

    id: str = "jvm-memory"
    summary: str = "raise -Xmx in gradle.properties (org.gradle.jvmargs) or .mvn/jvm.config"

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        if diagnosis.category != "oom":
            return f"{self.id} raises a JVM heap, and {diagnosis.strategy} is not an out-of-memory failure"
        text = " ".join(e.text for e in diagnosis.evidence)
        if re.search(r"surefire|failsafe|forked VM", text, re.IGNORECASE):
            return "the test fork ran out of memory: raise -Xmx in the surefire/failsafe `argLine` of the pom"
        return None

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        reason = self.applies(diagnosis, settings)
        if reason is not None:
            return reason
        top = repo.listdir("") or []
        gradle = any(n.startswith(("build.gradle", "settings.gradle", "gradle.properties")) for n in top)
        evidence = " ".join(e.text for e in diagnosis.evidence)
        if gradle and (_GRADLE_WORDS.search(evidence) or "pom.xml" not in top):
            return self._gradle(repo, "gradle.properties" in top)
        if "pom.xml" in top:
            return self._maven(repo, ".mvn" in top)
        return "the repository has no Gradle or Maven build at the top level: raise -Xmx where the JVM is started"

    def _gradle(self, repo: Repository, exists: bool) -> Proposal:
        found = repo.read("gradle.properties") if exists else None
        text, sha = found if found else ("", None)
        lines = text.splitlines(keepends=True)
        for i, line in enumerate(lines):
            m = re.match(r"^(\s*org\.gradle\.jvmargs\s*[=:]\s*)(.*?)(\r?\n?)$", line, re.DOTALL)
            if not m:
                continue
            if m.group(2).endswith("\\"):
                return "org.gradle.jvmargs continues over several lines: raise its -Xmx by hand"
            doubled = _doubled_heap(m.group(2))
            if isinstance(doubled, str):
                return doubled
            lines[i] = f"{m.group(1)}{doubled[0]}{m.group(3)}"
            return self._change("gradle.properties", "".join(lines), sha, f"{doubled[1]} for Gradle")
        new = f"{newline_terminated(text)}org.gradle.jvmargs={DEFAULT_GRADLE_ARGS}\n"
        return self._change("gradle.properties", new, sha, "give the Gradle daemon 2 GB of heap (org.gradle.jvmargs)")

    def _maven(self, repo: Repository, has_dir: bool) -> Proposal:
        found = repo.read(".mvn/jvm.config") if has_dir else None
        text, sha = found if found else ("", None)
        body = text.rstrip("\n")
        doubled = _doubled_heap(body)
        if isinstance(doubled, str):
            return doubled
        new = doubled[0] + ("\n" if text.endswith("\n") or not text else "")
        return self._change(".mvn/jvm.config", new, sha, f"{doubled[1]} for Maven (.mvn/jvm.config)")

    def _change(self, path: str, text: str, sha: str | None, summary: str) -> FileChange:
        return FileChange(
            path,
            text,
            sha,
            summary,
            risk=(
                "More heap only helps if the runner has the memory (GitHub's standard Linux runners have 7 to 16 "
                "GB); a leak grows into any heap."
            ),
            verify="Run the build on this branch and watch its memory (a heap dump shows what grew).",
        )
