"""The repository's ``.github/healing-config.yml``: loaded, checked and merged with the catalogue.

The file is optional: a missing or empty file means the built-in defaults. An invalid file raises
:class:`ConfigInvalidError` (a :class:`~healing_guard.errors.ConfigError`) that names the file, the
line of the offending key or value, the key and what is allowed. Unknown keys are not an error:
they come back as :class:`ConfigWarning` s with a "did you mean" suggestion.

``healing_guard/schemas/healing-config.schema.json`` is the single description of the format: it
is published for editors (``# yaml-language-server: $schema=...``) and it is what the loader
validates with. Its ``additionalProperties: false`` errors are turned into warnings here, and the
checks a schema cannot express (strategy ids known to the catalogue, regexes that compile, backoff
bounds that agree) follow it.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from .catalogue import Catalogue, parse_strategy
from .errors import CatalogueError, ConfigError
from .files import read_at_most, special_kind
from .history.policy import MemoryPolicy
from .models import ACTIONS, Risk, Strategy
from .policies import ApprovalPolicy, Channel, IncidentPolicy, approvals_policy, incident_policy, notification_channels
from .recipes.base import FixSettings

#: A larger file is refused: a config never needs this much, and the parser's work stays bounded.
MAX_CONFIG_BYTES = 1024 * 1024
#: The only version of the format.
CONFIG_VERSION = 1

#: Defaults of a custom strategy's optional keys.
CUSTOM_DEFAULT_CONFIDENCE = 0.8
CUSTOM_DEFAULT_PRIORITY = 60
_DEFAULT_REMEDIATION_TEXT: Mapping[str, str] = {
    "rerun": "Re-run the failed jobs: this failure is usually transient.",
    "clear-cache": "Delete the caches the job restored, then re-run it.",
    "fix-pr": "Open a pull request that fixes this failure.",
    "comment": "Explain the failure in a comment on the pull request.",
    "escalate": "Open or update an issue so that a person looks at this failure.",
    "approval": "Post the plan and wait for someone with write access to comment /heal approve.",
    "notify": "Tell the configured notification channels about this failure.",
    "incident": "Open an incident (PagerDuty, Jira) for this failure.",
    "none": "No automatic action: read the evidence lines in the log.",
}

#: The most values a document may expand to (aliases can multiply a small file).
_MAX_NODES = 200_000
#: The deepest nesting of lists and mappings accepted (the format needs 5; the parser recurses per level).
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]


# --------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon the guard re-runs failed jobs."""

    max_retries: int = 3
    backoff_seconds: int = 30
    backoff_factor: float = 2.0
    max_backoff_seconds: int = 600

    def delay_seconds(self, run_attempt: int, *, base: int | None = None) -> int:
        """Seconds to wait before re-running a run now at ``run_attempt`` (1 for the first run).

        ``base`` replaces ``backoff_seconds`` (a strategy's ``retry_delay_seconds``); the result
        grows by ``backoff_factor`` per earlier re-run and never exceeds ``max_backoff_seconds``.
        """
        start = self.backoff_seconds if base is None else base
        retries_so_far = max(run_attempt, 1) - 1
        delay = float(start)
        for _ in range(retries_so_far):
            if delay >= self.max_backoff_seconds:
                break
            delay *= self.backoff_factor
        return int(min(delay, self.max_backoff_seconds))


@dataclass(frozen=True)
class EscalationPolicy:
    """When and how the guard opens (or updates) an issue for people."""

    after_failures: int = 3
    on_high_risk: bool = True
    labels: tuple[str, ...] = ("ci-failure", "healing-guard")
    assignees: tuple[str, ...] = ()


#: the schema's pattern for ``history.branch`` (a branch name git and GitHub accept)
HISTORY_BRANCH_PATTERN = "^(?!/|-|refs/|.*(\\.\\.|//|@\\{|\\.lock(/|$)|/$|\\.$))[A-Za-z0-9._/-]+$"


@dataclass(frozen=True)
class HistoryPolicy:
    """``history:``: the audit trail on a branch of the repository (issue 9)."""

    enabled: bool = True
    branch: str = "healing-guard/state"
    retention_days: int = 180


@dataclass(frozen=True)
class StrategyOverride:
    """The ``strategies.<id>`` settings for one strategy; ``None`` keeps the strategy's own."""

    enabled: bool | None = None
    min_confidence: float | None = None
    action: str | None = None
    risk: Risk | None = None


