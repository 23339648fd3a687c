"""Each fix recipe on real project files: ``tests/fixtures/recipes/<case>/`` holds the repository
tree (``repo/``), the diagnosis (``case.yml``: recipe, category, strategy, params, evidence,
settings; ``source`` names the public file each comes from), and either the file the recipe must
write (``expected/``), the dispatch it must ask for, or a phrase of the advice it gives instead.
Every file outside ``expected/`` must stay exactly as it was."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from healing_guard.models import Diagnosis, EvidenceLine
from healing_guard.recipes import RECIPES, Dispatch, FileChange, FixSettings, Repository

CASES = Path(__file__).parent.parent / "fixtures" / "recipes"


def repository(root: Path) -> Repository:
    def read(path: str) -> tuple[str, str] | None:
        f = root / path
        return (f.read_text(encoding="utf-8"), f"sha-{path}") if f.is_file() else None

    def listdir(path: str) -> list[str] | None:
        d = root / path if path else root
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else None

    return Repository(read=read, listdir=listdir)


def diagnosis(case: dict[str, Any]) -> Diagnosis:
    evidence = tuple(EvidenceLine(line=i + 10, text=t) for i, t in enumerate(case.get("evidence") or []))
    return Diagnosis(
        category=case["category"],
        strategy=case["strategy"],
        confidence=0.9,
        params=dict(case.get("params") or {}),
        evidence=evidence,
        risk="low",
        failed_step="Run tests",
        signature="abc123",
    )


def settings(case: dict[str, Any]) -> FixSettings:
    s = case.get("settings") or {}
    allowed = s.get("allowed_commands")
    return FixSettings(
        python_distributions=MappingProxyType(dict(s.get("python_distributions") or {})),
        npm_packages=frozenset(s.get("npm_packages") or ()),
        gems=frozenset(s.get("gems") or ()),
        go_modules=frozenset(s.get("go_modules") or ()),
        workflow=str(s.get("workflow") or ""),
        allowed_commands=tuple(allowed) if allowed is not None else None,
    )


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_recipe_on_real_files(name: str) -> None:
    folder = CASES / name
    case = yaml.safe_load((folder / "case.yml").read_text(encoding="utf-8"))
    assert case.get("source"), "every case names the public file it comes from"
    before = {p: p.read_bytes() for p in (folder / "repo").rglob("*") if p.is_file()}
    recipe = RECIPES[case["recipe"]]
    proposal = recipe.propose(diagnosis(case), repository(folder / "repo"), settings(case))
    if "expect" in case:
        assert isinstance(proposal, FileChange), proposal
        assert proposal.path == case["expect"]
        expected = (folder / "expected" / case["expect"]).read_text(encoding="utf-8")
        assert proposal.content == expected
        assert proposal.sha == (f"sha-{case['expect']}" if (folder / "repo" / case["expect"]).exists() else None)
        assert proposal.summary and proposal.risk and proposal.verify
    elif "dispatch" in case:
        assert isinstance(proposal, Dispatch), proposal
        want = case["dispatch"]
        assert (proposal.recipe, proposal.argument, proposal.command) == (
            want["recipe"],
            want["argument"],
            want["command"],
        )
    else:
        assert isinstance(proposal, str), proposal
        assert case["advice"] in proposal
    # the recipe reads; it never writes
    assert {p: p.read_bytes() for p in (folder / "repo").rglob("*") if p.is_file()} == before
