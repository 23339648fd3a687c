"""The ``stats``, ``trends`` and ``report`` commands on the hand-computed fixture trail."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard import cli
from healing_guard.history.records import encode, make_record

FIXTURE = Path(__file__).parent / "fixtures" / "history" / "report"
EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURE / "expected.yaml").read_text(encoding="utf-8"))
TRAIL = ["--trail-dir", str(FIXTURE), "--now", EXPECTED["now"]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_aligned(block: str) -> list[list[str]]:
    """A table: a header, a rule of dashes under each column, rows whose columns line up."""
    lines = block.rstrip("\n").split("\n")
    rule = lines[1]
    assert re.fullmatch(r"-+(  -+)*", rule), rule
    spans = [m.span() for m in re.finditer(r"-+", rule)]
    rows = []
    for line in [lines[0], *lines[2:]]:
        cells = [line[a:b].strip() for a, b in spans]
        # nothing outside the columns but the two spaces between them
        assert all(line[b : b + 2].strip() == "" for _, b in spans[:-1]), line
        rows.append(cells)
    return rows


def test_stats_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "stats", "--days", "7", *TRAIL)
    assert code == 0
    assert "Healed without a person  5 of 12 (42%), 4 runs" in out
    assert "Mean time to green       1.9 d (median 30 min, 5 recoveries, 5 timed)" in out
    table = out[out.index("Category") :]
    rows = assert_aligned(table)
    assert rows[0] == ["Category", "Failures", "Healed", "Share"]
    assert rows[1:] == [
        ["runner", "5", "0", "0%"],
        ["test_failure", "4", "3", "75%"],
        ["network", "2", "2", "100%"],
        ["dependency", "1", "0", "0%"],
    ]
    assert "skipped 1 corrupt trail record" in err and "2026-11.jsonl:10" in err


def test_stats_json_is_the_hand_computed_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", "--days", "7", "--format", "json", *TRAIL)
    data = json.loads(out)
    assert code == 0 and data["corrupt"] == 1
    for name in ("failures", "healed_share", "mttr_s", "categories", "minutes", "strategies"):
        assert data[name] == EXPECTED["figures"][name], name


def test_stats_without_days_covers_the_whole_trail(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "stats", "--format", "json", *TRAIL)
    data = json.loads(out)
    # the trail starts on 2026-10-01: every failure up to now (15 failed jobs: 12 + 2 + run 50's)
    assert data["window"]["start"] == "2026-10-01T00:00:00+00:00"
    assert data["failures"] == 15


def test_trends_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "trends", "--days", "7", *TRAIL)
    assert code == 0
    rows = assert_aligned(out[out.index("Category") :])
    assert rows[0] == ["Category", "Failures", "Previous", "Change"]
    assert rows[1] == ["runner", "5", "0", "+5 (new)"]
    assert rows[2] == ["test_failure", "4", "1", "+3 (+300%)"]
    assert rows[-1] == ["total", "12", "2", "+10 (+500%)"]
    _, out, _ = run(capsys, "trends", "--format", "json", *TRAIL)
    data = json.loads(out)
    assert data["categories"] == EXPECTED["figures"]["categories"]
    assert (data["failures"], data["previous_failures"]) == (12, 2)


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_report_to_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"report.{fmt}"
    code, out, err = run(capsys, "report", "--format", fmt, "--output", str(target), *TRAIL)
    assert code == 0 and out == ""
    assert f"wrote the {fmt} report" in err
    text = target.read_text(encoding="utf-8")
    assert "5 of 12 (42%)" in text
    assert ("<svg" in text) == (fmt == "html")


def test_report_to_stdout_is_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", *TRAIL)
    assert code == 0 and out.startswith("<!-- healing-guard-report -->")


@pytest.mark.parametrize("command", ["stats", "trends", "report"])
def test_an_empty_trail_says_so_and_succeeds(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str) -> None:
    code, out, err = run(capsys, command, "--trail-dir", str(tmp_path))
    assert code == 0
    assert "the trail has no records yet" in out + err
    code, out, _ = run(
        capsys, command, "--trail-dir", str(tmp_path), *(["--format", "json"] if command != "report" else [])
    )
    assert code == 0
    if command != "report":
        assert json.loads(out)["failures"] == 0


def test_a_trail_of_corrupt_lines_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "trail").mkdir()
    (tmp_path / "trail" / "2026-11.jsonl").write_text("not json\n{}\n[1]\n", encoding="utf-8")
    code, out, err = run(capsys, "stats", "--trail-dir", str(tmp_path))
    assert code == 0 and "no records yet" in out
    assert "skipped 3 corrupt trail records" in err


def test_hostile_text_never_reaches_the_terminal_raw(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    record = make_record(
        "failure",
        repository="o/r",
        run_id=1,
        attempt=1,
        at="2026-11-28T00:00:00+00:00",
        category="x\x1b]0;pwned\x07\n::error::boom",
    )
    (tmp_path / "trail").mkdir()
    (tmp_path / "trail" / "2026-11.jsonl").write_text(encode([record]), encoding="utf-8")
    _, out, _ = run(capsys, "trends", "--trail-dir", str(tmp_path), "--now", "2026-11-29T00:00:00Z")
    assert "\x1b" not in out and "\x07" not in out
    assert not any(line.startswith("::") for line in out.splitlines())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stats", "--now", "yesterday"], "--now 'yesterday': not an ISO 8601 time"),
        (["trends", "--days", "0"], "--days 0.0: give a positive number of days"),
        (["report", "--output", "/nonexistent/dir/r.md"], "--output /nonexistent/dir/r.md: cannot write"),
    ],
)
def test_bad_options_are_one_clear_error(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _, err = run(capsys, *argv, "--trail-dir", str(FIXTURE))
    assert code == 1
    assert message in err


def test_a_missing_trail_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "stats", "--trail-dir", str(tmp_path / "nope"))
    assert code == 1 and "no such directory" in err


@pytest.mark.parametrize("argv", [["stats", "--days", "7"], ["trends"]])
def test_the_readme_sample_is_what_the_command_prints(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Reports") :]
    _, out, _ = run(capsys, *argv, *TRAIL)
    assert out.strip() in section


def test_the_installed_command_line_writes_the_html_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "healing_guard", "report", "--format", "html", "-o", str(target), *TRAIL],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr
    assert "skipped 1 corrupt trail record" in done.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