def _no_overrides() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class GuardConfig:
    """The whole configuration, with every default filled in."""

    version: int = CONFIG_VERSION
    dry_run: bool = False
    min_confidence: float = 0.6
    max_risk: Risk = Risk.MEDIUM
    comment_on_pr: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    protected_branches: tuple[str, ...] = ("main", "master", "release/*")
    strategies: Mapping[str, StrategyOverride] = field(default_factory=_no_overrides, hash=False)
    custom_strategies: tuple[Strategy, ...] = ()
    history: HistoryPolicy = field(default_factory=HistoryPolicy)
    # -- issue 10: risk gates, approvals, notifications, incidents (policies.py) --
    approvals: ApprovalPolicy = field(default_factory=ApprovalPolicy)
    notifications: tuple[Channel, ...] = ()
    incidents: IncidentPolicy = field(default_factory=IncidentPolicy)
    #: ``memory``: flaky tests, adaptive healing and the mass-failure brake (issue 9)
    memory: MemoryPolicy = field(default_factory=MemoryPolicy)
    # -- fix pull requests (issue 10): the whole ``fixes`` section ------------------------------
    fixes: FixSettings = field(default_factory=FixSettings)

    @classmethod
    def default(cls) -> GuardConfig:
        """The configuration of a repository without a config file."""
        return cls()

    def is_protected(self, branch: str) -> bool:
        """Whether ``branch`` (a name, or a ``refs/heads/`` ref) matches a protected-branch glob."""
        name = _branch_name(branch)
        return bool(name) and any(fnmatch.fnmatchcase(name, _branch_name(g)) for g in self.protected_branches)

    def override(self, strategy_id: str) -> StrategyOverride:
        """The ``strategies.<id>`` settings of one strategy (all ``None`` when it has none)."""
        return self.strategies.get(strategy_id, StrategyOverride())

    def min_confidence_for(self, strategy_id: str) -> float:
        """The confidence below which no automatic action is taken for this strategy."""
        own = self.override(strategy_id).min_confidence
        return self.min_confidence if own is None else own

    def allows_risk(self, risk: Risk | str) -> bool:
        """Whether a remediation of this risk is within ``max_risk``."""
        return Risk(risk).rank <= self.max_risk.rank


def _branch_name(ref: str) -> str:
    ref = ref.strip()
    return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref


@dataclass(frozen=True)
class ConfigWarning:
    """Something in the file that is ignored but probably a mistake (an unknown key)."""

    message: str
    file: str
    line: int | None
    key: str
    suggestion: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ConfigProblem:
    """One reason the file is invalid."""

    message: str
    line: int | None
    key: str


class ConfigInvalidError(ConfigError):
    """A config file with one or more problems; the first one gives ``line`` and ``detail``."""

    def __init__(self, problems: Sequence[ConfigProblem], *, file: str) -> None:
        first = problems[0]
        message = first.message
        for other in problems[1:]:
            where = f"{file}:{other.line}" if other.line else file
            message += f"\n{where}: {other.message}"
        super().__init__(message, file=file, line=first.line)
        self.detail = first.message
        self.problems: tuple[ConfigProblem, ...] = tuple(problems)


