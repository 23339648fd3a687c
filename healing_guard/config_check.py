"""A config file checked as the action checks it, and the words both edges use to report it.

The action (``action.main``) and ``healing-guard validate`` load a ``healing-config.yml`` with the
same :func:`~healing_guard.config.load_config` and report its problems with the same text: the
action as ``::error file=…,line=…,title=Invalid healing-config::<problem>%0A%0A<consequence>``
and ``::warning …,title=healing-config::<warning>``, the command line as
``healing-guard: error: <file>:<line>: <problem>`` and ``healing-guard: warning: <file>:<line>:
<warning>``. The problem and warning texts come from the loader; this module holds the rest of
the wording, so that the two edges cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .config import ConfigWarning, LoadedConfig, load_config
from .errors import ConfigError

#: The title of the action's ``::error::`` for an invalid config file.
INVALID_TITLE = "Invalid healing-config"
#: The title of the action's ``::warning::`` for an unknown key.
WARNING_TITLE = "healing-config"
#: What the action adds to the problem: what it did about it, and the fix.
CONSEQUENCE = (
    "The config file was not applied and the guard did nothing. Fix the file "
    "(the annotation points at the line), or delete it to run with the defaults."
)


def problem_text(exc: ConfigError) -> str:
    """What is wrong with the file, without its location (that is the annotation's ``file``/``line``).

    Every problem after the first is on a line of its own, with its own ``file:line:``.
    """
    return exc.text


def action_message(exc: ConfigError) -> str:
    """The text of the action's ``::error::`` for an invalid config: the problem, then the consequence."""
    return f"{problem_text(exc)}\n\n{CONSEQUENCE}"


def located(exc: ConfigError) -> str:
    """The problem with its ``file:line:`` in front, as the command line prints it."""
    where = f"{exc.file}:{exc.line}" if exc.file and exc.line else exc.file or ""
    text = problem_text(exc)
    return f"{where}: {text}" if where else text


def warning_text(warning: ConfigWarning) -> str:
    """The text of the action's ``::warning::`` for ``warning`` (its location is the annotation's)."""
    return warning.message


@dataclass(frozen=True)
class ConfigCheck:
    """What checking one config file found: the loaded config, or the error that refused it."""

    path: Path
    #: ``False`` when no file was there (the action then runs with the defaults)
    found: bool
    loaded: LoadedConfig | None = None
    error: ConfigError | None = None

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def warnings(self) -> tuple[ConfigWarning, ...]:
        return self.loaded.warnings if self.loaded else ()

    @property
    def custom_strategies(self) -> list[str]:
        return [s.id for s in self.loaded.config.custom_strategies] if self.loaded else []

    @property
    def overrides(self) -> list[str]:
        """The built-in strategies the file changes (``strategies.<id>``)."""
        if not self.loaded:
            return []
        custom = set(self.custom_strategies)
        return [sid for sid in self.loaded.config.strategies if sid not in custom]


def check_config(path: Path, *, catalogue: Catalogue | None = None) -> ConfigCheck:
    """Load ``path`` exactly as the action does; a file that is not there is reported, not raised."""
    found = path.exists()
    try:
        loaded = load_config(path, catalogue=catalogue or load_catalogue())
    except ConfigError as exc:
        return ConfigCheck(path, found, error=exc)
    return ConfigCheck(path, found, loaded=loaded)
