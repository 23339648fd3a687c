"""The pieces of bench/accuracy.py that decide what counts as right on gha-real."""

from __future__ import annotations

import json
from pathlib import Path

from bench.accuracy import RELIABILITY_BINS, Case, GhaLog, Report, _line_map, derived_from
from healing_guard.vocab import Example
from tools.train_vocab import LabelledLog, mark_overlaps, repository_of


def test_repository_of_each_kind_of_source() -> None:
    assert repository_of("kevindemian/qa_tools:job_logs.txt@a40fe32c799c81c8adec34569e5333a51ca390c3") == (
        "kevindemian/qa_tools"
    )
    assert repository_of("pangeo-data/pangeo-docker-images#257") == "pangeo-data/pangeo-docker-images"
    assert repository_of(
        "mkaouer/workflow_log_cleaner:github_actions_error_logs.csv@2a9d39496a32b9722ecd55e05d8008d (row 12)"
    ) == ("mkaouer/workflow_log_cleaner")


def test_line_map_only_when_a_bare_carriage_return_splits_lines() -> None:
    assert _line_map(b"a\r\nb\nc") is None
    # the scanner sees a | b | c | d; gha-real numbers a and b as line 1
    assert _line_map(b"a\rb\nc\r\nd") == (1, 1, 2, 3)


def test_derived_from_reads_the_yaml_key(tmp_path: Path) -> None:
    (tmp_path / "one.yml").write_text("id: one\nderived_from: [log-a, log-b]\n", encoding="utf-8")
    (tmp_path / "two.yml").write_text("id: two\n", encoding="utf-8")
    logs = [
        GhaLog("log-a", "o/a", tmp_path, "lint", (), 1, frozenset({1}), None),
        GhaLog("log-b", "o/b", tmp_path, "lint", (), 1, frozenset({1}), None),
    ]
    assert derived_from(tmp_path, logs) == {"one": {"o/a", "o/b"}}


def _case(gold: str, got: str, confidence: float, alts: tuple[str, ...] = ()) -> Case:
    return Case("x", gold, got, "s", 1, "", True, alts=alts, confidence=confidence)


def test_reliability_bins_and_lenient_accuracy() -> None:
    report = Report("gha-real", "here")
    report.cases = [
        _case("lint", "lint", 0.9),
        _case("lint", "compile_error", 0.85, alts=("compile_error",)),
        _case("network", "unknown", 0.1),
        _case("network", "network", 0.6),
    ]
    bins = report.reliability()
    assert [(b.low, b.high) for b in bins] == list(RELIABILITY_BINS)
    assert [b.count for b in bins] == [1, 1, 2]
    assert bins[2].accuracy == 0.5 and bins[2].lenient_accuracy == 1.0
    assert report.accuracy == 0.5 and report.lenient_accuracy == 0.75
    assert report.wrong_unknown == 1
    assert any("not yet" in goal for goal in report.goals())


def _gha_corpus(tmp_path: Path, logs: dict[str, list[str]]) -> Path:
    folder = tmp_path / "gha-real" / "logs"
    folder.mkdir(parents=True)
    labels = []
    for repo, lines in logs.items():
        name = repo.replace("/", "-")
        (folder / f"{name}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
        labels.append({"id": name, "file": f"logs/{name}.log", "source": f"{repo}:job-logs.txt@abc"})
    (tmp_path / "gha-real" / "labels.json").write_text(json.dumps(labels), encoding="utf-8")
    return tmp_path


def test_a_fixture_cut_from_a_gha_real_log_leaves_with_its_repository(tmp_path: Path) -> None:
    boiler = "Temporarily overriding HOME before making global git config changes"
    corpus = _gha_corpus(
        tmp_path,
        {
            "o/a": [boiler, "E   KeyError: 'state' raised while building the agent graph"],
            "o/b": [boiler, "something else entirely that is long enough"],
            "o/c": [boiler],
        },
    )
    cut = LabelledLog(
        "cut.log", "fixture/x", [Example("E   KeyError: 'state' raised while building the agent graph", True)]
    )
    unrelated = LabelledLog(
        "other.log", "fixture/y", [Example(boiler, False), Example("a line of its own, long", True)]
    )
    mark_overlaps([cut, unrelated], corpus)
    assert cut.repos == {"o/a"}
    assert unrelated.repos == set()