@dataclass(frozen=True)
class LoadedConfig:
    """What :func:`load_config` returns."""

    config: GuardConfig
    catalogue: Catalogue = field(compare=False, hash=False)
    warnings: tuple[ConfigWarning, ...] = ()
    #: The file read, or ``None`` when the defaults were used (no path, or no file there).
    source: Path | None = None


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@cache
def config_schema() -> dict[str, Any]:
    """The published JSON Schema of the config file."""
    text = resources.files("healing_guard").joinpath("schemas/healing-config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def load_config(path: Path | None, *, catalogue: Catalogue) -> LoadedConfig:
    """Read the config file at ``path`` and merge its strategy settings into ``catalogue``.

    ``None`` or a path with no file there gives the defaults, as does an empty file.
    Raises :class:`ConfigInvalidError` (a ``ConfigError``) for a file that is not valid.
    """
    if path is None or not path.exists():
        return LoadedConfig(GuardConfig.default(), catalogue)
    file = str(path)
    text = _read(path, file)
    document = _parse_yaml(text, file)
    if document is None:
        return LoadedConfig(GuardConfig.default(), catalogue, source=path)
    data, lines = document
    if data is None:
        return LoadedConfig(GuardConfig.default(), catalogue, source=path)
    if not isinstance(data, dict):
        raise ConfigError(
            f"the config must be a mapping of settings (key: value), got {_describe(data)}",
            file=file,
            line=lines.get((), 1),
        )

    problems, warnings = _validate(data, lines, file)
    if problems:
        raise ConfigInvalidError(_sorted(problems), file=file)
    builder = _Builder(data, lines, file, catalogue)
    config, merged = builder.build()
    if builder.problems:
        raise ConfigInvalidError(_sorted(builder.problems), file=file)
    all_warnings = sorted([*warnings, *builder.warnings], key=lambda w: (w.line or 0, w.key))
    return LoadedConfig(config, merged, tuple(all_warnings), source=path)


def _sorted(problems: list[ConfigProblem]) -> list[ConfigProblem]:
    return sorted(problems, key=lambda p: (p.line or 0, p.key))


def _read(path: Path, file: str) -> str:
    try:
        kind = special_kind(path)
        if kind is not None:
            raise ConfigError(
                f"is {kind}, not a config file",
                file=file,
            )
        raw = read_at_most(path, MAX_CONFIG_BYTES)
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=file) from exc
    if raw is None:
        raise ConfigError(
            f"the file is larger than 1 MiB ({MAX_CONFIG_BYTES} bytes), the most a config file can be", file=file
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"not valid UTF-8 text (byte {raw[exc.start]:#04x}); save the file as UTF-8", file=file, line=line
        ) from exc


