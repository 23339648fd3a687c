"""Time to green: what healing saves, on a seeded simulation of one repository's CI.

A repository's CI over some weeks (``--weeks``, default 4; ``--quick``: 1 week, for CI) is
simulated once, and the same event stream is handed to each policy:

- ``none``: nobody heals; a person re-runs a transient failure when they notice it, and a broken
  commit stays red until the fix lands;
- ``blind-retry``: every failure is re-run, up to 3 times, whatever it is;
- ``hindsight``: a reference that knows what really happened: every transient failure re-run at
  once, an outage's failures held and re-run at the very end of the outage, nothing deterministic
  re-run (``hindsight``: not a strict bound, see there);
- ``guard``: the real classifier diagnoses the failure's log and the real planner decides
  (``plan_run``, default configuration, max-retries 3), without memory;
- ``guard+memory``: the same, with the memory of a ``LocalTrail`` (in a temporary directory) to
  which the simulation writes what the guard would: a ``failure`` record per decision, an
  ``outcome`` record when a later attempt of a run it diagnosed concludes (with the failing tests of
  the attempt before: a success on the same commit makes them flakes), and a ``fix`` record when a
  breakage is fixed.

Every failure carries a real log: a log of ``../shared/corpus/gha-real`` picked by its labelled
category (network-labelled logs for network failures, test-failure logs for flaky tests, logs of
deterministic categories for breakages). The policies only see the log; what really happened is the
simulation's ground truth.

The event stream (each figure is a parameter below; the sources of the published ones are named):

- work days only, ``RUNS_PER_DAY`` runs of one job between 09:00 and 19:00 UTC, each job lasting
  ``JOB_MINUTES`` (log-normal) minutes; a re-run waits for the planner's back-off, plus
  ``QUEUE_SECONDS`` in the queue;
- transient network failures: each attempt fails with probability ``P_NETWORK`` (an assumption);
- runner losses: each attempt fails with probability ``P_RUNNER`` (an assumption; GitHub publishes
  no rate) with the one real runner-loss log we have, ``RUNNER_LOGS`` (gha-real has none labelled
  infrastructure: the job log of actions/runner issue #2427, a fixture of this repository);
- flaky tests, at published rates: the repository has ``TEST_TARGETS`` test targets of which 16 %
  are flaky, and 1.5 % of all test runs give a flaky failure (J. Micco, "Flaky Tests at Google and How
  We Mitigate Them", Google Testing Blog, 2016: "1.5 % of all test runs reporting a flaky result",
  "almost 16 % of our tests have some level of flakiness"). A job runs ``TARGETS_PER_JOB`` targets
  (the affected ones); the flaky targets' failure rates are skewed (a few flake often, most
  rarely) around the mean that gives 1.5 % over all targets. Each flaky target's failure shows one
  real test-failure log of gha-real, so its failing test ids are the ones that log names;
- deterministic breakages: a run's commit breaks the build with probability ``P_BREAK`` (when the
  branch is green); every run is red with the same real log until a fix commit lands
  ``FIX_HOURS`` later. ``P_GONE`` of them are an external resource gone for good, whose log is a
  network-labelled one kept apart for it (``GONE_LOG``, an SSH connection that times out):
  deterministic, but it reads as transient;
- one outage a week: for ``OUTAGE_MINUTES`` every attempt fails with the same network log (a
  mass failure: the brake's case);
- a person notices a failure no policy healed after ``PERSON_MINUTES`` (exponential), then
  re-runs it by hand until green (transient) or waits for the fix (deterministic), unless by then
  it is green or being re-run;
- the policy sees every failed attempt, a person's re-run too (the healer workflow runs on every
  completion of the workflow, whoever started the attempt); the guard with memory also runs the
  healer's hourly probe (``mode: recover``, at minute ``PROBE_MINUTE``, as healer.yml's cron).

Per policy it reports: the share of transient failures (network, outage, flaky) healed without a
person; runner minutes spent on futile re-runs (automatic re-runs that failed again); mean and p90
time to green (from a run's first failure to its first green attempt, or to the fix's green run for
a broken commit); false heals (failed runs whose deterministic failure was re-run automatically, and
the share of automatic re-runs that were of a deterministic failure). Targets of issue 9: >= 90 %
of transient failures healed, <= 5 % false heals, wasted minutes at most a third of blind retry's.
They are printed as met or not, never faked: ``--check`` exits 1 when the guard with memory
misses one.

Usage::

    python bench/time_to_green.py [--quick] [--weeks N] [--seed N] [--json] [--check] [--corpus PATH]
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from healing_guard.classify import Classifier  # noqa: E402
from healing_guard.config import GuardConfig  # noqa: E402
from healing_guard.history.memory import Memory  # noqa: E402
from healing_guard.history.recorder import decision_record, held_run_record  # noqa: E402
from healing_guard.history.records import TrailRecord, make_record  # noqa: E402
from healing_guard.history.recovery import HELD, held_runs, hold_key, probe_key, probes, recovery_key  # noqa: E402
from healing_guard.history.store import LocalTrail, Trail  # noqa: E402
from healing_guard.logsource import from_text  # noqa: E402
from healing_guard.models import Diagnosis  # noqa: E402
from healing_guard.planner import plan_run  # noqa: E402
from healing_guard.provider import JobInfo, RunInfo  # noqa: E402
from healing_guard.results import Decision as Decided  # noqa: E402
from healing_guard.results import Outcome  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
START = datetime(2026, 10, 5, tzinfo=timezone.utc)  # a Monday
REPOSITORY = "octo-org/simulated"
WORKFLOW = "CI"

RUNS_PER_DAY = 60
#: branches pushed to at once (pull requests); a breakage makes only its branch red
BRANCHES = 12
WORK_HOURS = (9, 19)
JOB_MINUTES = (10.0, 0.35)  # median, log-normal sigma
QUEUE_SECONDS = 60
P_NETWORK = 0.03
P_RUNNER = 0.005
#: real runner-loss logs (fixtures, their source in the .expect.yml beside them)
RUNNER_LOGS = ("runner-shutdown-signal--actions-runner-2427",)
FIXTURE_LOGS = ROOT / "tests" / "fixtures" / "logs"
TEST_TARGETS = 50
FLAKY_SHARE = 0.16  # Micco 2016
FLAKY_TEST_RUNS = 0.015  # Micco 2016
TARGETS_PER_JOB = 5
#: relative flakiness of the flaky targets (normalised to a mean of 1)
FLAKY_SKEW = (3.0, 2.0, 1.2, 0.7, 0.45, 0.3, 0.2, 0.15)
P_BREAK = 0.04
FIX_HOURS = (1.0, 6.0)
P_GONE = 0.15
OUTAGE_MINUTES = 120
#: the minute of the hour at which the healer's schedule runs ``mode: recover`` (healer.yml's cron)
PROBE_MINUTE = 23
#: the run id of a probe event
PROBE = 0
PERSON_MINUTES = 45.0
MANUAL_ATTEMPTS = 6
BLIND_RETRIES = 3

#: the network-labelled log that stands for a resource gone for good (an SSH host that no longer
#: answers: it times out on every try); the other network-labelled logs are the transient failures
GONE_LOG = "gha-acompanamiento-ssh-timeout"
DETERMINISTIC_LABELS = (
    "compile_error",
    "lint",
    "dependency_missing",
    "dependency_conflict",
    "config_env",
    "missing_file",
    "permission",
)
#: the sensitivity row: the installed guard, with people who leave the runs it holds to it
PATIENT = "guard+memory, backfilled, people wait for held runs"
#: the reference of perfect hindsight: it knows what really happened and never re-runs in vain
HINDSIGHT = "hindsight"
POLICIES = ("none", "blind-retry", HINDSIGHT, "guard", "guard+memory", "guard+memory, backfilled", PATIENT)
TARGETS = {"transient_healed": 0.90, "false_heals": 0.05, "wasted_vs_blind": 1 / 3}


# -- the corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Log:
    id: str
    label: str
    path: Path


def corpus_logs(corpus: Path) -> list[Log]:
    labels = json.loads((corpus / "gha-real" / "labels.json").read_text("utf-8"))
    return [Log(v["id"], v["category"], corpus / "gha-real" / v["file"]) for v in labels]


class Diagnoser:
    """The real classifier, once per log (a log always gets the same diagnosis)."""

    def __init__(self) -> None:
        self.classifier = Classifier()
        self.cache: dict[str, Diagnosis] = {}

    def __call__(self, log: Log) -> Diagnosis:
        if log.id not in self.cache:
            text = log.path.read_bytes().decode("utf-8", "replace").replace(" #=MATCH=#", "")  # a fixture's marker
            self.cache[log.id] = self.classifier.diagnose(from_text(text, log.id))
        return self.cache[log.id]


# -- the event stream ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    kind: str  # transient: "network" (a blip), "outage", "runner", "flaky"; or "deterministic"
    log: Log


@dataclass
class Breakage:
    start: datetime
    fixed: datetime
    log: Log
    sha: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    id: int
    start: datetime
    minutes: float
    breakage: Breakage | None
    branch: int = 0


@dataclass
class World:
    seed: int
    runs: list[Run]
    outages: list[tuple[datetime, datetime, Log]]
    network: list[Log]
    flaky: list[tuple[float, Log]]  # per target: failure probability per run, and its log (p 0: not flaky)
    breakages: list[Breakage]
    runner: list[Log] = field(default_factory=list)

    def logs(self) -> set[Log]:
        """Every log a failure of this stream can carry."""
        out = {log for p, log in self.flaky if p > 0} | {b.log for b in self.breakages}
        out |= set(self.network) | set(self.runner)
        return out | {log for _, _, log in self.outages}

    def fate(self, run: Run, attempt: int, at: datetime) -> Failure | None:
        """What attempt ``attempt`` of ``run`` (running until ``at``) comes to: the same for every policy."""
        rng = random.Random(f"{self.seed}:fate:{run.id}:{attempt}")
        for start, end, log in self.outages:
            if start <= at < end:
                return Failure("outage", log)
        if rng.random() < P_NETWORK:
            return Failure("network", rng.choice(self.network))
        lost = random.Random(f"{self.seed}:runner:{run.id}:{attempt}")  # its own draw: the rest stays as it was
        if self.runner and lost.random() < P_RUNNER:
            return Failure("runner", lost.choice(self.runner))
        if run.breakage is not None:
            return Failure("deterministic", run.breakage.log)
        for target in rng.sample(range(len(self.flaky)), TARGETS_PER_JOB):
            p, log = self.flaky[target]
            if rng.random() < p:
                return Failure("flaky", log)
        return None


def build_world(
    logs: Sequence[Log],
    diagnose: Diagnoser,
    *,
    weeks: int,
    seed: int,
    start: datetime = START,
    first_run_id: int = 1000,
) -> World:
    rng = random.Random(seed)
    by_label: dict[str, list[Log]] = {}
    for log in sorted(logs, key=lambda g: g.id):
        by_label.setdefault(log.label, []).append(log)
    network = [g for g in by_label.get("network", []) if g.id != GONE_LOG]
    gone_logs = [g for g in by_label.get("network", []) if g.id == GONE_LOG] or network
    tests = [g for g in by_label.get("test_failure", []) if diagnose(g).failing_tests]
    rng.shuffle(tests)
    flaky_count = round(TEST_TARGETS * FLAKY_SHARE)
    if len(tests) < flaky_count or not network:
        raise SystemExit(f"the corpus has {len(tests)} test-failure logs naming tests and {len(network)} network logs")
    mean = FLAKY_TEST_RUNS * TEST_TARGETS / flaky_count
    skew = [w / (sum(FLAKY_SKEW) / len(FLAKY_SKEW)) for w in FLAKY_SKEW]
    flaky = [(min(0.9, mean * skew[i % len(skew)]), tests[i]) for i in range(flaky_count)]
    flaky += [(0.0, tests[0])] * (TEST_TARGETS - flaky_count)
    deterministic = [g for label in DETERMINISTIC_LABELS for g in by_label.get(label, [])] + tests[flaky_count:]
    runs: list[Run] = []
    breakages: list[Breakage] = []
    outages: list[tuple[datetime, datetime, Log]] = []
    for week in range(weeks):  # one a week, on a work day
        hours = rng.randrange(5) * 24 + rng.uniform(WORK_HOURS[0], WORK_HOURS[1] - 2)
        begin = start + timedelta(weeks=week, hours=hours)
        outages.append((begin, begin + timedelta(minutes=OUTAGE_MINUTES), rng.choice(network)))
    broken: dict[int, Breakage] = {}
    run_id = first_run_id
    for day in range(weeks * 7):
        date = start + timedelta(days=day)
        if date.weekday() >= 5:
            continue
        times = sorted(rng.uniform(*WORK_HOURS) for _ in range(RUNS_PER_DAY))
        for hour in times:
            at = date + timedelta(hours=hour)
            branch = rng.randrange(BRANCHES)
            if branch in broken and at >= broken[branch].fixed:
                del broken[branch]
            if branch not in broken and rng.random() < P_BREAK:
                gone = rng.random() < P_GONE
                log = rng.choice(gone_logs if gone else deterministic)
                fixed = at + timedelta(hours=rng.uniform(*FIX_HOURS))
                files = tuple(
                    f"src/{rng.choice(('api', 'core', 'web', 'build'))}/{rng.randrange(40)}.py"
                    for _ in range(rng.randint(1, 3))
                )
                broken[branch] = Breakage(at, fixed, log, f"{rng.getrandbits(160):040x}", files)
                breakages.append(broken[branch])
            minutes = JOB_MINUTES[0] * math.exp(rng.gauss(0, JOB_MINUTES[1]))
            runs.append(Run(run_id, at, minutes, broken.get(branch), branch))
            run_id += 1
    runner = [
        Log(name, "infrastructure", path) for name in RUNNER_LOGS if (path := FIXTURE_LOGS / f"{name}.log").is_file()
    ]
    return World(seed, runs, outages, network, flaky, breakages, runner)


# -- the policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    rerun: bool
    delay_s: float = 0.0
    #: hold the failed attempt and re-run it at this moment unless it has moved on (perfect
    #: hindsight's recovery; the guard's recovery is the trail's, in ``simulate``)
    hold_until: datetime | None = None


Policy = Callable[[Run, int, Failure, datetime], Decision]


class Guard:
    """The real planner on the real diagnosis; with a trail, it writes and reads records as the guard would."""

    def __init__(self, diagnose: Diagnoser, trail: Trail | None) -> None:
        self.diagnose = diagnose
        self.trail = trail
        self.config = GuardConfig.default()
        #: run -> (attempt, diagnosis, action) of the guard's last decision, to close its outcome
        self.open: dict[int, tuple[int, Diagnosis, str]] = {}
        #: held (run, attempt)s the recovery re-ran
        self.rescued: set[tuple[int, int]] = set()
        #: held (run, attempt)s and when they were held
        self.held: dict[tuple[int, int], datetime] = {}
        self.records = 0

    def memory(self, now: datetime) -> Memory | None:
        if self.trail is None:
            return None
        read = self.trail.read(since=now - timedelta(days=180))
        return Memory.from_records(read.records, now=now, settings=self.config.memory)

    def __call__(self, run: Run, attempt: int, failure: Failure, at: datetime) -> Decision:
        d = self.diagnose(failure.log)
        info = _run_info(run.id, attempt, "failure")
        job = JobInfo(run.id * 10, "build", "completed", "failure", attempt, "")
        plan = plan_run(
            info, [(job, d)], config=self.config, max_retries=BLIND_RETRIES, pull_request=None, memory=self.memory(at)
        )
        rerun = next((s for s in plan.steps if s.remedy.implies_rerun), None)
        action = plan.decisions[0].action
        if plan.decisions[0].held:  # as the guard records it (guard.py), for the recovery
            self.held[(run.id, attempt)] = at
            held = Decided(HELD, plan.decisions[0].reason, key=hold_key(run.id, attempt, job.id), at=_iso(at))
            self.write(decision_record(info, held, REPOSITORY, str))
        self.write(_failure_record(run.id, attempt, job.id, d, at, action=action, result="done"))
        self.open[run.id] = (attempt, d, action)
        return Decision(rerun is not None, rerun.delay_seconds if rerun else 0.0)

    def passed(self, run: Run, attempt: int, started: datetime, at: datetime) -> list[tuple[int, int]]:
        """A run passed: the held (run, attempt)s its guard releases (``recovery.held_runs`` on the trail)."""
        if self.trail is None:
            return []
        green = _run_info(run.id, attempt, "success", started_at=_iso(started))
        read = self.trail.read(since=at - timedelta(days=1))
        found = held_runs(read.records, green, repository=REPOSITORY, now=at, policy=self.config.memory)
        return [(h.run_id, h.attempt) for h in found]

    @property
    def probing(self) -> bool:
        """Whether the healer's hourly ``mode: recover`` schedule runs (it does with a trail)."""
        return self.trail is not None

    def probe(self, now: datetime) -> list[tuple[int, int]]:
        """The hourly ``mode: recover``: the held (run, attempt)s ``recovery.probes`` re-runs."""
        if self.trail is None or not any(self.holds(run_id, attempt, now) for run_id, attempt in self.held):
            return []  # nothing held: the trail's read would find nothing to probe
        read = self.trail.read(since=now - timedelta(hours=self.config.memory.recover_within_hours))
        found = probes(read.records, repository=REPOSITORY, now=now, policy=self.config.memory)
        return [(h.run_id, h.attempt) for h in found]

    def holds(self, run_id: int, attempt: int, now: datetime) -> bool:
        """Whether attempt ``attempt`` of ``run_id`` is held and may still be released."""
        since = self.held.get((run_id, attempt))
        window = timedelta(hours=self.config.memory.recover_within_hours)
        return since is not None and (run_id, attempt) not in self.rescued and now < since + window

    def recovered(self, run_id: int, attempt: int, at: datetime, *, probe: bool = False) -> None:
        """The recovery (``probe``: the hourly probe) re-ran held ``run_id``'s attempt (its decision
        record, as the guard writes it)."""
        self.rescued.add((run_id, attempt))
        key = probe_key(run_id, attempt) if probe else recovery_key(run_id, attempt)
        rerun = Outcome("rerun", "done", "re-ran the held run", key=key)
        self.write(
            held_run_record(replace(rerun, run=_run_info(run_id, attempt, "failure")), REPOSITORY, str, _iso(at))
        )

    def concluded(self, run: Run, attempt: int, failure: Failure | None, at: datetime) -> None:
        """A later attempt of a run the guard diagnosed concluded: its outcome (as the healer records it)."""
        before = self.open.pop(run.id, None)
        if before is None or before[0] >= attempt:
            return
        previous, d, action = before
        success = failure is None
        if (run.id, previous) in self.rescued:
            action = "rerun"
        result = ("healed" if success else "not_healed") if action in ("rerun", "clear-cache") else ""
        self.write(
            make_record(
                "outcome",
                repository=REPOSITORY,
                run_id=run.id,
                attempt=attempt,
                previous_attempt=previous,
                conclusion="success" if success else "failure",
                result=result,
                action=action,
                signature=d.signature,
                strategy=d.strategy,
                failing_tests=d.failing_tests,
                at=_iso(at),
            )
        )

    def fixed(self, breakage: Breakage, at: datetime) -> None:
        d = self.diagnose(breakage.log)
        self.write(
            make_record(
                "fix",
                repository=REPOSITORY,
                run_id=0,
                attempt=1,
                signature=d.signature,
                fix_sha=breakage.sha,
                files=breakage.files,
                branch="main",
                at=_iso(at),
            )
        )

    def write(self, record: TrailRecord) -> None:
        if self.trail is not None:
            self.trail.append([record])
            self.records += 1


