"""High-risk plans that wait for a person, and the ``/heal approve`` / ``/heal reject`` that decides.

Posting (the ``approval`` remediation, in the healer workflow): one comment per run attempt, on the
pull request, else on the failure's escalation issue, found again by its marker and never reset
once decided. It keeps the plan in a hidden marker::

    <!-- healing-guard:plan-state {"v":1,"run":7001,"attempt":1,"workflow":160001,
         "steps":[["fix-pr","fix-pr:3f2a…",[21000000001]]],"signature":"3f2a…","issue":7,
         "expires":1767225600,"state":"pending","by":"","at":0,"digest":"…"} -->

Nothing in it is text a log chose: remediation names (checked against the registry), the
registry's keys (checked against a strict pattern), ids and times. It is read back as untrusted
input (anyone with write access can edit a comment): bounded, known keys only, a digest over the
plan. And it only ever *narrows* what is done: an approved run attempt is diagnosed again from its
own logs and planned again with the approval gate passed, and only the steps whose keys are in the
plan are carried out. An edited marker cannot add anything the guard would not plan itself.

Deciding (``mode: approve``, in an ``issue_comment`` workflow): the command must be a new comment
by a person (``commands.py``) with write, maintain or admin permission (asked from the API); the
plan comment must be the guard's own (its author is the token's identity) with a valid marker, not
expired, not decided already (a second approval says so and does nothing), and its run attempt
must still be the latest (the run has no newer attempt, and no newer run of the same workflow ran
for the same commit). Each outcome is a ``Decision`` in the result, the plan comment's state, and
one reply on the thread.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .commands import Command, CommentEvent, find_command, ignored
from .errors import HealingGuardError
from .markdown import md_code, md_prose, md_text, md_url
from .markers import issue_marker
from .provider import Provider, RunInfo
from .results import Decision, GuardResult, Outcome, ResultBuilder

if TYPE_CHECKING:
    from .executor import Executor
    from .guard import PipelineGuard
    from .remediations import PlannedStep

PLAN_MARKER = "<!-- healing-guard:plan-for "
STATE_PREFIX = "<!-- healing-guard:plan-state "
STATE_SUFFIX = " -->"
BODY_MARK = "<!-- healing-guard:plan-body -->"
VERSION = 1
MAX_STATE_CHARS = 8192
MAX_STEPS = 50
STATES = ("pending", "approved", "rejected", "expired", "superseded")
#: The roles that may approve (``maintain`` is reported as ``write`` by GitHub's legacy field).
APPROVERS = ("admin", "maintain", "write")
_KEY = re.compile(r"^[A-Za-z0-9_.:/@-]{1,200}$")
_SIGNATURE = re.compile(r"^[A-Za-z0-9_.:-]{0,80}$")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
_MAX_ID = 2**63 - 1
_KEYS = frozenset(
    {"v", "run", "attempt", "workflow", "steps", "signature", "issue", "expires", "state", "by", "at", "digest"}
)

Step = tuple[str, str, tuple[int, ...]]


def plan_marker(run_id: int, attempt: int) -> str:
    """The marker of the plan comment of one run attempt."""
    return f"{PLAN_MARKER}run={run_id} attempt={attempt} -->"


def reply_marker(comment_id: int) -> str:
    return f"<!-- healing-guard:reply-to comment={comment_id} -->"


@dataclass(frozen=True)
class PlanState:
    """A plan waiting for (or decided by) a person."""

    run: int
    attempt: int
    workflow: int
    steps: tuple[Step, ...]
    signature: str
    issue: int
    expires: int
    state: str = "pending"
    by: str = ""
    at: int = 0

    @property
    def digest(self) -> str:
        plan = [self.run, self.attempt, self.workflow, [[s[0], s[1], list(s[2])] for s in self.steps]]
        plan += [self.signature, self.issue, self.expires]
        return hashlib.sha256(json.dumps(plan, separators=(",", ":")).encode()).hexdigest()[:16]

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(key for _, key, _ in self.steps)

    def comment(self) -> str:
        data = {
            "v": VERSION,
            "run": self.run,
            "attempt": self.attempt,
            "workflow": self.workflow,
            "steps": [[a, k, list(j)] for a, k, j in self.steps],
            "signature": self.signature,
            "issue": self.issue,
            "expires": self.expires,
            "state": self.state,
            "by": self.by,
            "at": self.at,
            "digest": self.digest,
        }
        return f"{STATE_PREFIX}{json.dumps(data, separators=(',', ':'))}{STATE_SUFFIX}"

    def decided(self, state: str, by: str, at: int) -> PlanState:
        return replace(self, state=state, by=by, at=at)


def _int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def read_plan(body: str) -> PlanState | None:
    """The validated plan kept in ``body``, or None (missing, malformed, or edited out of shape)."""
    start = body.find(STATE_PREFIX)
    if start < 0:
        return None
    start += len(STATE_PREFIX)
    end = body.find(STATE_SUFFIX, start, start + MAX_STATE_CHARS + len(STATE_SUFFIX))
    if end < 0:
        return None
    try:
        data = json.loads(body[start:end])
    except (ValueError, RecursionError):
        return None
    return _validated(data)


def _validated(data: Any) -> PlanState | None:
    from .remediations import APPROVAL, REGISTRY

    if not isinstance(data, dict) or set(data) != _KEYS or data.get("v") != VERSION:
        return None
    ints = (("run", 1, _MAX_ID), ("attempt", 1, 10_000), ("workflow", 0, _MAX_ID), ("issue", 1, _MAX_ID))
    if not all(_int(data[k], lo, hi) for k, lo, hi in ints):
        return None
    if not (_int(data["expires"], 0, 2**40) and _int(data["at"], 0, 2**40)):
        return None
    if data["state"] not in STATES or not isinstance(data["by"], str) or (data["by"] and not _LOGIN.match(data["by"])):
        return None
    if not isinstance(data["signature"], str) or not _SIGNATURE.match(data["signature"]):
        return None
    raw = data["steps"]
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_STEPS:
        return None
    steps: list[Step] = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 3):
            return None
        action, key, jobs = item
        if action not in REGISTRY or action == APPROVAL.name or not isinstance(key, str) or not _KEY.match(key):
            return None
        if not key.startswith(f"{action}:"):
            return None
        if not isinstance(jobs, list) or len(jobs) > 100 or not all(_int(j, 1, _MAX_ID) for j in jobs):
            return None
        steps.append((action, key, tuple(jobs)))
    plan = PlanState(
        run=data["run"],
        attempt=data["attempt"],
        workflow=data["workflow"],
        steps=tuple(steps),
        signature=data["signature"],
        issue=data["issue"],
        expires=data["expires"],
        state=data["state"],
        by=data["by"],
        at=data["at"],
    )
    return plan if data["digest"] == plan.digest else None


def _when(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _status_line(plan: PlanState) -> str:
    if plan.state == "pending":
        return (
            f"**Waiting for approval** until {_when(plan.expires)}. Someone with write access comments "
            f"`/heal approve` to carry it out, or `/heal reject`."
        )
    who = f" by @{plan.by}" if plan.by else ""
    words = {
        "approved": f"✅ **Approved**{who} at {_when(plan.at)}.",
        "rejected": f"🚫 **Rejected**{who} at {_when(plan.at)}: nothing was done.",
        "expired": f"⌛ **Expired** at {_when(plan.expires)}: nothing was done; the next failure plans again.",
        "superseded": "⏭️ **Superseded**: the run has a newer attempt or a newer run; nothing was done.",
    }
    return words[plan.state]


def render(plan: PlanState, body: str) -> str:
    """The plan comment: its markers, its state, the status line, then ``body`` (the plan in words)."""
    head = f"{plan_marker(plan.run, plan.attempt)}\n{plan.comment()}\n"
    return f"{head}### 🩺 Plan awaiting approval\n\n{_status_line(plan)}\n\n{BODY_MARK}\n{body}"


def _plan_body(ex: Executor, step: PlannedStep) -> str:
    lines = [
        f"Run [{md_text(ex.run.name)} {ex.run.id}]({md_url(ex.run.html_url)}), attempt {ex.run.attempt}"
        + (f" on {md_code(ex.run.head_branch)}" if ex.run.head_branch else "")
        + ". The guard does not carry out a high-risk remediation on its own:",
        "",
    ]
    for action, key, jobs in step.pending:
        names = ", ".join(md_text(ex._job(j).name) for j in jobs)
        lines.append(f"- {md_code(action)} for {names} ({md_code(key)})")
    lines += ["", f"Why: {md_prose(step.reason)}", ""]
    lines.append(
        "Approving carries out only these steps, and only if a fresh diagnosis of this run attempt "
        "plans them again. `/heal approve <run-id>` names the run when several plans wait here."
    )
    return "\n".join(lines) + "\n"


def post_plan(ex: Executor, step: PlannedStep, now: Callable[[], float] = time.time) -> Outcome:
    """Post (or keep) the plan of this run attempt where people can approve it."""
    target = ex.pull_request
    if target is None:
        found = ex.provider.find_issue(issue_marker(step.signature), ex.config.escalation.labels)
        target = found[0] if found else None
    if target is None:
        return ex._outcome(
            step,
            "failed",
            "no pull request and no escalation issue to post the plan on (turn escalation.on_high_risk on)",
        )
    marker = plan_marker(ex.run.id, ex.run.attempt)
    earlier = [read_plan(b) for _, b, _ in ex.provider.own_comments(target, marker)]
    known = next((p for p in earlier if p is not None), None)
    if known is not None and known.state != "pending":
        return ex._outcome(step, "skipped", f"the plan of this run attempt was {known.state} already; left as it is")
    expires = known.expires if known else int(now()) + ex.config.approvals.expires_hours * 3600
    plan = PlanState(
        run=ex.run.id,
        attempt=ex.run.attempt,
        workflow=ex.run.workflow_id,
        steps=step.pending,
        signature=step.signature if _SIGNATURE.match(step.signature) else "",
        issue=target,
        expires=expires,
    )
    posted = ex.provider.upsert_comment(target, marker, ex.redact.known(render(plan, _plan_body(ex, step))))
    waiting = ", ".join(a for a, _, _ in step.pending)
    ex.results.decision(
        Decision(
            "waiting", f"{waiting} waits for /heal approve until {_when(expires)}", key=step.key, target=posted.html_url
        )
    )
    return ex._outcome(step, "done", f"posted the plan on #{target}; {waiting} waits for approval", posted.html_url)


# -- approval mode ------------------------------------------------------------------------------------


@dataclass
class _Thread:
    """Where the command was given, and how the guard answers there."""

    provider: Provider
    event: CommentEvent
    out: ResultBuilder

    def decide(self, kind: str, detail: str, *, by: str = "", key: str = "", target: str = "") -> None:
        self.out.decision(Decision(kind, detail, by=by, key=key, target=target))
        self.out.note(detail)

    def reply(self, text: str) -> None:
        body = f"{reply_marker(self.event.comment_id)}\n{text}\n"
        try:
            self.provider.upsert_comment(self.event.issue_number, reply_marker(self.event.comment_id), body)
        except Exception as exc:  # the decision stands; only the answer in the thread is missing
            self.out.error(f"could not reply on #{self.event.issue_number}: {exc}")


def approve(guard: PipelineGuard, now: Callable[[], float] = time.time) -> GuardResult:
    """Act on the ``/heal`` command of the comment event (``mode: approve``)."""
    out = ResultBuilder("approve", dry_run=guard.dry_run)
    event = guard.settings.comment
    if event is None:  # Settings refuses approval mode without a comment event
        out.error("approval mode needs an issue_comment event")
        return out.build()
    why = ignored(event)
    command = find_command(event.body) if why is None else None
    if why is None and command is None:
        why = "the comment holds no /heal approve or /heal reject line (outside quotes and code)"
    if why is not None or command is None:
        out.note(f"comment {event.comment_id} ignored: {why}")
        out.decision(Decision("ignored", why or "", by=event.author))
        return out.build()
    if guard.dry_run:
        out.note(
            f"dry run: /heal {command.verb} by {event.author} was read; nothing was checked, changed or carried out"
        )
        out.decision(Decision("dry run", f"/heal {command.verb} not acted on (dry run)", by=event.author))
        return out.build()
    thread = _Thread(guard.provider, event, out)
    started = time.monotonic()
    try:
        _decide(guard, thread, command, now)
    except HealingGuardError as exc:  # recorded with whatever was decided before it
        out.error(str(exc))
    except Exception as exc:  # a bug or a malformed answer
        out.error(f"internal error: {type(exc).__name__}: {exc}")
    decided = out.build().run
    if decided is not None:  # an approved plan was carried out: the trail keeps who approved what
        guard.remember(out, decided, started)
    return out.build()


def _decide(guard: PipelineGuard, thread: _Thread, command: Command, now: Callable[[], float]) -> None:
    provider, event, who = guard.provider, thread.event, thread.event.author
    verb = command.verb
    role = provider.collaborator_permission(who)
    if role not in APPROVERS:
        thread.decide("refused", f"/heal {verb} by {who}, whose permission is {role}: write access is needed", by=who)
        thread.reply(f"@{who} `/heal {verb}` needs write access to this repository; nothing was done.")
        return
    plans = [(cid, read_plan(body), url) for cid, body, url in provider.own_comments(event.issue_number, PLAN_MARKER)]
    valid = [(cid, p, url) for cid, p, url in plans if p is not None and p.issue == event.issue_number]
    if command.run_id is not None:
        valid = [(cid, p, url) for cid, p, url in valid if p.run == command.run_id]
    if not valid:
        forged = "" if plans else " (comments by anyone but the guard are not plans)"
        thread.decide("no plan", f"/heal {verb} by {who}: no plan of the guard's waits here{forged}", by=who)
        thread.reply(f"`/heal {verb}`: there is no plan of the guard's here to {verb}{forged}; nothing was done.")
        return
    _, plan, url = max(valid, key=lambda v: v[0])
    assert plan is not None
    key = f"approval:{plan.run}/{plan.attempt}"
    if plan.state != "pending":
        by = f" by {plan.by}" if plan.by else ""
        detail = f"/heal {verb} by {who}: the plan was {plan.state}{by} already; nothing was done again"
        thread.decide(f"already {plan.state}", detail, by=who, key=key, target=url)
        thread.reply(f"`/heal {verb}`: this plan was {plan.state}{by} already; nothing was done again.")
        return
    moment = int(now())

    def save(state: str, by: str = "") -> PlanState:
        decided = plan.decided(state, by, moment)
        body = provider.own_comments(event.issue_number, plan_marker(plan.run, plan.attempt))
        text = body[0][1] if body else ""
        rest = text.split(BODY_MARK, 1)[1].lstrip("\n") if BODY_MARK in text else ""
        provider.upsert_comment(event.issue_number, plan_marker(plan.run, plan.attempt), render(decided, rest))
        return decided

    if moment >= plan.expires:
        save("expired")
        thread.decide("expired", f"/heal {verb} by {who}: the plan expired at {_when(plan.expires)}", by=who, key=key)
        thread.reply(f"`/heal {verb}`: this plan expired at {_when(plan.expires)}; nothing was done.")
        return
    if verb == "reject":
        save("rejected", who)
        thread.decide("rejected", f"rejected by {who}: nothing of the plan was done", by=who, key=key, target=url)
        thread.reply(f"Rejected by @{who}: nothing of the plan was done.")
        return
    run = provider.get_run(plan.run)
    stale = _stale(provider, run, plan)
    if stale:
        save("superseded")
        thread.decide("superseded", f"/heal approve by {who}: {stale}; nothing was done", by=who, key=key)
        thread.reply(f"`/heal approve`: {stale}; nothing was done. The guard plans the newer run on its own.")
        return
    save("approved", who)  # claimed before acting: a second approval finds it decided
    thread.decide(
        "approved", f"approved by {who}: {', '.join(a for a, _, _ in plan.steps)}", by=who, key=key, target=url
    )
    if not run.repository:
        run = replace(run, repository=guard.settings.repository)
    thread.out.set_run(run)
    guard.heal_approved(thread.out, run, plan.attempt, plan.keys)
    done = [o for o in thread.out.build().outcomes if o.key in plan.keys]
    lines = [f"- {md_code(o.action)}: {md_text(o.status)}: {md_prose(o.detail)}" for o in done]
    missing = sorted(plan.keys - {o.key for o in done})
    if missing:
        lines.append(f"- not planned again by a fresh diagnosis, so not done: {', '.join(md_code(k) for k in missing)}")
    thread.reply(f"Approved by @{who}. What the guard did:\n\n" + "\n".join(lines))


def _stale(provider: Provider, run: RunInfo, plan: PlanState) -> str:
    """Why the plan's run attempt is no longer the one to act on ("" when it still is)."""
    if run.attempt != plan.attempt:
        return f"run {run.id} is at attempt {run.attempt} now, the plan was for attempt {plan.attempt}"
    if run.status != "completed":
        return f"run {run.id} is {run.status} again"
    if run.head_sha:
        for other in provider.runs_for_head(run.head_sha):
            same = other.workflow_id == run.workflow_id if run.workflow_id else other.name == run.name
            if same and other.id > run.id:
                return f"a newer run {other.id} of the same workflow ran for the same commit"
    return ""