# --------------------------------------------------------------------------------------------
# YAML with line numbers
# --------------------------------------------------------------------------------------------

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[JsonPath, int]] | None:
    """The document's data and the line (from 1) of every key and list item, by JSON path.

    Returns ``None`` for a document with no content (empty, or only comments).
    """
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text, file)
        node = loader.get_single_node()
        if node is None:
            return None
        lines: dict[JsonPath, int] = {}
        data = _Composer(loader, file, lines).build(node, (), node.start_mark.line + 1)
        return data, lines
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, file) from exc
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ConfigError(
            f"not valid YAML: the control character U+{char:04X} is not allowed in a YAML file", file=file, line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=file) from exc
    except RecursionError as exc:  # pragma: no cover - MAX_DEPTH stops nesting long before
        raise ConfigError(f"lists and mappings nested too deeply (at most {MAX_DEPTH} levels)", file=file) from exc
    finally:
        if loader is not None:
            loader.dispose()


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than :data:`MAX_DEPTH`.

    PyYAML composes nested nodes recursively, so a file of ten thousand ``[`` would otherwise end
    in a ``RecursionError`` rather than a message about the file.
    """

    def __init__(self, text: str, file: str) -> None:
        super().__init__(text)
        self._file = file
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ConfigError(
                    f"lists and mappings nested more than {MAX_DEPTH} levels deep; a healing config needs "
                    "a handful, so this is not one",
                    file=self._file,
                    line=mark.line + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Composer:
    """Turns composed YAML nodes into plain data, recording lines and refusing duplicate keys."""

    def __init__(self, loader: _BoundedLoader, file: str, lines: dict[JsonPath, int]) -> None:
        self.loader = loader
        self.file = file
        self.lines = lines
        self.active: set[int] = set()
        #: Mappings whose merge keys are resolved (PyYAML does that in place, so once per node).
        self.flattened: set[int] = set()
        self.count = 0

    def build(self, node: yaml.Node, path: JsonPath, line: int) -> Any:
        self.lines[path] = line
        self.count += 1
        if self.count > _MAX_NODES:
            raise ConfigError("the document expands to too many values (nested aliases?)", file=self.file, line=line)
        if isinstance(node, yaml.ScalarNode):
            value = self.loader.construct_object(node)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(
                    f"{_dotted(path)}: {node.value} is not a number the guard can use; write a finite number",
                    file=self.file,
                    line=line,
                )
            return value
        if id(node) in self.active:
            raise ConfigError("an alias refers to the value that contains it", file=self.file, line=line)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, _SEQ_TAG, "list")
                return [self.build(item, (*path, i), item.start_mark.line + 1) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                self._check_tag(node, _MAP_TAG, "mapping")
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        kind = type(node).__name__
        raise ConfigError(f"unsupported YAML node {kind}", file=self.file, line=line)  # pragma: no cover

    def _check_tag(self, node: yaml.Node, expected: str, what: str) -> None:
        if node.tag != expected:
            raise ConfigError(
                f"the YAML tag {node.tag} is not supported here; write a plain {what}",
                file=self.file,
                line=node.start_mark.line + 1,
            )

    def _mapping(self, node: yaml.MappingNode, path: JsonPath) -> dict[str, Any]:
        if id(node) not in self.flattened:  # an alias to a mapping already seen: checked then
            self._check_keys(node, path)
            self.loader.flatten_mapping(node)  # resolves merge keys (<<); explicit keys come last and win
            self.flattened.add(id(node))
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            result[name] = self.build(value_node, (*path, name), key_node.start_mark.line + 1)
        return result

    def _check_keys(self, node: yaml.MappingNode, path: JsonPath) -> None:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("a key must be a plain name, not a list or mapping", file=self.file, line=line)
            if key_node.tag == _MERGE_TAG:
                continue
            name = key_node.value
            if name in seen:
                where = _dotted((*path, name))
                raise ConfigError(
                    f"{where}: duplicate key (first set on line {seen[name]}); YAML would silently keep only "
                    "the last one, so remove one of them",
                    file=self.file,
                    line=line,
                )
            seen[name] = line


def _yaml_error(exc: yaml.MarkedYAMLError, file: str) -> ConfigError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or ""
    if "'\\t'" in problem or "\t" in problem:
        text = "a tab character here; indent YAML with spaces, not tabs"
    elif problem.startswith("expected <block end>"):
        text = "bad indentation: this line does not line up with the keys or items before it"
    elif problem == "mapping values are not allowed here":
        text = "unexpected ':' here: is this line indented too far, or does a value containing ': ' need quotes?"
    elif exc.context == "expected a single document in the stream":
        text = "the file holds more than one YAML document (---); keep one"
    else:
        text = problem or str(exc)
        if exc.context and exc.context_mark is not None:
            text += f" ({exc.context} started on line {exc.context_mark.line + 1})"
        elif exc.context:
            text += f" ({exc.context})"
    column = f" (column {mark.column + 1})" if mark is not None else ""
    return ConfigError(f"not valid YAML: {text}{column}", file=file, line=mark.line + 1 if mark else None)


# --------------------------------------------------------------------------------------------
# Schema validation, with messages that say what is allowed
# --------------------------------------------------------------------------------------------


def _dotted(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _line_of(lines: Mapping[JsonPath, int], path: Sequence[str | int]) -> int | None:
    key = tuple(path)
    while key not in lines and key:
        key = key[:-1]
    return lines.get(key)


def _describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):  # at most 80 characters of it: the message is published
        return json.dumps(value if len(value) <= 80 else value[:80] + "…", ensure_ascii=False)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return json.dumps(str(value), ensure_ascii=False)


def _resolve(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with its local ``$ref`` merged in (its own keywords win)."""
    out = dict(schema)
    while "$ref" in out:
        ref = out.pop("$ref")
        target: Any = config_schema()
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        out = {**target, **out}
    return out


def _schema_at(path: Sequence[str | int]) -> dict[str, Any]:
    """The schema that applies at an instance path (empty when none does)."""
    schema = _resolve(config_schema())
    for part in path:
        if isinstance(part, int):
            items = schema.get("items")
            schema = _resolve(items) if isinstance(items, Mapping) else {}
        elif part in schema.get("properties", {}):
            schema = _resolve(schema["properties"][part])
        elif isinstance(schema.get("additionalProperties"), Mapping):
            schema = _resolve(schema["additionalProperties"])
        else:
            return {}
    return schema


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" of at least {low}"
    if high is not None:
        return f" of at most {high}"
    return ""


_PATTERN_PHRASES = {
    "^[a-z0-9]+(-[a-z0-9]+)*$": "a kebab-case id (lowercase letters and digits joined by single dashes)",
    "^[A-Za-z0-9][A-Za-z0-9-]{0,38}$": "a GitHub user name (letters, digits and dashes, without the @)",
    "^\\^": "a regular expression that starts with ^",
    HISTORY_BRANCH_PATTERN: "a git branch name (letters, digits, . _ - and /; no leading - or /, no .., //, @{, "
    "trailing / or ., no refs/ prefix)",
}


def _expectation(schema: Mapping[str, Any]) -> str:
    """What a value must be, in words: "must be an integer from 0 to 10"."""
    if "const" in schema:
        return f"must be {json.dumps(schema['const'])}"
    if "enum" in schema:
        return "must be one of " + ", ".join(str(v) for v in schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):  # ["object", "null"]: null means "use the defaults"
        kind = next((k for k in kind if k != "null"), None)
    if kind in ("integer", "number"):
        noun = "an integer" if kind == "integer" else "a number"
        return f"must be {noun}{_range(schema.get('minimum'), schema.get('maximum'))}"
    if kind == "boolean":
        return "must be true or false"
    if kind == "string":
        if "pattern" in schema:
            pattern = schema["pattern"]
            text = f"must be {_PATTERN_PHRASES.get(pattern, 'a string matching ' + pattern)}"
        else:
            text = "must be a string"
        if schema.get("minLength", 0) > 1 or "maxLength" in schema:
            low, high = schema.get("minLength", 0), schema.get("maxLength")
            if low > 1 and high is not None:
                text += f" of {low} to {high} characters"
            elif low > 1:
                text += f" of at least {low} characters"
            else:
                text += f" of at most {high} characters"
        elif schema.get("minLength") == 1:
            text = text.replace("a string", "a non-empty string")
        return text
    if kind == "array":
        items = _resolve(schema.get("items", {}))
        noun = {"string": "strings", "object": "mappings"}.get(str(items.get("type")), "values")
        if "pattern" in items:
            noun = "strings, each " + _PATTERN_PHRASES.get(items["pattern"], "matching " + items["pattern"])
        return f"must be a list of {noun}"
    if kind == "object":
        return "must be a mapping (key: value)"
    return "is not valid"


_VALUE_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "pattern",
        "minLength",
        "maxLength",
        "format",
    }
)


