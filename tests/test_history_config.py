"""The ``history:`` keys of the config file: defaults, validation and did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from healing_guard.catalogue import load_catalogue
from healing_guard.config import GuardConfig, HistoryPolicy, LoadedConfig, config_schema, load_config
from healing_guard.errors import ConfigError


def load(tmp_path: Path, text: str) -> LoadedConfig:
    path = tmp_path / "healing-config.yml"
    path.write_text(text, "utf-8")
    return load_config(path, catalogue=load_catalogue())


def test_defaults_match_the_schema() -> None:
    assert GuardConfig.default().history == HistoryPolicy(True, "healing-guard/state", 180)
    props = config_schema()["properties"]["history"]["properties"]
    for key, value in props.items():
        assert value["default"] == getattr(HistoryPolicy(), key), key


def test_the_keys_are_read(tmp_path: Path) -> None:
    loaded = load(tmp_path, "history:\n  enabled: false\n  branch: ci/memory\n  retention_days: 30\n")
    assert loaded.config.history == HistoryPolicy(False, "ci/memory", 30) and not loaded.warnings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("history:\n  branch: a..b\n", "must be a git branch name"),
        ("history:\n  branch: refs/heads/state\n", "must be a git branch name"),
        ("history:\n  branch: main\n", "not the protected branch 'main'"),
        ("history:\n  branch: release/1.0\n", "not the protected branch"),
        ("history:\n  retention_days: 3\n", "history.retention_days"),
        ("history:\n  enabled: yes please\n", "history.enabled"),
    ],
)
def test_invalid_values_are_refused_with_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, text)


def test_a_misspelt_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    loaded = load(tmp_path, "history:\n  retension_days: 30\nhistroy: {}\n")
    messages = sorted(str(w.message) for w in loaded.warnings)
    assert any("did you mean history.retention_days?" in m for m in messages)
    assert any("did you mean history?" in m for m in messages)
