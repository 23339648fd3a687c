"""What the fake server saw: one ``RecordedRequest`` per HTTP request, in arrival order.

A record holds the request (method, decoded path, query as a ``dict`` of last values,
lower-cased headers, parsed JSON body, or the raw text when it was not JSON) and the answer
(status, parsed JSON body or ``None``, headers, and the OpenAPI ``operation`` id of the route
the path matched, even when a fault, a 401 or a rate limit answered first; ``None`` for
unknown routes and for ``/_blobs/`` and ``/_raw/`` downloads).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Methods that change nothing on GitHub.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RecordedRequest:
    """One request and the answer it got."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: Any
    status: int
    response: Any
    response_headers: Mapping[str, str]
    operation: str | None
    at: float

    @property
    def is_write(self) -> bool:
        """A request that could change state: anything but GET/HEAD/OPTIONS and GraphQL queries
        (a ``POST /graphql`` is a write only when it sends a ``mutation``)."""
        if self.method == "POST" and self.path == "/graphql":
            query = self.body.get("query") if isinstance(self.body, dict) else None
            return not isinstance(query, str) or query.lstrip().startswith("mutation")
        return self.method not in SAFE_METHODS

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` header it carried, if any."""
        return self.headers.get("authorization")
