"""What a notification or an incident says, as plain data built by the guard, and the cleaning of
every piece of it that a log or a branch name chose.

Chat services turn text into pings and links: Slack ``<!channel>``, ``<!here>``, ``<@U123>``,
``<url|text>``; Teams and most renderers ``@mentions`` and Markdown links; and a control character
can break a card. :func:`chat_text` removes all of these after the text was cleaned and redacted
(``sanitize.clean``), so that a hostile log can neither ping a channel nor plant a link.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sanitize import clean, truncate

#: Slack's special mentions and links (``<!channel>``, ``<@U123|x>``, ``<https://x|y>``): the brackets go.
_SLACK_ANGLE = re.compile(r"<([!@#][^<>\n]*|[a-z][a-z0-9+.-]*:[^<>\n]*)>", re.I)
_MENTION = re.compile(r"(?<![\w.])@(?=[\w-])")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\(([^)\n]*)\)")
_BROADCAST = re.compile(r"(?<![\w])[@!](channel|here|everyone|all)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_TEXT = 500


def chat_text(value: object, redact: Callable[[str], str] | None = None, limit: int = MAX_TEXT) -> str:
    """``value`` safe to put in a chat message: cleaned, redacted, no mention, no link, one line."""
    text = clean(str(value), redact)
    text = _CONTROL.sub(" ", text.replace("\n", " "))
    text = _MD_LINK.sub(lambda m: m.group(1) or "link", text)
    text = _SLACK_ANGLE.sub(lambda m: m.group(1).lstrip("!@#"), text)
    text = _BROADCAST.sub(lambda m: m.group(1), text)
    text = _MENTION.sub("@\u200b", text)  # a zero-width space after @: shown, never a mention
    text = text.replace("<", "‹").replace(">", "›")
    return truncate(" ".join(text.split()), limit, "…")


@dataclass(frozen=True)
class Event:
    """One thing worth telling people about a run: what failed, how risky, what the guard did."""

    repository: str
    branch: str
    workflow: str
    run_id: int
    attempt: int
    run_url: str
    job: str
    job_url: str
    category: str
    risk: str
    strategy: str
    root_line: str
    action: str
    status: str
    signature: str
    #: the idempotency key (signature and run attempt): receivers drop repeats by it
    key: str
    #: extra links the guard made (the plan comment, the escalation issue, the fix pull request)
    links: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        return f"CI failure in {self.repository} ({self.branch}): {self.category}"

    @property
    def facts(self) -> list[tuple[str, str]]:
        """What every chat message shows, as (name, value) pairs."""
        return [
            ("Repository", self.repository),
            ("Branch", self.branch),
            ("Run", f"{self.workflow} #{self.run_id} (attempt {self.attempt})"),
            ("Category", self.category),
            ("Risk", self.risk),
            ("Action", f"{self.action}: {self.status}"),
        ]

    @property
    def all_links(self) -> list[tuple[str, str]]:
        """(title, url) of the run, the job and what the guard made; a link without a URL is left out."""
        return [(title, url) for title, url in (("Run", self.run_url), ("Job", self.job_url), *self.links) if url]

    def to_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "branch": self.branch,
            "workflow": self.workflow,
            "run": {"id": self.run_id, "attempt": self.attempt, "url": self.run_url},
            "job": {"name": self.job, "url": self.job_url},
            "category": self.category,
            "risk": self.risk,
            "strategy": self.strategy,
            "root_line": self.root_line,
            "action": self.action,
            "status": self.status,
            "signature": self.signature,
            "key": self.key,
            "links": [{"title": t, "url": u} for t, u in self.links],
        }


def safe_url(url: str) -> str:
    """A link the guard made itself (GitHub's html_url): kept only when it is plain http(s)."""
    return url if re.fullmatch(r"https?://[^\s<>|\"'`]+", url or "") else ""


def cleaned(event: Event, redact: Callable[[str], str] | None) -> Event:
    """``event`` with every text cleaned for chat and every link checked."""

    def t(value: str, limit: int = 200) -> str:
        return chat_text(value, redact, limit)

    return Event(
        repository=t(event.repository),
        branch=t(event.branch),
        workflow=t(event.workflow),
        run_id=event.run_id,
        attempt=event.attempt,
        run_url=safe_url(event.run_url),
        job=t(event.job),
        job_url=safe_url(event.job_url),
        category=t(event.category, 60),
        risk=t(event.risk, 20),
        strategy=t(event.strategy, 100),
        root_line=t(event.root_line, MAX_TEXT),
        action=t(event.action, 60),
        status=t(event.status, 200),
        signature=t(event.signature, 80),
        key=t(event.key, 200),
        links=tuple((t(title, 60), safe_url(url)) for title, url in event.links if safe_url(url)),
    )