class Backfiller(Guard):
    """What ``history backfill`` reads from the weeks before the guard was installed: a ``failure``
    record per failed attempt (diagnosed, with its failing tests; no action: nobody knows what was
    done) and an ``outcome`` per later attempt. Nothing is healed: people re-run by hand."""

    def __call__(self, run: Run, attempt: int, failure: Failure, at: datetime) -> Decision:
        d = self.diagnose(failure.log)
        self.write(_failure_record(run.id, attempt, run.id * 10, d, at))
        self.open[run.id] = (attempt, d, "")
        return Decision(False)

    def passed(self, run: Run, attempt: int, started: datetime, at: datetime) -> list[tuple[int, int]]:
        return []

    @property
    def probing(self) -> bool:
        return False


def backfilled_trail(world: World, diagnose: Diagnoser, trail: Trail, *, weeks: int, logs: Sequence[Log]) -> int:
    """Fill ``trail`` as ``history backfill --days 7*weeks`` would at installation: the same
    repository (its flaky tests, its network) over the ``weeks`` before the stream, with other runs."""
    if weeks <= 0:
        return 0
    before = build_world(
        logs, diagnose, weeks=weeks, seed=world.seed + 7919, start=START - timedelta(weeks=weeks), first_run_id=500_000
    )
    before = replace(before, flaky=world.flaky, network=world.network)
    backfill = Backfiller(diagnose, trail)
    simulate(before, "backfill", backfill, backfill)
    return backfill.records


