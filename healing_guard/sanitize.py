"""Make untrusted log text safe to print, annotate, or put in Markdown.

Log text is attacker-controlled (a fork's test can print anything). Before any of it reaches
stdout, an annotation, the job summary, a comment or an issue it goes through here:

* ``neutralise``: it can never be read by the runner as a workflow command (``::cmd::`` at a
  line start, or the legacy ``##[cmd]`` anywhere in a line);
* ``redact``: tokens and keys (the guard's own token, values registered as secrets, anything that
  looks like a GitHub, AWS, Slack, npm or bearer token, private keys) become ``***``;
* Markdown helpers put it in code spans and fences that no backtick run in the text can close,
  and keep ``@mention`` and ``#123`` from pinging anyone.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

ZWSP = "\u200b"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The runner reads its output line by line with .NET ReadLine, which ends a line at CR as well as at
# LF; Unicode line separators are treated as line ends too, to be safe.
_LINE_CMD = re.compile(r"(?m)(?:^|(?<=[\r\x85\u2028\u2029]))(\s*):(?=:)")
_LEGACY_CMD = re.compile(r"##\[")

_TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,255}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"(?i:aws_secret_access_key)\s*[=:]\s*['\"]?[A-Za-z0-9/+=]{40}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"),
    re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
    # a token has a digit or an inner symbol, or is long: "bearer authentication." is prose
    re.compile(
        r"(?i:\bbearer)\s+(?=[A-Za-z._~+/=-]*[0-9]|[A-Za-z]*[._~+/=-]+[A-Za-z0-9]|[A-Za-z]{20})[A-Za-z0-9._~+/=-]{8,}"
    ),
    re.compile(r"(?i:\bauthorization:\s*(?:token|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"-----BEGIN (?:[A-Z ]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z ]+ )?PRIVATE KEY-----|$)"),
    # DB_PASSWORD=… counts (so no \b before the key); "secret::tests" is a Rust path, not key: value
    re.compile(
        r"(?i:(?<![A-Za-z0-9])(?:password|passwd|secret|api[_-]?key|access[_-]?token))\s*[=:](?!:)\s*['\"]?[^\s'\"]{6,}"
    ),
)


class Redactor:
    """Replaces secrets with ``***``. Known secrets are added with ``add``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            text = text.replace(s, "***")
        for pattern in _TOKEN_PATTERNS:
            text = pattern.sub(_mask_match, text)
        return text


def _mask_match(m: re.Match[str]) -> str:
    text = m.group(0)
    # keep the key name of key=value matches so the reader knows what was hidden
    for sep in ("=", ":"):
        if sep in text[:40] and not text.startswith("-----"):
            head = text.split(sep, 1)[0]
            if re.fullmatch(r"(?i)[\w -]+", head) and not head.lower().startswith(("bearer", "authorization")):
                return f"{head}{sep}***"
    if text.lower().startswith("bearer"):
        return "Bearer ***"
    if text.lower().startswith("authorization"):
        return re.sub(r"(\s)\S+$", r"\1***", text)
    return "***"


#: Redacts token-like strings only; the Action adds its own token to a per-run Redactor.
default_redactor = Redactor()


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def neutralise(text: str) -> str:
    """Text the runner will print as it is, never run as a workflow command."""
    text = _CONTROL.sub("", strip_ansi(text))
    text = _LEGACY_CMD.sub("#" + ZWSP + "#[", text)
    return _LINE_CMD.sub(lambda m: m.group(1) + ":" + ZWSP, text)


def safe_log_text(text: str, redactor: Redactor | None = None) -> str:
    """Untrusted text made safe for stdout, annotations and Markdown bodies."""
    return neutralise((redactor or default_redactor)(text))


def _no_pings(text: str) -> str:
    text = re.sub(r"@(?=[A-Za-z0-9-])", "@" + ZWSP, text)
    return re.sub(r"#(?=\d)", "#" + ZWSP, text)


def inline_code(value: object) -> str:
    """A Markdown code span that holds ``value`` whatever backticks it contains."""
    text = safe_log_text(str(value)).replace("\r", " ").replace("\n", " ")
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def code_fence(text: str, info: str = "text") -> str:
    """A fenced block that no backtick run inside ``text`` can close."""
    body = safe_log_text(text)
    longest = max((len(r) for r in re.findall(r"`{3,}", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def plain_markdown(text: object) -> str:
    """Prose that may carry values from a log: no HTML, no pings, no workflow commands."""
    # & too: an entity such as &#64; or &#35; would render as @ or # and ping after all
    out = safe_log_text(str(text)).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _no_pings(out)


def truncate(text: str, limit: int, marker: str = "\n… (truncated)") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker
