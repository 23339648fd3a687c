"""``healing-guard flaky`` and ``healing-guard fixes`` on a local trail: tables and JSON."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from healing_guard import cli
from healing_guard.history.records import TrailRecord, make_record
from healing_guard.history.store import LocalTrail

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def at(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat(timespec="seconds")


def failure(run: int, tests: list[str], days: float) -> TrailRecord:
    return make_record("failure", repository="o/r", run_id=run, attempt=1, job_id=1, failing_tests=tests, at=at(days))


def green(run: int, tests: list[str], days: float) -> TrailRecord:
    return make_record(
        "outcome",
        repository="o/r",
        run_id=run,
        attempt=2,
        failing_tests=tests,
        conclusion="success",
        result="healed",
        at=at(days),
    )


@pytest.fixture
def trail_dir(tmp_path: Path) -> Path:
    trail = LocalTrail(tmp_path)
    trail.append(
        [
            # a: failed on runs 1-4, green again on 1, 2, 3 -> 3 of 4 (75 %): flaky
            failure(1, ["tests/a.py::test_a"], 5),
            green(1, ["tests/a.py::test_a"], 5),
            failure(2, ["tests/a.py::test_a", "tests/b.py::test_b"], 4),
            green(2, ["tests/a.py::test_a"], 4),
            failure(3, ["tests/a.py::test_a"], 3),
            green(3, ["tests/a.py::test_a"], 3),
            failure(4, ["tests/a.py::test_a"], 2),
            # c: 2 of 2 -> quarantine
            failure(5, ["tests/c.py::test_c"], 2),
            green(5, ["tests/c.py::test_c"], 2),
            failure(6, ["tests/c.py::test_c"], 1),
            green(6, ["tests/c.py::test_c"], 1),
            # b: failed on run 2 only, never flaked; sig-1 fixed twice (the latest counts), sig-2 once
            make_record(
                "fix",
                repository="o/r",
                run_id=7,
                attempt=1,
                signature="sig-1",
                fix_sha="a" * 40,
                files=["src/x.py", "src/y.py", "src/z.py", "README.md"],
                branch="main",
                at=at(3),
            ),
            make_record(
                "fix",
                repository="o/r",
                run_id=8,
                attempt=1,
                signature="sig-1",
                fix_sha="b" * 40,
                files=["src/x.py"],
                branch="main",
                at=at(1),
            ),
            make_record(
                "fix",
                repository="o/r",
                run_id=9,
                attempt=1,
                signature="sig-2",
                fix_sha="c" * 40,
                files=["lib/q.c"],
                branch="dev",
                at=at(2),
            ),
        ]
    )
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_flaky_table(trail_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flaky", "--trail-dir", str(trail_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["TEST", "FAILURES", "FLAKES", "SCORE", "STATUS", "LAST", "SEEN", "EVIDENCE", "RUNS"]
    assert set(lines[1]) <= {"-", " "}
    rows = [line.split() for line in lines[2:]]
    assert [r[0] for r in rows] == ["tests/c.py::test_c", "tests/a.py::test_a"]  # never-flaked b is left out
    assert rows[0][1:6] == ["2", "2", "100", "%", "quarantine"]
    assert rows[1][1:6] == ["4", "3", "75", "%", "flaky"]
    assert out.splitlines()[3].endswith("1#2, 2#2, 3#2")
    # columns line up: every row's FAILURES column ends where the header's does
    end = lines[0].index("FAILURES") + len("FAILURES")
    assert all(line[end - 1] != " " for line in lines[2:])


def test_flaky_all_and_json(trail_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flaky", "--trail-dir", str(trail_dir), "--all", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [(r["test"], r["failures"], r["flakes"], r["score"], r["status"]) for r in data] == [
        ("tests/c.py::test_c", 2, 2, 1.0, "quarantine"),
        ("tests/a.py::test_a", 4, 3, 0.75, "flaky"),
        ("tests/b.py::test_b", 1, 0, 0.0, ""),
    ]
    assert [e["run_id"] for e in data[1]["evidence"]] == [1, 2, 3]


def test_flaky_rule_from_the_config(trail_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yml"
    config.write_text("memory:\n  flaky:\n    min_flakes: 3\n    quarantine_share: 0.7\n", "utf-8")
    _, out, _ = run(capsys, "flaky", "--trail-dir", str(trail_dir), "--format", "json", "--config", str(config))
    assert [(r["test"], r["status"]) for r in json.loads(out)] == [
        ("tests/c.py::test_c", ""),  # two flakes are not three
        ("tests/a.py::test_a", "quarantine"),
    ]


def test_fixes_table_and_json(trail_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "fixes", "--trail-dir", str(trail_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["SIGNATURE", "FIX", "FILES", "WHEN", "BRANCH"]
    assert lines[2].split()[:3] == ["sig-1", "b" * 12, "src/x.py"]
    assert lines[3].split()[:3] == ["sig-2", "c" * 12, "lib/q.c"]
    _, out, _ = run(capsys, "fixes", "--trail-dir", str(trail_dir), "--format", "json")
    data = json.loads(out)
    assert [(r["signature"], r["fix_sha"], r["fixes"]) for r in data] == [
        ("sig-1", "b" * 40, 2),
        ("sig-2", "c" * 40, 1),
    ]


def test_days_limits_what_is_read(trail_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "fixes", "--trail-dir", str(trail_dir), "--days", "1", "--format", "json")
    assert json.loads(out) == []  # the latest fix is a day old to the second, and then some


def test_hostile_text_in_the_trail_is_cleaned_and_corrupt_lines_are_warned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shard = tmp_path / "trail" / f"{NOW:%Y-%m}.jsonl"
    shard.parent.mkdir(parents=True)
    evil = "tests/x.py::test_\x1b[2J\x1b]0;pwned\x07y"
    lines = [
        json.dumps(
            {
                "kind": "failure",
                "at": at(0.5),
                "repository": "o/r",
                "run_id": 1,
                "attempt": 1,
                "failing_tests": [evil, "::set-output name=x::y"],
            }
        ),
        json.dumps(
            {
                "kind": "outcome",
                "at": at(0.4),
                "repository": "o/r",
                "run_id": 1,
                "attempt": 2,
                "failing_tests": [evil],
                "conclusion": "success",
            }
        ),
        "{not json",
    ]
    shard.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, err = run(capsys, "flaky", "--trail-dir", str(tmp_path), "--all")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())
    assert "corrupt" in err


def test_no_trail_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "flaky", "--trail-dir", str(tmp_path / "nowhere"))
    assert code == 1 and "no such directory" in err


def test_empty_trail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "flaky", "--trail-dir", str(tmp_path))[1] == "no flaky test in the trail\n"
    assert run(capsys, "fixes", "--trail-dir", str(tmp_path))[1] == "no learned fix in the trail\n"
