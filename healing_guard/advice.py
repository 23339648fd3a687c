"""The advice shown for a diagnosis: its strategy's remediation text, rendered where it is shown.

A strategy's ``remediation.description`` is a Jinja template (``{{ module | python_distribution }}``).
It is rendered here, in a sandbox, with the diagnosis' params passed as data: a value taken from a
log is only ever substituted, never parsed as template source, and the sandbox lets no template
call anything unsafe. A template that fails to render falls back to its plain text. The result is
text, not Markdown: the caller escapes it for where it goes.
"""

from __future__ import annotations

from functools import cache

from jinja2.sandbox import SandboxedEnvironment

from .models import Diagnosis
from .recipes import distribution_for

MAX_ADVICE = 4000


@cache
def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
    env.filters["python_distribution"] = distribution_for
    return env


def render_advice(template: str, params: dict[str, object]) -> str:
    """``template`` rendered with ``params`` as its variables (the text as it is if that fails)."""
    try:
        text = _env().from_string(template).render(**{k: v for k, v in params.items() if k.isidentifier()})
    except Exception:  # a template error must never hide a diagnosis
        text = template
    return text.strip()[:MAX_ADVICE]


def advice_for(diagnosis: Diagnosis) -> str:
    """What a person should do about ``diagnosis`` ("" when its strategy says nothing)."""
    if diagnosis.remediation is None:
        return ""
    return render_advice(diagnosis.remediation.description, dict(diagnosis.params))
