"""Notifications (Slack, Teams, a signed webhook) and incidents (PagerDuty, Jira), one module per
service, behind one object: :class:`Integrations`.

Each channel is tried on its own: one that fails (a bad URL, a timeout, 4xx/5xx, a variable that
is not set) gives a failed :class:`Delivery` and the others go on; nothing here raises. URLs and
keys come from the environment variables the config names; no message names a URL (see ``http``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..policies import Channel, IncidentPolicy
from . import jira, pagerduty, slack, teams, webhook
from .event import Event, cleaned
from .http import DeliveryError, Sender

__all__ = ["Delivery", "Event", "Integrations"]


@dataclass(frozen=True)
class Delivery:
    """What became of one message to one service."""

    target: str
    ok: bool
    detail: str
    url: str = ""


class Integrations:
    """Every configured channel and incident service, with their secrets read from ``env``."""

    def __init__(
        self,
        channels: Iterable[Channel] = (),
        incidents: IncidentPolicy | None = None,
        env: Mapping[str, str] | None = None,
        *,
        redact: Callable[[str], str] | None = None,
        sender: Sender | None = None,
    ) -> None:
        self.channels = tuple(channels)
        self.incidents = incidents or IncidentPolicy()
        self._env = dict(env or {})
        self._redact = redact or (lambda text: text)
        self._sender = sender

    @property
    def sender(self) -> Sender:
        if self._sender is None:
            self._sender = Sender()
        return self._sender

    def _secret(self, name: str, what: str) -> str:
        value = (self._env.get(name) or "").strip()
        if not value:
            raise DeliveryError(
                f"{what}: the environment variable {name} is not set (set it from a secret in the workflow's env:)"
            )
        return value

    def _failed(self, target: str, exc: Exception) -> Delivery:
        return Delivery(target, False, self._redact(str(exc)))

    # -- notifications ----------------------------------------------------------------------------

    def wanted(self, event: Event) -> list[Channel]:
        return [
            c for c in self.channels if c.filters.accepts(risk=event.risk, category=event.category, branch=event.branch)
        ]

    def notify(self, event: Event) -> list[Delivery]:
        """Send ``event`` to every channel whose filters accept it."""
        safe = cleaned(event, self._redact)
        out: list[Delivery] = []
        for channel in self.wanted(event):
            try:
                url = self._secret(channel.url_env, channel.name)
                if channel.type == "slack":
                    body, headers = slack.request(safe)
                elif channel.type == "teams":
                    body, headers = teams.request(safe)
                else:
                    key = self._secret(channel.secret_env, channel.name) if channel.secret_env else ""
                    if not key:
                        raise DeliveryError(
                            f"{channel.name}: a webhook needs secret_env (the HMAC-SHA256 key); nothing was sent"
                        )
                    body, headers = webhook.request(safe, key)
                answer = self.sender.send("POST", url, channel.name, body=body, headers=headers)
                out.append(Delivery(channel.name, True, f"notified ({answer.status})"))
            except DeliveryError as exc:
                out.append(self._failed(channel.name, exc))
            except Exception as exc:  # a bug here must not stop the other channels or the healing
                out.append(self._failed(channel.name, DeliveryError(f"{channel.name}: {type(exc).__name__}")))
        return out

    # -- incidents -------------------------------------------------------------------------------

    def trigger(self, event: Event) -> list[Delivery]:
        """A PagerDuty alert and/or a Jira issue for ``event`` (each deduplicated by its signature)."""
        safe = cleaned(event, self._redact)
        out: list[Delivery] = []
        pd = self.incidents.pagerduty
        if pd is not None:
            target = f"pagerduty ({pd.routing_key_env})"
            try:
                key = self._secret(pd.routing_key_env, target)
                data = pagerduty.trigger(safe, key, pd.severity)
                answer = self.sender.send("POST", pd.url, target, body=pagerduty.body(data), headers=_JSON)
                out.append(
                    Delivery(target, True, f"incident triggered ({answer.status}, dedup_key {data['dedup_key']})")
                )
            except Exception as exc:
                out.append(self._failed(target, exc if isinstance(exc, DeliveryError) else DeliveryError(target)))
        if self.incidents.jira is not None:
            out.append(self._jira(safe))
        return out

    def _jira(self, event: Event) -> Delivery:
        cfg = self.incidents.jira
        assert cfg is not None
        target = f"jira ({cfg.project})"
        try:
            user = self._secret(cfg.user_env, target)
            token = self._secret(cfg.token_env, target)
            api = f"{cfg.url}/rest/api/{cfg.api_version}"
            headers = {**_JSON, "Authorization": "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()}
            found = self.sender.send(
                "GET",
                f"{api}/search",
                target,
                headers=headers,
                params={"jql": jira.search_jql(cfg.project, event.signature), "fields": "key", "maxResults": "1"},
            )
            issues = found.data.get("issues") if isinstance(found.data, dict) else None
            if isinstance(issues, list) and issues and isinstance(issues[0], dict) and issues[0].get("key"):
                key = str(issues[0]["key"])[:40]
                return Delivery(target, True, f"already open: {key}", f"{cfg.url}/browse/{key}")
            data = jira.issue(event, cfg.project, cfg.issue_type, cfg.api_version)
            made = self.sender.send("POST", f"{api}/issue", target, body=jira.body(data), headers=headers)
            key = str(made.data.get("key") if isinstance(made.data, dict) else "")[:40]
            return Delivery(target, True, f"opened {key or 'an issue'}", f"{cfg.url}/browse/{key}" if key else "")
        except DeliveryError as exc:
            return self._failed(target, exc)
        except Exception as exc:
            return self._failed(target, DeliveryError(f"{target}: {type(exc).__name__}"))

    def resolve(self, signatures: Iterable[str]) -> list[Delivery]:
        """Resolve the PagerDuty alerts of ``signatures`` (the workflow is green again)."""
        pd = self.incidents.pagerduty
        if pd is None:
            return []
        target = f"pagerduty ({pd.routing_key_env})"
        out: list[Delivery] = []
        for signature in signatures:
            try:
                key = self._secret(pd.routing_key_env, target)
                data = pagerduty.resolve(signature, key)
                answer = self.sender.send("POST", pd.url, target, body=pagerduty.body(data), headers=_JSON)
                out.append(
                    Delivery(target, True, f"incident resolved ({answer.status}, dedup_key {data['dedup_key']})")
                )
            except DeliveryError as exc:
                out.append(self._failed(target, exc))
        return out


_JSON = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}


def describe(deliveries: Iterable[Delivery]) -> str:
    return "; ".join(f"{d.target}: {d.detail}" for d in deliveries)