def blind_retry(run: Run, attempt: int, failure: Failure, at: datetime) -> Decision:
    return Decision(attempt <= BLIND_RETRIES, 30.0)


def no_healing(run: Run, attempt: int, failure: Failure, at: datetime) -> Decision:
    return Decision(False)


def hindsight(world: World) -> Policy:
    """Perfect hindsight: it knows what really happened. It never re-runs a deterministic failure,
    re-runs every other one at once, and holds a failure of an outage until the very end of the
    outage, then re-runs it unless a person has (a perfect brake and recovery: no futile re-run, no
    wait for a run to pass). Not a strict bound: a re-run in progress keeps a person from re-running
    by hand, so a policy that spends minutes re-running through an outage can heal more of it."""

    def decide(run: Run, attempt: int, failure: Failure, at: datetime) -> Decision:
        if failure.kind == "deterministic" or attempt > MANUAL_ATTEMPTS + BLIND_RETRIES:
            return Decision(False)
        if failure.kind == "outage":
            return Decision(False, hold_until=next(end for start, end, _ in world.outages if start <= at < end))
        return Decision(True)

    return decide


# -- one policy over the stream -----------------------------------------------------------------


@dataclass
class RunStats:
    first_failure: datetime | None = None
    kind: str = ""
    green: datetime | None = None
    person: bool = False
    auto_reruns: int = 0
    deterministic_reruns: int = 0
    wasted_minutes: float = 0.0


