"""The fix workflow's diff, applied strictly: diffs made by git itself (new files, files without a
final newline, several hunks) round-trip; what the guard must not propose is refused."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from healing_guard.recipes.patch import PatchError, apply

git = shutil.which("git")
LONG = "".join(f"line {n}\n" for n in range(1, 60))


def diff(tmp_path: Path, before: dict[str, str], after: dict[str, str | None], *flags: str) -> str:
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()

    def run(*args: str) -> str:
        return subprocess.run([git, *args], cwd=repo, check=True, capture_output=True, text=True).stdout

    run("init", "-q")
    for path, text in before.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text, "utf-8")
    run("add", "-A")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base", "--allow-empty")
    for path, new in after.items():
        if new is None:
            (repo / path).unlink()
        else:
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_text(new, "utf-8")
    run("add", "-A")
    return run("diff", "--cached", "--no-color", *flags)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"a.py": LONG}, {"a.py": LONG.replace("line 3\n", "line three\n").replace("line 50\n", "")}),
        ({"a.py": "x = 1\ny = 2"}, {"a.py": "x = 1\ny = 2\n"}),  # a final newline added
        ({"a.py": "x = 1\n"}, {"a.py": "x = 1\ny = 2"}),  # one taken away
        ({}, {"pkg/new.py": "print('new')\n"}),  # a new file
        ({"a.py": "", "b.py": "b\n"}, {"a.py": "a\n", "b.py": "b\nc\n"}),
    ],
)
def test_git_diffs_round_trip(tmp_path: Path, before: dict[str, str], after: dict[str, str]) -> None:
    text = diff(tmp_path, before, dict(after))
    changed = dict(apply(text, before.get, ("*.py",)))
    assert changed == {p: t for p, t in after.items() if before.get(p) != t}


@pytest.mark.parametrize(
    ("before", "after", "flags", "why"),
    [
        ({"a.py": "x\n"}, {"a.py": None}, (), "deleted file mode"),
        ({"a.py": "x\n"}, {"a.py": None, "b.py": "x\n"}, ("-M",), "similarity index"),
        ({"a.bin": "\x00\x01"}, {"a.bin": "\x00\x02"}, ("--binary",), "GIT binary patch"),
        ({"a.txt": "x\n"}, {"a.txt": "y\n"}, (), "does not touch"),
        ({".github/workflows/ci.py": "x\n"}, {".github/workflows/ci.py": "y\n"}, (), ".github/workflows/"),
    ],
)
def test_what_is_not_proposed(
    tmp_path: Path, before: dict[str, str], after: dict[str, str | None], flags: tuple[str, ...], why: str
) -> None:
    text = diff(tmp_path, before, after, *flags)
    with pytest.raises(PatchError, match=why.replace(".", r"\.")):
        apply(text, before.get, ("*.py", "*.bin"))


def test_a_diff_against_other_text_is_refused(tmp_path: Path) -> None:
    text = diff(tmp_path, {"a.py": LONG}, {"a.py": LONG.replace("line 3\n", "line three\n")})
    with pytest.raises(PatchError, match="does not match"):
        apply(text, lambda path: LONG.replace("line 2\n", "line two\n"), ("*.py",))
    with pytest.raises(PatchError, match="not in the repository"):
        apply(text, lambda path: None, ("*.py",))


@pytest.mark.parametrize(
    "text",
    [
        "--- a/x.py\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
        "--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@\n-a\n+b\n",  # truncated
        "--- a/x.py\n+++ c/x.py\n@@ -1 +1 @@\n-a\n+b\n",
    ],
)
def test_hand_made_diffs_that_do_not_hold(text: str) -> None:
    with pytest.raises(PatchError):
        apply(text, lambda path: "a\n", ("*",))
