"""The request pipeline: one HTTP request in, one ``Response`` out, every request recorded.

Order of checks (the first that answers wins), all under the state lock:

1. injected faults (``faults.py``; they apply to downloads too);
2. ``/_blobs/<token>`` (pre-signed log downloads: no token needed; 404 unknown, 403 expired)
   and ``/_raw/<owner>/<repo>/<ref>/<path>`` (file ``download_url``s);
3. authentication: ``Authorization: token|Bearer <token>`` must carry the server's token,
   else 401 ``Bad credentials``;
4. the primary rate limit (``rate_limit`` requests per hour; then 403 "API rate limit
   exceeded for installation ID ...");
5. a body that is not JSON: 400 ``Problems parsing JSON``;
6. routing: unknown path, unsupported method or another repository: 404 ``Not Found``
   (``POST /graphql`` is answered here: see ``graphql``);
7. the route's permission: 403 ``Resource not accessible by integration``;
8. the route handler (``routes_actions.py``, ``routes_repo.py``, ``routes_git.py``).

API answers carry ``content-type: application/json; charset=utf-8``, the
``x-ratelimit-limit/remaining/used/reset/resource`` headers, ``x-github-request-id``,
``x-github-media-type`` and ``x-github-api-version-selected``.  Blob downloads are storage
answers and carry none of these.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from healing_guard.simulator import routes_actions, routes_git, routes_repo
from healing_guard.simulator.faults import Fault, rate_limit_body
from healing_guard.simulator.objects import Renderer
from healing_guard.simulator.protocol import (
    DOCS_ROOT,
    JSON_CONTENT_TYPE,
    REASONS,
    ApiError,
    Response,
    error_body,
)
from healing_guard.simulator.recording import RecordedRequest
from healing_guard.simulator.records import BlobFetch
from healing_guard.simulator.routing import Request, Route, RouteTable, grants, permission_error
from healing_guard.simulator.state import SimState

_EXPIRED_BLOB = (
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed '
    "to authenticate the request. Make sure the value of Authorization header is formed correctly "
    "including the signature.</Message><AuthenticationErrorDetail>Signed expiry time has passed"
    "</AuthenticationErrorDetail></Error>"
)
_MISSING_BLOB = (
    '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code><Message>The specified blob '
    "does not exist.</Message></Error>"
)


def build_routes() -> RouteTable:
    """Every implemented operation."""
    table = RouteTable()
    table.extend(routes_actions.routes)
    table.extend(routes_repo.routes)
    table.extend(routes_git.routes)
    return table


class Dispatcher:
    """Answers requests for one ``SimState``; ``base`` is the server's own URL."""

    def __init__(self, state: SimState, base: str) -> None:
        self.state = state
        self.render = Renderer(state, base)
        self.routes = build_routes()
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        #: Tracebacks of exceptions raised by handlers (the server answered 500).
        self.errors: list[str] = []

    # ----------------------------------------------------------------- entry point

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw_body: bytes) -> Response:
        """Answer ``method target`` and record the exchange."""
        method = method.upper()
        headers = {k.lower(): v for k, v in headers.items()}
        split = urlsplit(target)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        body, body_ok = _parse_json(raw_body)
        with self.state.lock:
            found = self.routes.match(method, split.path)
            response, api = self._respond(method, split.path, path, query, headers, body, body_ok, found)
            if api:
                response.headers = {**self._standard_headers(), **response.headers}
            response.headers.setdefault("content-type", response.content_type)
            self.requests.append(
                RecordedRequest(
                    method=method,
                    path=path,
                    query=query,
                    headers=headers,
                    body=body if body_ok else raw_body.decode("utf-8", "replace"),
                    status=response.status,
                    response=response.body if response.raw is None else None,
                    response_headers=dict(response.headers),
                    operation=found[0].operation_id if found else None,
                    at=self.state.epoch(),
                )
            )
            return response

    # ----------------------------------------------------------------- pipeline

    def _respond(
        self,
        method: str,
        raw_path: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        body_ok: bool,
        found: tuple[Route, dict[str, str]] | None,
    ) -> tuple[Response, bool]:
        route = found[0] if found else None
        doc = route.documentation_url if route else DOCS_ROOT
        storage = path.startswith(("/_blobs/", "/_raw/"))
        fault = next((f for f in self.faults if f.matches(method, path) and f.fire()), None)
        if fault is not None:
            return self._fault_response(fault, doc), not storage
        if path.startswith("/_blobs/") and method == "GET":
            return self._blob(path.removeprefix("/_blobs/"), headers), False
        if path.startswith("/_raw/") and method == "GET":
            return self._raw(path.removeprefix("/_raw/")), False
        if not self._authenticated(headers):
            return _error(ApiError(401, "Bad credentials"), DOCS_ROOT), True
        if not self.state.consume_quota():
            return self._primary_limit(), True
        if not body_ok:
            return _error(ApiError(400, "Problems parsing JSON"), doc), True
        if found is None or route is None:
            if method == "POST" and path == GRAPHQL_PATH:
                return Response(200, graphql(self.state, body)), True
            return _error(ApiError(404, "Not Found"), DOCS_ROOT), True
        params = {name: unquote(value) for name, value in found[1].items()}
        owner, repo = params.get("owner", ""), params.get("repo", "")
        scoped = "{owner}" in route.template
        if scoped and (owner.lower(), repo.lower()) != (self.state.owner.lower(), self.state.repo.lower()):
            return _error(ApiError(404, "Not Found"), doc), True
        if route.permission and not grants(self.state.permissions, *route.permission):
            return _error(permission_error((route.permission,)), doc), True
        request = Request(method, raw_path, params, query, body, headers, self.state, self.render, route)
        try:
            return route.handler(request), True
        except ApiError as exc:
            return _error(exc, doc), True

    def _authenticated(self, headers: Mapping[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").strip().partition(" ")
        return scheme.lower() in ("token", "bearer") and token.strip() == self.state.token

    def _standard_headers(self) -> dict[str, str]:
        state = self.state
        return {
            "x-ratelimit-limit": str(state.rate_limit),
            "x-ratelimit-remaining": str(max(state.rate_limit - state.rate_used, 0)),
            "x-ratelimit-reset": str(state.rate_reset),
            "x-ratelimit-used": str(state.rate_used),
            "x-ratelimit-resource": "core",
            "x-github-request-id": _request_id(),
            "x-github-media-type": "github.v3; format=json",
            "x-github-api-version-selected": "2022-11-28",
            "x-content-type-options": "nosniff",
        }

    def _primary_limit(self) -> Response:
        body = rate_limit_body("primary", _request_id(), _timestamp())
        body["status"] = "403"
        return Response(403, body, {"x-ratelimit-remaining": "0"})

    def _fault_response(self, fault: Fault, doc: str) -> Response:
        headers: dict[str, str] = {}
        if fault.rate_limit:
            body: Any = rate_limit_body(fault.rate_limit, _request_id(), _timestamp())
            body["status"] = str(fault.status)
            if fault.rate_limit == "primary":
                headers["x-ratelimit-remaining"] = "0"
                headers["x-ratelimit-used"] = str(self.state.rate_limit)
                headers["x-ratelimit-reset"] = str(int(self.state.epoch()) + fault.reset_in)
            if fault.retry_after is not None:
                headers["retry-after"] = str(fault.retry_after)
        elif fault.body is not None:
            body = fault.body
        else:
            body = error_body(fault.status, REASONS.get(fault.status, "Error"), doc)
        headers.update(fault.headers)
        if isinstance(body, (str, bytes)):
            raw = body.encode() if isinstance(body, str) else body
            return Response(fault.status, None, headers, raw=raw, content_type="text/html; charset=utf-8")
        return Response(fault.status, body, headers)

    # ----------------------------------------------------------------- storage downloads

    def _blob(self, token: str, headers: Mapping[str, str]) -> Response:
        blob = self.state.blobs.get(token)
        authorized = "authorization" in headers
        if blob is None:
            self.state.blob_fetches.append(BlobFetch(token, "unknown", authorized, False, 404))
            return Response(404, raw=_MISSING_BLOB.encode(), content_type="application/xml")
        expired = self.state.epoch() > blob.expires_at
        status = 403 if expired else 200
        self.state.blob_fetches.append(BlobFetch(token, blob.kind, authorized, expired, status))
        if expired:
            return Response(403, raw=_EXPIRED_BLOB.encode(), content_type="application/xml")
        extra = {"content-disposition": f"attachment; filename={blob.filename}"} if blob.filename else {}
        return Response(200, raw=blob.content, headers=extra, content_type=blob.content_type, drip=blob.drip)

    def _raw(self, rest: str) -> Response:
        parts = rest.split("/")
        full_name = f"{self.state.owner}/{self.state.repo}".lower()
        if len(parts) >= 4 and "/".join(parts[:2]).lower() == full_name:
            for cut in range(3, len(parts)):
                commit = self.state.resolve_ref("/".join(parts[2:cut]))
                file_path = "/".join(parts[cut:])
                if commit is not None and file_path in commit.tree:
                    return Response(200, raw=commit.tree[file_path], content_type="text/plain; charset=utf-8")
        return Response(404, raw=b"404: Not Found", content_type="text/plain; charset=utf-8")


GRAPHQL_PATH = "/graphql"


def graphql(state: SimState, body: Any) -> dict[str, Any]:
    """GitHub's GraphQL endpoint, as far as the guard uses it: ``{ viewer { login } }``.

    The viewer is the token's identity: the user for a personal token, ``<app-slug>[bot]`` for
    an installation token (``github-actions[bot]`` for a ``GITHUB_TOKEN``), which is how an
    installation token learns its own login (``GET /user`` refuses it).  Any other query gets
    GraphQL's error shape (HTTP 200 with ``errors``)."""
    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str) or not query.strip():
        return {"errors": [{"message": "A query attribute must be specified and must be a string."}]}
    compact = "".join(query.split())
    if compact in ("{viewer{login}}", "query{viewer{login}}"):
        return {"data": {"viewer": {"login": state.app_login}}}
    return {"errors": [{"type": "UNSUPPORTED", "message": "The fake server answers only { viewer { login } }"}]}


def _parse_json(raw: bytes) -> tuple[Any, bool]:
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (ValueError, UnicodeDecodeError):
        return None, False


def _error(exc: ApiError, doc: str) -> Response:
    body = error_body(exc.status, exc.message, exc.documentation_url or doc, exc.errors)
    return Response(exc.status, body, dict(exc.headers), content_type=JSON_CONTENT_TYPE)


def _request_id() -> str:
    return ":".join(secrets.token_hex(n).upper() for n in (2, 2, 3, 4, 4))


def _timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
