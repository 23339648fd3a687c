"""Self-Healing Pipeline Guard: diagnose failed CI jobs and heal them through the GitHub API.

The public API::

    from healing_guard import Classifier, analyze_path, analyze_text
    diagnosis = analyze_text(log_text)
    diagnosis.category, diagnosis.confidence, diagnosis.evidence[0].line
"""

from __future__ import annotations

from .catalogue import Catalogue, load_catalogue
from .classify import Classifier
from .errors import (
    CatalogueError,
    ConfigError,
    GitHubError,
    HealingGuardError,
    LogInputError,
    SettingsError,
)
from .logsource import expand, from_text
from .models import CATEGORIES, Diagnosis, EvidenceLine, Remediation, Risk, Strategy

__version__ = "1.0.0"


def analyze_text(text: str, *, catalogue: Catalogue | None = None) -> Diagnosis:
    """Diagnose one log held in memory."""
    return Classifier(catalogue).diagnose(from_text(text))


def analyze_path(path: str, *, catalogue: Catalogue | None = None) -> list[Diagnosis]:
    """Diagnose the log(s) a path stands for: a file, .gz, run-logs .zip, or '-' for stdin."""
    classifier = Classifier(catalogue)
    return [classifier.diagnose(source) for source in expand(path)]


__all__ = [
    "CATEGORIES",
    "Catalogue",
    "CatalogueError",
    "Classifier",
    "ConfigError",
    "Diagnosis",
    "EvidenceLine",
    "GitHubError",
    "HealingGuardError",
    "LogInputError",
    "Remediation",
    "Risk",
    "SettingsError",
    "Strategy",
    "__version__",
    "analyze_path",
    "analyze_text",
    "load_catalogue",
]
