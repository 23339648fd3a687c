"""Defect 13: a user's regex must not hang the guard on one line of a log.

The cases are data (``hostile_regexes.json``): patterns known to take exponential time on Python's
``re`` (nested quantifiers, overlapping alternatives) x lines that trigger it. Each pattern goes
into a custom strategy of a config, as ``exclude`` or as ``patterns``, and the log is scanned. The
bound is by construction, not by a timer: every pattern the scanner runs on a line must be an RE2
pattern (``regex_engine.is_linear``), and RE2's time is linear in the line whatever the pattern.
On the old code (per-line matching on ``re``) these scans ran for minutes.
Patterns RE2 cannot run are refused when the config loads, with the strategy, the key and why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard import regex_engine
from healing_guard.catalogue import load_catalogue
from healing_guard.config import load_config
from healing_guard.errors import ConfigError
from healing_guard.logsource import from_text
from healing_guard.scanner import Scanner

pytest.importorskip("re2")

DATA = json.loads((Path(__file__).parent / "hostile_regexes.json").read_text(encoding="utf-8"))
ACCEPTED: list[dict[str, Any]] = DATA["accepted"]
REFUSED: list[dict[str, Any]] = DATA["refused"]


def _config(tmp_path: Path, key: str, pattern: str) -> Path:
    strategy: dict[str, Any] = {
        "id": "hostile",
        "name": "Hostile pattern",
        "category": "test_failure",
        "patterns": [pattern] if key == "patterns" else ["^."],
        "risk": "low",
        "action": "comment",
    }
    if key == "exclude":
        strategy["exclude"] = [pattern]
    path = tmp_path / "healing-config.yml"
    path.write_text(yaml.safe_dump({"custom_strategies": [strategy]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ACCEPTED, ids=[f"{c['key']}:{c['pattern']}" for c in ACCEPTED])
def test_hostile_patterns_run_in_linear_time_and_give_the_right_hits(case: dict[str, Any], tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, case["key"], case["pattern"]), catalogue=load_catalogue())
    (strategy,) = config.config.custom_strategies
    scanner = Scanner([strategy])
    # by construction: every pattern that runs on a line of the log runs on RE2
    compiled = scanner._rx.compiled()
    assert compiled and all(regex_engine.is_linear(p) for p in compiled)
    lines = case["lines"]
    result = scanner.scan(from_text("\n".join(lines) + "\n", "hostile.log"))
    entry = result.matched.get("hostile")
    hit_lines = {h.line for h in entry.hits} if entry else set()
    assert [i + 1 in hit_lines for i in range(len(lines))] == case["hits"]


@pytest.mark.parametrize("case", REFUSED, ids=[f"{c['key']}:{c['pattern']}" for c in REFUSED])
def test_patterns_re2_cannot_run_are_refused_when_the_config_loads(case: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(_config(tmp_path, case["key"], case["pattern"]), catalogue=load_catalogue())
    detail = excinfo.value.detail
    assert detail.startswith(f"custom_strategies[0].{case['key']}[0]: "), detail
    singular = "pattern" if case["key"] == "patterns" else case["key"]
    assert f"{singular} {case['pattern']!r} of strategy 'hostile' cannot run in linear time: RE2 rejects it" in detail


def test_without_re2_a_config_pattern_is_refused_not_run_on_re(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalogue = load_catalogue()  # the built-in catalogue is trusted (and cached) either way
    monkeypatch.setattr(regex_engine, "_re2", None)
    with pytest.raises(ConfigError) as excinfo:
        load_config(_config(tmp_path, "exclude", "(a+)+$"), catalogue=catalogue)
    assert excinfo.value.detail.startswith("custom_strategies[0].patterns[0]: ")
    assert "google-re2" in excinfo.value.detail
