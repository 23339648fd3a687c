"""Turn what the scanner found into a diagnosis: root cause, confidence, params, evidence.

The diagnosis is layered (see ``signals``): the failing step's text (``steps``) is ranked for its
root line (``rootline``), its command and exit code give the tool's prior (``toolsignal``), the
root lines' vocabulary (``rootvocab``) and an optional learned model (``vocab``) name a category,
and the catalogue's specific strategies add their reading, params and remediation. Only facts come
out: the remediation is the strategy's, unrendered; the planner decides and the report renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .catalogue import Catalogue, load_catalogue
from .logsource import LogInput
from .models import TRANSIENT_CATEGORIES, Diagnosis, EvidenceLine, Remediation, Risk, SecondaryCause, Strategy
from .rootline import Candidate, StepView, rank, split_step
from .scanner import Hit, Scanner, ScanResult, StrategyHits, is_noise_step
from .signals import StrategyVote, Verdict, VocabLike, combine
from .signature import signature
from .testids import failing_tests
from .toolsignal import ToolSignal, finding_pattern, from_command
from .vocab import VocabModel

MAX_EVIDENCE = 10
MAX_TESTS = 50
MAX_SECONDARY = 5
_ERRORISH = re.compile(r"(?i:\b(?:error|fatal|failed|failure|exception|panic)\b)")
_NOISE_PREFIXES = (
    "##[error]Process completed with exit code",
    "Post job cleanup.",
    "Cleaning up orphan processes",
    "##[group]",
)
_DEFAULT = object()
_CANCELED = re.compile(r"\bThe (?:operation|job|run) was cancell?ed\b|\bhas been cancell?ed\b")

#: params any layer can read off a root line cheaply
_MISSING_COMMAND = re.compile(
    r"(?:^|[\s:])(?P<command>[\w.+-]+): (?:command not found|not found)$|[Cc]ommand not found: (?P<command2>[\w.+-]+)"
    r"|(?P<command3>[\w.+-]+) not found in PATH"
)
_TEST_ID = re.compile(
    r"^FAILED (?P<pytest>\S+::\S+)|^--- FAIL: (?P<go>\S+)|^\s*✕ (?P<jest>.+?)(?: \(\d+ ?m?s\))?$"
    r"|^\s*\d+\) \[\w+\] › (?P<playwright>\S+:\d+:\d+ › .+)$"
)


def load_default_vocab() -> VocabLike | None:
    """The packaged vocabulary model (None when its data file is missing or broken)."""
    try:
        return VocabModel.load_default()
    except Exception:  # a broken model file must not stop diagnosis; the other layers still work
        return None


@dataclass(frozen=True)
class _Candidate:
    entry: StrategyHits
    root: Hit
    key: tuple[int, int, int, int]


def _root_hit(entry: StrategyHits, failed_steps: frozenset[str | None]) -> tuple[Hit, tuple[int, int, int, int]]:
    """The hit that stands for this strategy, and the key that ranks it against the others.

    Rank, highest first: a specific strategy on a real error line (not a warning, not the runner's
    preamble or cleanup) > one that only matched weak lines > catch-all strategies; then a hit in
    the failed step; then the strategy's priority; then the earliest line (the first real error,
    not its cascade).
    """
    strong = [h for h in entry.hits if not h.weak]
    pool = strong or entry.hits
    in_step = [h for h in pool if h.step in failed_steps and h.step is not None]
    root = (in_step or pool)[0]
    if entry.strategy.is_generic:
        tier = -1 if "noise" in entry.strategy.tags else 0
    elif strong:
        tier = 2
    else:
        # a warning (or a line in set-up/cleanup) outside the failed step never outranks an
        # error line inside it, not even a catch-all one
        tier = 1 if in_step or not failed_steps else 0
    return root, (tier, 1 if in_step else 0, entry.strategy.priority, -root.line)


@dataclass(frozen=True)
class _Reading:
    """What the catalogue-independent layers read off the failing step."""

    view: StepView | None
    roots: list[Candidate]
    tools: list[ToolSignal]
    lines: frozenset[int]


class Classifier:
    """Diagnoses logs against one catalogue.

    ``vocab`` is the learned vocabulary model; by default the packaged one (when the module is
    there), ``None`` disables it. It is kept in the public attribute ``vocab`` so that a benchmark
    can replace it (one per cross-validation fold) without rebuilding the scanner.
    """

    def __init__(
        self, catalogue: Catalogue | None = None, *, use_re2: bool | None = None, vocab: object = _DEFAULT
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.scanner = Scanner(self.catalogue.enabled, use_re2=use_re2)
        self.vocab: VocabLike | None = load_default_vocab() if vocab is _DEFAULT else vocab  # type: ignore[assignment]

    def diagnose(self, source: LogInput) -> Diagnosis:
        return self.diagnose_scan(self.scanner.scan(source))

    def read_step(self, scan: ScanResult) -> _Reading:
        windows = scan.windows
        if not windows:
            lines = tuple(scan.tail)
            return _Reading(None, self._rank(lines, None), [], frozenset(e.line for e in lines))
        view = split_step(windows[0])
        code = view.exit_code if view.exit_code is not None else scan.exit_code
        # npm/yarn print the script they run as a "> cmd" banner: it names the tool too
        banners = [e.text[2:] for e in view.output[:400] if e.text.startswith("> ")][:20]
        roots = self._rank(view.output, finding_pattern([*view.command, *banners]))
        # a cancelled step did not fail by itself: what it was running says nothing
        canceled = bool(roots) and all(_CANCELED.search(c.line.text) for c in roots[:2])
        tools = [] if canceled else from_command(view.command, code)
        if view.title is None:
            # a pseudo-step's command is a guess (the trace before the error, not the step's script)
            tools = [replace(t, weight=round(t.weight * 0.5, 3)) for t in tools]
        # "in the failing step": anywhere in the kept text of the step (for a plain log, its end)
        return _Reading(view, roots, tools, frozenset(e.line for e in windows[0].lines()))

    def _rank(self, lines: Sequence[EvidenceLine], findings: re.Pattern[str] | None) -> list[Candidate]:
        return rank(lines, findings=findings, root_score=self.vocab.root_score if self.vocab is not None else None)

    def diagnose_scan(self, scan: ScanResult) -> Diagnosis:
        failed_steps = scan.failed_step_names
        candidates = []
        for entry in scan.matched.values():
            if not entry.hits:
                continue
            root, key = _root_hit(entry, failed_steps)
            candidates.append(_Candidate(entry, root, key))
        candidates.sort(key=lambda c: c.key, reverse=True)
        warnings = ("the log has bytes that are not valid UTF-8; they were replaced",) if scan.invalid_utf8 else ()
        reading = self.read_step(scan)
        top_lines = {c.line.line for c in reading.roots[:3]}
        specific = [c for c in candidates if not c.entry.strategy.is_generic]
        # a strategy that only matched warnings outside the failing step has no say (as before)
        votes = [_vote(c, reading, top_lines, failed_steps, i == 0) for i, c in enumerate(specific) if c.key[0] > 0]
        votes = [v for v in votes if v.strong or v.in_step]
        vocab_scores = None
        if self.vocab is not None and reading.roots:
            vocab_scores = self.vocab.category_scores([c.line.text for c in reading.roots[:5]])
        verdict = combine(reading.roots, reading.tools, votes, vocab_scores)
        if verdict.category == "unknown":
            return self._unknown(scan, candidates, reading, warnings)
        same = [
            c for c in candidates if not c.entry.strategy.is_generic and c.entry.strategy.category == verdict.category
        ]
        best = same[0] if same else None
        return self._diagnosis(scan, verdict, best, candidates, reading, warnings)

    def _diagnosis(
        self,
        scan: ScanResult,
        verdict: Verdict,
        best: _Candidate | None,
        candidates: list[_Candidate],
        reading: _Reading,
        warnings: tuple[str, ...],
    ) -> Diagnosis:
        params: dict[str, object] = self._params(best, scan) if best is not None else {}
        _general_params(params, reading)
        evidence = _evidence(best, reading, verdict)
        if best is not None:
            strategy: Strategy | None = best.entry.strategy
            sid = best.entry.strategy.id
            risk = best.entry.strategy.risk.value
            remediation: Remediation | None = best.entry.strategy.remediation
        else:
            strategy = None
            sid = f"{_lead_layer(verdict)}-{verdict.category}"
            risk = Risk.MEDIUM.value
            remediation = _default_remediation(verdict.category)
        del strategy
        code = params.get("exit_code")
        if code is None:
            ex = reading.view.exit_code if reading.view is not None else None
            ex = ex if ex is not None else scan.exit_code
            if ex is not None:
                params["exit_code"] = ex
        step = reading.view.title if reading.view is not None and reading.view.title else scan.failed_step
        if step is None and best is not None:
            step = best.root.step
        root_text = evidence[0].text if evidence else ""
        return Diagnosis(
            category=verdict.category,
            confidence=verdict.confidence,
            risk=risk,
            strategy=sid,
            params=params,
            evidence=evidence,
            failed_step=_step_label(scan, step),
            signature=signature(sid, root_text, {k: v for k, v in params.items() if k != "tests"}),
            secondary=_secondary(candidates, sid),
            remediation=remediation,
            source=scan.name,
            warnings=warnings,
            failing_tests=_failing_tests(scan, reading, verdict.category),
        )

    def _params(self, best: _Candidate, scan: ScanResult) -> dict[str, object]:
        params: dict[str, object] = {k: v for k, v in best.root.groups.items() if k != "test"}
        for k, v in scan.indicator_params.get(best.entry.strategy.id, {}).items():
            params.setdefault(k, v)
        tests: list[str] = []
        for hit in best.entry.hits:
            t = hit.groups.get("test")
            if t and t not in tests and len(tests) < MAX_TESTS:
                tests.append(t)
        if tests:
            params["tests"] = tests
        code = scan.exit_code_of(best.root.step)
        if code is not None and "exit_code" not in params:
            params["exit_code"] = code
        return params

    def _unknown(
        self,
        scan: ScanResult,
        candidates: list[_Candidate],
        reading: _Reading,
        warnings: tuple[str, ...],
    ) -> Diagnosis:
        """No layer has a signal: the best guess at the error line, with low confidence."""
        evidence: tuple[EvidenceLine, ...] = ()
        generic_params: dict[str, str] = {}
        confidence = 0.1
        generic = [c for c in candidates if c.entry.strategy.is_generic]
        if reading.roots:
            evidence = tuple(_tag(c.line, "rootline") for c in reading.roots[:MAX_EVIDENCE])
        if generic:
            best = generic[0]
            # a catch-all that names a tool or an event (``git``, ``buildx``, ``cancelled``) points at
            # its line; a bare catch-all (any ``error`` line, the exit code) leaves it to the finder
            named = bool(set(best.entry.strategy.tags) - {"generic", "noise"})
            if not evidence or named:
                lead = _strategy_evidence(best.root, best.entry.hits)
                seen = {e.line for e in lead}
                evidence = (*lead[:3], *(e for e in evidence if e.line not in seen))[:MAX_EVIDENCE]
            confidence = 0.3 if best.key[1] == 1 else 0.2
            sid = best.entry.strategy.id
            generic_params = {k: v for k, v in best.root.groups.items() if k != "exit_code"}
            remediation = best.entry.strategy.remediation
            risk = best.entry.strategy.risk.value
        else:
            if not evidence:
                tail = [e for e in scan.tail if _ERRORISH.search(e.text)] or scan.tail
                if tail:
                    evidence = (_tag(tail[-1], "tail"),)
            sid = "unknown"
            remediation = Remediation("escalate", "No known failure pattern matched; a person should look at the log.")
            risk = Risk.HIGH.value
        params: dict[str, object] = dict(generic_params) if generic else {}
        if scan.exit_code is not None:
            params["exit_code"] = scan.exit_code
        guess = evidence[0] if evidence else None
        step = reading.view.title if reading.view is not None and reading.view.title else None
        return Diagnosis(
            category="unknown",
            confidence=confidence,
            risk=risk,
            strategy=sid,
            params=params,
            evidence=evidence,
            failed_step=_step_label(
                scan, step or scan.failed_step or (_step_of(scan, evidence[0].line) if evidence else None)
            ),
            signature=signature(sid, guess.text if guess else "", {}),
            secondary=_secondary([c for c in candidates if not c.entry.strategy.is_generic], sid),
            remediation=remediation,
            source=scan.name,
            warnings=warnings,
        )


def _vote(
    c: _Candidate, reading: _Reading, top_lines: set[int], failed_steps: frozenset[str | None], pick: bool
) -> StrategyVote:
    strong = c.key[0] == 2
    in_step = c.root.line in reading.lines or (c.root.step is not None and c.root.step in failed_steps)
    near = any(h.line in top_lines for h in c.entry.hits)
    s = c.entry.strategy
    # a runner's own annotation, or a strategy the user wrote for their logs, is taken at its word
    trusted = not s.builtin or (c.root.text.startswith("##[error]") and s.category in ("infrastructure", "timeout"))
    return StrategyVote(s.category, s.confidence, strong, in_step, near, transient_ok=trusted, pick=pick)


def _lead_layer(verdict: Verdict) -> str:
    for layer in ("rootline", "vocab", "tool"):
        if layer in verdict.layers:
            return layer
    return "rootline"


def _default_remediation(category: str) -> Remediation:
    """For a diagnosis no strategy backs: re-run what is transient, otherwise tell people."""
    if category in TRANSIENT_CATEGORIES:
        return Remediation("rerun", "This looks transient; re-running the failed jobs usually helps.")
    return Remediation("comment", "See the root line above; no automatic fix is known for this failure.")


def _general_params(params: dict[str, object], reading: _Reading) -> None:
    """Cheap params any layer can read: a missing command, failing test ids."""
    tests: list[str] = []
    for c in reading.roots:
        text = c.line.text.removeprefix("##[error]")
        m = _MISSING_COMMAND.search(text)
        if m and "command" not in params:
            params["command"] = m.group("command") or m.group("command2") or m.group("command3")
    if "tests" not in params and reading.view is not None:
        for e in reading.view.output:
            if not e.text or e.text[0] not in "F- ✕0123456789":
                continue
            t = _TEST_ID.match(e.text)
            if t:
                name = next(v for v in t.groups() if v).rstrip(" ─")
                if name not in tests:
                    tests.append(name)
                if len(tests) >= MAX_TESTS:
                    break
        if tests:
            params["tests"] = tests


#: the categories whose diagnosis names the failing tests (a test that times out is one too)
TEST_CATEGORIES = frozenset({"test_failure", "timeout"})


def _failing_tests(scan: ScanResult, reading: _Reading, category: str) -> tuple[str, ...]:
    """The failing tests the failing step's text names (its window, or a plain log's tail)."""
    if category not in TEST_CATEGORIES:
        return ()
    lines = reading.view.output if reading.view is not None else scan.tail
    return failing_tests(e.text for e in lines)


def _tag(e: EvidenceLine, layer: str) -> EvidenceLine:
    return EvidenceLine(e.line, e.text, layer)


def _evidence(best: _Candidate | None, reading: _Reading, verdict: Verdict) -> tuple[EvidenceLine, ...]:
    """The root line first, then the other candidates and the strategy's lines.

    The strategy's line leads when it is among the first root-line candidates (it names the
    failure specifically); otherwise the root-line finder's first line leads.
    """
    out: list[EvidenceLine] = []
    seen: set[int] = set()

    def add(e: EvidenceLine, layer: str) -> None:
        if e.line not in seen and len(out) < MAX_EVIDENCE and e.text.strip():
            out.append(_tag(e, layer))
            seen.add(e.line)

    roots = reading.roots
    top3 = {c.line.line for c in roots[:3]}
    # the strategy's line leads when it names the failure among the first candidates, when it is a
    # real error in the failing step, or when the root lines' own vocabulary did not back the category
    strategy_first = best is not None and (
        best.root.line in top3
        or not roots
        or (best.key[0] == 2 and best.root.line in reading.lines)
        or "rootline" not in verdict.layers
    )
    if best is not None and strategy_first:
        add(EvidenceLine(best.root.line, best.root.text), "strategy")
    for c in roots[:3]:
        add(c.line, "rootline")
    if best is not None and not strategy_first and best.root.line in reading.lines:
        add(EvidenceLine(best.root.line, best.root.text), "strategy")
    for c in roots[3:6]:
        add(c.line, "rootline")
    if best is not None:
        for e in best.root.after:
            if e.text.startswith(_NOISE_PREFIXES):
                break
            if not e.text.startswith("##[endgroup]"):
                add(e, "context")
            if len(out) >= 8:
                break
        for h in best.entry.hits:
            if not is_noise_step(h.step):
                add(EvidenceLine(h.line, h.text), "strategy")
    return tuple(out)


def _step_of(scan: ScanResult, line: int) -> str | None:
    current = None
    for start, name in scan.steps:
        if start > line:
            break
        current = name
    return current


def _step_label(scan: ScanResult, step: str | None) -> str | None:
    if scan.job and step and step != scan.job:
        return f"{scan.job} / {step}"
    return step or scan.job


def _strategy_evidence(root: Hit, hits: Iterable[Hit]) -> tuple[EvidenceLine, ...]:
    """The root-cause line, the lines right after it, then other lines of the same failure."""
    out = [EvidenceLine(root.line, root.text, "strategy")]
    seen = {root.line}
    for e in root.after:
        if len(out) >= 5:
            break
        if e.text.startswith(_NOISE_PREFIXES):
            break
        if e.text.strip() and not e.text.startswith("##[endgroup]"):
            out.append(_tag(e, "context"))
            seen.add(e.line)
    for h in hits:
        if len(out) >= MAX_EVIDENCE:
            break
        if h.line not in seen and not is_noise_step(h.step):
            out.append(EvidenceLine(h.line, h.text, "strategy"))
            seen.add(h.line)
    return tuple(out)


def _secondary(candidates: Iterable[_Candidate], primary: str) -> tuple[SecondaryCause, ...]:
    out = [
        SecondaryCause(c.entry.strategy.category, c.entry.strategy.id, c.root.line, c.root.text)
        for c in candidates
        if c.entry.strategy.id != primary and not c.entry.strategy.is_generic
    ]
    out.sort(key=lambda s: s.line)
    return tuple(out[:MAX_SECONDARY])
