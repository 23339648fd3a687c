"""The executor's side of notifications and incidents: what to tell (an ``Event`` built from the
result), and what became of it (outcomes, decisions, errors). The sending is ``notify/``'s.

An incident that PagerDuty holds is remembered on the signature's escalation issue by a hidden
marker naming the workflow and a hash of the branch; when that workflow is green again on that
branch, :func:`resolve_incidents` finds those issues with one listing, resolves their alerts and
takes the marker away. Nothing else is read or written on a green run.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from .markers import issue_marker
from .notify import Delivery, Event, Integrations, describe
from .provider import Provider, RunInfo
from .results import Decision, JobResult, Outcome, ResultBuilder

if TYPE_CHECKING:
    from .executor import Executor
    from .remediations import PlannedStep

_SIGNATURE = re.compile(r"<!-- healing-guard:signature=([A-Za-z0-9_.:-]{1,80}) -->")


def incident_marker(run: RunInfo) -> str:
    """The hidden marker of an open PagerDuty incident for the run's workflow and branch."""
    branch = hashlib.sha256(run.head_branch.encode("utf-8", "replace")).hexdigest()[:12]
    return f"<!-- healing-guard:incident workflow={run.workflow_id or 0} branch={branch} -->"


def event_for(ex: Executor, r: JobResult, step: PlannedStep) -> Event:
    """What the notification says about job ``r``: guard-made facts, and what was done so far."""
    res = ex.results.build()
    decision = r.decision
    action = decision.action if decision else "none"
    done = [o for o in res.outcomes if o.action == action]
    if decision is not None and decision.pending:
        status = f"{decision.pending} waits for approval"
    elif done:
        status = f"{done[-1].status}: {done[-1].detail}"
    else:
        status = decision.reason if decision else "reported"
    links = tuple((o.action, o.url) for o in res.outcomes if o.url and o.url != ex.run.html_url)
    root = r.diagnosis.root_line
    return Event(
        repository=ex.run.repository,
        branch=ex.run.head_branch,
        workflow=ex.run.name,
        run_id=ex.run.id,
        attempt=ex.run.attempt,
        run_url=ex.run.html_url,
        job=r.name,
        job_url=r.url,
        category=r.diagnosis.category,
        risk=(decision.risk if decision and decision.risk else r.diagnosis.risk),
        strategy=r.diagnosis.strategy,
        root_line=root.text if root else "",
        action=action,
        status=status,
        signature=r.diagnosis.signature,
        key=step.key,
        links=links,
    )


def _record(ex: Executor, step: PlannedStep, deliveries: list[Delivery], ok: str, failed: str) -> Outcome:
    for d in deliveries:
        ex.results.decision(Decision(ok if d.ok else failed, d.detail, key=step.key, target=d.target))
        if not d.ok:
            ex.results.error(f"{failed}: {d.detail} (the other channels and the healing went on)")
    status = "done" if any(d.ok for d in deliveries) else "failed"
    url = next((d.url for d in deliveries if d.ok and d.url), "")
    return ex._outcome(step, status, describe(deliveries), url)


def notify_step(ex: Executor, step: PlannedStep) -> Outcome:
    integrations = ex.integrations
    if integrations is None or not integrations.channels:
        return ex._outcome(step, "skipped", "no notification channel is configured (notifications in the config)")
    r = ex._job(step.jobs[0])
    event = event_for(ex, r, step)
    if not integrations.wanted(event):
        return ex._outcome(
            step,
            "skipped",
            f"no channel's filters take risk {event.risk}, category {event.category} on this branch",
        )
    return _record(ex, step, integrations.notify(event), "notified", "failed to notify")


def incident_step(ex: Executor, step: PlannedStep) -> Outcome:
    integrations = ex.integrations
    if integrations is None or not integrations.incidents.configured:
        return ex._outcome(step, "skipped", "no incident service is configured (incidents in the config)")
    r = ex._job(step.jobs[0])
    deliveries = integrations.trigger(event_for(ex, r, step))
    outcome = _record(ex, step, deliveries, "incident opened", "failed to open an incident")
    if integrations.incidents.pagerduty is not None and any(
        d.ok and d.target.startswith("pagerduty") for d in deliveries
    ):
        _remember(ex, r.diagnosis.signature)
    return outcome


def _remember(ex: Executor, signature: str) -> None:
    """Mark the signature's escalation issue with the incident's workflow and branch."""
    marker = incident_marker(ex.run)
    try:
        found = ex.provider.find_issue(issue_marker(signature), ex.config.escalation.labels)
        if found is not None and marker not in found[1]:
            ex.provider.set_issue_body(found[0], found[1].rstrip("\n") + "\n" + marker + "\n")
        elif found is None:
            ex.results.note(
                "the PagerDuty incident is not resolved automatically: no escalation issue of the guard's holds it "
                "(keep escalation on, or resolve it in PagerDuty)"
            )
    except Exception as exc:  # the incident is open; only its automatic resolution is lost
        ex.results.error(ex.redact(f"could not record the incident on its escalation issue: {exc}"))


def resolve_incidents(
    provider: Provider, integrations: Integrations, run: RunInfo, labels: tuple[str, ...], out: ResultBuilder
) -> None:
    """The workflow is green on this branch: resolve the incidents the guard opened for it."""
    if integrations.incidents.pagerduty is None:
        return
    marker = incident_marker(run)
    try:
        issues = provider.own_issues(marker, labels)
    except Exception as exc:
        out.error(f"could not look for open incidents: {exc}")
        return
    for number, body in issues:
        m = _SIGNATURE.search(body)
        if m is None:
            continue
        deliveries = integrations.resolve([m.group(1)])
        for d in deliveries:
            out.decision(
                Decision("incident resolved" if d.ok else "failed to resolve an incident", d.detail, target=d.target)
            )
            if not d.ok:
                out.error(f"failed to resolve an incident: {d.detail}")
        if deliveries and all(d.ok for d in deliveries):
            try:
                provider.set_issue_body(number, body.replace(marker, "").rstrip("\n") + "\n")
            except Exception as exc:
                out.error(f"the incident was resolved, but issue #{number} still marks it: {exc}")
