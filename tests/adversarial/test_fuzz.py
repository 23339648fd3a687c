"""A bounded fuzz run of the log reader, the classifier and the config loader (Hypothesis).

What must hold for any input:

- the log reader and the classifier (``logsource.expand`` + ``Classifier.diagnose``, and
  ``healing_guard.analyze_text``) return a diagnosis or raise ``LogInputError``, nothing else; the
  JSON rendering is valid JSON; every evidence line number lies within the log;
- the config loader returns a configuration or raises ``ConfigError``, nothing else;
- the action's inputs give a ``Settings`` or one ``SettingsError`` (a paragraph), nothing else.

Logs are built from lines of the real fixture logs (``tests/fixtures/logs``), mutated and mixed with
the shapes that break readers: BOM, CRLF and bare CR, NUL and control bytes, invalid UTF-8, lone
surrogates, ANSI codes, timestamps, very long lines, and the three containers (plain, .gz, run-logs
.zip). Configs are YAML documents built from the schema's own keys with random values, then
mutated byte by byte.

In CI each test runs a fixed, derandomized set of examples (a few seconds in all). A longer run::

    HEALING_GUARD_FUZZ_EXAMPLES=20000 python -m pytest -q -p no:cacheprovider tests/adversarial/test_fuzz.py
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from healing_guard import analyze_text, render
from healing_guard.catalogue import load_catalogue
from healing_guard.classify import Classifier
from healing_guard.config import config_schema, load_config
from healing_guard.errors import ConfigError, LogInputError, SettingsError
from healing_guard.logsource import expand, from_text
from healing_guard.models import CATEGORIES, Diagnosis
from healing_guard.settings import INPUTS, Settings

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = int(os.environ.get("HEALING_GUARD_FUZZ_EXAMPLES", "0"))


def fuzz(examples_in_ci: int) -> settings:
    """Hypothesis settings: ``examples_in_ci`` fixed examples, or HEALING_GUARD_FUZZ_EXAMPLES for a long run."""
    return settings(
        max_examples=EXAMPLES or examples_in_ci,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


CLASSIFIER = Classifier()
CATALOGUE = load_catalogue()
#: Lines of real failed job logs (the classifier fixtures), the raw material of the fuzzed logs.
REAL_LINES: list[bytes] = sorted(
    {
        line
        for path in sorted((ROOT / "tests" / "fixtures" / "logs").glob("*.log"))
        for line in path.read_bytes().splitlines()
        if line.strip()
    }
)
TIMESTAMP = b"2026-11-02T14:03:18.1234567Z "
ODD = [
    b"\xef\xbb\xbf",  # BOM
    b"\x00",
    b"\x1b[31m",
    b"\x1b[0m",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
    b"\xc3",  # a truncated sequence
    b"\r",
    b"\x0b\x0c\x07\x08",
    b"##[group]Run tests",
    b"##[endgroup]",
    b"##[error]Process completed with exit code 1.",
    b"::error::x",
    b"\xe2\x80\xa8",  # U+2028 LINE SEPARATOR
]


def _splice(base: bytes, insert: bytes, at: int) -> bytes:
    at = at % (len(base) + 1)
    return base[:at] + insert + base[at:]


@st.composite
def log_line(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        line = draw(st.sampled_from(REAL_LINES))
    elif kind == 5:
        line = draw(st.binary(max_size=120))
    elif kind == 6:
        line = draw(st.text(max_size=80)).encode("utf-8")
    elif kind == 7:
        line = draw(st.sampled_from(ODD))
    elif kind == 8:  # a very long line (the reader hands long lines on in pieces)
        line = draw(st.sampled_from([b"a", b"E", b"\xff", b"x "])) * draw(st.integers(1_000, 300_000))
    else:
        line = b""
    for _ in range(draw(st.integers(0, 2))):
        line = _splice(line, draw(st.sampled_from(ODD)), draw(st.integers(0, 1 << 16)))
    if draw(st.booleans()):
        line = TIMESTAMP + line
    return line


@st.composite
def log_bytes(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(log_line(), max_size=60))
    out = bytearray(draw(st.sampled_from([b"", b"\xef\xbb\xbf"])))
    for line in lines:
        out += line + draw(st.sampled_from([b"\n", b"\n", b"\r\n", b"\r", b""]))
    return bytes(out)


def _line_bound(data: bytes) -> int:
    """The most lines ``data`` can be read as (every LF and every CR ending one)."""
    return data.count(b"\n") + data.count(b"\r") + 1


def _check(diagnosis: Diagnosis, data: bytes) -> None:
    assert isinstance(diagnosis, Diagnosis)
    assert diagnosis.category in CATEGORIES
    assert 0.0 <= diagnosis.confidence <= 1.0
    bound = _line_bound(data)
    for evidence in diagnosis.evidence:
        assert 1 <= evidence.line <= bound, (evidence.line, bound)
        assert isinstance(evidence.text, str)
    rendered = json.loads(render.to_json([diagnosis]))
    assert rendered["category"] == diagnosis.category
    assert all(1 <= e["line"] <= bound for e in rendered["evidence"])


WORK = Path(tempfile.mkdtemp(prefix="healing-guard-fuzz-"))


def _containers(data: bytes) -> Iterator[tuple[str, Path, bytes]]:
    """The log as a plain file, a .gz, and a run-logs .zip (``1_job.txt``): (kind, path, text)."""
    plain = WORK / "job.log"
    plain.write_bytes(data)
    yield "plain", plain, data
    packed = WORK / "job.log.gz"
    with gzip.open(packed, "wb") as fh:
        fh.write(data)
    yield "gz", packed, data
    archive = WORK / "logs.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("1_build.txt", data)
        zf.writestr("build/2_Run tests.txt", data)
    yield "zip", archive, data


@fuzz(60)
@given(log_bytes())
@example(b"")
@example(b"\xef\xbb\xbf")
@example(b"\x00" * 10)
@example(b"\r\n" * 3)
@example(b"a" * 300_000 + b"\rERROR: x\r")
def test_log_reader_and_classifier(data: bytes) -> None:
    for _kind, path, text in _containers(data):
        try:
            sources = expand(str(path))
        except LogInputError:
            continue
        for source in sources:
            try:
                diagnosis = CLASSIFIER.diagnose(source)
            except LogInputError:
                continue
            _check(diagnosis, text)


SURROGATES = st.sampled_from(["\ud800", "\udfff", "\udc80"])
ODD_TEXT = st.sampled_from([b.decode("latin-1") for b in ODD])


@fuzz(200)
@given(st.lists(st.one_of(st.text(max_size=200), SURROGATES, ODD_TEXT)).map("\n".join) | st.text())
@example("\ud800")
@example("E   ModuleNotFoundError: No module named '\udc80'")
def test_classifier_on_arbitrary_text(text: str) -> None:
    try:
        diagnosis = CLASSIFIER.diagnose(from_text(text))
    except LogInputError:
        return
    _check(diagnosis, text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("text", ["", "\ud800", "\x00ERROR", "E   ModuleNotFoundError: No module named '\udc80'\r\n"])
def test_analyze_text_is_the_same_reader(text: str) -> None:
    """The public API builds its own classifier per call (too slow to fuzz directly): same contract."""
    try:
        diagnosis = analyze_text(text)
    except LogInputError:
        return
    _check(diagnosis, text.encode("utf-8", "surrogatepass"))


# -- the config loader -------------------------------------------------------------------------------


def _keys(node: dict[str, Any], out: set[str]) -> set[str]:
    for key, child in node.get("properties", {}).items():
        out.add(key)
        if isinstance(child, dict):
            _keys(child, out)
    for child in node.get("$defs", {}).values():
        _keys(child, out)
    return out


KEYS = sorted(_keys(config_schema(), set()) | {s.id for s in CATALOGUE.strategies[:10]} | {"<<"})
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["^ERROR", "^(a+)+$", "(", "low", "high", "rerun", "fix-pr", "network", "main"]),
)


def _nested(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(KEYS) | st.text(max_size=8)
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5))


documents = st.recursive(scalars, _nested, max_leaves=25)


MUTATIONS = [b"", b":", b"-", b"&a ", b"*a", b"<<: ", b"!!", b"\t", b"'", b'"', b"\n  ", b"\x00", b"\xff", b"[", b"{"]


@st.composite
def config_text(draw: st.DrawFn) -> bytes:
    document = draw(st.dictionaries(st.sampled_from(KEYS), documents, max_size=6))
    text = yaml.safe_dump(document, allow_unicode=True, default_flow_style=draw(st.booleans())).encode("utf-8")
    for _ in range(draw(st.integers(0, 3))):  # mutate: insert, delete or replace bytes
        at = draw(st.integers(0, max(len(text), 1)))
        what = draw(st.sampled_from(MUTATIONS))
        text = text[:at] + what + text[at + draw(st.integers(0, 3)) :]
    return text


@fuzz(80)
@given(config_text() | st.binary(max_size=300))
@example(b"")
@example(b"&a [*a]")
@example(b"<<: *nowhere")
@example(b"retry: {<<: [1]}")
def test_config_loader_raises_only_config_errors(data: bytes) -> None:
    path = WORK / "healing-config.yml"
    path.write_bytes(data)
    try:
        load_config(path, catalogue=CATALOGUE)
    except ConfigError as exc:
        assert str(exc)


def test_the_fuzzed_logs_are_made_of_real_lines() -> None:
    assert len(REAL_LINES) > 1_000


# -- the inputs ----------------------------------------------------------------------------------------

INPUT_VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["true", "FALSE", "yes", "3", "10", "11", "-1", "1e3", "٣", "auto-detect", "../x", "/dev/zero"]),
)


@fuzz(100)
@given(st.dictionaries(st.sampled_from(sorted(INPUTS)), INPUT_VALUES, max_size=8), st.sampled_from(["run", "logs"]))
def test_inputs_are_valid_or_one_settings_error(inputs: dict[str, str], mode: str) -> None:
    env = {
        "GITHUB_WORKSPACE": str(WORK),
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_EVENT_NAME": "push",
        "INPUT_GITHUB-TOKEN": "ghs_x",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items() if "\0" not in v})
    if mode == "logs":
        env.setdefault("INPUT_LOG-PATH", "job.log")
    try:
        s = Settings.from_env(env)
    except SettingsError as exc:
        assert str(exc).count("\n\n") >= 1  # what is wrong, then the fix
        return
    assert s.max_retries in range(11) and isinstance(s.dry_run, bool) and isinstance(s.fail_on_error, bool)
    assert s.run_id is None or 1 <= s.run_id < 2**63