@dataclass
class Totals:
    policy: str
    failed_runs: int = 0
    transient: int = 0
    transient_healed: int = 0
    deterministic: int = 0
    deterministic_rerun: int = 0
    auto_reruns: int = 0
    deterministic_reruns: int = 0
    wasted_minutes: float = 0.0
    ttg_minutes: list[float] = field(default_factory=list)
    by_kind: dict[str, int] = field(default_factory=dict)
    healed_by_kind: dict[str, int] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        ttg = sorted(self.ttg_minutes)
        return {
            "policy": self.policy,
            "failed_runs": self.failed_runs,
            "transient_failures": self.transient,
            "transient_healed": round(self.transient_healed / self.transient, 4) if self.transient else 0.0,
            "deterministic_failures": self.deterministic,
            "false_heals": round(self.deterministic_rerun / self.deterministic, 4) if self.deterministic else 0.0,
            "reruns": self.auto_reruns,
            "reruns_of_deterministic": round(self.deterministic_reruns / self.auto_reruns, 4)
            if self.auto_reruns
            else 0.0,
            "wasted_minutes": round(self.wasted_minutes, 1),
            "ttg_mean_minutes": round(sum(ttg) / len(ttg), 1) if ttg else 0.0,
            "ttg_p90_minutes": round(ttg[min(len(ttg) - 1, math.ceil(0.9 * len(ttg)) - 1)], 1) if ttg else 0.0,
            "healed_by_kind": {k: f"{self.healed_by_kind.get(k, 0)}/{n}" for k, n in sorted(self.by_kind.items())},
        }


