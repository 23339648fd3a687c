"""The layered diagnosis on real excerpts (tests/fixtures/diagnosis): category, root line, layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard import Classifier
from healing_guard.logsource import expand

HERE = Path(__file__).resolve().parent / "fixtures" / "diagnosis"
CASES = sorted(HERE.glob("*.log"))


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(vocab=None)


def _meta(log: Path) -> dict[str, Any]:
    data = yaml.safe_load(log.with_suffix(".yml").read_text("utf-8"))
    assert isinstance(data, dict) and data["source"] and data["corpus_id"] == log.stem
    return data


@pytest.mark.parametrize("log", CASES, ids=[c.stem for c in CASES])
def test_root_line_is_among_the_first_three_evidence_lines(classifier: Classifier, log: Path) -> None:
    meta = _meta(log)
    d = classifier.diagnose(next(iter(expand(str(log)))))
    texts = [e.text for e in d.evidence[:3]]
    assert any(meta["root_text"] in t for t in texts), texts
    assert all(e.layer for e in d.evidence)
    if "category" in meta:
        assert d.category == meta["category"]


def test_a_missing_command_is_a_param(classifier: Classifier) -> None:
    d = classifier.diagnose(next(iter(expand(str(HERE / "gha-video-editor-ffmpeg-missing.log")))))
    assert d.params["command"] == "ffmpeg" and d.params["exit_code"] == 127


def test_failing_test_ids_from_the_runner_summary(classifier: Classifier) -> None:
    d = classifier.diagnose(next(iter(expand(str(HERE / "gha-uptime-playwright-screenshot.log")))))
    assert (
        d.params["tests"][0] == "tests/e2e/001-scaffolding/001-scaffolding.spec.ts:4:1 › App Scaffolding Verification"
    )


def test_a_formatter_listing_files_points_at_the_first_file(classifier: Classifier) -> None:
    d = classifier.diagnose(next(iter(expand(str(HERE / "gha-orgtree-prettier-check.log")))))
    # the root-line finder finds it on its own; the catalogue's js-format-check agrees and leads
    assert (d.category, d.evidence[0].text) == ("lint", "[warn] src/db.ts")
    assert d.evidence[0].layer in ("rootline", "strategy")


def test_without_any_strategy_the_layers_still_diagnose(classifier: Classifier) -> None:
    from healing_guard.catalogue import Catalogue

    bare = Classifier(Catalogue([]), vocab=None)
    d = bare.diagnose(next(iter(expand(str(HERE / "gha-lofi-pm-tsc-ts2345.log")))))
    assert d.category == "compile_error" and d.strategy == "rootline-compile_error"
    assert d.remediation is not None and d.remediation.action == "comment"
