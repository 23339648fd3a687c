"""The strategy catalogue: YAML files under ``strategies/``, validated and compiled on load."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import CatalogueError
from .models import Remediation, Risk, Strategy

_REPO_CATALOGUE = Path(__file__).resolve().parent.parent / "strategies"


def builtin_catalogue_dir() -> Path:
    """Where the built-in strategies live: inside the wheel, or beside the package in a checkout."""
    packaged = Path(str(resources.files("healing_guard"))) / "_catalogue"
    if packaged.is_dir():
        return packaged
    return _REPO_CATALOGUE


@cache
def strategy_schema() -> dict[str, Any]:
    text = resources.files("healing_guard").joinpath("schemas/strategy.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_SINGULAR = {"patterns": "pattern", "indicators": "indicator", "exclude": "exclude"}


def _compile(pattern: str, *, what: str, file: str, strategy: str, builtin: bool = True) -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise CatalogueError(
            f"{what} {pattern!r} is not a valid regular expression: {exc}", file=file, strategy=strategy
        ) from exc
    try:
        from . import regex_engine

        regex_engine.check_portable(pattern)
    except ValueError as exc:
        raise CatalogueError(f"{what} {pattern!r} {exc}", file=file, strategy=strategy) from exc
    try:
        regex_engine.check_linear(pattern, trusted=builtin)  # log text is hostile: no backtracking
    except ValueError as exc:
        raise CatalogueError(
            f"{what} {pattern!r} of strategy {strategy!r} {exc}", file=file, strategy=strategy
        ) from exc
    return compiled


def parse_strategy(data: Any, *, file: str, builtin: bool = True) -> Strategy:
    """Validate one strategy mapping against the schema and compile its regexes."""
    sid = data.get("id") if isinstance(data, Mapping) else None
    validator = jsonschema.Draft202012Validator(strategy_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        path = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise CatalogueError(f"{path}: {err.message}", file=file, strategy=sid if isinstance(sid, str) else None)
    assert isinstance(data, Mapping)
    sid = str(data["id"])

    def compile_all(key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(
            _compile(p, what=_SINGULAR[key], file=file, strategy=sid, builtin=builtin) for p in data.get(key, ())
        )

    rem = data["remediation"]
    return Strategy(
        id=sid,
        name=data["name"],
        description=data["description"].strip(),
        category=data["category"],
        patterns=compile_all("patterns"),
        indicators=compile_all("indicators"),
        exclude=compile_all("exclude"),
        risk=Risk(data["risk"]),
        confidence=float(data["confidence"]),
        priority=int(data["priority"]),
        remediation=Remediation(
            action=rem["action"],
            description=rem["description"].strip(),
            retry_delay_seconds=rem.get("retry_delay_seconds"),
            recipe=rem.get("recipe"),
        ),
        tags=tuple(data.get("tags", ())),
        wins_against=str(data.get("wins_against", "")).strip(),
        derived_from=tuple(data.get("derived_from", ())),
        source=file,
        builtin=builtin,
    )


#: libyaml's safe loader when PyYAML has it (the wheels do): the same data, and the catalogue's 150
#: files load in a tenth of the time, which every run of the action pays once
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_file(path: Path, *, builtin: bool) -> tuple[Strategy | None, tuple[str, str] | None]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"not valid YAML: {exc}", file=str(path)) from exc
    if isinstance(data, Mapping) and "replaced_by" in data:
        return None, (str(data.get("id")), str(data["replaced_by"]))
    return parse_strategy(data, file=str(path), builtin=builtin), None


@dataclass
class Catalogue:
    """An ordered, id-indexed set of strategies."""

    strategies: list[Strategy]
    retired: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for s in self.strategies:
            if s.id in seen:
                raise CatalogueError(f"duplicate id, also defined in {seen[s.id]}", file=s.source, strategy=s.id)
            seen[s.id] = s.source

    @property
    def enabled(self) -> list[Strategy]:
        return [s for s in self.strategies if s.enabled]

    def ids(self) -> list[str]:
        return [s.id for s in self.strategies]

    def get(self, sid: str) -> Strategy:
        for s in self.strategies:
            if s.id == sid:
                return s
        if sid in self.retired:
            raise CatalogueError(f"strategy {sid!r} was retired; use {self.retired[sid]!r} instead")
        raise CatalogueError(f"unknown strategy {sid!r}; known strategies: {', '.join(sorted(self.ids()))}")

    def with_overrides(
        self,
        *,
        disabled: Iterable[str] = (),
        updates: Mapping[str, Mapping[str, Any]] | None = None,
        extra: Sequence[Strategy] = (),
    ) -> Catalogue:
        """A copy with strategies disabled, fields overridden, and user strategies merged in.

        A user strategy with the id of a built-in one replaces it.
        """
        disabled = set(disabled)
        for sid in disabled | set(updates or {}):
            self.get(sid)  # raises with the known ids
        extra_ids = {s.id for s in extra}
        out: list[Strategy] = []
        for s in self.strategies:
            if s.id in extra_ids:
                continue
            if s.id in disabled:
                s = replace(s, enabled=False)
            if updates and s.id in updates:
                s = replace(s, **dict(updates[s.id]))
            out.append(s)
        return Catalogue(list(extra) + out, dict(self.retired))


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Load every ``*.yml`` strategy under ``directory`` (default: the built-in catalogue)."""
    directory = directory or builtin_catalogue_dir()
    return _load_dir(str(directory))


@cache
def _load_dir(directory: str) -> Catalogue:
    root = Path(directory)
    if not root.is_dir():
        raise CatalogueError(f"strategy catalogue folder {root} does not exist")
    strategies: list[Strategy] = []
    retired: dict[str, str] = {}
    for path in sorted(root.glob("*.yml")):
        strategy, retired_pair = _load_file(path, builtin=True)
        if strategy is not None:
            if strategy.id != path.stem:
                raise CatalogueError(f"id must match the file name {path.stem!r}", file=str(path), strategy=strategy.id)
            strategies.append(strategy)
        elif retired_pair:
            retired[retired_pair[0]] = retired_pair[1]
    if not strategies:
        raise CatalogueError(f"no strategies found in {root}")
    return Catalogue(strategies, retired)
