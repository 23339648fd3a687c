"""Fixes that belong in ``.github/workflows/``: advice, never a pull request.

A ``GITHUB_TOKEN`` never has the ``workflows`` permission, so GitHub refuses any commit of it that
touches a workflow file; and a change to what CI runs deserves a person's review anyway. These
recipes say what to change and why the guard does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Diagnosis
from .base import WORKFLOWS_REFUSED, FixSettings, Proposal, Repository


@dataclass(frozen=True)
class WorkflowAdvice:
    """A change to a workflow file: advice only, with the reason."""

    id: str
    summary: str
    advice: str

    def applies(self, diagnosis: Diagnosis, settings: FixSettings) -> str | None:
        return f"{self.advice}; {WORKFLOWS_REFUSED}"

    def propose(self, diagnosis: Diagnosis, repo: Repository, settings: FixSettings) -> Proposal:
        return f"{self.advice}; {WORKFLOWS_REFUSED}"


WORKFLOW_EDIT = WorkflowAdvice(
    "workflow-edit",
    "advise the workflow change (uses:, setup steps, safe.directory, tool installs)",
    "the fix is a change to the workflow (an action reference, a setup step, or a tool to install)",
)
