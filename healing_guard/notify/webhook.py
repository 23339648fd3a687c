"""A generic JSON webhook, signed: ``X-Healing-Guard-Signature: sha256=<hex>``, the HMAC-SHA256 of
the raw body with the key from the channel's ``secret_env`` (as GitHub signs its own webhooks, so
receivers can reuse their check). ``X-Healing-Guard-Delivery`` carries the idempotency key.

Receiver side::

    expected = "sha256=" + hmac.new(key, raw_body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, request.headers["X-Healing-Guard-Signature"])
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from .event import Event

SIGNATURE_HEADER = "X-Healing-Guard-Signature"
DELIVERY_HEADER = "X-Healing-Guard-Delivery"
EVENT_HEADER = "X-Healing-Guard-Event"
VERSION = 1


def sign(body: bytes, key: str) -> str:
    return "sha256=" + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def payload(event: Event) -> dict[str, Any]:
    return {"version": VERSION, "event": "ci_failure", "title": event.title, **event.to_dict()}


def request(event: Event, key: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        DELIVERY_HEADER: event.key,
        EVENT_HEADER: "ci_failure",
    }
    if key:
        headers[SIGNATURE_HEADER] = sign(body, key)
    return body, headers