def _validate(
    data: dict[str, Any], lines: Mapping[JsonPath, int], file: str
) -> tuple[list[ConfigProblem], list[ConfigWarning]]:
    validator = jsonschema.Draft202012Validator(config_schema())
    problems: dict[JsonPath, ConfigProblem] = {}
    warnings: list[ConfigWarning] = []
    for error in validator.iter_errors(data):
        path: JsonPath = tuple(error.absolute_path)
        keyword = str(error.validator)
        if keyword == "additionalProperties" and isinstance(error.instance, dict):
            warnings.extend(_unknown_keys(error.instance, error.schema, path, lines, file))
            continue
        if keyword == "oneOf" and not isinstance(error.instance, dict):
            continue  # not a mapping at all: its "type" error says so
        if "propertyNames" in error.relative_schema_path:
            if path == ("strategies",):
                continue  # reported with close matches by _Builder, which checks every id
            path = (*path, str(error.instance))
            message = f"{_dotted(path)}: the key {_expectation(_resolve(error.schema))}"
        else:
            message = _message(keyword, error, path)
        # one message per value (it says everything allowed); one per keyword for a list or mapping
        dedup = path if keyword in _VALUE_KEYWORDS else (*path, f"#{keyword}")
        problems.setdefault(dedup, ConfigProblem(message, _line_of(lines, path), _dotted(path)))
    return list(problems.values()), warnings


def _message(keyword: str, error: jsonschema.ValidationError, path: JsonPath) -> str:
    where = _dotted(path)
    instance: Any = error.instance
    if keyword in _VALUE_KEYWORDS:
        return f"{where}: {_expectation(_schema_at(path))}, got {_describe(instance)}"
    if keyword == "required":
        required: Any = error.validator_value
        missing = [k for k in required if k not in instance]
        return f"{where}: missing required key {', '.join(missing)}"
    if keyword == "oneOf" and path[:1] == ("custom_strategies",) and isinstance(instance, dict):
        if "action" in instance and "remediation" in instance:
            return f"{where}: give either action or a remediation mapping, not both"
        return f"{where}: needs an action: set action (one of {', '.join(ACTIONS)}) or a remediation mapping"
    if keyword == "uniqueItems":
        seen: list[Any] = []
        for item in instance:
            if item in seen:
                return f"{where}: lists {_describe(item)} more than once"
            seen.append(item)
    if keyword == "minItems":
        return f"{where}: must list at least {error.validator_value} item(s)"
    if keyword == "maxItems":
        return f"{where}: can list at most {error.validator_value} items"
    return f"{where}: {error.message}"


