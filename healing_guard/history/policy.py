"""The ``memory:`` settings of the configuration: when a test counts as flaky, when a remediation's
history makes the guard skip it, and the mass-failure brake's budget."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemoryPolicy:
    """Every ``memory:`` key, with its default."""

    #: ``memory.flaky.min_flakes``: a test is known flaky once it flaked at least this often …
    min_flakes: int = 2
    #: ``memory.flaky.min_share``: … and in at least this share of its failures
    min_share: float = 0.5
    #: ``memory.flaky.quarantine_share``: a known flaky test at or above this share is listed for quarantine
    quarantine_share: float = 0.8
    #: ``memory.adaptive.min_tries``: a remediation's history counts once it was tried this often …
    min_tries: int = 3
    #: ``memory.adaptive.skip_below``: … and it is skipped when its smoothed success rate is below this
    skip_below: float = 0.25
    #: ``memory.brake.reruns_per_hour``: re-runs for one cause in the last hour beyond which none is started
    reruns_per_hour: int = 5
    #: ``memory.brake.recover_within_hours``: a re-run the brake held is started once a run of its
    #: workflow passes again within this many hours of the failure (0: never)
    recover_within_hours: float = 24.0
    #: ``memory.brake.recover_max``: the most held runs one passing run re-runs (0: none)
    recover_max: int = 20

    @property
    def recovers(self) -> bool:
        """Whether held runs are re-run once their workflow passes again."""
        return self.recover_within_hours > 0 and self.recover_max > 0
