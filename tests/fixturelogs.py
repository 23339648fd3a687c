"""Fixture logs with the expected root-cause line marked inside them.

``tests/fixtures/logs/<strategy-id>.log`` (or ``<strategy-id>--<variant>.log``) is a job log in
which the line that proves the failure ends with `` #=MATCH=#``. The test removes the marker,
diagnoses the log and expects that strategy, its category, and that line as the first evidence
line. An optional ``<name>.expect.yml`` beside it overrides ``strategy``/``category`` and adds
``params`` (a subset that must match) and ``failed_step``. Logs named ``hard--*.log`` always
have one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
MARKER = " #=MATCH=#"
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class Fixture:
    path: Path
    text: str
    line: int | None
    strategy: str | None
    category: str | None
    params: dict[str, Any] = field(default_factory=dict)
    failed_step: str | None = None

    @property
    def id(self) -> str:
        return self.path.name


def load(path: Path) -> Fixture:
    raw = path.read_bytes().decode("utf-8", "replace")
    lines = _NEWLINE.split(raw)
    marked = [i + 1 for i, line in enumerate(lines) if line.rstrip().endswith(MARKER.strip())]
    if len(marked) > 1:
        raise AssertionError(f"{path.name}: more than one line is marked")
    text = raw.replace(MARKER, "")
    stem = path.name[: -len(".log")]
    strategy: str | None = stem.split("--")[0]
    expect_path = path.with_name(stem + ".expect.yml")
    expect: dict[str, Any] = {}
    if expect_path.exists():
        expect = yaml.safe_load(expect_path.read_text("utf-8")) or {}
    elif stem.startswith("hard--"):
        raise AssertionError(f"{path.name}: hard cases need an .expect.yml")
    strategy = expect.get("strategy", strategy)
    return Fixture(
        path=path,
        text=text,
        line=marked[0] if marked else None,
        strategy=strategy,
        category=expect.get("category"),
        params=expect.get("params", {}),
        failed_step=expect.get("failed_step"),
    )


def all_fixtures() -> list[Fixture]:
    return [load(p) for p in sorted(FIXTURES.glob("*.log"))]
