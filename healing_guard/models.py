"""Plain dataclasses shared by every layer: strategies, evidence and diagnoses."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

CATEGORIES: tuple[str, ...] = (
    "dependency_missing",
    "dependency_conflict",
    "network",
    "test_failure",
    "timeout",
    "oom",
    "disk_full",
    "docker_image",
    "cache_corruption",
    "config_env",
    "permission",
    "compile_error",
    "lint",
    "infrastructure",
    "missing_file",
    "unknown",
)

#: Categories whose failures usually pass on a second try.
TRANSIENT_CATEGORIES: frozenset[str] = frozenset(
    {"network", "infrastructure", "docker_image", "timeout", "cache_corruption"}
)

ACTIONS: tuple[str, ...] = (
    "rerun",
    "clear-cache",
    "fix-pr",
    "comment",
    "escalate",
    "approval",
    "notify",
    "incident",
    "none",
)


class Risk(str, enum.Enum):
    """How much harm an automatic remediation of this failure could do."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 0, "medium": 1, "high": 2}[self.value]


@dataclass(frozen=True)
class Remediation:
    """What to do about a failure: an action and the advice shown to people."""

    action: str
    description: str
    retry_delay_seconds: int | None = None
    #: the fix recipe (``healing_guard.recipes``) a fix pull request for this failure uses
    recipe: str | None = None


@dataclass(frozen=True)
class Strategy:
    """One entry of the catalogue: how to recognise a failure and what to do about it."""

    id: str
    name: str
    description: str
    category: str
    patterns: tuple[re.Pattern[str], ...]
    risk: Risk
    confidence: float
    priority: int
    remediation: Remediation
    indicators: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()
    tags: tuple[str, ...] = ()
    wins_against: str = ""
    derived_from: tuple[str, ...] = ()
    source: str = ""
    builtin: bool = True
    enabled: bool = True

    @property
    def is_generic(self) -> bool:
        """A catch-all strategy, used only when nothing specific matched."""
        return "generic" in self.tags


@dataclass(frozen=True)
class EvidenceLine:
    """One line of the input, numbered from 1 as the input counts lines."""

    line: int
    text: str
    #: which layer of the diagnosis found it: "strategy", "rootline", "tool", "vocab", "context", "tail"
    layer: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "text": self.text}
        if self.layer:
            out["layer"] = self.layer
        return out


@dataclass(frozen=True)
class SecondaryCause:
    """Another failure found in the same log, after or beside the root cause."""

    category: str
    strategy: str
    line: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "strategy": self.strategy, "line": self.line, "text": self.text}


@dataclass(frozen=True)
class Diagnosis:
    """Why one log failed, how sure we are, which line proves it and what a fix needs."""

    category: str
    confidence: float
    risk: str
    strategy: str
    params: dict[str, Any]
    evidence: tuple[EvidenceLine, ...]
    failed_step: str | None
    signature: str
    secondary: tuple[SecondaryCause, ...] = ()
    remediation: Remediation | None = None
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    #: the failing tests the failing step names (test failures and timeouts; see ``testids``)
    failing_tests: tuple[str, ...] = ()

    @property
    def root_line(self) -> EvidenceLine | None:
        return self.evidence[0] if self.evidence else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``healing-guard analyze --format json``."""
        return {
            "category": self.category,
            "confidence": round(self.confidence, 2),
            "risk": self.risk,
            "strategy": self.strategy,
            "params": self.params,
            "evidence": [e.to_dict() for e in self.evidence],
            "failed_step": self.failed_step,
            "signature": self.signature,
            "secondary": [s.to_dict() for s in self.secondary],
            "failing_tests": list(self.failing_tests),
        }