def _unknown_keys(
    instance: Mapping[str, Any],
    schema: Mapping[str, Any],
    path: JsonPath,
    lines: Mapping[JsonPath, int],
    file: str,
) -> Iterator[ConfigWarning]:
    allowed = list(schema.get("properties", {}))
    for key in instance:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        where = _dotted((*path, key))
        if close:
            hint = f"did you mean {_dotted((*path, close[0]))}?"
        else:
            hint = "allowed keys here: " + ", ".join(allowed)
        yield ConfigWarning(
            message=f"{where}: unknown key, ignored; {hint}",
            file=file,
            line=_line_of(lines, (*path, key)),
            key=where,
            suggestion=close[0] if close else None,
        )


# --------------------------------------------------------------------------------------------
# From valid data to the dataclasses, with the checks a schema cannot make
# --------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, data: Mapping[str, Any], lines: Mapping[JsonPath, int], file: str, catalogue: Catalogue) -> None:
        self.data = data
        self.lines = lines
        self.file = file
        self.catalogue = catalogue
        self.problems: list[ConfigProblem] = []
        self.warnings: list[ConfigWarning] = []

    def problem(self, path: JsonPath, message: str) -> None:
        where = _dotted(path)
        self.problems.append(ConfigProblem(f"{where}: {message}", _line_of(self.lines, path), where))

    def build(self) -> tuple[GuardConfig, Catalogue]:
        d = self.data
        default = GuardConfig.default()
        retry = self._retry(d.get("retry") or {})
        esc = d.get("escalation") or {}
        dflt_esc = default.escalation
        escalation = EscalationPolicy(
            after_failures=int(esc.get("after_failures", dflt_esc.after_failures)),
            on_high_risk=bool(esc.get("on_high_risk", dflt_esc.on_high_risk)),
            labels=tuple(esc.get("labels", dflt_esc.labels)),
            assignees=tuple(esc.get("assignees", dflt_esc.assignees)),
        )
        custom = self._custom_strategies(d.get("custom_strategies") or [])
        overrides = self._overrides(d.get("strategies") or {}, {s.id for s in custom})
        config = GuardConfig(
            version=int(d.get("version", CONFIG_VERSION)),
            dry_run=bool(d.get("dry_run", default.dry_run)),
            min_confidence=float(d.get("min_confidence", default.min_confidence)),
            max_risk=Risk(d.get("max_risk", default.max_risk.value)),
            comment_on_pr=bool(d.get("comment_on_pr", default.comment_on_pr)),
            retry=retry,
            escalation=escalation,
            protected_branches=tuple(d.get("protected_branches", default.protected_branches)),
            strategies=MappingProxyType(overrides),
            custom_strategies=tuple(custom),
            history=self._history(d.get("history") or {}, default.history),
            # issue 10
            approvals=approvals_policy(d.get("approvals")),
            notifications=notification_channels(d.get("notifications")),
            incidents=incident_policy(d.get("incidents")),
            memory=self._memory(d.get("memory") or {}),
            fixes=fix_settings(d.get("fixes") or {}),
        )
        if self.problems:
            return config, self.catalogue
        return config, self._merge(config)

    def _history(self, h: Mapping[str, Any], dflt: HistoryPolicy) -> HistoryPolicy:
        policy = HistoryPolicy(
            enabled=bool(h.get("enabled", dflt.enabled)),
            branch=str(h.get("branch", dflt.branch)),
            retention_days=int(h.get("retention_days", dflt.retention_days)),
        )
        protected = self.data.get("protected_branches", GuardConfig.default().protected_branches)
        if any(fnmatch.fnmatchcase(policy.branch, _branch_name(str(g))) for g in protected or ()):
            self.problem(
                ("history", "branch"),
                f"must be a branch of its own, not the protected branch {policy.branch!r}: the guard rewrites "
                "its tree to hold only the trail (the default healing-guard/state is fine)",
            )
        return policy

    def _retry(self, r: Mapping[str, Any]) -> RetryPolicy:
        dflt = RetryPolicy()
        retry = RetryPolicy(
            max_retries=int(r.get("max_retries", dflt.max_retries)),
            backoff_seconds=int(r.get("backoff_seconds", dflt.backoff_seconds)),
            backoff_factor=float(r.get("backoff_factor", dflt.backoff_factor)),
            max_backoff_seconds=int(r.get("max_backoff_seconds", dflt.max_backoff_seconds)),
        )
        if retry.max_backoff_seconds < retry.backoff_seconds:
            if "max_backoff_seconds" in r:
                self.problem(
                    ("retry", "max_backoff_seconds"),
                    f"must be at least retry.backoff_seconds "
                    f"({retry.backoff_seconds}), got {retry.max_backoff_seconds}",
                )
            else:
                self.problem(
                    ("retry", "backoff_seconds"),
                    f"must be at most retry.max_backoff_seconds "
                    f"({retry.max_backoff_seconds}), got {retry.backoff_seconds}; raise that too",
                )
        return retry

    # -- memory (issue 9) ---------------------------------------------------------------------

    def _memory(self, m: Mapping[str, Any]) -> MemoryPolicy:
        dflt = MemoryPolicy()
        flaky = m.get("flaky") or {}
        adaptive = m.get("adaptive") or {}
        brake = m.get("brake") or {}
        policy = MemoryPolicy(
            min_flakes=int(flaky.get("min_flakes", dflt.min_flakes)),
            min_share=float(flaky.get("min_share", dflt.min_share)),
            quarantine_share=float(flaky.get("quarantine_share", dflt.quarantine_share)),
            min_tries=int(adaptive.get("min_tries", dflt.min_tries)),
            skip_below=float(adaptive.get("skip_below", dflt.skip_below)),
            reruns_per_hour=int(brake.get("reruns_per_hour", dflt.reruns_per_hour)),
            recover_within_hours=float(brake.get("recover_within_hours", dflt.recover_within_hours)),
            recover_max=int(brake.get("recover_max", dflt.recover_max)),
        )
        if policy.quarantine_share < policy.min_share:
            self.problem(
                ("memory", "flaky", "quarantine_share" if "quarantine_share" in flaky else "min_share"),
                f"memory.flaky.quarantine_share ({policy.quarantine_share}) must be at least "
                f"memory.flaky.min_share ({policy.min_share})",
            )
        return policy

    def _overrides(self, raw: Mapping[str, Any], custom_ids: set[str]) -> dict[str, StrategyOverride]:
        known = set(self.catalogue.ids()) | custom_ids
        out: dict[str, StrategyOverride] = {}
        for sid, settings in raw.items():
            path: JsonPath = ("strategies", sid)
            target = sid
            if sid not in known and sid in self.catalogue.retired:
                target = self.catalogue.retired[sid]
                if target in raw or target not in known:
                    self._warn(
                        path, f"strategy {sid} was retired; its settings are ignored (use {target})", suggestion=target
                    )
                    continue
                self._warn(
                    path,
                    f"strategy {sid} was retired and replaced by {target}; the settings "
                    f"apply to {target}: rename the key",
                    suggestion=target,
                )
            elif sid not in known:
                wanted = sid.strip().lower().replace("_", "-").replace(" ", "-")
                close = difflib.get_close_matches(wanted, sorted(known), n=3, cutoff=0.6)
                if close:
                    self.problem(path, f"unknown strategy id; did you mean {' or '.join(close)}?")
                else:
                    self.problem(path, "unknown strategy id; known ids: " + ", ".join(sorted(known)))
                continue
            threshold = settings.get("min_confidence")
            out[target] = StrategyOverride(
                enabled=settings.get("enabled"),
                min_confidence=None if threshold is None else float(threshold),
                action=settings.get("action"),
                risk=None if settings.get("risk") is None else Risk(settings["risk"]),
            )
        return out

    def _warn(self, path: JsonPath, message: str, *, suggestion: str | None = None) -> None:
        where = _dotted(path)
        self.warnings.append(
            ConfigWarning(f"{where}: {message}", self.file, _line_of(self.lines, path), where, suggestion)
        )

    def _custom_strategies(self, items: Sequence[Mapping[str, Any]]) -> list[Strategy]:
        out: list[Strategy] = []
        first_line: dict[str, int | None] = {}
        for index, item in enumerate(items):
            path: JsonPath = ("custom_strategies", index)
            sid = str(item["id"])
            if sid in first_line:
                self.problem((*path, "id"), f"duplicate strategy id {sid} (first defined on line {first_line[sid]})")
                continue
            first_line[sid] = _line_of(self.lines, path)
            try:
                source = f"{self.file}:{first_line[sid]}" if first_line[sid] else self.file
                out.append(parse_strategy(self._strategy_data(item), file=source, builtin=False))
            except CatalogueError as exc:
                self.problem(self._locate(exc, item, path), _strip_catalogue_prefix(exc))
        return out

    @staticmethod
    def _strategy_data(item: Mapping[str, Any]) -> dict[str, Any]:
        """The catalogue's strategy mapping for one custom item, defaults filled in."""
        remediation = dict(item.get("remediation") or {"action": item["action"]})
        remediation.setdefault("description", _DEFAULT_REMEDIATION_TEXT[remediation["action"]])
        data: dict[str, Any] = {
            "id": item["id"],
            "name": item["name"],
            "description": item.get("description") or f"Custom strategy: {item['name']}.",
            "category": item["category"],
            "patterns": list(item["patterns"]),
            "risk": item["risk"],
            "confidence": item.get("confidence", CUSTOM_DEFAULT_CONFIDENCE),
            "priority": item.get("priority", CUSTOM_DEFAULT_PRIORITY),
            "remediation": remediation,
        }
        for key in ("indicators", "exclude", "tags"):
            if key in item:
                data[key] = list(item[key])
        return data

    @staticmethod
    def _locate(exc: CatalogueError, item: Mapping[str, Any], path: JsonPath) -> JsonPath:
        """The path of the regex a CatalogueError quotes, else the list item's own path."""
        text = str(exc)
        for key in ("patterns", "indicators", "exclude"):
            for i, pattern in enumerate(item.get(key, ())):
                if repr(pattern) in text:
                    return (*path, key, i)
        return path

    def _merge(self, config: GuardConfig) -> Catalogue:
        custom_ids = {s.id for s in config.custom_strategies}
        disabled: list[str] = []
        updates: dict[str, dict[str, Any]] = {}
        extra: list[Strategy] = []
        for strategy in config.custom_strategies:
            extra.append(_apply(strategy, config.strategies.get(strategy.id)))
        for sid, override in config.strategies.items():
            if sid in custom_ids:
                continue
            if override.enabled is False:
                disabled.append(sid)
            changes = _changes(self.catalogue.get(sid), override)
            if changes:
                updates[sid] = changes
        try:
            return self.catalogue.with_overrides(disabled=disabled, updates=updates, extra=extra)
        except CatalogueError as exc:  # pragma: no cover - ids were checked above
            raise ConfigError(str(exc), file=self.file) from exc


