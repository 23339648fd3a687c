"""One line of the audit trail: a ``TrailRecord``, and its JSON Lines encoding.

The trail is append-only JSON Lines, one record per line, sharded per month
(``trail/2026-12.jsonl``). A record is one of these kinds:

- ``failure``: a failed job of a run attempt the guard diagnosed, with what it decided and what
  came of the remediation (``action``, ``result``).
- ``outcome``: a later attempt of a run the guard acted on has concluded; ``conclusion`` says how,
  ``time_to_green_s`` how long it took from the first failure to green (success only), and
  ``failing_tests`` the tests that failed on the attempt before (a success on the same commit
  makes them flakes).
- ``fix``: a commit not made by the guard turned a workflow green on a branch after failures with
  ``signature``; ``fix_sha`` and ``files`` say what fixed it.
- ``decision``: any other decision worth keeping (approval asked, approved, rejected, expired,
  notified, the mass-failure brake), with ``action`` and ``result`` and ``detail``.

Everything in a record is bounded and free of secrets: text fields are cleaned (normalised, redacted,
neutralised) and cut before they are stored. ``key`` identifies a record, so writing the same
record twice (a retried write, two guards on the same event) is harmless: readers keep the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any

from ..sanitize import clean, truncate

SCHEMA = 1
KINDS: tuple[str, ...] = ("failure", "outcome", "fix", "decision")
#: the longest text a record keeps in one field (root lines, details)
TEXT_LIMIT = 500
#: the most test ids and changed files one record keeps
LIST_LIMIT = 100
#: the longest line a reader accepts; longer ones are corrupt
LINE_LIMIT = 64 * 1024


class CorruptRecord(ValueError):
    """A trail line that is not a valid record."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def parse_time(value: str) -> datetime:
    """An ISO 8601 time from the trail, always timezone-aware (UTC when it says nothing)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class TrailRecord:
    """One event in the trail. Fields that do not apply to a kind keep their empty default."""

    kind: str
    at: str
    repository: str
    run_id: int
    attempt: int
    workflow: str = ""
    workflow_id: int = 0
    job_id: int = 0
    job: str = ""
    branch: str = ""
    sha: str = ""
    event: str = ""
    signature: str = ""
    category: str = ""
    strategy: str = ""
    confidence: float = 0.0
    risk: str = ""
    #: the remediation (failure, outcome: the one that was done) or the decision's verb
    action: str = ""
    #: done, failed, skipped, planned … (failure, decision); for outcome: healed or not_healed
    result: str = ""
    detail: str = ""
    root_line: str = ""
    failing_tests: tuple[str, ...] = ()
    #: outcome: the run's conclusion on ``attempt``
    conclusion: str = ""
    #: outcome: the attempt the guard acted on
    previous_attempt: int = 0
    #: outcome: when the first failure of this run was seen, and seconds from then to green
    first_failure_at: str = ""
    time_to_green_s: float | None = None
    #: fix: the commit that fixed it and the files it changed
    fix_sha: str = ""
    files: tuple[str, ...] = ()
    #: how long the job ran before it failed, and how long the guard took, in seconds
    job_duration_s: float | None = None
    guard_duration_s: float | None = None
    schema: int = SCHEMA
    key: str = field(default="")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CorruptRecord(f"unknown record kind {self.kind!r} (expected one of {', '.join(KINDS)})")
        if not self.key:
            object.__setattr__(self, "key", default_key(self))

    @property
    def moment(self) -> datetime:
        return parse_time(self.at)

    def to_json(self) -> str:
        data = {k: v for k, v in asdict(self).items() if v not in ("", (), [], None) or k in _ALWAYS}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_ALWAYS = frozenset({"kind", "at", "repository", "run_id", "attempt", "schema", "key"})
_FIELDS = {f.name: f for f in fields(TrailRecord)}
_TUPLES = frozenset({"failing_tests", "files"})
_TEXTS = frozenset({"root_line", "detail"})
_INTS = frozenset({"run_id", "attempt", "workflow_id", "job_id", "previous_attempt", "schema"})
_FLOATS = frozenset({"confidence", "time_to_green_s", "job_duration_s", "guard_duration_s"})


def default_key(record: TrailRecord) -> str:
    """What makes two records the same event: kind, run, attempt, job, and the action for decisions."""
    parts = [record.kind, record.repository, str(record.run_id), str(record.attempt), str(record.job_id)]
    if record.kind == "decision":
        parts.append(record.action)
    if record.kind == "fix":
        parts.append(record.signature)
    return ":".join(parts)


def make_record(kind: str, *, redactor: Callable[[str], str] | None = None, **values: Any) -> TrailRecord:
    """A record from untrusted values: text cleaned and bounded, lists bounded, types checked."""
    prepared: dict[str, Any] = {}
    for name, value in values.items():
        if name not in _FIELDS:
            raise TypeError(f"TrailRecord has no field {name!r}")
        if name in _TUPLES:
            prepared[name] = tuple(truncate(clean(str(v), redactor), TEXT_LIMIT, "…") for v in list(value)[:LIST_LIMIT])
        elif name in _TEXTS:
            prepared[name] = truncate(clean(str(value), redactor).replace("\n", " "), TEXT_LIMIT, "…")
        else:
            prepared[name] = value
    prepared.setdefault("at", utc_now())
    return TrailRecord(kind=kind, **prepared)


def decode(line: str) -> TrailRecord:
    """One trail line as a record; ``CorruptRecord`` for anything else (never a partial record)."""
    if len(line) > LINE_LIMIT:
        raise CorruptRecord(f"line of {len(line)} characters (limit {LINE_LIMIT})")
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise CorruptRecord(f"not JSON: {exc}") from None
    if not isinstance(data, Mapping):
        raise CorruptRecord("not a JSON object")
    return from_dict(data)


def from_dict(data: Mapping[str, Any]) -> TrailRecord:
    values: dict[str, Any] = {}
    for name, value in data.items():
        if name not in _FIELDS:
            continue  # a field from a newer version: ignore, do not fail
        values[name] = _typed(name, value)
    for name in ("kind", "at", "repository", "run_id", "attempt"):
        if name not in values:
            raise CorruptRecord(f"missing {name!r}")
    try:
        parse_time(values["at"])
    except ValueError:
        raise CorruptRecord(f"'at' is not an ISO 8601 time: {values['at']!r}") from None
    return TrailRecord(**values)


def _typed(name: str, value: Any) -> Any:
    if name in _TUPLES:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CorruptRecord(f"{name!r} is not a list of strings")
        return tuple(value)
    if name in _INTS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise CorruptRecord(f"{name!r} is not an integer")
        return value
    if name in _FLOATS:
        if value is None and name != "confidence":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CorruptRecord(f"{name!r} is not a number")
        return float(value)
    if not isinstance(value, str):
        raise CorruptRecord(f"{name!r} is not a string")
    return value


def encode(records: Iterable[TrailRecord]) -> str:
    """Records as JSON Lines (each line ends in a newline)."""
    return "".join(r.to_json() + "\n" for r in records)


@dataclass
class ReadResult:
    """What reading a trail gave: the records (oldest first, each key once) and what was skipped."""

    records: list[TrailRecord] = field(default_factory=list)
    corrupt: int = 0
    warnings: list[str] = field(default_factory=list)

    def extend(self, other: ReadResult) -> None:
        self.records.extend(other.records)
        self.corrupt += other.corrupt
        self.warnings.extend(other.warnings)


def parse_lines(text: str, *, source: str = "trail") -> ReadResult:
    """Every valid record of a JSON Lines text; a corrupt line is counted and named, never dropped silently."""
    out = ReadResult()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.records.append(decode(line))
        except CorruptRecord as exc:
            out.corrupt += 1
            out.warnings.append(f"{source}:{number}: skipped a corrupt record ({exc})")
    return out


def unique(records: Iterable[TrailRecord]) -> Iterator[TrailRecord]:
    """Records in time order, the first of each key only (a record written twice counts once)."""
    seen: set[str] = set()
    for record in sorted(records, key=lambda r: r.moment):
        if record.key in seen:
            continue
        seen.add(record.key)
        yield record


def shard_name(moment: datetime) -> str:
    """The file a record of that moment goes to: one per month (``2026-12.jsonl``)."""
    return f"{moment.astimezone(timezone.utc):%Y-%m}.jsonl"


def with_time(record: TrailRecord, moment: datetime) -> TrailRecord:
    return replace(record, at=moment.astimezone(timezone.utc).isoformat(timespec="seconds"))
