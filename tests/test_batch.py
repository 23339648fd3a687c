"""``batch.analyze_paths`` and ``render_json``: one entry per log, in order, and its JSON.

The CLI tests run the same through ``healing-guard analyze``; these pin the pieces: how a PATH's
spelling and an archive's members become ``path``, where an unreadable input's error goes, when the
JSON is one object, and that a hostile member name or log line leaves as clean text.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from healing_guard import analyze_text
from healing_guard.batch import Batch, Entry, analyze_paths
from healing_guard.classify import Classifier
from healing_guard.render_json import batch_json, entry_data, remediation_data

TS = "2024-05-14T09:12:33.1234567Z "
LOG = (
    f"{TS}##[group]Run pytest -q\n{TS}##[endgroup]\n"
    f"{TS}E   ModuleNotFoundError: No module named 'yaml'\n"
    f"{TS}##[error]Process completed with exit code 2.\n"
)


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier()


def archive(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_one_plain_log_is_single(classifier: Classifier, tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(LOG, "utf-8")
    batch = analyze_paths([str(tmp_path / "a.log")], classifier)
    assert batch.single and not batch.failed
    (entry,) = batch.entries
    assert entry.path == str(tmp_path / "a.log") and entry.diagnosis is not None and entry.error is None
    assert isinstance(json.loads(batch_json(batch)), dict)


def test_one_unreadable_path_is_single_too(classifier: Classifier, tmp_path: Path) -> None:
    batch = analyze_paths([str(tmp_path / "gone.log")], classifier)
    assert batch.single and batch.failed and batch.diagnoses == []
    assert json.loads(batch_json(batch)) == {"path": str(tmp_path / "gone.log"), "error": "no such file"}
    assert batch.entries[0].message == f"{tmp_path / 'gone.log'}: no such file"


def test_an_archive_is_never_single_and_keeps_the_spelling(
    classifier: Classifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive(tmp_path / "run.zip", {"1_lint.txt": b"\x00\x01\x02binary", "2_test.txt": LOG})
    monkeypatch.chdir(tmp_path)
    batch = analyze_paths(["./run.zip"], classifier)
    assert not batch.single and batch.failed
    assert [e.path for e in batch.entries] == ["./run.zip!1_lint.txt", "./run.zip!2_test.txt"]
    assert batch.entries[0].error is not None and batch.entries[0].error.startswith("this looks like a binary file")
    assert batch.entries[0].message.startswith("run.zip!1_lint.txt: this looks like a binary file")
    data = json.loads(batch_json(batch))
    assert isinstance(data, list) and data[1]["params"]["module"] == "yaml"


def test_step_logs_of_an_archive_in_job_and_step_order(classifier: Classifier, tmp_path: Path) -> None:
    path = archive(
        tmp_path / "logs.zip",
        {"test/2_Run pytest.txt": LOG, "build/1_Set up.txt": f"{TS}hello\n", "test/1_Set up.txt": f"{TS}hi\n"},
    )
    batch = analyze_paths([str(path)], classifier)
    assert [e.path for e in batch.entries] == [
        f"{path}!build/1_Set up.txt",
        f"{path}!test/1_Set up.txt",
        f"{path}!test/2_Run pytest.txt",
    ]


def test_a_hostile_member_name_leaves_as_clean_text(classifier: Classifier, tmp_path: Path) -> None:
    path = archive(tmp_path / "logs.zip", {"1_##[error]forged \x1b]0;owned\x07.txt": LOG})
    text = batch_json(analyze_paths([str(path)], classifier))
    (data,) = json.loads(text)
    assert "##[" not in data["path"] and "\x1b" not in data["path"] and "owned" not in data["path"]
    assert data["path"].startswith(f"{path}!1_") and data["path"].endswith(".txt")


def test_remediation_of_an_unknown_failure_and_of_none() -> None:
    unknown = analyze_text(f"{TS}something odd happened\n{TS}##[error]Process completed with exit code 1.\n")
    data = remediation_data(unknown)
    assert data is not None and data["action"] == "escalate" and data["mutates_repository"] is False
    assert unknown.remediation is not None and data["advice"] == unknown.remediation.description.strip()
    assert remediation_data(replace(unknown, remediation=None)) is None
    assert entry_data(Entry("x.log", diagnosis=replace(unknown, remediation=None)))["remediation"] is None


def test_several_entries_are_an_array_even_when_one() -> None:
    batch = Batch((Entry("a.log", error="no such file"),), single=False)
    assert json.loads(batch_json(batch)) == [{"path": "a.log", "error": "no such file"}]
