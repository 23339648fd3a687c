"""Microsoft Teams: an Adaptive Card, as a Teams workflow ("Post to a channel when a webhook request
is received") takes it: ``{"type": "message", "attachments": [{contentType, content}]}``.

Only ``TextBlock`` and ``FactSet`` carry text, and every text went through ``event.cleaned``; the
guard's own links are ``Action.OpenUrl`` buttons. A workflow answers 202 Accepted.
"""

from __future__ import annotations

import json
from typing import Any

from .event import Event

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(event: Event) -> dict[str, Any]:
    facts = event.facts
    links = event.all_links
    return {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": event.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "FactSet", "facts": [{"title": k, "value": v or "-"} for k, v in facts]},
            {"type": "TextBlock", "text": f"Root line: {event.root_line}", "wrap": True, "fontType": "Monospace"},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": title, "url": url} for title, url in links if url],
    }


def payload(event: Event) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(event)}
        ],
    }


def request(event: Event) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), ensure_ascii=False).encode("utf-8")
    return body, {"Content-Type": "application/json; charset=utf-8"}
