"""PagerDuty Events API v2: ``trigger`` an alert deduplicated by the failure signature, ``resolve``
it when the workflow is green again.

PagerDuty answers 202 ``{"status": "success", "dedup_key": ...}``; 400 for an invalid event
(a wrong routing key), 429 when throttled. A resolve for a key with no open alert is accepted
and does nothing, so resolving twice is harmless.
"""

from __future__ import annotations

import json
from typing import Any

from .event import Event

SOURCE = "self-healing-pipeline-guard"
MAX_SUMMARY = 1024  # PagerDuty's limit for payload.summary


def dedup_key(signature: str) -> str:
    return f"healing-guard-{signature}"


def trigger(event: Event, routing_key: str, severity: str) -> dict[str, Any]:
    links = [{"href": u, "text": t} for t, u in (("Run", event.run_url), ("Job", event.job_url), *event.links) if u]
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key(event.signature),
        "payload": {
            "summary": f"{event.title}: {event.root_line}"[:MAX_SUMMARY],
            "source": event.repository or SOURCE,
            "severity": severity,
            "component": event.workflow,
            "group": event.branch,
            "class": event.category,
            "custom_details": event.to_dict(),
        },
        "client": "Self-Healing Pipeline Guard",
        "client_url": event.run_url,
        "links": links,
    }


def resolve(signature: str, routing_key: str) -> dict[str, Any]:
    return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(signature)}


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
