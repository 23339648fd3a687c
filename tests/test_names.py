"""One name: self-healing-pipeline-guard/self-healing-pipeline-guard, everywhere.

Walks the repository's files (tracked and new, as git lists them; test fixtures and the vendored
OpenAPI description excluded: they are other projects' text) and fails on an organisation
placeholder, and on any reference to this project under another owner: a `uses:` line, a GHCR
image, a github.com or raw.githubusercontent.com URL.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWNER = "self-healing-pipeline-guard"
REPO = "self-healing-pipeline-guard"
PLACEHOLDERS = re.compile(
    r"(?i:<org>|<owner>/" + REPO + r"|<your[-_ ]?org>|\byour[-_]?org\b|\bmy-org\b|\bexample-org\b|<organi[sz]ation>)"
    r"|\bOWNER/REPO\b|\bORG/REPO\b"  # upper case only: `owner/repo` in prose is a format, not a placeholder
)
# The owner in front of this repository's name, wherever a reference to the repository can appear.
REFERENCE = re.compile(
    r"(?:uses:\s*['\"]?|ghcr\.io/|github\.com/|githubusercontent\.com/|docker://ghcr\.io/)"
    r"([^/\s'\"`()\[\]]+)/" + REPO + r"\b",
    re.IGNORECASE,
)
SKIP_PREFIXES = ("tests/fixtures/",)
SKIP_FILES = {"tests/test_names.py"}


def _files() -> list[str]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the files to check are the ones git lists")
    result = subprocess.run(
        [git, "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    names = [n for n in result.stdout.decode("utf-8").split("\0") if n]
    return [
        n
        for n in names
        if not n.startswith(SKIP_PREFIXES)
        and n not in SKIP_FILES
        and not n.endswith(".openapi.json")
        and (ROOT / n).is_file()
    ]


def _text(name: str) -> str | None:
    data = (ROOT / name).read_bytes()
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def find_problems(name: str, text: str) -> list[str]:
    """Placeholders and foreign owners of this repository in one file's text."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in PLACEHOLDERS.finditer(line):
            problems.append(f"{name}:{number}: placeholder {match.group(0)!r}")
        for match in REFERENCE.finditer(line):
            if match.group(1).lower() != OWNER:
                problems.append(f"{name}:{number}: {match.group(0)!r} names owner {match.group(1)!r}, not {OWNER}")
    return problems


def test_no_placeholder_and_one_owner_in_the_repository() -> None:
    files = _files()
    assert "README.md" in files and "action.yml" in files
    problems = []
    for name in files:
        text = _text(name)
        if text is not None:
            problems += find_problems(name, text)
    assert problems == [], "\n".join(problems)


def test_the_name_is_used_where_users_copy_it() -> None:
    """The places a user copies the name from carry the chosen one."""
    expected = {
        "README.md": f"uses: {OWNER}/{REPO}@v1",
        "examples/workflows/healer.yml": f"uses: {OWNER}/{REPO}@v1",
        "examples/healing-config.yml": f"$schema=https://raw.githubusercontent.com/{OWNER}/{REPO}/",
        "healing_guard/schemas/healing-config.schema.json": f'"$id": "https://raw.githubusercontent.com/{OWNER}/{REPO}/',
        "healing_guard/schemas/strategy.schema.json": f'"$id": "https://raw.githubusercontent.com/{OWNER}/{REPO}/',
        "Dockerfile": f"ARG SOURCE_URL=https://github.com/{OWNER}/{REPO}\n",
    }
    for name, needle in expected.items():
        assert needle in (ROOT / name).read_text(encoding="utf-8"), f"{name} lacks {needle!r}"


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("uses: your-org/self-healing-pipeline-guard@v1", 2),  # a placeholder and a foreign owner
        ("uses: someone/self-healing-pipeline-guard@v1", 1),
        ("  - uses: 'Someone/Self-Healing-Pipeline-Guard@main'", 1),
        ("image: docker://ghcr.io/<org>/self-healing-pipeline-guard@sha256:abc", 2),
        ("see https://github.com/example-org/x", 1),
        ("$schema=https://raw.githubusercontent.com/fork/self-healing-pipeline-guard/main/x.json", 1),
        ("gh repo clone OWNER/REPO", 1),
        ("uses: self-healing-pipeline-guard/self-healing-pipeline-guard@v1", 0),
        ("uses: Self-Healing-Pipeline-Guard/self-healing-pipeline-guard@v1", 0),
        ("image: docker://ghcr.io/self-healing-pipeline-guard/self-healing-pipeline-guard@sha256:0", 0),
        ("with FakeGitHub(owner='octo-org', repo='octo-repo')", 0),
        ("the `owner/repo` of the log's source", 0),
        ("uses: ./", 0),
    ],
)
def test_the_checker_finds_what_it_should(line: str, found: int) -> None:
    assert len(find_problems("f", line)) == found
