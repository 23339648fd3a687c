"""A strategy's advice is rendered where it is shown: sandboxed, with the params as data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from healing_guard.advice import advice_for, render_advice
from healing_guard.models import Diagnosis, EvidenceLine, Remediation


def diagnosis(template: str, **params: object) -> Diagnosis:
    return Diagnosis(
        category="dependency_missing",
        confidence=0.9,
        risk="low",
        strategy="python-module-not-found",
        params=dict(params),
        evidence=(EvidenceLine(1, "x"),),
        failed_step=None,
        signature="s",
        remediation=Remediation("fix-pr", template),
    )


def test_the_template_is_rendered_with_the_params() -> None:
    d = diagnosis("Add `{{ module | python_distribution }}` (imported as `{{ module }}`).", module="yaml")
    assert advice_for(d) == "Add `PyYAML` (imported as `yaml`)."
    assert advice_for(replace(d, remediation=None)) == ""


@pytest.mark.parametrize(
    "value",
    [
        "{{ 7 * 7 }}",
        "{% for x in range(10) %}x{% endfor %}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
def test_a_value_from_the_log_is_data_never_a_template(value: str) -> None:
    assert advice_for(diagnosis("Add {{ module }}.", module=value)) == f"Add {value}."


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ module.__class__.__base__.__subclasses__() }}",
    ],
)
def test_the_sandbox_refuses_unsafe_templates_and_shows_the_text(template: str) -> None:
    assert render_advice(template, {"module": "yaml"}) == template


def test_a_broken_template_shows_its_text() -> None:
    assert render_advice("Add {{ module", {"module": "yaml"}) == "Add {{ module"


def test_advice_is_bounded() -> None:
    assert len(render_advice("{{ x }}", {"x": "a" * 100_000})) == 4000
