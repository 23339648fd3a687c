"""toolsignal: what the failing step's command says about the failure."""

from __future__ import annotations

from healing_guard.toolsignal import finding_pattern, from_command


def test_terraform_fmt_check_is_a_linter_whose_findings_are_file_names() -> None:
    signals = from_command(["terraform fmt -check -recursive"], 3)
    assert signals and signals[0].category == "lint"
    pattern = finding_pattern(["terraform fmt -check -recursive"])
    assert pattern is not None
    assert pattern.search("modules/network/main.tf") and pattern.search("envs/prod.tfvars")
    assert not pattern.search("Error: Failed to query available provider packages")


def test_terraform_init_is_not_a_linter() -> None:
    assert not [s for s in from_command(["terraform init -input=false"], 1) if s.category == "lint"]
