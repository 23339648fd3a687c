"""``healing-guard analyze --format json``: one object per log, in the order of the inputs.

An object is the diagnosis (``Diagnosis.to_dict``) with the log's ``path`` first and its
``remediation``: the strategy's action, the diagnosis' risk, what that action does when the guard's
gates let it (``summary``, from the registry of remediations; the planner may still choose less, on a
protected branch or below the confidence bar), whether it changes the repository, and the advice as
the text format shows it. A log that could not be read is ``{"path": …, "error": …}`` in its place.

Several PATHs, or an archive, give an array; a single PATH that is one log gives that one object (as
before: ``jq .category`` on one log keeps working). Every string is cleaned (redacted, no escapes, no
workflow commands) before it is serialised.
"""

from __future__ import annotations

import json
from typing import Any

from .batch import Batch, Entry
from .models import Diagnosis
from .remediations import REGISTRY
from .render import advice_text
from .sanitize import clean_data


def remediation_data(diagnosis: Diagnosis) -> dict[str, Any] | None:
    """What the diagnosis' strategy would have the guard do (``None`` when it names nothing)."""
    remediation = diagnosis.remediation
    if remediation is None:
        return None
    remedy = REGISTRY.get(remediation.action)
    return {
        "action": remediation.action,
        "risk": diagnosis.risk,
        "summary": remedy.summary if remedy else "",
        "mutates_repository": remedy.mutates_repository if remedy else False,
        "advice": advice_text(diagnosis),
    }


def entry_data(entry: Entry) -> dict[str, Any]:
    """The JSON object of one entry, every string cleaned."""
    if entry.diagnosis is None:
        return clean_data({"path": entry.path, "error": entry.error or ""})  # type: ignore[no-any-return]
    data = {"path": entry.path, **entry.diagnosis.to_dict(), "remediation": remediation_data(entry.diagnosis)}
    return clean_data(data)  # type: ignore[no-any-return]


def batch_json(batch: Batch) -> str:
    """The document ``analyze --format json`` prints for ``batch``."""
    items = [entry_data(e) for e in batch.entries]
    document: Any = items[0] if batch.single and len(items) == 1 else items
    return json.dumps(document, indent=2, ensure_ascii=False)
