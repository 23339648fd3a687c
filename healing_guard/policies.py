"""The config's ``approvals``, ``notifications`` and ``incidents`` sections, as frozen dataclasses.

``config.py`` validates the file against the schema and calls :func:`approvals_policy`,
:func:`notification_channels` and :func:`incident_policy` on the valid data. The secrets these
sections name live in environment variables (the workflow sets them from secrets); the config
holds only the variables' names, and :func:`secret_values` reads them from the environment the
edge captured, so that the edge masks every one before anything is printed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .models import Risk

#: PagerDuty's Events API v2 endpoint.
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
CHANNEL_TYPES = ("slack", "teams", "webhook")


@dataclass(frozen=True)
class ApprovalPolicy:
    """When a remediation waits for a person, and for how long it can be approved."""

    enabled: bool = True
    expires_hours: int = 24
    protected_paths: tuple[str, ...] = ()
    raise_on_protected_branches: bool = True

    def protected_by(self, path: str) -> str | None:
        """The protected-path glob of the config that ``path`` (a path or a glob of paths) may hit."""
        clean = path.strip().lstrip("/")
        if not clean:
            return None
        for g in self.protected_paths:
            if fnmatch.fnmatchcase(clean, g.lstrip("/")) or fnmatch.fnmatchcase(g.lstrip("/"), clean):
                return g
        return None

    def protects(self, path: str) -> bool:
        """Whether ``path`` (relative to the repository root, or a glob of the paths a change may
        touch) may be a protected path: it matches a protected glob, or the glob it is matches one."""
        clean = path.strip().lstrip("/")
        return bool(clean) and any(
            fnmatch.fnmatchcase(clean, g.lstrip("/")) or fnmatch.fnmatchcase(g.lstrip("/"), clean)
            for g in self.protected_paths
        )


@dataclass(frozen=True)
class Filters:
    """Which failures a channel hears about; an empty tuple lets everything through."""

    risk: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    branch: tuple[str, ...] = ()

    def accepts(self, *, risk: str, category: str, branch: str) -> bool:
        return (
            (not self.risk or risk in self.risk)
            and (not self.category or category in self.category)
            and (not self.branch or any(fnmatch.fnmatchcase(branch, g) for g in self.branch))
        )


@dataclass(frozen=True)
class Channel:
    """One notification channel: its kind and the names of the variables holding its secrets."""

    type: str
    url_env: str
    secret_env: str = ""
    filters: Filters = field(default_factory=Filters)

    @property
    def name(self) -> str:
        """How the report names the channel: its kind and its variable (never its URL)."""
        return f"{self.type} ({self.url_env})"


@dataclass(frozen=True)
class PagerDuty:
    routing_key_env: str
    url: str = PAGERDUTY_URL
    severity: str = "error"


@dataclass(frozen=True)
class Jira:
    url: str
    project: str
    user_env: str
    token_env: str
    issue_type: str = "Bug"
    api_version: int = 2


@dataclass(frozen=True)
class IncidentPolicy:
    after_failures: int = 3
    pagerduty: PagerDuty | None = None
    jira: Jira | None = None

    @property
    def configured(self) -> bool:
        return self.pagerduty is not None or self.jira is not None


def approvals_policy(data: Mapping[str, Any] | None) -> ApprovalPolicy:
    d = data or {}
    default = ApprovalPolicy()
    return ApprovalPolicy(
        enabled=bool(d.get("enabled", default.enabled)),
        expires_hours=int(d.get("expires_hours", default.expires_hours)),
        protected_paths=tuple(str(p) for p in d.get("protected_paths") or ()),
        raise_on_protected_branches=bool(d.get("raise_on_protected_branches", default.raise_on_protected_branches)),
    )


def notification_channels(items: Iterable[Mapping[str, Any]] | None) -> tuple[Channel, ...]:
    out: list[Channel] = []
    for item in items or ():
        f = item.get("filters") or {}
        out.append(
            Channel(
                type=str(item["type"]),
                url_env=str(item["url_env"]),
                secret_env=str(item.get("secret_env") or ""),
                filters=Filters(
                    risk=tuple(str(r) for r in f.get("risk") or ()),
                    category=tuple(str(c) for c in f.get("category") or ()),
                    branch=tuple(str(b) for b in f.get("branch") or ()),
                ),
            )
        )
    return tuple(out)


def incident_policy(data: Mapping[str, Any] | None) -> IncidentPolicy:
    d = data or {}
    pd = d.get("pagerduty")
    jira = d.get("jira")
    return IncidentPolicy(
        after_failures=int(d.get("after_failures", IncidentPolicy.after_failures)),
        pagerduty=PagerDuty(
            routing_key_env=str(pd["routing_key_env"]),
            url=str(pd.get("url") or PAGERDUTY_URL),
            severity=str(pd.get("severity") or "error"),
        )
        if pd
        else None,
        jira=Jira(
            url=str(jira["url"]).rstrip("/"),
            project=str(jira["project"]),
            user_env=str(jira["user_env"]),
            token_env=str(jira["token_env"]),
            issue_type=str(jira.get("issue_type") or "Bug"),
            api_version=int(jira.get("api_version") or 2),
        )
        if jira
        else None,
    )


def secret_names(channels: Iterable[Channel], incidents: IncidentPolicy) -> list[str]:
    """The environment variables whose values are secrets (URLs with keys in them, keys, tokens)."""
    names: list[str] = []
    for c in channels:
        names += [c.url_env] + ([c.secret_env] if c.secret_env else [])
    if incidents.pagerduty:
        names.append(incidents.pagerduty.routing_key_env)
    if incidents.jira:
        names += [incidents.jira.user_env, incidents.jira.token_env]
    return list(dict.fromkeys(names))


def secret_values(channels: Iterable[Channel], incidents: IncidentPolicy, env: Mapping[str, str]) -> list[str]:
    """The values of :func:`secret_names` that are set, and the parts of a URL that carry a key
    (a Slack webhook's path, a query string), so that each can be masked on its own."""
    values: list[str] = []
    for name in secret_names(channels, incidents):
        value = (env.get(name) or "").strip()
        if not value:
            continue
        values.append(value)
        if "://" in value:
            rest = value.split("://", 1)[1]
            path = rest.split("/", 1)[1] if "/" in rest else ""
            if len(path) >= 8:
                values.append(path)
    return list(dict.fromkeys(values))


def higher(risk: Risk) -> Risk:
    """One risk level up (high stays high)."""
    return Risk.HIGH if risk is not Risk.LOW else Risk.MEDIUM
