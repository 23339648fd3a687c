"""Slack incoming webhook: a Block Kit message (header, fields, the root line, links).

Every text went through ``event.cleaned`` (no ``<!channel>``, no ``<url|text>``, no mention); the
blocks use ``plain_text`` where Slack allows it and ``mrkdwn`` only for the guard's own links.
Slack answers 200 ``ok``; 400/403/404/410 name a bad payload or a revoked webhook.
"""

from __future__ import annotations

import json
from typing import Any

from .event import Event

#: Slack's limit for one section's text.
MAX_SECTION = 3000


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text or "-", "emoji": False}


def payload(event: Event) -> dict[str, Any]:
    fields = event.facts
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(event.title[:150])},
        {"type": "section", "fields": [_plain(f"{name}: {value}") for name, value in fields]},
        {"type": "section", "text": _plain(f"Root line: {event.root_line}"[:MAX_SECTION])},
    ]
    links = event.all_links
    shown = [f"<{url}|{title}>" for title, url in links if url]
    if shown:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(shown)}]})
    return {"text": event.title, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def request(event: Event) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), ensure_ascii=False).encode("utf-8")
    return body, {"Content-Type": "application/json; charset=utf-8"}