def simulate(
    world: World, name: str, policy: Policy, guard: Guard | None = None, *, wait_for_held: bool = False
) -> Totals:
    """Every run of the stream, attempt by attempt in time order (so the trail is read as it was then).

    Queue events: an attempt ending (``auto``: a re-run the policy started, ``manual``: a person's,
    ``first``: the run itself), and a person noticing a red run (``notice``): when nobody heals a
    failure, a person notices it ``PERSON_MINUTES`` (exponential) later and re-runs it by hand,
    unless by then it is green or being re-run (the recovery after a mass failure may have).
    ``wait_for_held``: a person who notices a run the guard holds for its recovery (its comment
    and issue say so) leaves it, and looks again later, while the hold lasts."""
    stats = {r.id: RunStats() for r in world.runs}
    runs = {r.id: r for r in world.runs}
    #: (time, seq, run, attempt, what)
    queue: list[tuple[datetime, int, int, int, str]] = []
    pending: dict[int, int] = {}  # run -> attempts queued and not concluded
    latest: dict[int, int] = {}  # run -> its latest attempt
    seq = 0

    def push(at: datetime, run_id: int, attempt: int, what: str) -> None:
        nonlocal seq
        heapq.heappush(queue, (at, seq, run_id, attempt, what))
        seq += 1
        if what not in ("notice", "release", "probe"):
            pending[run_id] = pending.get(run_id, 0) + 1
            latest[run_id] = max(latest.get(run_id, 0), attempt)

    def rerun_held(run_id: int, attempt: int, at: datetime) -> bool:
        """Re-run a held attempt, unless it has moved on (as ``recovery.recover`` leaves it alone)."""
        h = stats[run_id]
        if latest[run_id] != attempt or pending.get(run_id) or h.green is not None:
            return False
        h.auto_reruns += 1
        h.deterministic_reruns += h.kind == "deterministic"
        push(at + timedelta(seconds=QUEUE_SECONDS, minutes=runs[run_id].minutes), run_id, attempt + 1, "auto")
        return True

    for r in world.runs:
        push(r.start + timedelta(minutes=r.minutes), r.id, 1, "first")
    if guard is not None and guard.probing:  # the healer's hourly schedule (examples/workflows/healer.yml)
        tick = min(r.start for r in world.runs).replace(minute=PROBE_MINUTE, second=0, microsecond=0)
        while tick < max(r.start for r in world.runs) + timedelta(days=2):
            push(tick, PROBE, 0, "probe")
            tick += timedelta(hours=1)
    fixes = sorted(world.breakages, key=lambda b: b.fixed)
    while queue:
        end, _, run_id, attempt, what = heapq.heappop(queue)
        if what == "probe":  # mode: recover re-runs the newest held run of a quiet workflow
            for held_id, held_attempt in guard.probe(end) if guard is not None else []:
                if guard is not None and rerun_held(held_id, held_attempt, end):
                    guard.recovered(held_id, held_attempt, end, probe=True)
            continue
        run, s = runs[run_id], stats[run_id]
        if what == "notice":
            if wait_for_held and guard is not None and guard.holds(run_id, latest[run_id], end):
                again = random.Random(f"{world.seed}:again:{run_id}:{end.isoformat()}").expovariate(1 / PERSON_MINUTES)
                push(end + timedelta(minutes=again), run_id, attempt, "notice")
                continue
            if s.green is None and not pending.get(run_id):
                s.person = True
                push(end + timedelta(minutes=run.minutes), run_id, latest[run_id] + 1, "manual")
            continue
        if what == "release":  # a held attempt's moment came: re-run it unless it has moved on
            rerun_held(run_id, attempt, end)
            continue
        pending[run_id] -= 1
        while guard is not None and fixes and fixes[0].fixed + timedelta(minutes=JOB_MINUTES[0]) <= end:
            b = fixes.pop(0)
            guard.fixed(b, b.fixed + timedelta(minutes=JOB_MINUTES[0]))
        failure = world.fate(run, attempt, end)
        if guard is not None:
            guard.concluded(run, attempt, failure, end)
        if what == "auto" and failure is not None:
            s.wasted_minutes += run.minutes
        if failure is None:
            s.green = end if s.first_failure is not None else None
            if guard is not None:  # the recovery: held runs of the workflow, re-run as recover() would
                for held_id, held_attempt in guard.passed(run, attempt, end - timedelta(minutes=run.minutes), end):
                    if rerun_held(held_id, held_attempt, end):
                        guard.recovered(held_id, held_attempt, end)
            continue
        if s.first_failure is None:
            s.first_failure, s.kind = end, failure.kind
        # the policy sees every failed attempt, a person's re-run too: the healer workflow runs on
        # every completion of the workflow, whoever started the attempt
        decision = policy(run, attempt, failure, end)
        if decision.rerun:
            s.auto_reruns += 1
            if failure.kind == "deterministic":
                s.deterministic_reruns += 1
            start = end + timedelta(seconds=decision.delay_s + QUEUE_SECONDS)
            push(start + timedelta(minutes=run.minutes), run_id, attempt + 1, "auto")
            continue
        if decision.hold_until is not None:
            push(decision.hold_until, run_id, attempt, "release")
        if failure.kind == "deterministic":
            s.person = True
            if run.breakage is not None:
                s.green = run.breakage.fixed + timedelta(minutes=JOB_MINUTES[0])  # the fix commit's green run
                continue
        if attempt >= MANUAL_ATTEMPTS + BLIND_RETRIES + 1:
            continue  # given up: never green
        # a person notices (again, if already at it) and re-runs it unless it is green or being re-run
        wait = random.Random(f"{world.seed}:person:{run_id}:{attempt}").expovariate(1 / PERSON_MINUTES)
        push(end + timedelta(minutes=wait), run_id, attempt, "notice")
    totals = Totals(name)
    for s in stats.values():
        if s.first_failure is None:
            continue
        totals.failed_runs += 1
        totals.by_kind[s.kind] = totals.by_kind.get(s.kind, 0) + 1
        totals.auto_reruns += s.auto_reruns
        totals.deterministic_reruns += s.deterministic_reruns
        totals.wasted_minutes += s.wasted_minutes
        if s.kind == "deterministic":
            totals.deterministic += 1
            totals.deterministic_rerun += s.deterministic_reruns > 0
        else:
            totals.transient += 1
            healed = s.green is not None and not s.person
            totals.transient_healed += healed
            totals.healed_by_kind[s.kind] = totals.healed_by_kind.get(s.kind, 0) + healed
        if s.green is not None:
            totals.ttg_minutes.append((s.green - s.first_failure).total_seconds() / 60)
    return totals


