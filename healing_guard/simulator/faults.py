"""Fault injection: make chosen requests fail the way GitHub fails.

A ``Fault`` matches requests by method (``"*"`` for any) and a regular expression searched in
the decoded path (``re.search``).  It lets ``skip`` matching requests through, then answers
the next ``times`` of them with ``status`` (``times=None``: for ever).  Its body defaults to
GitHub's error document for that status; ``body`` may replace it with any JSON value, or with
``str``/``bytes`` sent as they are.  Faults are checked before authentication, in the order
they were added; the first one that fires answers.

``rate_limit_fault`` builds GitHub's two rate-limit answers:

* primary: 403 (or 429) ``API rate limit exceeded for installation ID <n>.`` with
  ``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset`` a few seconds ahead;
* secondary: 403 (or 429) ``You have exceeded a secondary rate limit...`` with
  ``retry-after`` (1 s by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from healing_guard.simulator.protocol import RATE_LIMIT_DOCS

PRIMARY_RATE_LIMIT_MESSAGE = (
    "API rate limit exceeded for installation ID 12345678. If you reach out to GitHub Support for help, "
    "please include the request ID {request_id} and timestamp {timestamp}."
)
SECONDARY_RATE_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
    "reach out to GitHub Support for help, please include the request ID {request_id} and timestamp "
    "{timestamp}."
)


@dataclass
class Fault:
    """One injected failure; ``hits`` counts the requests it answered."""

    method: str
    pattern: re.Pattern[str]
    status: int
    times: int | None = 1
    skip: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    #: ``"primary"``/``"secondary"`` for rate-limit faults (their headers are filled per request).
    rate_limit: str | None = None
    retry_after: int | None = None
    reset_in: int = 2
    seen: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault is about ``method path`` (regardless of skip/times)."""
        return (self.method == "*" or self.method.upper() == method) and bool(self.pattern.search(path))

    def fire(self) -> bool:
        """Count one matching request; ``True`` when this one must fail."""
        self.seen += 1
        if self.seen <= self.skip:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True

    @property
    def exhausted(self) -> bool:
        """No more failures to give."""
        return self.times is not None and self.hits >= self.times


def make_fault(
    method: str,
    path_regex: str,
    status: int,
    *,
    times: int | None = 1,
    skip: int = 0,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> Fault:
    """A plain fault (see the module docstring)."""
    return Fault(method, re.compile(path_regex), status, times, skip, dict(headers or {}), body)


def rate_limit_fault(
    method: str,
    path_regex: str,
    *,
    kind: str = "primary",
    status: int = 403,
    times: int | None = 1,
    skip: int = 0,
    retry_after: int | None = 1,
    reset_in: int = 2,
) -> Fault:
    """A primary or secondary rate-limit answer (see the module docstring)."""
    if kind not in ("primary", "secondary"):
        raise ValueError(f"kind must be 'primary' or 'secondary', not {kind!r}")
    fault = make_fault(method, path_regex, status, times=times, skip=skip)
    fault.rate_limit = kind
    fault.retry_after = retry_after if kind == "secondary" else None
    fault.reset_in = reset_in
    return fault


def rate_limit_body(kind: str, request_id: str, timestamp: str) -> dict[str, Any]:
    """GitHub's body for a rate-limited request."""
    template = PRIMARY_RATE_LIMIT_MESSAGE if kind == "primary" else SECONDARY_RATE_LIMIT_MESSAGE
    return {
        "message": template.format(request_id=request_id, timestamp=timestamp),
        "documentation_url": RATE_LIMIT_DOCS,
    }
