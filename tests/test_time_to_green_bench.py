"""bench/time_to_green.py in its --quick mode: every policy on one event stream, and what must hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import time_to_green as ttg
from healing_guard.history.store import LocalTrail

pytestmark = pytest.mark.skipif(
    not (ttg.DEFAULT_CORPUS / "gha-real" / "labels.json").is_file(), reason="the gha-real corpus is not here"
)


@cache
def report() -> dict[str, Any]:
    return ttg.run_bench(ttg.DEFAULT_CORPUS, weeks=1, seed=7, backfill_weeks=2)


def policy(name: str) -> dict[str, Any]:
    return next(p for p in report()["policies"] if p["policy"] == name)


def test_every_policy_sees_the_same_failures() -> None:
    rows = report()["policies"]
    assert [r["policy"] for r in rows] == list(ttg.POLICIES)
    assert len({(r["failed_runs"], r["transient_failures"], r["deterministic_failures"]) for r in rows}) == 1
    assert rows[0]["failed_runs"] > 20 and report()["runs"] == 300


def test_what_each_policy_must_do() -> None:
    none, blind, hindsight, guard, memory, installed, patient = (policy(p) for p in ttg.POLICIES)
    # nobody heals: no re-run, nothing healed without a person
    assert (none["reruns"], none["wasted_minutes"], none["transient_healed"]) == (0, 0.0, 0.0)
    # blind retry re-runs every deterministic failure, and wastes the most
    assert blind["false_heals"] == 1.0
    assert blind["wasted_minutes"] > max(guard["wasted_minutes"], memory["wasted_minutes"])
    assert blind["ttg_mean_minutes"] <= none["ttg_mean_minutes"]
    # the guard never re-runs a flaky test failure without memory; with memory it learns to
    assert guard["healed_by_kind"]["flaky"].startswith("0/")
    assert int(memory["healed_by_kind"]["flaky"].split("/")[0]) > 0
    assert memory["false_heals"] <= guard["false_heals"]
    assert memory["wasted_vs_blind"] <= ttg.TARGETS["wasted_vs_blind"]
    # backfilled weeks of history teach it the repository's flaky tests before the stream starts
    assert report()["backfilled_records"] > 0
    flaky = [int(p["healed_by_kind"]["flaky"].split("/")[0]) for p in (memory, installed)]
    assert flaky[1] >= flaky[0]
    # people who leave held runs to the recovery never make it heal less
    assert patient["transient_healed"] >= installed["transient_healed"]
    # hindsight re-runs nothing deterministic, wastes less than any guess, and heals every flaky failure
    assert hindsight["false_heals"] == 0.0 and hindsight["reruns_of_deterministic"] == 0.0
    assert hindsight["wasted_minutes"] < min(guard["wasted_minutes"], memory["wasted_minutes"])
    flaky = hindsight["healed_by_kind"]["flaky"].split("/")
    assert flaky[0] == flaky[1]
    assert hindsight["vs_hindsight"] == 1.0 and patient["vs_hindsight"] is None
    assert installed["vs_hindsight"] == round(installed["transient_healed"] / hindsight["transient_healed"], 3)


def test_the_guard_with_memory_wrote_a_trail_and_every_log_is_real() -> None:
    assert report()["trail_records"] > 0
    logs = report()["logs"]
    real = [ttg.DEFAULT_CORPUS / "gha-real" / "logs" / f"{k}.log" for k in logs if k not in ttg.RUNNER_LOGS]
    assert logs and all(path.is_file() for path in real)
    # the runner-loss logs are fixtures that name their source
    for name in ttg.RUNNER_LOGS:
        assert "source:" in (ttg.FIXTURE_LOGS / f"{name}.expect.yml").read_text("utf-8")
    assert {v["label"] for v in logs.values()} >= {"network", "test_failure"}


def test_the_stream_is_seeded() -> None:
    diagnose = ttg.Diagnoser()
    logs = ttg.corpus_logs(ttg.DEFAULT_CORPUS)
    a = ttg.build_world(logs, diagnose, weeks=1, seed=11)
    b = ttg.build_world(logs, diagnose, weeks=1, seed=11)
    c = ttg.build_world(logs, diagnose, weeks=1, seed=12)
    assert [(r.start, r.minutes) for r in a.runs] == [(r.start, r.minutes) for r in b.runs]
    assert [(r.start, r.minutes) for r in a.runs] != [(r.start, r.minutes) for r in c.runs]
    run = a.runs[5]
    assert a.fate(run, 2, run.start) == b.fate(run, 2, run.start)


def test_the_command_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, int, int]] = []

    def quick(corpus: Any, *, weeks: int, seed: int, backfill_weeks: int) -> dict[str, Any]:
        asked.append((weeks, seed, backfill_weeks))
        return report()

    monkeypatch.setattr(ttg, "run_bench", quick)
    assert ttg.main(["--quick"]) == 0
    assert asked == [(1, 7, 4)]
    out = capsys.readouterr().out
    assert "| guard+memory |" in out and "| guard+memory, backfilled |" in out and "target false_heals" in out
    met = all(report()["met"].values())
    assert ttg.main(["--quick", "--check"]) == (0 if met else 1)


def _one_run_world(outage_minutes: float) -> ttg.World:
    """One 10-minute run starting with an outage of ``outage_minutes``; nothing else can fail it."""
    log = ttg.Log("outage", "network", ttg.FIXTURE_LOGS / "runner-shutdown-signal--actions-runner-2427.log")
    end = ttg.START + timedelta(minutes=outage_minutes)
    quiet = [(0.0, log)] * ttg.TARGETS_PER_JOB
    return ttg.World(3, [ttg.Run(1, ttg.START, 10.0, None)], [(ttg.START, end, log)], [log], quiet, [])


def test_the_policy_sees_a_persons_attempts_too() -> None:
    """The healer runs on every completion of the workflow, whoever started the attempt."""
    seen: list[int] = []

    def never(run: ttg.Run, attempt: int, failure: ttg.Failure, at: datetime) -> ttg.Decision:
        seen.append(attempt)
        return ttg.Decision(False)

    totals = ttg.simulate(_one_run_world(24 * 60), "never", never)
    assert seen == list(range(1, ttg.MANUAL_ATTEMPTS + ttg.BLIND_RETRIES + 2))  # a person re-ran until giving up
    assert (totals.transient, totals.transient_healed, totals.auto_reruns) == (1, 0, 0)


def test_a_held_attempt_is_re_run_at_its_moment_unless_a_person_was_first() -> None:
    def hold(run: ttg.Run, attempt: int, failure: ttg.Failure, at: datetime) -> ttg.Decision:
        return ttg.Decision(False, hold_until=ttg.START + timedelta(minutes=11))

    healed = ttg.simulate(_one_run_world(11), "hold", hold)
    assert (healed.transient_healed, healed.auto_reruns, healed.wasted_minutes) == (1, 1, 0.0)
    assert healed.ttg_minutes == [pytest.approx(1 + ttg.QUEUE_SECONDS / 60 + 10)]
    # held past the moment a person notices it: the person's re-run takes it, and the release does nothing
    too_late = ttg.START + timedelta(days=2)
    late = ttg.simulate(_one_run_world(11), "hold", lambda *a: ttg.Decision(False, hold_until=too_late))
    assert (late.transient_healed, late.auto_reruns) == (0, 0)


class _NoSchedule(ttg.Guard):
    """The guard of a healer workflow without the hourly ``mode: recover`` schedule."""

    @property
    def probing(self) -> bool:
        return False


def test_the_hourly_probe_heals_held_runs_when_nothing_passes_after_an_outage(tmp_path: Path) -> None:
    """Ten runs fail at once in a three-hour outage and no run comes after it: the brake holds most
    of their re-runs, and only the schedule's probe (then the recovery its green run starts) heals them."""
    log = ttg.Log("runner-lost", "infrastructure", ttg.FIXTURE_LOGS / "runner-shutdown-signal--actions-runner-2427.log")
    runs = [ttg.Run(i, ttg.START + timedelta(minutes=i), 10.0, None) for i in range(1, 11)]
    outage = (ttg.START, ttg.START + timedelta(hours=3), log)
    world = ttg.World(5, runs, [outage], [log], [(0.0, log)] * ttg.TARGETS_PER_JOB, [])
    diagnose = ttg.Diagnoser()
    healed = {}
    for name, kind in (("probe", ttg.Guard), ("none", _NoSchedule)):
        guard = kind(diagnose, LocalTrail(tmp_path / name))
        healed[name] = ttg.simulate(world, name, guard, guard, wait_for_held=True)
        assert guard.held, "the brake held no re-run: the case is not the one under test"
    assert healed["probe"].transient_healed == 10
    assert healed["none"].transient_healed < 10


def test_the_probe_runs_when_the_example_healer_schedules_it() -> None:
    healer = yaml.safe_load((ttg.ROOT / "examples" / "workflows" / "healer.yml").read_text("utf-8"))
    (cron,) = [entry["cron"] for entry in healer[True]["schedule"]]  # YAML 1.1 reads the key `on` as True
    minute, hour, *_ = cron.split()
    assert (int(minute), hour) == (ttg.PROBE_MINUTE, "*")