def _reading(log: Log, diagnose: Diagnoser) -> dict[str, Any]:
    """What the guard without memory makes of a log: its label, the diagnosis and the planner's action."""
    d = diagnose(log)
    run = _run_info(1, 1, "failure")
    plan = plan_run(
        run,
        [(JobInfo(1, "build", "completed", "failure", 1, ""), d)],
        config=GuardConfig.default(),
        max_retries=BLIND_RETRIES,
        pull_request=None,
    )
    return {
        "label": log.label,
        "category": d.category,
        "action": plan.decisions[0].action,
        "failing_tests": len(d.failing_tests),
    }


def _run_info(run_id: int, attempt: int, conclusion: str, *, started_at: str = "") -> RunInfo:
    """A run attempt of the simulated repository's one workflow, as the API gives it."""
    return RunInfo(
        run_id,
        WORKFLOW,
        attempt,
        "completed",
        conclusion,
        "push",
        "main",
        "a" * 40,
        "",
        repository=REPOSITORY,
        head_repository=REPOSITORY,
        started_at=started_at,
    )


def _failure_record(
    run_id: int, attempt: int, job_id: int, d: Diagnosis, at: datetime, *, action: str = "", result: str = ""
) -> TrailRecord:
    """The ``failure`` record of a diagnosed job (``action`` empty: backfilled, nobody knows what was done)."""
    return make_record(
        "failure",
        repository=REPOSITORY,
        run_id=run_id,
        attempt=attempt,
        job_id=job_id,
        workflow=WORKFLOW,
        signature=d.signature,
        category=d.category,
        strategy=d.strategy,
        action=action,
        result=result,
        failing_tests=d.failing_tests,
        at=_iso(at),
    )


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


