"""The registry of remediations: every one the guard can carry out, declared once with its properties.

The planner's gates read these properties, never a remediation's name: a remediation that
``implies_rerun`` passes the determinism, attempt and retry gates whatever it is called; one that
``mutates_repository`` needs the confidence and risk gates; one not allowed on protected branches or
for runs from forks degrades to what it declares. The executor calls the ``handler``. A new
remediation is a new entry here, and ``tests/test_remediations.py`` checks that it keeps the
contract (every gate holds for it, it has a handler, its fallbacks are safe).

| name | mutates the repository | implies a re-run | protected branch | run from a fork | idempotent by |
|---|---|---|---|---|---|
| rerun | yes (starts jobs) | yes | allowed | allowed | the run attempt |
| clear-cache | yes (deletes caches) | yes | comment | comment | the cache key on the run's ref |
| fix-pr | yes (branch, commit, PR; or the fix workflow) | no | comment | comment | signature + branch (one PR) |
| comment | no | no | allowed | allowed | the pull request (one comment) |
| escalate | no | no | allowed | allowed | the failure signature (one issue) |
| approval | no (posts the plan) | no | allowed | allowed | the run attempt (one plan comment) |
| notify | no | no | allowed | allowed | the failure signature and the run attempt |
| incident | no | no | allowed | allowed | the failure signature (PagerDuty dedup_key, Jira label) |
| none | no | no | allowed | allowed | nothing is sent |

``approval`` is what the last gate makes of a remediation whose risk is high (the strategy's, or
raised by a protected branch or a protected path it ``touches``): the guard posts the plan and a
person approves it (``approvals.py``). ``notify`` and ``incident`` are planned for the run beside
the others (medium risk and above, waiting, escalated; the configured number of failed attempts).

The data the planner hands the executor (``JobDecision``, ``PlannedStep``) lives here too, so that
the report reads a decision without importing the planner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import executor
from .config import GuardConfig
from .models import Diagnosis
from .provider import JobInfo, RunInfo
from .recipes import Recipe, fix_recipe
from .recipes import touches as recipe_touches

if TYPE_CHECKING:
    from .history.memory import LearnedFix
    from .results import Outcome

    Handler = Callable[["executor.Executor", "PlannedStep"], Outcome]

#: What a remediation that may not run degrades to: the guard explains, it changes nothing.
ADVICE = "comment"


@dataclass(frozen=True)
class Remedy:
    """One remediation and everything the gates and the executor need to know about it."""

    name: str
    summary: str
    #: changes the repository or its runs (starts jobs, deletes caches, pushes a branch): needs
    #: the confidence and risk gates
    mutates_repository: bool
    #: ends in a re-run of failed jobs: needs the determinism, timeout, retry and attempt gates
    implies_rerun: bool
    #: None when allowed on a protected branch, else the remediation it becomes there
    on_protected_branch: str | None
    #: None when allowed for a run whose head repository is a fork, else what it becomes
    on_fork: str | None
    #: what one step covers: "job" (one per job that chose it), "run" (one for the run: the
    #: re-run every ``implies_rerun`` decision asks for, the pull request comment), "signature"
    #: (one per failure signature: the escalation issue), "nothing"
    scope: str
    #: what makes carrying it out twice harmless, in words (the key itself is ``key``)
    idempotent_by: str
    key: Callable[[RunInfo, Diagnosis], str]
    handler: Handler | None
    #: for fix-pr: the recipe of the change it proposes, by the diagnosis (its strategy names it)
    recipe: Callable[[Diagnosis], Recipe | None] | None = None
    #: a precondition on the diagnosis' facts; returns why it does not hold (then: advice)
    requires: Callable[[Diagnosis, GuardConfig], str | None] | None = None
    #: the repository files it may change (``approvals.protected_paths`` makes it high risk)
    touches: Callable[[Diagnosis, GuardConfig], tuple[str, ...]] | None = None

    def __str__(self) -> str:
        return self.name


def _cache_key(diagnosis: Diagnosis) -> str | None:
    key = diagnosis.params.get("key")
    return key.strip() if isinstance(key, str) and key.strip() else None


def _needs_cache_key(diagnosis: Diagnosis, config: GuardConfig) -> str | None:
    if _cache_key(diagnosis) is None:
        return (
            "the log names no cache key, and deleting every cache of the branch is not a remediation; "
            "delete the broken entry under Actions → Caches, or change the cache key"
        )
    return None


def _needs_recipe(diagnosis: Diagnosis, config: GuardConfig) -> str | None:
    recipe = fix_recipe(diagnosis)
    if recipe is None:
        return f"{diagnosis.strategy} names no fix recipe"
    return recipe.applies(diagnosis, config.fixes)


REGISTRY: Mapping[str, Remedy] = {
    r.name: r
    for r in (
        Remedy(
            name="rerun",
            scope="run",
            summary="re-run the failed jobs (all at once, or the transient ones one by one)",
            mutates_repository=True,
            implies_rerun=True,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the run attempt: an attempt is re-run at most once",
            key=lambda run, d: f"rerun:{run.id}/{run.attempt}",
            handler=executor.Executor.rerun,
        ),
        Remedy(
            name="clear-cache",
            scope="job",
            summary="delete the corrupt cache entry named in the log on the run's ref, then re-run",
            mutates_repository=True,
            implies_rerun=True,
            on_protected_branch=ADVICE,
            on_fork=ADVICE,
            idempotent_by="the cache key on the run's ref (deleting it twice deletes nothing more)",
            key=lambda run, d: f"clear-cache:{_cache_key(d)}@{run.id}/{run.attempt}",
            handler=executor.Executor.clear_cache,
            requires=_needs_cache_key,
        ),
        Remedy(
            name="fix-pr",
            scope="job",
            summary="open a pull request with the fix recipe's change",
            mutates_repository=True,
            implies_rerun=False,
            on_protected_branch=ADVICE,
            on_fork=ADVICE,
            idempotent_by=(
                "the failure signature and the branch: one branch healing-guard/<branch>/fix-<signature>, one open "
                "pull request, found again and updated"
            ),
            key=lambda run, d: f"fix-pr:{d.signature}@{run.head_branch}",
            handler=executor.Executor.fix_pr,
            recipe=fix_recipe,
            requires=_needs_recipe,
            touches=lambda d, c: recipe_touches(d),
        ),
        Remedy(
            name="comment",
            scope="run",
            summary="post (or update) the diagnosis on the pull request",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the pull request: one comment, found by its marker and updated",
            key=lambda run, d: f"comment:{run.id}",
            handler=executor.Executor.comment,
        ),
        Remedy(
            name="escalate",
            scope="signature",
            summary="open (or update) one issue per failure signature",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the failure signature: one open issue, found by its marker and updated",
            key=lambda run, d: f"escalate:{d.signature}",
            handler=executor.Executor.escalate,
        ),
        # -- issue 10: approvals, notifications, incidents --
        Remedy(
            name="approval",
            scope="run",
            summary="post the plan (on the pull request, else on the escalation issue) and wait for /heal approve",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the run attempt: one plan comment, found by its marker and updated",
            key=lambda run, d: f"approval:{run.id}/{run.attempt}",
            handler=executor.Executor.request_approval,
        ),
        Remedy(
            name="notify",
            scope="signature",
            summary="tell the configured channels (Slack, Teams, a signed webhook) what failed and what was done",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the failure signature and the run attempt (the key travels in the payload)",
            key=lambda run, d: f"notify:{d.signature}@{run.id}/{run.attempt}",
            handler=executor.Executor.notify,
        ),
        Remedy(
            name="incident",
            scope="signature",
            summary="trigger a PagerDuty incident and/or open a Jira issue for a failure that keeps failing",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="the failure signature: PagerDuty's dedup_key, a Jira label",
            key=lambda run, d: f"incident:{d.signature}",
            handler=executor.Executor.incident,
        ),
        Remedy(
            name="none",
            scope="nothing",
            summary="nothing: the failure needs no action (a cancelled run, say)",
            mutates_repository=False,
            implies_rerun=False,
            on_protected_branch=None,
            on_fork=None,
            idempotent_by="nothing is sent",
            key=lambda run, d: "",
            handler=None,
        ),
    )
}


#: The remediation that carries out the re-run the others imply, the pull request comment, and the
#: escalation issue: the planner plans these for the run as a whole.
RERUN = REGISTRY["rerun"]
COMMENT = REGISTRY["comment"]
ESCALATE = REGISTRY["escalate"]
APPROVAL = REGISTRY["approval"]
NOTIFY = REGISTRY["notify"]
INCIDENT = REGISTRY["incident"]


def remedy(name: str) -> Remedy:
    """The registered remediation called ``name`` (KeyError for anything else)."""
    return REGISTRY[name]


def names(remedies: Iterable[str]) -> list[str]:
    """Remediation names once each, in order; ``["none"]`` when there are none."""
    out: list[str] = []
    for name in remedies:
        if name not in out:
            out.append(name)
    return out or ["none"]


# -- what the planner decides and hands the executor --------------------------------------------


@dataclass(frozen=True)
class JobDecision:
    """What the guard decided for one failed job, and why."""

    job: JobInfo
    diagnosis: Diagnosis
    action: str
    reason: str
    escalate: bool = False
    #: the risk the gates saw last (raised on protected branches and paths)
    risk: str = ""
    #: for ``approval``: the remediation that waits for it
    pending: str = ""
    #: which of the memory's gates changed the remediation ("flaky", "adaptive", "outage", "brake"; issue 9)
    memory: tuple[str, ...] = ()
    #: the last human commit that fixed this failure's signature, from the trail (issue 9)
    learned_fix: LearnedFix | None = None
    #: the mass-failure brake stopped a re-run every other gate allowed: the guard re-runs the job
    #: once a run of its workflow passes again (``history/recovery.py``)
    held: bool = False

    @property
    def remedy(self) -> Remedy:
        return REGISTRY[self.action]


@dataclass(frozen=True)
class PlannedStep:
    """One remediation to carry out for one or more jobs."""

    remedy: Remedy
    reason: str
    key: str
    jobs: tuple[int, ...] = ()
    delay_seconds: float = 0.0
    signature: str = ""
    #: for a re-run: every failed job of the run at once (``rerun-failed-jobs``), else the job
    whole_run: bool = False
    #: for ``approval``: what waits, as (remediation, idempotency key, job ids)
    pending: tuple[tuple[str, str, tuple[int, ...]], ...] = ()

    @property
    def action(self) -> str:
        return self.remedy.name
