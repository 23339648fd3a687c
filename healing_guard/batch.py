"""Several command-line inputs diagnosed in order: one entry per log, an error entry where one fails.

``healing-guard analyze A B C`` diagnoses its PATHs in the order given. A plain log (or a ``.gz`` of
one, or ``-`` for standard input) gives one entry whose ``path`` is the PATH as typed. A run-logs
``.zip`` gives one entry per log inside it, in the archive's job (and step) order, each with ``path``
``<PATH>!<member>`` (``logs.zip!2_test.txt``, ``logs.zip!build/3_Run tests.txt``). An input, or a
member of an archive, that cannot be read gives an entry with its ``error`` in its place; the
others are still diagnosed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .classify import Classifier
from .errors import LogInputError
from .logsource import LogInput, expand
from .models import Diagnosis


@dataclass(frozen=True)
class Entry:
    """One log's result: a diagnosis, or why the log could not be read (exactly one is set)."""

    path: str
    diagnosis: Diagnosis | None = None
    error: str | None = None
    #: the whole message for standard error (it names the input)
    message: str = ""


@dataclass(frozen=True)
class Batch:
    """The entries of every input, in order, and whether the single input asked for was one log."""

    entries: tuple[Entry, ...]
    #: one PATH was given and it was one log (not an archive): JSON shows one object, not an array
    single: bool

    @property
    def failed(self) -> bool:
        return any(e.error is not None for e in self.entries)

    @property
    def diagnoses(self) -> list[Diagnosis]:
        return [e.diagnosis for e in self.entries if e.diagnosis is not None]


def _without(name: str, message: str) -> str:
    """``message`` without the ``<name>: `` it starts with (the entry's ``path`` says it)."""
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _member_path(arg: str, source: LogInput) -> str | None:
    """``<arg>!<member>`` for a log inside the archive ``arg``, ``None`` for ``arg``'s only log."""
    base = str(Path(arg)) + "!"
    return arg + "!" + source.name[len(base) :] if source.name.startswith(base) else None


def analyze_paths(paths: Sequence[str], classifier: Classifier) -> Batch:
    """Every log ``paths`` stand for, diagnosed in order; unreadable ones become error entries."""
    entries: list[Entry] = []
    single = len(paths) == 1
    for arg in paths:
        try:
            sources = expand(arg)
        except LogInputError as exc:
            entries.append(Entry(arg, error=_without(arg, str(exc)), message=str(exc)))
            continue
        for source in sources:  # one unreadable log in an archive does not hide the others
            member = _member_path(arg, source)
            if member is not None:
                single = False
            path = member or arg
            try:
                entries.append(Entry(path, diagnosis=classifier.diagnose(source)))
            except LogInputError as exc:
                text = str(exc)
                error = _without(arg, _without(source.name, text))
                entries.append(Entry(path, error=error, message=text))
    return Batch(tuple(entries), single)
