"""The trail in SQLite: what ``healing-guard history sync`` writes, and a ``Trail`` the other commands
can read offline.

Tables (``sqlite3 .healing-guard/history.sqlite``):

- ``records``: one row per record, one column per ``TrailRecord`` field (lists as JSON text), the
  record's line as it was read (``line``); ``key`` is the primary key, so syncing twice, or a
  record that is in the trail twice, stores it once.
- ``record_tests (key, test)`` and ``record_files (key, file)``: the failing tests and changed files
  of each record, one per row (for ``GROUP BY test``).
- ``sync (at, source, records, added, corrupt)``: one row per sync.

Indexes: records by kind and time, by run and attempt, by signature, by workflow and branch; tests
by test.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .records import CorruptRecord, ReadResult, TrailRecord, decode
from .store import finish

DEFAULT_DB = Path(".healing-guard") / "history.sqlite"

_FIELDS = [f for f in fields(TrailRecord)]
_LISTS = {"failing_tests", "files"}


def _column_type(name: str, annotation: str) -> str:
    if name in _LISTS:
        return "TEXT"
    if annotation.startswith("int"):
        return "INTEGER"
    if annotation.startswith("float"):
        return "REAL"
    return "TEXT"


_COLUMNS = [(f.name, _column_type(f.name, str(f.type))) for f in _FIELDS]
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS records (
    {", ".join(f"{name} {kind}" + (" PRIMARY KEY" if name == "key" else "") for name, kind in _COLUMNS)},
    line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_kind_at ON records (kind, at);
CREATE INDEX IF NOT EXISTS records_run ON records (run_id, attempt);
CREATE INDEX IF NOT EXISTS records_signature ON records (signature);
CREATE INDEX IF NOT EXISTS records_workflow_branch ON records (workflow, branch);
CREATE TABLE IF NOT EXISTS record_tests (key TEXT NOT NULL, test TEXT NOT NULL, PRIMARY KEY (key, test));
CREATE INDEX IF NOT EXISTS record_tests_test ON record_tests (test);
CREATE TABLE IF NOT EXISTS record_files (key TEXT NOT NULL, file TEXT NOT NULL, PRIMARY KEY (key, file));
CREATE TABLE IF NOT EXISTS sync (
    at TEXT NOT NULL, source TEXT NOT NULL, records INTEGER NOT NULL, added INTEGER NOT NULL, corrupt INTEGER NOT NULL
);
"""


def _row(record: TrailRecord) -> list[Any]:
    values: list[Any] = []
    for name, _ in _COLUMNS:
        value = getattr(record, name)
        values.append(json.dumps(list(value), ensure_ascii=False) if name in _LISTS else value)
    values.append(record.to_json())
    return values


class SqliteTrail:
    """A ``Trail`` in a SQLite file (created with its tables on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.executescript(SCHEMA)
        return db

    def read(self, since: datetime | None = None) -> ReadResult:
        out = ReadResult()
        with closing(self._connect()) as db:
            for key, line in db.execute("SELECT key, line FROM records ORDER BY at, rowid"):
                try:
                    out.records.append(decode(line))
                except CorruptRecord as exc:  # a row changed by hand
                    out.corrupt += 1
                    out.warnings.append(f"{self.path}: record {key}: skipped a corrupt record ({exc})")
        return finish(out, since)

    def append(self, records: Sequence[TrailRecord]) -> None:
        self.add(records)

    def add(self, records: Sequence[TrailRecord]) -> int:
        """Store ``records`` (a key already there is kept as it is); returns how many were new."""
        marks = ", ".join("?" for _ in range(len(_COLUMNS) + 1))
        names = ", ".join([name for name, _ in _COLUMNS] + ["line"])
        added = 0
        with closing(self._connect()) as db, db:
            for record in records:
                cursor = db.execute(f"INSERT OR IGNORE INTO records ({names}) VALUES ({marks})", _row(record))
                if cursor.rowcount != 1:
                    continue
                added += 1
                db.executemany(
                    "INSERT OR IGNORE INTO record_tests (key, test) VALUES (?, ?)",
                    [(record.key, t) for t in record.failing_tests],
                )
                db.executemany(
                    "INSERT OR IGNORE INTO record_files (key, file) VALUES (?, ?)",
                    [(record.key, f) for f in record.files],
                )
        return added

    def log_sync(self, at: str, source: str, records: int, added: int, corrupt: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO sync VALUES (?, ?, ?, ?, ?)", (at, source, records, added, corrupt))
