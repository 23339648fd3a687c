"""The guard's exceptions.

Every error the guard raises on purpose is a ``HealingGuardError``; the edges turn one into a
single clear message, never a traceback: ``action.die`` in the action (``::error::``, job summary,
exit status), ``cli.main`` on the command line. A message is a paragraph: what happened, the likely
cause, the fix::

    HealingGuardError
    ├── LogInputError        a log that cannot be read (missing, empty, binary, bad archive)
    ├── CatalogueError       a strategy file that is not valid (names the file and the strategy)
    ├── ConfigError          a healing-config.yml that is not valid (names the file, line and key)
    ├── SettingsError        an action input that is not valid
    └── GitHubError          a GitHub API call that failed (status, what was being done, the fix)
        ├── GitHubAuthError          401: the token is missing, expired or wrong
        ├── GitHubPermissionError    403: the token lacks a permission (names it)
        ├── GitHubNotFoundError      404
        ├── GitHubValidationError    422
        ├── GitHubConflictError      409, or a 403 that means "not now" (the run is already running)
        ├── GitHubRateLimitError     403/429 rate limits that outlasted the retries
        └── GitHubServerError        5xx that outlasted the retries
"""

from __future__ import annotations


class HealingGuardError(Exception):
    """Base class of every error the guard reports to its user."""


class LogInputError(HealingGuardError):
    """A log that cannot be read: missing, empty, binary, or a broken archive."""


class CatalogueError(HealingGuardError):
    """A strategy definition that is not valid."""

    def __init__(self, message: str, *, file: str | None = None, strategy: str | None = None) -> None:
        where = ", ".join(
            p for p in (f"file {file}" if file else "", f"strategy {strategy!r}" if strategy else "") if p
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.strategy = strategy


class ConfigError(HealingGuardError):
    """A configuration file that is not valid; carries the file and line for an annotation."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        location = file or ""
        if file and line:
            location = f"{file}:{line}"
        super().__init__(f"{location}: {message}" if location else message)
        self.file = file
        self.line = line
        #: The whole message without the location (an annotation carries that apart).
        self.text = message
        #: The first problem only, for a one-line annotation.
        self.detail = message


class SettingsError(HealingGuardError):
    """An action input (or CLI option) that is not valid."""


class GitHubError(HealingGuardError):
    """A GitHub API call that failed."""

    def __init__(self, message: str, *, status: int | None = None, operation: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.operation = operation


class GitHubAuthError(GitHubError):
    """401: the token is missing, expired or wrong."""


class GitHubPermissionError(GitHubError):
    """403 that is not a rate limit: the token lacks a permission."""


class GitHubNotFoundError(GitHubError):
    """404: the resource does not exist or the token cannot see it."""


class GitHubValidationError(GitHubError):
    """422: GitHub refused the request's content."""


class GitHubConflictError(GitHubError):
    """The request is not possible in the resource's current state (409, or a re-run refused)."""


class GitHubRateLimitError(GitHubError):
    """A primary or secondary rate limit that outlasted the retries."""


class GitHubServerError(GitHubError):
    """A 5xx answer that outlasted the retries."""
