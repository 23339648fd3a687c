"""The vocabulary model: tokens, training, files, and what the shipped model says about real lines."""

from __future__ import annotations

import json
import random
from importlib import resources
from pathlib import Path

import pytest

from healing_guard.models import CATEGORIES
from healing_guard.vocab import Counts, Example, VocabModel, clean_line, failing_step, tokens

# Real lines of one failed job: kevindemian/qa_tools, job_logs.txt at commit
# a40fe32c799c81c8adec34569e5333a51ca390c3 (gha-real id gha-qa-tools-tsc-ts2322), lines 149 (the
# labelled root line) and 139, 141, 144, 146-148 (output of the same job around it).
QA_TOOLS_ROOT = (
    "2026-06-01T14:15:11.3099035Z ##[error]git_triggers/test-results.test.ts(456,13): error TS2322: "
    "Type 'unknown' is not assignable to type 'JiraClient'."
)
QA_TOOLS_NOISE = (
    "2026-06-01T14:15:01.0227596Z added 545 packages, and audited 546 packages in 6s",
    "2026-06-01T14:15:01.0232526Z 113 packages are looking for funding",
    "2026-06-01T14:15:01.0241894Z found 0 vulnerabilities",
    "2026-06-01T14:15:01.0890117Z \x1b[36;1mnpx tsc --noEmit\x1b[0m",
    "2026-06-01T14:15:01.0920671Z shell: /usr/bin/bash -e {0}",
    "2026-06-01T14:15:01.0920956Z ##[endgroup]",
)
# pytorch/rl, job-logs.txt at commit 12b70338b03c73ca6b0bd62caa71a2b836b33d39 (gha-real id
# gha-pytorch-rl-procgen-missing): the labelled root line.
PYTORCH_RL_ROOT = "ModuleNotFoundError: No module named 'procgen'"


def _examples() -> list[Example]:
    return [
        Example("error TS2322: Type 'a' is not assignable to type 'B'.", True, "compile_error", "one/repo"),
        Example("src/a.ts(3,4): error TS2345: Argument of type 'x'", True, "compile_error", "two/repo"),
        Example("ModuleNotFoundError: No module named 'yaml'", True, "dependency_missing", "one/repo"),
        Example("ModuleNotFoundError: No module named 'requests'", True, "dependency_missing", "two/repo"),
        Example("##[group]Run npx tsc --noEmit", False, "compile_error", "one/repo"),
        Example("added 12 packages in 3s", False, None, "one/repo"),
        Example("added 99 packages in 8s", False, None, "two/repo"),
        Example("shell: /usr/bin/bash -e {0}", False, None, "two/repo"),
        Example("shell: /usr/bin/bash -e {0}", False, None, "one/repo"),
    ]


def test_clean_line_strips_timestamps_prefixes_and_colour() -> None:
    assert clean_line("\ufeff2024-01-01T00:00:00.1234567Z Current runner version: '2.3'") == (
        "Current runner version: '2.3'"
    )
    assert clean_line("build\tRun tests\t2024-01-01T00:00:00.1234567Z npm ERR! code E404\r") == "npm ERR! code E404"
    assert clean_line("\x1b[31mFAILED\x1b[0m tests/test_a.py::test_x") == "FAILED tests/test_a.py::test_x"
    assert clean_line("progress 10%\rprogress 100%") == "progress 100%"
    # a tab inside ordinary output is not a gh-run-view prefix
    assert clean_line("a\tb\tc") == "a\tb\tc"


def test_tokens_generalise_and_keep_tool_words() -> None:
    toks = tokens(clean_line(QA_TOOLS_ROOT))
    assert {"##[error]", "<path>", "<path.ts>", "ts2322", "ts####", "<q>", "error"} <= set(toks)
    assert "jiraclient" not in toks and "456" not in " ".join(toks)
    assert {"npm", "err!", "e404"} <= set(tokens("npm ERR! code E404"))
    assert {"error[e0425]", "error[code]"} <= set(tokens("error[E0425]: cannot find value `x` in this scope"))
    assert "<hex>" in tokens("commit d921fda672a98b64f4f82364647e2f10b2267d0b")
    assert "failed" in tokens("FAILED tests/test_a.py::test_x")
    assert "no module" in tokens(PYTORCH_RL_ROOT)


