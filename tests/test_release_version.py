"""One version: the package, CHANGELOG.md, the image label and `healing-guard --version` agree."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import healing_guard
from tools import version

ROOT = Path(__file__).resolve().parents[1]


def test_package_changelog_and_dockerfile_agree() -> None:
    assert version.problems(ROOT) == []
    assert version.package_version(ROOT) == healing_guard.__version__


def test_the_package_metadata_reads_the_same_single_source() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dynamic = \["version"\]$', pyproject, re.MULTILINE)
    assert not re.search(r"^version = ", pyproject, re.MULTILINE), "a second, static version in pyproject.toml"
    assert re.search(r'^\[tool\.hatch\.version\]\npath = "healing_guard/__init__\.py"$', pyproject, re.MULTILINE)


def test_the_command_line_prints_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "healing_guard", "--version"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert healing_guard.__version__ in result.stdout.split()


def _copy(tmp_path: Path) -> Path:
    (tmp_path / "healing_guard").mkdir()
    shutil.copyfile(ROOT / "healing_guard" / "__init__.py", tmp_path / "healing_guard" / "__init__.py")
    for name in ("CHANGELOG.md", "Dockerfile"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_drifted_dockerfile_label_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    current = version.package_version(root)
    _edit(root / "Dockerfile", f"ARG VERSION={current}", "ARG VERSION=0.9.9")
    assert version.problems(root) == [f"Dockerfile's ARG VERSION=0.9.9, the package is {current}"]


def test_a_version_bump_without_a_changelog_section_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    current = version.package_version(root)
    _edit(root / "healing_guard" / "__init__.py", f'__version__ = "{current}"', '__version__ = "9.0.0"')
    _edit(root / "Dockerfile", f"ARG VERSION={current}", "ARG VERSION=9.0.0")
    assert version.problems(root) == [f"CHANGELOG.md's newest release is {current}, the package is 9.0.0"]


@pytest.mark.parametrize(
    ("heading", "message"),
    [
        ("## [9.0.0]\n", "is not '## [X.Y.Z] - YYYY-MM-DD'"),
        ("## [9.0] - 2026-01-01\n", "is not '## [X.Y.Z] - YYYY-MM-DD'"),
        ("## [v9.0.0] - 2026-01-01\n", "is not '## [X.Y.Z] - YYYY-MM-DD'"),
        ("## [9.0.0] - soon\n", "is not '## [X.Y.Z] - YYYY-MM-DD'"),
    ],
)
def test_a_malformed_changelog_heading_is_an_error(tmp_path: Path, heading: str, message: str) -> None:
    root = _copy(tmp_path)
    _edit(root / "CHANGELOG.md", "## [Unreleased]\n", "## [Unreleased]\n\n" + heading)
    [problem] = version.problems(root)
    assert message in problem


def test_not_a_semantic_version(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    current = version.package_version(root)
    _edit(root / "healing_guard" / "__init__.py", f'__version__ = "{current}"', '__version__ = "1.0"')
    assert "package version '1.0' is not a semantic version (X.Y.Z)" in version.problems(root)


@pytest.mark.parametrize(("tag", "ok"), [("v{v}", True), ("{v}", False), ("v{v}.1", False), ("v0.0.1", False)])
def test_the_release_tag_must_name_the_version(tag: str, ok: bool) -> None:
    current = version.package_version(ROOT)
    assert (version.problems(ROOT, tag.format(v=current)) == []) is ok


def test_the_tag_form_prints_the_workflow_outputs(capsys: pytest.CaptureFixture[str]) -> None:
    current = version.package_version(ROOT)
    assert version.main(["--tag", f"v{current}"]) == 0
    major = current.split(".")[0]
    assert capsys.readouterr().out == f"version={current}\nmajor=v{major}\nprerelease=false\n"
    assert version.main(["--tag", "v0.0.0-not-this"]) == 1
