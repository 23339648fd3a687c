"""``healing-guard`` on the command line: formats, exit codes, colour, stdin, archives, --config,
``strategies``, ``--version`` (``validate`` is in test_config_check.py, ``completion`` in test_completion.py).

Exit status: 0 when the analysis ran, 1 when an input could not be read (the readable ones are still
reported) or a config is invalid, 2 for usage errors.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import healing_guard
from healing_guard import cli, load_catalogue
from healing_guard.remediations import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ROOT / "tests" / "fixtures" / "inputs"
TS = "2024-05-14T09:12:33.1234567Z "
KEYS = {
    "path",
    "category",
    "confidence",
    "risk",
    "strategy",
    "params",
    "evidence",
    "failed_step",
    "signature",
    "secondary",
    "remediation",
    "failing_tests",
}


def module_log(module: str, step: str = "pytest -q") -> str:
    return (
        f"{TS}##[group]Run {step}\n{TS}##[endgroup]\n"
        f"{TS}E   ModuleNotFoundError: No module named '{module}'\n"
        f"{TS}##[error]Process completed with exit code 2.\n"
    )


@pytest.fixture
def logs(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, module in (("a", "requests"), ("b", "yaml"), ("c", "numpy")):
        path = tmp_path / f"{name}.log"
        path.write_text(module_log(module), "utf-8")
        out[name] = path
    return out


@pytest.fixture(autouse=True)
def no_colour_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    code, out, err = run(capsys, "analyze", "--format", "json", *argv)
    return code, json.loads(out) if out else None, err


# --- analyze: formats -----------------------------------------------------------------------------------


def test_json_for_one_path_is_one_object_with_the_documented_keys(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path]
) -> None:
    code, data, err = run_json(capsys, str(logs["a"]))
    assert code == 0 and err == ""
    assert isinstance(data, dict)
    assert set(data) == KEYS
    assert data["path"] == str(logs["a"])
    assert data["strategy"] == "python-module-not-found"
    assert data["category"] == "dependency_missing"
    assert data["params"] == {"module": "requests", "exit_code": 2}
    assert data["evidence"][0] == {
        "line": 3,
        "text": "E   ModuleNotFoundError: No module named 'requests'",
        "layer": "strategy",
    }
    assert all(e["layer"] in {"strategy", "rootline", "context", "tail"} for e in data["evidence"])
    assert data["failed_step"] == "Run pytest -q"
    assert isinstance(data["confidence"], float) and isinstance(data["secondary"], list)


def test_json_for_several_paths_is_an_array_in_order(capsys: pytest.CaptureFixture[str], logs: dict[str, Path]) -> None:
    code, data, _ = run_json(capsys, str(logs["c"]), str(logs["a"]), str(logs["b"]))
    assert code == 0
    assert [d["params"]["module"] for d in data] == ["numpy", "requests", "yaml"]
    assert all(set(d) == KEYS for d in data)


def test_one_bad_path_among_good_ones(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.log"
    code, data, err = run_json(capsys, str(logs["a"]), str(missing), str(logs["b"]))
    assert code == 1
    # still an array (several paths were asked for), every input in its place
    assert [d["params"]["module"] for d in (data[0], data[2])] == ["requests", "yaml"]
    assert data[1] == {"path": str(missing), "error": "no such file"}
    assert [d["path"] for d in data] == [str(logs["a"]), str(missing), str(logs["b"])]
    assert "missing.log: no such file" in err


def test_json_shape_follows_the_request_not_the_failures(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path
) -> None:
    # two paths asked for, one unreadable: still an array, so scripts can rely on the shape
    code, data, _ = run_json(capsys, str(tmp_path / "gone.log"), str(logs["b"]))
    assert code == 1
    assert isinstance(data, list) and [set(d) for d in data] == [{"path", "error"}, KEYS]
    assert data[1]["params"]["module"] == "yaml"
    # one path asked for and unreadable: the error object alone, where the diagnosis would be
    code, data, _ = run_json(capsys, str(tmp_path / "gone.log"))
    assert (code, data) == (1, {"path": str(tmp_path / "gone.log"), "error": "no such file"})


def test_unreadable_member_of_an_archive_does_not_hide_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("1_build.txt", b"")
        archive.writestr("2_test.txt", module_log("yaml"))
        archive.writestr("3_lint.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
        archive.writestr("4_docs.txt", module_log("sphinx"))
    code, data, err = run_json(capsys, str(path))
    assert code == 1
    # one object per log of the archive, in the archive's job order, each with archive!member
    assert [d["path"] for d in data] == [
        f"{path}!{n}" for n in ("1_build.txt", "2_test.txt", "3_lint.txt", "4_docs.txt")
    ]
    assert [(d["params"]["module"], d["failed_step"]) for d in (data[1], data[3])] == [
        ("yaml", "test / Run pytest -q"),
        ("sphinx", "docs / Run pytest -q"),
    ]
    assert data[0]["error"] == "the log is empty; there is nothing to diagnose"
    assert data[2]["error"].startswith("this looks like a binary file")
    assert "1_build.txt: the log is empty" in err
    assert "3_lint.txt: this looks like a binary file" in err


def test_text_format(capsys: pytest.CaptureFixture[str]) -> None:
    path = INPUTS / "windows-job.log"
    code, out, _ = run(capsys, "analyze", str(path))
    assert code == 0
    assert out.startswith(str(path) + "\n")
    assert "category:   dependency_missing" in out
    assert "step:       Run python -m pytest -q" in out
    assert "\x1b" not in out  # not a terminal: no colour
    assert "| E   ModuleNotFoundError: No module named 'yaml'" in out


def test_markdown_format(capsys: pytest.CaptureFixture[str], logs: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "analyze", "--format", "markdown", str(logs["a"]), str(logs["b"]))
    assert code == 0
    assert out.count("| Category | `dependency_missing` |") == 2
    assert "No module named 'requests'" in out and "No module named 'yaml'" in out
    assert out.index("requests") < out.index("yaml")


def test_invalid_utf8_warns_but_diagnoses(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "latin1.log"
    path.write_bytes(b"caf\xe9 au lait\n" + module_log("requests").encode())
    code, data, err = run_json(capsys, str(path))
    assert code == 0
    assert data["params"]["module"] == "requests"
    assert "not valid UTF-8" in err


# --- analyze: unreadable input and usage errors ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"), ("dir", "is a folder")],
    ids=["missing", "empty", "binary", "folder"],
)
def test_unreadable_input_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "input"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    code, out, err = run(capsys, "analyze", str(path))
    assert code == 1
    assert out == ""
    assert err.startswith("healing-guard: error: ") and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [["analyze"], ["analyze", "x.log", "--format", "yaml"], ["analyze", "x.log", "--color", "sometimes"], [], ["heal"]],
    ids=["no-path", "bad-format", "bad-color", "no-command", "unknown-command"],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    assert "usage: healing-guard" in capsys.readouterr().err


def test_missing_config_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["analyze", str(logs["a"]), "--config", str(tmp_path / "healing-config.yml")])
    assert info.value.code == 2
    assert "no such file" in capsys.readouterr().err


def test_invalid_config_file_is_reported_without_traceback(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path]
) -> None:
    config = ROOT / "tests" / "fixtures" / "config" / "invalid-enum.yml"
    code, out, err = run(capsys, "analyze", str(logs["a"]), "--config", str(config))
    assert code == 1
    assert out == ""
    assert "invalid-enum.yml" in err and "Traceback" not in err


# --- analyze: --config ------------------------------------------------------------------------------------


def test_config_that_disables_a_strategy_changes_the_diagnosis(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path
) -> None:
    _, before, _ = run_json(capsys, str(logs["a"]))
    config = tmp_path / "healing-config.yml"
    config.write_text("version: 1\nstrategies:\n  python-module-not-found:\n    enabled: false\n", "utf-8")
    code, after, _ = run_json(capsys, str(logs["a"]), "--config", str(config))
    assert code == 0
    assert before["strategy"] == "python-module-not-found"
    assert after["strategy"] != "python-module-not-found"
    # the catalogue-independent layers still read the root line; no strategy backs it any more
    assert after["evidence"][0]["layer"] != "strategy"
    assert after["confidence"] < before["confidence"]
    # the same file without the switch changes nothing
    config.write_text("version: 1\nstrategies:\n  python-module-not-found:\n    enabled: true\n", "utf-8")
    assert run_json(capsys, str(logs["a"]), "--config", str(config))[1] == before


def test_config_with_a_custom_strategy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "db.log"
    log.write_text(
        f"{TS}##[group]Run pytest\n{TS}psql: could not connect to server: Connection refused\n"
        f"{TS}##[error]Process completed with exit code 1.\n",
        "utf-8",
    )
    config = tmp_path / "healing-config.yml"
    config.write_text(
        "version: 1\ncustom_strategies:\n  - id: flaky-db-container\n    name: Flaky test database\n"
        "    category: network\n    patterns: ['^.*could not connect to server: Connection refused']\n"
        "    risk: low\n    action: rerun\n",
        "utf-8",
    )
    code, data, _ = run_json(capsys, str(log), "--config", str(config))
    assert code == 0
    assert (data["strategy"], data["category"], data["evidence"][0]["line"]) == ("flaky-db-container", "network", 2)


# --- analyze: stdin ------------------------------------------------------------------------------------


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = module_log("requests").replace("\n", "\r\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, result, _ = run_json(capsys, "-")
    assert code == 0
    assert result["params"]["module"] == "requests"
    assert result["evidence"][0]["line"] == 3


def test_stdin_given_twice(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(module_log("requests").encode())))
    code, result, err = run_json(capsys, "-", "-")
    assert code == 1
    assert result[0]["params"]["module"] == "requests" and result[0]["path"] == "-"
    assert result[1] == {"path": "-", "error": "standard input was already read (is '-' given twice?)"}
    assert "standard input was already read" in err and "Traceback" not in err


# --- analyze: colour ------------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("color", "tty", "no_color", "coloured"),
    [
        ("auto", False, False, False),
        ("auto", True, False, True),
        ("auto", True, True, False),
        ("always", False, False, True),
        ("always", False, True, True),
        ("never", True, False, False),
    ],
)
def test_colour_only_when_forced_or_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    logs: dict[str, Path],
    color: str,
    tty: bool,
    no_color: bool,
    coloured: bool,
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    stream: io.StringIO = FakeTerminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    assert cli.main(["analyze", str(logs["a"]), "--color", color]) == 0
    out = stream.getvalue()
    assert ("\x1b[" in out) is coloured
    assert "dependency_missing" in out


def test_log_text_cannot_drive_the_terminal(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # an OSC sequence (set the window title) and a bell in a step name and in an evidence line
    path = tmp_path / "evil.log"
    path.write_text(
        f"{TS}##[group]Run make \x1b]0;owned\x07test\n{TS}##[endgroup]\n"
        f"{TS}E   ModuleNotFoundError: No module named 'requests' \x1b]0;owned\x07\n"
        f"{TS}##[error]Process completed with exit code 2.\n",
        "utf-8",
    )
    for color in ("never", "always"):
        code, out, _ = run(capsys, "analyze", str(path), "--color", color)
        assert code == 0
        assert "\x07" not in out and "\x1b]" not in out
        assert "owned" not in out  # an OSC sequence is removed whole: a terminal shows none of it
        assert "No module named 'requests'" in out


# --- strategies -----------------------------------------------------------------------------------------


def test_strategies_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "strategies")
    assert code == 0
    header, *lines = out.splitlines()
    assert header.split() == ["ID", "CATEGORY", "RISK", "ACTION", "ENABLED", "SOURCE"]
    listed = [line.split()[0] for line in lines]
    assert listed == load_catalogue().ids()
    row = next(line for line in lines if line.startswith("python-module-not-found "))
    assert row.split()[1:] == ["dependency_missing", "low", "fix-pr", "yes", "built-in"]
    # aligned: every column starts where its header does
    starts = [header.index(h) for h in header.split()]
    for line in lines:
        assert all(line[i - 2 : i] == "  " and line[i] != " " for i in starts[1:]), line


def test_strategies_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "strategies", "--format", "markdown")
    assert code == 0
    for sid in load_catalogue().ids():
        assert f"`{sid}`" in out


# --- python -m healing_guard -----------------------------------------------------------------------------


def module_run(*argv: str, stdin: bytes | None = None, **env: str) -> subprocess.CompletedProcess[bytes]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environ.get("PYTHONPATH")]))
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "healing_guard", *argv],
        input=stdin or b"",
        capture_output=True,
        env=environ,
        timeout=60,
        check=False,
    )


def test_module_analyze_json_and_stdin(logs: dict[str, Path]) -> None:
    proc = module_run("analyze", "--format", "json", str(logs["b"]), "-", stdin=module_log("numpy").encode())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert [d["params"]["module"] for d in data] == ["yaml", "numpy"]


def test_module_exit_codes(logs: dict[str, Path], tmp_path: Path) -> None:
    assert module_run("analyze").returncode == 2
    bad = module_run("analyze", str(logs["a"]), str(tmp_path / "nope.log"))
    assert bad.returncode == 1
    assert b"python-module-not-found" in bad.stdout
    assert b"Traceback" not in bad.stderr


def test_module_colour_when_forced(logs: dict[str, Path]) -> None:
    assert b"\x1b[" in module_run("analyze", str(logs["a"]), "--color", "always", NO_COLOR="1").stdout


def test_force_color_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], logs: dict[str, Path]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run(capsys, "analyze", str(logs["a"]))[1]


# -- defect 15: hostile paths and configs on the command line: one clear line, never a hang or a traceback


def test_a_fifo_or_device_as_log_is_an_input_error(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "pipe.log")
    code, out, err = run(capsys, "analyze", str(tmp_path / "pipe.log"), "/dev/zero", str(logs["a"]))
    assert code == 1 and "requests" in out  # the readable log is still reported
    assert f"healing-guard: error: {tmp_path / 'pipe.log'}: is a FIFO (named pipe), not a regular file" in err
    assert "healing-guard: error: /dev/zero: is a character device, not a regular file" in err


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("a: " + "[" * 10_000 + "]" * 10_000, "nested more than 64 levels deep"),
        (None, "is a FIFO (named pipe), not a config file"),
    ],
    ids=["deep", "fifo"],
)
def test_hostile_config_files_are_one_error_line(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], tmp_path: Path, config: str | None, message: str
) -> None:
    path = tmp_path / "healing-config.yml"
    if config is None:
        os.mkfifo(path)
    else:
        path.write_text(config, "utf-8")
    code, out, err = run(capsys, "analyze", "--config", str(path), str(logs["a"]))
    assert (code, out) == (1, "")
    assert err.startswith(f"healing-guard: error: {path}") and message in err and "Traceback" not in err


# --- analyze --format json: the remediation and its advice ------------------------------------------------


def test_json_carries_the_remediation_and_the_advice_of_the_text_format(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path]
) -> None:
    code, data, _ = run_json(capsys, str(logs["b"]))
    assert code == 0
    remediation = data["remediation"]
    assert list(remediation) == ["action", "risk", "summary", "mutates_repository", "advice"]
    assert remediation["action"] == "fix-pr" and remediation["risk"] == data["risk"] == "low"
    assert remediation["summary"] == REGISTRY["fix-pr"].summary and remediation["mutates_repository"] is True
    # the advice is the strategy's template rendered with the log's facts, as the text format shows it
    assert "`PyYAML` (imported as `yaml`)" in remediation["advice"]
    _, text, _ = run(capsys, "analyze", str(logs["b"]))
    assert f"  remediation (fix-pr): {remediation['advice']}\n" in text


HOSTILE_CONFIG = """\
version: 1
custom_strategies:
  - id: boom
    name: Boom in the log
    category: test_failure
    patterns: ['^BOOM: (?P<what>.+)$']
    risk: low
    remediation:
      action: comment
      description: "Look at {{ what }} first."