# -- the report ---------------------------------------------------------------------------------


def run_bench(corpus: Path, *, weeks: int, seed: int, backfill_weeks: int = 0) -> dict[str, Any]:
    diagnose = Diagnoser()
    logs = corpus_logs(corpus)
    world = build_world(logs, diagnose, weeks=weeks, seed=seed)
    rows = [simulate(world, "none", no_healing).row(), simulate(world, "blind-retry", blind_retry).row()]
    rows.append(simulate(world, HINDSIGHT, hindsight(world)).row())
    plain = Guard(diagnose, None)
    rows.append(simulate(world, "guard", plain).row())
    with tempfile.TemporaryDirectory(prefix="time-to-green-") as tmp:
        trail = LocalTrail(Path(tmp) / "cold")
        remembering = Guard(diagnose, trail)
        rows.append(simulate(world, "guard+memory", remembering, remembering).row())
        written = len(trail.read().records)
        warm = LocalTrail(Path(tmp) / "backfilled")
        backfilled = backfilled_trail(world, diagnose, warm, weeks=backfill_weeks, logs=logs)
        if backfilled:
            shutil.copytree(Path(tmp) / "backfilled", Path(tmp) / "patient")
            installed = Guard(diagnose, warm)
            rows.append(simulate(world, "guard+memory, backfilled", installed, installed).row())
            # a sensitivity, not a target: people who leave held runs to the recovery
            patient = Guard(diagnose, LocalTrail(Path(tmp) / "patient"))
            rows.append(simulate(world, PATIENT, patient, patient, wait_for_held=True).row())
    blind = next(r for r in rows if r["policy"] == "blind-retry")
    for r in rows:
        r["wasted_vs_blind"] = (
            round(r["wasted_minutes"] / blind["wasted_minutes"], 3) if blind["wasted_minutes"] else 0.0
        )
    met_by = {r["policy"]: _met(r) for r in rows if r["policy"].startswith("guard+memory") and r["policy"] != PATIENT}
    best = next(r for r in rows if r["policy"] == HINDSIGHT)["transient_healed"]
    for r in rows:  # against perfect hindsight, under the same person model
        r["vs_hindsight"] = round(r["transient_healed"] / best, 3) if best and r["policy"] != PATIENT else None
    return {
        "weeks": weeks,
        "seed": seed,
        "runs": len(world.runs),
        "breakages": len(world.breakages),
        "outages": len(world.outages),
        "logs": {log.id: _reading(log, diagnose) for log in sorted(world.logs(), key=lambda g: g.id)},
        "trail_records": written,
        "policies": rows,
        "targets": TARGETS,
        "backfill_weeks": backfill_weeks,
        "backfilled_records": backfilled,
        #: the targets, for the guard with memory from an empty trail (the strict reading)
        "met": met_by["guard+memory"],
        "met_by_policy": met_by,
    }


