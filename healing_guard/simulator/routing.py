"""Route table plumbing: URL templates, the per-request context, and token permissions.

A route is declared with the OpenAPI path template and operationId it implements::

    routes = RouteTable()

    @routes.add("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}", "actions/get-workflow-run",
                DOC, permission=("actions", "read"))
    def get_run(req: Request) -> Response: ...

``{path}`` (possibly empty: the repository root), ``{ref}``, ``{basehead}`` and ``{tree_sha}`` (a branch name too)
match several segments; every
other ``{name}`` matches exactly one.  The
dispatcher checks ``{owner}/{repo}`` against the simulated repository (404 otherwise) and the
route's ``permission`` against the token's permissions (403 "Resource not accessible by
integration").  Permission levels are ``none`` < ``read`` < ``write`` < ``admin``; ``metadata``
is always readable, as for a real ``GITHUB_TOKEN``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from healing_guard.simulator.objects import Renderer
from healing_guard.simulator.protocol import ApiError, Response
from healing_guard.simulator.state import SimState

LEVELS = {"none": 0, "read": 1, "write": 2, "admin": 3}
PERMISSION_DENIED = "Resource not accessible by integration"

Permission = tuple[str, str]
Handler = Callable[["Request"], Response]


def grants(permissions: Mapping[str, str], scope: str, level: str) -> bool:
    """Whether ``permissions`` (a GITHUB_TOKEN ``permissions:`` map) allows ``scope: level``."""
    held = "read" if scope == "metadata" else permissions.get(scope, "none")
    return LEVELS.get(held, 0) >= LEVELS[level]


def permission_error(alternatives: tuple[Permission, ...]) -> ApiError:
    """GitHub's 403 for a token that lacks every one of ``alternatives``."""
    accepted = "; ".join(f"{scope.replace('-', '_')}={level}" for scope, level in alternatives)
    return ApiError(403, PERMISSION_DENIED, headers={"x-accepted-github-permissions": accepted})


@dataclass(frozen=True)
class Route:
    """One implemented operation."""

    method: str
    template: str
    operation_id: str
    documentation_url: str
    permission: Permission | None
    handler: Handler
    pattern: re.Pattern[str]


@dataclass
class Request:
    """Everything a route handler needs; it runs with ``state.lock`` held."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    headers: Mapping[str, str]
    state: SimState
    render: Renderer
    route: Route

    @property
    def page_url(self) -> str:
        """Absolute URL of this list without its query (for ``Link`` headers)."""
        return f"{self.render.base}{self.path}"

    def int_param(self, name: str) -> int:
        """A numeric path parameter; a non-number is a 404 like GitHub's."""
        try:
            return int(self.params[name])
        except ValueError:
            raise ApiError(404, "Not Found") from None

    def body_dict(self) -> dict[str, Any]:
        """The JSON body as an object (``{}`` when empty); 400 when it is something else."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, "Problems parsing JSON")
        return self.body

    def require(self, *alternatives: Permission) -> None:
        """403 unless the token has at least one of ``alternatives``."""
        if not any(grants(self.state.permissions, scope, level) for scope, level in alternatives):
            raise permission_error(alternatives)


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", template)
    regex = ""
    for part in parts:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if name == "path":
                regex += f"(?P<{name}>.*)"
            elif name in ("ref", "basehead", "tree_sha"):
                regex += f"(?P<{name}>.+)"
            else:
                regex += f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(part)
    return re.compile(f"^{regex}/?$")


class RouteTable:
    """An ordered collection of routes, filled with the ``add`` decorator."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(
        self,
        method: str,
        template: str,
        operation_id: str,
        documentation_url: str,
        *,
        permission: Permission | None,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of ``method template``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(
                Route(method, template, operation_id, documentation_url, permission, handler, _compile(template))
            )
            return handler

        return register

    def __iter__(self) -> Iterator[Route]:
        return iter(self.routes)

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for ``method raw_path`` and its (still percent-encoded) parameters."""
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(raw_path)
            if found:
                return route, found.groupdict()
        return None

    def extend(self, other: RouteTable) -> None:
        """Append ``other``'s routes."""
        self.routes.extend(other.routes)
