"""``healing-guard completion bash|zsh|fish``: scripts that parse, and complete what the parser has.

bash is always there; zsh and fish are used when installed (the tests that need them say so when
they are skipped). Each script is run by its shell and asked to complete, as the shell would.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from healing_guard import cli, completion

PARSER = cli.build_parser()
TOP, COMMANDS = completion.commands(PARSER)
NAMES = [c.name for c in COMMANDS]


def script(capsys: pytest.CaptureFixture[str], shell: str) -> str:
    assert cli.main(["completion", shell]) == 0
    out = capsys.readouterr().out
    assert out == completion.script(shell, PARSER)
    return out


def shell(argv: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=cwd, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def bash_complete(path: Path, words: list[str], cwd: Path | None = None) -> list[str]:
    """What the bash function offers for ``words`` (the last one is the word being completed)."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    code = (
        f"source {path}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _healing_guard; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    return [line for line in shell(["bash", "--norc", "--noprofile", "-c", code], cwd).splitlines() if line]


def test_the_parser_is_read_whole() -> None:
    history = ("stats", "trends", "report", "flaky", "fixes", "history")  # healing_guard/history/commands.py
    assert tuple(NAMES) == ("analyze", "validate", "strategies", "completion", "demo", *history)
    assert [o.flags for o in TOP] == [("-h", "--help"), ("--version",)]
    analyze = COMMANDS[0]
    assert analyze.files and not analyze.words
    assert {o.flags[0]: o.choices for o in analyze.options if o.takes_value} == {
        "--format": ("text", "json", "markdown"),
        "--config": (),
        "--color": ("auto", "always", "never"),
    }
    assert COMMANDS[3].words == completion.SHELLS


def test_bash_script_is_valid_and_registered(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "healing-guard.bash"
    path.write_text(script(capsys, "bash"), "utf-8")
    shell(["bash", "-n", str(path)])
    registered = shell(["bash", "--norc", "-c", f"source {path}; complete -p healing-guard"])
    assert registered.strip() == "complete -o filenames -F _healing_guard healing-guard"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["healing-guard", ""], [*NAMES, "-h", "--help", "--version"]),
        (["healing-guard", "an"], ["analyze"]),
        (["healing-guard", "str"], ["strategies"]),
        (["healing-guard", "st"], ["strategies", "stats"]),
        (["healing-guard", "--"], ["--help", "--version"]),
        (["healing-guard", "analyze", "--format", ""], ["text", "json", "markdown"]),
        (["healing-guard", "analyze", "x.log", "--co"], ["--config", "--color"]),
        (["healing-guard", "analyze", "--color", "a"], ["auto", "always"]),
        (["healing-guard", "strategies", "--format", "j"], ["json"]),
        (["healing-guard", "strategies", "-"], ["-h", "--help", "--format", "--config"]),
        (["healing-guard", "validate", "--"], ["--help", "--config"]),
        (["healing-guard", "completion", ""], ["bash", "zsh", "fish"]),
        (["healing-guard", "demo", ""], []),
    ],
)
def test_bash_completes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, words: list[str], expected: list[str]
) -> None:
    path = tmp_path / "healing-guard.bash"
    path.write_text(script(capsys, "bash"), "utf-8")
    assert bash_complete(path, words) == expected


def test_bash_completes_file_names_where_a_file_goes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "healing-guard.bash"
    path.write_text(script(capsys, "bash"), "utf-8")
    work = tmp_path / "work"
    (work / ".github").mkdir(parents=True)
    (work / "job-1.log").write_text("x\n", "utf-8")
    (work / "job-2.log").write_text("x\n", "utf-8")
    assert bash_complete(path, ["healing-guard", "analyze", "job-"], work) == ["job-1.log", "job-2.log"]
    assert bash_complete(path, ["healing-guard", "validate", "--config", ".gi"], work) == [".github"]
    assert bash_complete(path, ["healing-guard", "analyze", "--format", "json", "job-1"], work) == ["job-1.log"]


def test_only_plain_words_go_into_a_script() -> None:
    assert completion._words(["json", "--format", "a_b.c"]) == "json --format a_b.c"
    with pytest.raises(ValueError, match="not a plain word"):
        completion._words(["$(rm -rf ~)"])


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_script(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "healing-guard.zsh"
    path.write_text(script(capsys, "zsh"), "utf-8")
    shell(["zsh", "-n", str(path)])
    # registered through bashcompinit, and run the way its _bash_complete runs it (emulating sh)
    code = (
        f"autoload -U compinit && compinit -u -d {tmp_path / 'zcompdump'}; source {path}; "
        'print -r -- "${_comps[healing-guard]}"; '
        'emulate sh -c \'COMP_WORDS=(healing-guard completion ""); COMP_CWORD=2; _healing_guard; '
        'echo "${COMPREPLY[@]}"\''
    )
    registered, offered = shell(["zsh", "-f", "-c", code]).splitlines()[-2:]
    assert registered == "_bash_complete -o filenames -F _healing_guard"
    assert offered == "bash zsh fish"


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_script(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "healing-guard.fish"
    path.write_text(script(capsys, "fish"), "utf-8")
    shell(["fish", "--no-execute", str(path)])

    def offered(line: str) -> list[str]:
        out = shell(["fish", "--no-config", "-c", f"source {path}; complete -C {line!r}"])
        return [row.split("\t")[0] for row in out.splitlines()]

    assert offered("healing-guard ") == sorted(NAMES)
    assert offered("healing-guard analyze --format ") == ["json", "markdown", "text"]
    assert offered("healing-guard completion ") == ["bash", "fish", "zsh"]
    assert "--config" in offered("healing-guard validate --")
