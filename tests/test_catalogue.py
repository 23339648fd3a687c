"""The catalogue's contract: schema, ids, breadth, fixtures, and the README table."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.catalogue import Catalogue, load_catalogue, parse_strategy
from healing_guard.catalogue_doc import END, START, strategy_table
from healing_guard.errors import CatalogueError
from healing_guard.models import CATEGORIES

from .fixturelogs import all_fixtures

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = load_catalogue(ROOT / "strategies")
GHA_REAL = ROOT.parent / "shared" / "corpus" / "gha-real"
_SOURCE = re.compile(
    r"^[\w.-]+/[\w.-]+(?::[^@\s][^@]*@[0-9a-f]{40}(?:, .+)?|#\d+)$"  # owner/repo:path@commit[, detail] or owner/repo#N
)


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


def test_every_strategy_says_what_it_must_win_against() -> None:
    missing = [s.id for s in CATALOGUE.strategies if not s.wins_against.strip()]
    assert not missing, f"strategies without wins_against: {missing}"
    assert all("\n" not in s.wins_against for s in CATALOGUE.strategies)


def _sourced_fixtures() -> dict[str, dict[str, Any]]:
    """Fixture name -> its .expect.yml, for the fixtures that name where their text comes from."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted((ROOT / "tests" / "fixtures" / "logs").glob("*.expect.yml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        if "source" in data:
            out[path.name[: -len(".expect.yml")]] = data
    return out


def test_sourced_fixtures_name_a_public_source() -> None:
    sourced = _sourced_fixtures()
    assert len(sourced) >= 60
    for name, data in sourced.items():
        assert _SOURCE.match(str(data["source"])), (
            f"{name}: source {data['source']!r} is not owner/repo:path@commit or owner/repo#N"
        )
        assert str(data.get("excerpt", "")).strip(), f"{name}: say which part of the source the excerpt is"


# Changed after reading a real log, but the change was not about their own failure, so there is no
# real excerpt of it yet: npm-network-error's `ERR_PNPM_...` prefix was made safe for pnpm's thin
# spaces (seen in gha-lofi-pm-pnpm-outdated-lockfile); python-syntax-error only got an exclude for
# Node's `SyntaxError: Named export ...` (node-esm-interop-error's fixture is that log).
_NO_REAL_FIXTURE_YET = {"npm-network-error", "python-syntax-error"}


def test_strategies_derived_from_real_logs_have_a_real_fixture() -> None:
    covered = {name.split("--")[0] for name in _sourced_fixtures()}
    missing = [s.id for s in CATALOGUE.strategies if s.derived_from and s.id not in covered | _NO_REAL_FIXTURE_YET]
    assert not missing, f"strategies derived from real logs but without a sourced fixture: {missing}"


@pytest.mark.skipif(not (GHA_REAL / "labels.json").exists(), reason="the gha-real corpus is not beside the checkout")
def test_derived_from_names_real_development_logs() -> None:
    ids = {e["id"] for e in json.loads((GHA_REAL / "labels.json").read_text("utf-8"))}
    unknown = {s.id: sorted(set(s.derived_from) - ids) for s in CATALOGUE.strategies if set(s.derived_from) - ids}
    assert not unknown, f"derived_from names logs that are not in gha-real: {unknown}"


@pytest.mark.skipif(not (GHA_REAL / "labels.json").exists(), reason="the gha-real corpus is not beside the checkout")
def test_gha_real_excerpts_are_byte_for_byte_slices_of_their_log() -> None:
    """A fixture cut from a development log must be that log's text, not a rewrite of it."""
    labels = {e["id"]: e for e in json.loads((GHA_REAL / "labels.json").read_text("utf-8"))}
    checked = 0
    for name, data in _sourced_fixtures().items():
        m = re.match(r"lines (\d+)-(\d+) of gha-real log (\S+)", str(data["excerpt"]))
        if not m:
            continue
        first, last, gid = int(m.group(1)), int(m.group(2)), m.group(3)
        assert gid in labels, f"{name}: unknown gha-real log {gid}"
        assert labels[gid]["source"].startswith(data["source"]), f"{name}: source differs from labels.json"
        log = (GHA_REAL / labels[gid]["file"]).read_bytes().split(b"\n")
        raw = (ROOT / "tests" / "fixtures" / "logs" / f"{name}.log").read_bytes()
        fixture = raw.replace(b" #=MATCH=#", b"").rstrip(b"\n").split(b"\n")
        expected = log[first - 1 : last]
        while expected and not expected[-1]:
            expected.pop()
        assert fixture == expected, f"{name}: not lines {first}-{last} of {gid}"
        checked += 1
    assert checked >= 40


def test_patterns_compile_in_re2() -> None:
    re2 = pytest.importorskip("re2")
    for s in CATALOGUE.strategies:
        for p in (*s.patterns, *s.indicators, *s.exclude):
            re2.compile(p.pattern)


def test_patterns_keep_non_ascii_out_of_classes_and_quantifiers() -> None:
    # the prefilter runs on UTF-8 bytes: `[•-]` is a class of bytes and `━+` repeats one byte
    for s in CATALOGUE.strategies:
        for p in (*s.patterns, *s.indicators, *s.exclude):
            assert not re.search(r"\[[^\]]*[^\x00-\x7f][^\]]*\]", p.pattern), (
                f"{s.id}: non-ASCII in a class: {p.pattern}"
            )
            assert not re.search(r"[^\x00-\x7f][+*?{]", p.pattern), f"{s.id}: quantified non-ASCII char: {p.pattern}"


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
        ({"wins_against": "two\nlines here"}, "wins_against"),
        ({"derived_from": ["Not An Id"]}, "derived_from/0"),
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


def test_wins_against_and_derived_from_are_loaded() -> None:
    s = parse_strategy(
        {**GOOD, "wins_against": "the compile errors of a full disk", "derived_from": ["gha-x-y"]},
        file="strategies/disk-full.yml",
    )
    assert s.wins_against == "the compile errors of a full disk"
    assert s.derived_from == ("gha-x-y",)
    assert parse_strategy(GOOD, file="strategies/disk-full.yml").derived_from == tuple(GOOD.get("derived_from", ()))


def test_the_catalogue_loader_is_safe_and_reads_every_file_as_pyyaml_s_own_safe_loader_does() -> None:
    from healing_guard import catalogue

    assert issubclass(catalogue._LOADER, (yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    assert catalogue._LOADER.__name__ in ("SafeLoader", "CSafeLoader")
    for path in sorted((ROOT / "strategies").glob("*.yml")):
        text = path.read_text("utf-8")
        assert yaml.load(text, Loader=catalogue._LOADER) == yaml.load(text, Loader=yaml.SafeLoader), path.name
