"""Jira: one issue per failure signature, found again by a label (``healing-guard-<signature>``)
with a JQL search, created through the REST API (v2: text description; v3: Atlassian Document
Format), basic auth with a user and an API token.

``GET {site}/rest/api/{v}/search?jql=...`` answers ``{"issues": [{"key": ...}]}``;
``POST {site}/rest/api/{v}/issue`` answers 201 ``{"id", "key", "self"}``.
"""

from __future__ import annotations

import json
from typing import Any

from .event import Event


def label(signature: str) -> str:
    return f"healing-guard-{signature}"


def search_jql(project: str, signature: str) -> str:
    return f'project = "{project}" AND labels = "{label(signature)}" AND statusCategory != Done'


def _description(event: Event) -> str:
    lines = [
        f"Repository: {event.repository}",
        f"Branch: {event.branch}",
        f"Run: {event.workflow} #{event.run_id} (attempt {event.attempt}) {event.run_url}",
        f"Job: {event.job} {event.job_url}",
        f"Category: {event.category}, risk {event.risk}, strategy {event.strategy}",
        f"Root line: {event.root_line}",
        f"Guard action: {event.action}: {event.status}",
        f"Signature: {event.signature}",
    ]
    # wiki markup ([~mention], [text|url], {macro}) has no effect once its brackets are gone
    return "\n".join(lines).translate(_NO_MARKUP)


_NO_MARKUP = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})


def _adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": line}]} for line in text.splitlines()],
    }


def issue(event: Event, project: str, issue_type: str, api_version: int) -> dict[str, Any]:
    description = _description(event)
    return {
        "fields": {
            "project": {"key": project},
            "summary": event.title[:250],
            "issuetype": {"name": issue_type},
            "labels": ["healing-guard", label(event.signature)],
            "description": _adf(description) if api_version >= 3 else description,
        }
    }


def body(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")
