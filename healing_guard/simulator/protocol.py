"""HTTP-level building blocks shared by the routes: responses, errors, pagination.

* ``Response`` is what a route returns (JSON ``body`` or ``raw`` bytes, status, headers).
* ``ApiError`` is raised by routes; the dispatcher turns it into GitHub's error body
  ``{"message", "documentation_url", "status": "<code>"}`` (plus ``errors`` for 422s).
* ``paginate`` slices a list by ``per_page`` (default 30, at most 100) and ``page`` and builds
  the ``Link`` header GitHub sends (``prev``, ``next``, ``last``, ``first``; none for one page).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
DOCS_ROOT = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

REASONS: dict[int, str] = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that. Please try resubmitting "
    "your request and contact us if the problem persists.",
}

T = TypeVar("T")


@dataclass
class Response:
    """One HTTP answer.  ``body`` is JSON (``None`` = no body); ``raw`` wins when set."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = JSON_CONTENT_TYPE
    #: Send the payload slowly: ``(bytes per write, seconds between writes)``.
    drip: tuple[int, float] | None = None

    def payload(self) -> bytes:
        """The bytes sent on the wire."""
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


class ApiError(Exception):
    """A GitHub error answer raised from inside a route."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        documentation_url: str | None = None,
    ) -> None:
        super().__init__(message or REASONS.get(status, "Error"))
        self.status = status
        self.message = message or REASONS.get(status, "Error")
        self.errors = errors
        self.headers = dict(headers or {})
        self.documentation_url = documentation_url


def error_body(
    status: int, message: str, documentation_url: str, errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """GitHub's JSON error document."""
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = errors
    body["documentation_url"] = documentation_url
    body["status"] = str(status)
    return body


def not_found() -> ApiError:
    """The plain 404 GitHub gives for anything missing or hidden."""
    return ApiError(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "invalid", message: str | None = None) -> ApiError:
    """A 422 "Validation Failed" naming one field."""
    error: dict[str, Any] = {"resource": resource, "field": field_name, "code": code}
    if message:
        error["message"] = message
    return ApiError(422, "Validation Failed", errors=[error])


def custom_invalid(resource: str, message: str, field_name: str | None = None) -> ApiError:
    """A 422 "Validation Failed" with a ``custom`` error message."""
    error: dict[str, Any] = {"resource": resource, "code": "custom", "message": message}
    if field_name:
        error["field"] = field_name
    return ApiError(422, "Validation Failed", errors=[error])


def missing_field(name: str) -> ApiError:
    """The 422 GitHub gives when a required body field is absent."""
    return ApiError(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')


def int_param(query: Mapping[str, str], name: str, default: int) -> int:
    """An integer query parameter (the default when absent or not a number)."""
    try:
        return int(query[name])
    except (KeyError, ValueError):
        return default


def paginate(items: Sequence[T], query: Mapping[str, str], page_url: str) -> tuple[list[T], dict[str, str]]:
    """The page the query asks for, and the ``Link`` header for the others.

    ``page_url`` is the absolute URL of the list without a query string."""
    per_page = min(max(int_param(query, "per_page", 30), 1), 100)
    page = max(int_param(query, "page", 1), 1)
    last = max(1, -(-len(items) // per_page))
    chunk = list(items[(page - 1) * per_page : page * per_page])

    def link(number: int) -> str:
        params = {k: v for k, v in query.items() if k != "page"}
        params["page"] = str(number)
        return f"{page_url}?{urlencode(params)}"

    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    headers = {"Link": ", ".join(f'<{link(n)}>; rel="{rel}"' for rel, n in rels)} if rels else {}
    return chunk, headers
