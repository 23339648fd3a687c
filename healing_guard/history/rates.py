"""How well a remediation works in this repository: success per strategy and per signature.

A remediation's success is read from ``outcome`` records: ``result`` is ``healed`` when the attempt
after it concluded green, ``not_healed`` otherwise. The rate is smoothed (Laplace, a prior of one
success in two tries), so one success in one try is 67 %, not 100 %, and nothing known is 50 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .records import TrailRecord

PRIOR_SUCCESSES = 1.0
PRIOR_TRIES = 2.0


@dataclass(frozen=True)
class SuccessRate:
    #: "strategy" or "signature"
    by: str
    value: str
    action: str
    tries: int
    successes: int

    @property
    def rate(self) -> float:
        return (self.successes + PRIOR_SUCCESSES) / (self.tries + PRIOR_TRIES)


def success_rates(records: Iterable[TrailRecord], by: str = "strategy") -> list[SuccessRate]:
    """One rate per (strategy or signature, action) that has outcomes, best first."""
    if by not in ("strategy", "signature"):
        raise ValueError(f"by must be 'strategy' or 'signature', not {by!r}")
    tries: dict[tuple[str, str], int] = {}
    wins: dict[tuple[str, str], int] = {}
    for r in records:
        if r.kind != "outcome" or r.result not in ("healed", "not_healed"):
            continue
        key = (r.strategy if by == "strategy" else r.signature, r.action)
        tries[key] = tries.get(key, 0) + 1
        wins[key] = wins.get(key, 0) + (r.result == "healed")
    out = [SuccessRate(by, value, action, tries[(value, action)], wins[(value, action)]) for value, action in tries]
    out.sort(key=lambda s: (-s.rate, -s.tries, s.value, s.action))
    return out
