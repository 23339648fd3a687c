"""The trail's record: cleaned and bounded on the way in, strict on the way out, one key per event."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest

from healing_guard.history.records import (
    LIST_LIMIT,
    TEXT_LIMIT,
    CorruptRecord,
    TrailRecord,
    decode,
    encode,
    make_record,
    parse_lines,
    shard_name,
    unique,
)

BASE: dict[str, Any] = {"repository": "o/r", "run_id": 7, "attempt": 1, "at": "2026-12-01T10:00:00+00:00"}


def test_round_trip() -> None:
    r = make_record("failure", job_id=3, failing_tests=["t::a"], confidence=0.9, **BASE)
    again = decode(r.to_json())
    assert again == r
    assert again.key == "failure:o/r:7:1:3"


def test_text_is_cleaned_bounded_and_secret_free() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    r = make_record("failure", root_line=f"::error::boom {token}\n" + "x" * 5000, **BASE)
    assert token not in r.root_line
    assert not r.root_line.startswith("::")
    assert "\n" not in r.root_line
    assert len(r.root_line) <= TEXT_LIMIT
    many = make_record("failure", failing_tests=[f"t{i}" for i in range(500)], **BASE)
    assert len(many.failing_tests) == LIST_LIMIT


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"kind": "failure"}', "missing"),
        (json.dumps({**BASE, "kind": "party"}), "unknown record kind"),
        (json.dumps({**BASE, "kind": "failure", "run_id": "7"}), "not an integer"),
        (json.dumps({**BASE, "kind": "failure", "at": "yesterday"}), "ISO 8601"),
        (json.dumps({**BASE, "kind": "failure", "failing_tests": "t::a"}), "list of strings"),
    ],
)
def test_corrupt_lines_are_refused(line: str, why: str) -> None:
    with pytest.raises(CorruptRecord, match=why):
        decode(line)


def test_unknown_fields_from_newer_versions_are_ignored() -> None:
    r = decode(json.dumps({**BASE, "kind": "failure", "future": {"x": 1}}))
    assert r.run_id == 7


def test_parse_lines_counts_and_names_corrupt_lines() -> None:
    good = make_record("failure", **BASE)
    result = parse_lines(encode([good]) + "{oops\n\n" + encode([good]), source="trail/2026-12.jsonl")
    assert len(result.records) == 2
    assert result.corrupt == 1
    assert result.warnings == [
        "trail/2026-12.jsonl:2: skipped a corrupt record (not JSON: Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))"
    ]


def test_unique_keeps_the_first_of_each_key_in_time_order() -> None:
    first = make_record("failure", job_id=1, detail="first", **BASE)
    dup = make_record("failure", job_id=1, detail="second", **{**BASE, "at": "2026-12-01T11:00:00+00:00"})
    later = {**BASE, "attempt": 2, "at": "2026-12-01T12:00:00+00:00"}
    other = make_record("outcome", **later)
    assert [r.detail for r in unique([dup, other, first])] == ["first", ""]


def test_shards_are_monthly_in_utc() -> None:
    assert shard_name(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == "2026-12.jsonl"


def test_a_record_of_an_unknown_kind_cannot_be_made() -> None:
    with pytest.raises(CorruptRecord):
        TrailRecord(kind="nope", **BASE)