"""


def test_advice_built_from_hostile_log_text_is_sanitised(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the log chooses the text substituted into the advice: an escape, a workflow command, a secret
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    log = tmp_path / "boom.log"
    log.write_text(
        f"{TS}##[group]Run make test\n{TS}##[endgroup]\n"
        f"{TS}BOOM: \x1b]0;owned\x07 ##[error]forged ::set-env name=X::1 {secret}\n"
        f"{TS}##[error]Process completed with exit code 1.\n",
        "utf-8",
    )
    config = tmp_path / "healing-config.yml"
    config.write_text(HOSTILE_CONFIG, "utf-8")
    code, data, _ = run_json(capsys, str(log), "--config", str(config))
    assert code == 0 and data["strategy"] == "boom"
    advice = data["remediation"]["advice"]
    assert advice.startswith("Look at ") and advice.endswith(" first.")
    assert "\x1b" not in advice and "\x07" not in advice and "owned" not in advice
    assert "##[" not in advice and secret not in advice and "***" in advice
    assert "\n" not in advice
    _, text, _ = run(capsys, "analyze", str(log), "--config", str(config))
    assert f"  remediation (comment): {advice}\n" in text


def test_json_for_one_log_of_an_archive_is_still_an_array(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("build/1_Set up job.txt", f"{TS}Runner version 2.317.0\n")
        archive.writestr("build/2_Run pytest.txt", module_log("yaml"))
    code, data, _ = run_json(capsys, str(path))
    assert code == 0
    assert isinstance(data, list)
    assert [d["path"] for d in data][-1] == f"{path}!build/2_Run pytest.txt"


def test_paths_keep_the_spelling_given(
    capsys: pytest.CaptureFixture[str], logs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(logs["a"].parent)
    code, data, _ = run_json(capsys, "./a.log", "b.log")
    assert code == 0
    assert [d["path"] for d in data] == ["./a.log", "b.log"]


# --- strategies --format json ----------------------------------------------------------------------------

STRATEGY_KEYS = ["id", "name", "category", "risk", "action", "enabled", "patterns", "description", "advice", "source"]


def test_strategies_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "strategies", "--format", "json")
    assert code == 0
    data = json.loads(out)
    catalogue = load_catalogue()
    assert [d["id"] for d in data] == catalogue.ids()
    assert all(list(d) == STRATEGY_KEYS for d in data)
    assert {d["source"] for d in data} == {"built-in"}
    row = next(d for d in data if d["id"] == "python-module-not-found")
    strategy = catalogue.get("python-module-not-found")
    assert (row["category"], row["risk"], row["action"], row["enabled"]) == (
        "dependency_missing",
        "low",
        "fix-pr",
        True,
    )
    assert row["patterns"] == len(strategy.patterns) > 0
    assert "{{ module" in row["advice"] and "\n" not in row["description"]


def test_strategies_with_a_config(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "healing-config.yml"
    config.write_text(
        HOSTILE_CONFIG + "strategies:\n  python-module-not-found:\n    enabled: false\n    action: comment\n", "utf-8"
    )
    code, out, _ = run(capsys, "strategies", "--format", "json", "--config", str(config))
    assert code == 0
    data = {d["id"]: d for d in json.loads(out)}
    assert data["boom"]["source"] == "config" and data["boom"]["patterns"] == 1
    assert data["boom"]["advice"] == "Look at {{ what }} first."
    changed = data["python-module-not-found"]
    assert (changed["source"], changed["enabled"], changed["action"]) == ("built-in", False, "comment")
    _, text, _ = run(capsys, "strategies", "--config", str(config))
    assert "boom" in text and text.splitlines()[1].split() == [
        "boom",
        "test_failure",
        "low",
        "comment",
        "yes",
        "config",
    ]
    row = next(line for line in text.splitlines() if line.startswith("python-module-not-found "))
    assert row.split()[3:] == ["comment", "no", "built-in"]


def test_strategies_with_an_invalid_config_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    config = ROOT / "tests" / "fixtures" / "config" / "invalid-enum.yml"
    code, out, err = run(capsys, "strategies", "--config", str(config))
    assert (code, out) == (1, "")
    assert err.startswith(f"healing-guard: error: {config}:")


# --- --version, usage errors -------------------------------------------------------------------------------


def test_version_is_the_package_version(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    try:
        expected = metadata.version(cli.DISTRIBUTION)
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a checkout that is not installed
        expected = healing_guard.__version__
    assert capsys.readouterr().out == f"healing-guard {expected}\n"

    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert cli.package_version() == healing_guard.__version__


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["strategies", "--format", "yaml"], "argument --format: invalid choice: 'yaml'"),
        (["analyze", "x.log", "--format", "csv"], "argument --format: invalid choice: 'csv'"),
        (["completion", "tcsh"], "invalid choice: 'tcsh'"),
        (["validate", "extra"], "unrecognized arguments: extra"),
    ],
    ids=["strategies-format", "analyze-format", "completion-shell", "validate-extra"],
)
def test_usage_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    (line,) = [x for x in err.splitlines() if x.startswith("healing-guard: error: ")]
    assert message in line


# --- the commands as a user runs them (python -m healing_guard) --------------------------------------------


def test_module_validate_strategies_and_version(tmp_path: Path) -> None:
    good = module_run("validate", "--config", str(ROOT / "examples" / "healing-config.yml"))
    assert good.returncode == 0 and b": valid\n" in good.stdout, good.stderr
    bad = tmp_path / "healing-config.yml"
    bad.write_text("max_risk: extreme\n", "utf-8")
    proc = module_run("validate", "--config", str(bad))
    assert proc.returncode == 1
    assert proc.stderr.decode() == (
        f'healing-guard: error: {bad}:1: max_risk: must be one of low, medium, high, got "extreme"\n'
    )
    listed = module_run("strategies", "--format", "json")
    assert listed.returncode == 0 and [d["id"] for d in json.loads(listed.stdout)] == load_catalogue().ids()
    version = module_run("--version")
    assert version.returncode == 0 and version.stdout.decode() == f"healing-guard {cli.package_version()}\n"
    assert module_run("strategies", "--format", "yaml").returncode == 2


def test_module_analyze_error_objects_in_place(logs: dict[str, Path], tmp_path: Path) -> None:
    proc = module_run("analyze", "--format", "json", str(logs["a"]), str(tmp_path / "gone.log"), str(logs["c"]))
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert [d.get("error") for d in data] == [None, "no such file", None]
    assert [d["path"] for d in data] == [str(logs["a"]), str(tmp_path / "gone.log"), str(logs["c"])]
    assert proc.stderr.decode() == f"healing-guard: error: {tmp_path / 'gone.log'}: no such file\n"