def _changes(strategy: Strategy, override: StrategyOverride | None) -> dict[str, Any]:
    if override is None:
        return {}
    changes: dict[str, Any] = {}
    if override.enabled is not None:
        changes["enabled"] = override.enabled
    if override.risk is not None:
        changes["risk"] = override.risk
    if override.action is not None:
        changes["remediation"] = replace(strategy.remediation, action=override.action)
    return changes


def _apply(strategy: Strategy, override: StrategyOverride | None) -> Strategy:
    changes = _changes(strategy, override)
    return replace(strategy, **changes) if changes else strategy


def _strip_catalogue_prefix(exc: CatalogueError) -> str:
    text = str(exc)
    parts = (f"file {exc.file}" if exc.file else "", f"strategy {exc.strategy!r}" if exc.strategy else "")
    prefix = ", ".join(p for p in parts if p) + ": "
    return text[len(prefix) :] if text.startswith(prefix) else text


# -- fix pull requests (issue 10) ---------------------------------------------------------------


def fix_settings(fixes: Mapping[str, Any]) -> FixSettings:
    """The config's ``fixes`` section (validated by the schema) as ``FixSettings``."""
    allowed = fixes.get("allowed_commands")
    return FixSettings(
        python_distributions=MappingProxyType(dict(fixes.get("python_distributions") or {})),
        npm_packages=frozenset(fixes.get("npm_packages") or ()),
        gems=frozenset(fixes.get("gems") or ()),
        go_modules=frozenset(fixes.get("go_modules") or ()),
        workflow=str(fixes.get("workflow") or ""),
        allowed_commands=tuple(allowed) if allowed is not None else None,
    )