def test_training_is_deterministic_whatever_the_order() -> None:
    examples = _examples()
    first = VocabModel.train(examples, min_groups=1)
    shuffled = list(examples)
    random.Random(7).shuffle(shuffled)
    second = VocabModel.train(shuffled, min_groups=1)
    dump = json.dumps(first.data, sort_keys=True)
    assert dump == json.dumps(second.data, sort_keys=True)
    assert dump == json.dumps(VocabModel.train(examples, min_groups=1).data, sort_keys=True)


def test_tokens_of_a_single_repository_are_not_learned() -> None:
    model = VocabModel.train(_examples(), min_groups=2)
    assert "ts2322" not in model.data["category_counts"]  # only in one/repo
    assert "module" in model.data["category_counts"]  # in both repositories


def test_taking_counts_away_equals_training_without_them() -> None:
    examples = _examples()
    kept = [e for e in examples if e.group != "two/repo"]
    dropped = [e for e in examples if e.group == "two/repo"]
    total = Counts().add(examples)
    total.update(Counts().add(dropped), -1)
    expected = VocabModel.train(kept, min_groups=1).data
    assert json.dumps(total.model(min_groups=1).data, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = VocabModel.train(_examples(), min_groups=1)
    path = tmp_path / "vocab.json"
    model.save(path)
    loaded = VocabModel.load(path)
    assert loaded.data == model.data
    for text in (QA_TOOLS_ROOT, *QA_TOOLS_NOISE):
        assert loaded.root_score(text) == model.root_score(text)
        assert loaded.category_scores([text]) == model.category_scores([text])


def test_load_refuses_another_format(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ValueError, match="format"):
        VocabModel.load(path)


@pytest.fixture(scope="module")
def shipped() -> VocabModel:
    model = VocabModel.load_default()
    assert model is not None, "healing_guard/data/vocab.json is missing: run python tools/train_vocab.py"
    return model


def test_load_default_reads_the_package_data(shipped: VocabModel) -> None:
    resource = resources.files("healing_guard").joinpath("data").joinpath("vocab.json")
    assert resource.is_file()
    assert shipped.data == json.loads(resource.read_text("utf-8"))
    assert len(resource.read_bytes()) < 1_000_000


@pytest.mark.parametrize(
    "texts",
    [
        [QA_TOOLS_ROOT],
        [PYTORCH_RL_ROOT, "##[group]Run python -m pytest"],
        list(QA_TOOLS_NOISE),
        [],
        ["zzzz qqqq"],
    ],
)
def test_category_scores_are_probabilities_over_every_category(shipped: VocabModel, texts: list[str]) -> None:
    scores = shipped.category_scores(texts)
    assert list(scores) == list(CATEGORIES)
    assert sum(scores.values()) == pytest.approx(1.0)
    assert all(0.0 <= p <= 1.0 for p in scores.values())


def test_category_of_real_root_lines(shipped: VocabModel) -> None:
    compile_scores = shipped.category_scores([QA_TOOLS_ROOT, "##[group]Run npx tsc --noEmit"])
    assert max(compile_scores, key=compile_scores.__getitem__) == "compile_error"
    missing = shipped.category_scores([PYTORCH_RL_ROOT])
    assert max(missing, key=missing.__getitem__) == "dependency_missing"


def test_ranks_a_real_root_line_above_the_noise_of_its_log(shipped: VocabModel) -> None:
    root = shipped.root_score(QA_TOOLS_ROOT)
    assert 0.0 <= root <= 1.0
    for noise in QA_TOOLS_NOISE:
        assert shipped.root_score(noise) < root, noise


def test_failing_step_is_the_step_that_ended_in_an_exit_code() -> None:
    lines = [
        "##[group]Run actions/checkout@v4",
        "Syncing repository",
        "##[group]Run npx tsc --noEmit",
        "npx tsc --noEmit",
        "##[endgroup]",
        "src/a.ts(1,2): error TS2322: Type 'x' is not assignable to type 'y'.",
        "##[error]Process completed with exit code 2.",
        "Post job cleanup.",
    ]
    assert failing_step(lines) == (2, 7)
    plain = [f"line {i}" for i in range(500)]
    assert failing_step(plain, fallback=300) == (200, 500)