def _met(row: dict[str, Any]) -> dict[str, bool]:
    return {
        "transient_healed": row["transient_healed"] >= TARGETS["transient_healed"],
        "false_heals": row["false_heals"] <= TARGETS["false_heals"],
        "wasted_vs_blind": row["wasted_vs_blind"] <= TARGETS["wasted_vs_blind"],
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{report['weeks']} week(s), seed {report['seed']}: {report['runs']} runs, {report['breakages']} breakages, "
        f"{report['outages']} outage(s), {len(report['logs'])} real logs; the memory's trail: "
        f"{report['trail_records']} records",
        "",
        "What the guard (without memory) makes of each log: label -> diagnosis -> action",
        *(f"  {k}: {v['label']} -> {v['category']} -> {v['action']}" for k, v in report["logs"].items()),
        "",
        "| policy | failed runs | transient healed without a person | vs hindsight | false heals | re-runs of "
        "deterministic failures | futile re-run minutes | vs blind retry | mean time to green | p90 time to green |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["policies"]:
        share = "n/a" if r["vs_hindsight"] is None else f"{r['vs_hindsight']:.0%}"
        lines.append(
            f"| {r['policy']} | {r['failed_runs']} | {r['transient_healed']:.1%} of {r['transient_failures']} | "
            f"{share} | "
            f"{r['false_heals']:.1%} of {r['deterministic_failures']} | {r['reruns_of_deterministic']:.1%} of "
            f"{r['reruns']} | {r['wasted_minutes']:.0f} | {r['wasted_vs_blind']:.2f} | "
            f"{r['ttg_mean_minutes']:.0f} min | {r['ttg_p90_minutes']:.0f} min |"
        )
    lines.append("")
    lines.append("healed without a person, by what really happened (first failure of the run):")
    for r in report["policies"]:
        lines.append(f"  {r['policy']}: " + ", ".join(f"{k} {v}" for k, v in r["healed_by_kind"].items()))
    lines.append("")
    for name, met in report["met_by_policy"].items():
        for key, ok in met.items():
            lines.append(f"target {key} ({report['targets'][key]:.2f}) for {name}: {'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week (a few seconds)")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--check", action="store_true", help="exit 1 when guard+memory misses a target")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--backfill-weeks",
        type=int,
        default=4,
        help="weeks before the stream that `history backfill` gives the installed guard (0: none; default 4)",
    )
    args = parser.parse_args(argv)
    if not (args.corpus / "gha-real" / "labels.json").is_file():
        print(f"no gha-real corpus under {args.corpus}: nothing to simulate", file=sys.stderr)
        return 0
    report = run_bench(
        args.corpus, weeks=1 if args.quick else args.weeks, seed=args.seed, backfill_weeks=args.backfill_weeks
    )
    print(json.dumps(report, indent=2) if args.json else render(report))
    return 1 if args.check and not all(report["met"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
