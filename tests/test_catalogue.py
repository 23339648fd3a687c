"""The catalogue's contract: schema, ids, breadth, fixtures, and the README table."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from healing_guard.catalogue import Catalogue, load_catalogue, parse_strategy
from healing_guard.catalogue_doc import END, START, strategy_table
from healing_guard.errors import CatalogueError
from healing_guard.models import CATEGORIES

from .fixturelogs import all_fixtures

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue(ROOT / "strategies")


def test_every_file_is_a_valid_strategy_named_after_its_id() -> None:
    files = sorted((ROOT / "strategies").glob("*.yml"))
    assert len(files) == len(CATALOGUE.strategies) + len(CATALOGUE.retired)
    for s in CATALOGUE.strategies:
        assert Path(s.source).stem == s.id


def test_breadth() -> None:
    specific = [s for s in CATALOGUE.strategies if not s.is_generic]
    assert len(specific) >= 60, f"only {len(specific)} specific strategies"
    covered = Counter(s.category for s in CATALOGUE.strategies)
    missing = [c for c in CATEGORIES if covered[c] == 0]
    assert not missing, f"categories with no strategy: {missing}"


def test_every_strategy_has_a_fixture_and_every_fixture_a_strategy() -> None:
    fixtures = all_fixtures()
    covered = {f.strategy for f in fixtures if f.strategy is not None}
    ids = set(CATALOGUE.ids())
    assert ids - covered == set(), f"strategies without a fixture log: {sorted(ids - covered)}"
    assert covered - ids == set(), f"fixtures naming unknown strategies: {sorted(covered - ids)}"


def test_readme_strategy_table_matches_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert START in readme and END in readme, "README lacks the strategy table markers"
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == strategy_table(CATALOGUE).strip(), (
        "README strategy table is stale: regenerate it with `healing-guard strategies --format markdown`"
    )


GOOD = yaml.safe_load((ROOT / "strategies" / "disk-full.yml").read_text("utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": "kaboom"}, "category"),
        ({"risk": "extreme"}, "risk"),
        ({"patterns": ["no anchor"]}, "patterns/0"),
        ({"patterns": ["^broken(regex"]}, "not a valid regular expression"),
        ({"patterns": ["^(?!lookahead)x"]}, "lookaround"),
        ({"confidence": 1.5}, "confidence"),
        ({"remediation": {"action": "reboot", "description": "turn it off and on"}}, "remediation/action"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_strategy_is_refused_naming_file_and_strategy(change: dict[str, object], message: str) -> None:
    data = {**GOOD, **change}
    with pytest.raises(CatalogueError) as info:
        parse_strategy(data, file="strategies/disk-full.yml")
    text = str(info.value)
    assert "strategies/disk-full.yml" in text and "disk-full" in text and message in text


def test_bad_yaml_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("id: x\n  bad: [indent\n", "utf-8")
    with pytest.raises(CatalogueError, match=r"x\.yml"):
        load_catalogue(tmp_path)


def test_retired_id_points_at_its_replacement(tmp_path: Path) -> None:
    (tmp_path / "disk-full.yml").write_text((ROOT / "strategies" / "disk-full.yml").read_text("utf-8"), "utf-8")
    (tmp_path / "old-disk.yml").write_text("id: old-disk\nreplaced_by: disk-full\n", "utf-8")
    cat = load_catalogue(tmp_path)
    with pytest.raises(CatalogueError, match="retired; use 'disk-full'"):
        cat.get("old-disk")


def test_unknown_strategy_lists_known_ids() -> None:
    with pytest.raises(CatalogueError, match=r"known strategies: .*disk-full"):
        CATALOGUE.get("no-such-strategy")


def test_user_strategy_overrides_builtin() -> None:
    user = parse_strategy({**GOOD, "name": "Mine"}, file=".github/healing-config.yml", builtin=False)
    merged = CATALOGUE.with_overrides(extra=[user])
    assert isinstance(merged, Catalogue)
    assert merged.get("disk-full").name == "Mine"
    assert not merged.get("disk-full").builtin


def test_patterns_have_no_catastrophic_nested_quantifiers() -> None:
    # a group made only of quantified classes, itself quantified: (\w+)+, (\s*\w+)*, (.*)*
    nested = re.compile(r"\((?:\?:)?(?:(?:\\[wsdSWD]|\.|\[[^\]]+\])[+*?]?)+\)[+*]")
    for bad in (r"^(\w+)+x", r"^(?:\s*\w+)*y", r"^(.*)*z"):
        assert nested.search(bad), bad
    for s in CATALOGUE.strategies:
        for p in s.patterns:
            assert not nested.search(p.pattern), f"{s.id}: nested quantifier in {p.pattern!r}"
