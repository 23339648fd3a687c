"""tools/lock.py: the hashed locks match pyproject.toml, and the Dockerfile installs only from them.

The recompile (``--check --online``) needs the package index and runs in .ci/run; these tests are
the offline part, plus the checker's own behaviour on edited copies.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools import lock

ROOT = Path(__file__).resolve().parents[1]
HASH = "--hash=sha256:" + "ab" * 32


def test_the_committed_locks_are_fresh_and_fully_hashed() -> None:
    assert lock.check(ROOT, online=False) == []


def test_the_runtime_lock_holds_every_dependency_and_no_test_tool() -> None:
    _, pins = lock.parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    for name in ("pygithub", "actions-toolkit", "pyyaml", "jinja2", "jsonschema", "google-re2"):
        assert name in pins
    for name in ("pytest", "hypothesis", "ruff", "mypy", "coverage", "hatchling", "pip", "setuptools"):
        assert name not in pins, f"{name} does not belong in the image's runtime lock"
    _, build = lock.parse_lock((ROOT / "requirements-build.lock").read_text(encoding="utf-8"))
    assert "hatchling" in build


def _copy(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", "requirements.lock", "requirements-build.lock"):
        shutil.copyfile(ROOT / name, tmp_path / name)
    return tmp_path


def _edit(path: Path, pattern: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    edited, count = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    assert count == 1, pattern
    path.write_text(edited, encoding="utf-8")


def test_a_dependency_added_to_pyproject_without_relocking_is_stale(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "pyproject.toml", r'^    "google-re2>=1.1",$', '    "google-re2>=1.1",\n    "rich>=13",')
    problems = lock.check(root, online=False)
    assert any("another requirement list" in p for p in problems)
    assert "requirements.lock: rich (from pyproject.toml) is not in the lock" in problems


def test_a_pin_outside_the_pyproject_range_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "requirements.lock", r"^jinja2==[^ ]+ ", "jinja2==2.11.3 ")
    assert lock.check(root, online=False) == [
        "requirements.lock: jinja2==2.11.3 does not satisfy 'Jinja2>=3.1' in pyproject.toml"
    ]


def test_a_pin_without_hashes_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "requirements.lock", r"^(pyyaml==[^ ]+) \\\n(?:    --hash=\S+(?: \\)?\n)+", r"\1\n")
    [problem] = lock.check(root, online=False)
    assert re.fullmatch(r"requirements\.lock: pyyaml==\S+ has no --hash \(pip --require-hashes refuses it\)", problem)


def test_the_build_lock_follows_build_system_requires(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "pyproject.toml", r'^requires = \["hatchling>=1.25"\]$', 'requires = ["hatchling>=99"]')
    problems = lock.check(root, online=False)
    assert any(p.startswith("requirements-build.lock was compiled from another requirement list") for p in problems)
    assert any("does not satisfy 'hatchling>=99'" in p for p in problems)


def test_a_missing_lock_is_found(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "requirements-build.lock").unlink()
    assert lock.check(root, online=False) == ["requirements-build.lock is missing: run python tools/lock.py"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"requests>=2 {HASH}\n", "is not pinned with =="),
        (f"-e . {HASH}\n", "unexpected option line"),
        ("--index-url https://example.invalid/simple\n", "unexpected option line"),
        (f"requests==2.0 {HASH}\nRequests==2.0 {HASH}\n", "pinned twice"),
        (f"git+https://example.invalid/x.git {HASH}\n", "is not pinned with =="),
    ],
)
def test_a_lock_holds_pins_only(text: str, message: str) -> None:
    with pytest.raises(lock.LockError, match=message):
        lock.parse_lock(text)


def test_parse_joins_continuations_and_ignores_comments() -> None:
    digest, pins = lock.parse_lock(
        f"# header\n{lock.DIGEST_PREFIX}abc\nJinja2==3.1.6 \\\n    {HASH} \\\n    --hash=sha256:{'cd' * 32}\n"
        "    # via\n    #   x\nmarkupsafe==3.0.2 ; python_version >= '3.9' \\\n    " + HASH + "\n"
    )
    assert digest == "abc"
    assert {n: (p.version, len(p.hashes)) for n, p in pins.items()} == {
        "jinja2": ("3.1.6", 2),
        "markupsafe": ("3.0.2", 1),
    }


def test_compare_pins_allows_new_files_but_not_new_versions() -> None:
    spec = lock.LOCKS[0]
    old = {"a": lock.Pin("a", "1.0", {"x"}), "b": lock.Pin("b", "2.0", {"y"}), "gone": lock.Pin("gone", "1", {"z"})}
    new = {"a": lock.Pin("a", "1.0", {"x", "x2"}), "b": lock.Pin("b", "2.1", {"y"}), "new": lock.Pin("new", "1", {"w"})}
    assert lock.compare_pins(spec, old, new) == [
        "requirements.lock: gone==1 is no longer needed",
        "requirements.lock: new==1 is missing",
        "requirements.lock: b is locked at 2.0, a recompile gives 2.1",
    ]
    assert lock.compare_pins(spec, {"a": lock.Pin("a", "1.0", {"x", "old"})}, {"a": lock.Pin("a", "1.0", {"x"})}) == [
        "requirements.lock: a==1.0 has hashes the index no longer offers"
    ]


def test_the_compile_environment_ignores_this_machines_pip_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///somewhere")
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/certs/ca.crt")
    env = lock.compile_env()
    assert "PIP_FIND_LINKS" not in env and "PIP_EXTRA_INDEX_URL" not in env
    assert env["PIP_CERT"] == "/etc/ssl/certs/ca.crt"
    assert env["PIP_CONFIG_FILE"] == "/dev/null"


def _run_instructions() -> list[str]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    return [line.strip()[4:] for line in text.splitlines() if line.strip().startswith("RUN ")]


def test_the_dockerfile_installs_from_the_locks_with_hashes_only() -> None:
    """Every `pip install` in the Dockerfile either reads a lock with --require-hashes or installs
    the wheel built in the same step without dependencies; the wheel is built without build
    isolation (an isolated build would fetch an unpinned hatchling)."""
    installs = []
    for run in _run_instructions():
        for command in run.split("&&"):
            words = command.split()
            if "pip" in [Path(w).name for w in words[:3]] and ("install" in words or "wheel" in words):
                installs.append(words)
    locked = {words[words.index("-r") + 1] for words in installs if "-r" in words}
    assert locked == {"requirements.lock", "requirements-build.lock"}
    for words in installs:
        if "-r" in words:
            assert "--require-hashes" in words, " ".join(words)
        else:
            assert "--no-deps" in words, f"without a lock, only the project itself: {' '.join(words)}"
        if "wheel" in words:
            assert "--no-build-isolation" in words
    assert any("/tmp/dist/*.whl" in words for words in installs)
