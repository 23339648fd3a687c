"""Turn what the scanner found into a diagnosis: root cause, confidence, params, evidence."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jinja2.sandbox import SandboxedEnvironment

from .catalogue import Catalogue, load_catalogue
from .fixes import distribution_for
from .logsource import LogInput
from .models import Diagnosis, EvidenceLine, Remediation, Risk, SecondaryCause
from .scanner import Hit, Scanner, ScanResult, StrategyHits, is_noise_step
from .signature import signature
from .vocab import VocabModel

MAX_EVIDENCE = 10
MAX_TESTS = 50
MAX_SECONDARY = 5
_ERRORISH = re.compile(r"(?i:\b(?:error|fatal|failed|failure|exception|panic)\b)")
_JINJA = SandboxedEnvironment(autoescape=False)
_JINJA.filters["python_distribution"] = distribution_for
_NOISE_PREFIXES = (
    "##[error]Process completed with exit code",
    "Post job cleanup.",
    "Cleaning up orphan processes",
    "##[group]",
)


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


class Classifier:
    """Diagnoses logs against one catalogue."""

    def __init__(
        self, catalogue: Catalogue | None = None, *, use_re2: bool | None = None, vocab: VocabModel | None = None
    ) -> None:
        self.catalogue = catalogue or load_catalogue()
        # the learned vocabulary model; stored only for now, the diagnosis layers will read it
        self.vocab = vocab
        self.scanner = Scanner(self.catalogue.enabled, use_re2=use_re2)

    def diagnose(self, source: LogInput) -> Diagnosis:
        return self.diagnose_scan(self.scanner.scan(source))

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
        if not candidates or candidates[0].entry.strategy.is_generic:
            return self._unknown(scan, candidates, warnings)
        best = candidates[0]
        strategy = best.entry.strategy
        params = self._params(best, scan)
        evidence = _evidence(best.root, best.entry.hits)
        confidence = strategy.confidence
        if best.key[0] == 1:
            confidence *= 0.6
        if failed_steps and best.key[1] == 0:
            confidence *= 0.8
        if strategy.id in scan.indicated:
            confidence = min(0.99, confidence + 0.05)
        rivals = [c for c in candidates[1:] if c.key[0] == 2 and c.entry.strategy.category != strategy.category]
        if rivals and rivals[0].key[2] >= strategy.priority:
            confidence *= 0.9
        step = best.root.step if best.key[1] == 1 or not failed_steps else scan.failed_step
        return Diagnosis(
            category=strategy.category,
            confidence=round(confidence, 2),
            risk=strategy.risk.value,
            strategy=strategy.id,
            params=params,
            evidence=evidence,
            failed_step=_step_label(scan, step),
            signature=signature(strategy.id, best.root.text, params),
            secondary=_secondary(candidates[1:], strategy.id),
            remediation=_render_remediation(strategy.remediation, params),
            source=scan.name,
            warnings=warnings,
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
        warnings: tuple[str, ...],
    ) -> Diagnosis:
        """Nothing specific matched: our best guess at the error line, with low confidence."""
        guess: EvidenceLine | None = None
        evidence: tuple[EvidenceLine, ...] = ()
        generic_params: dict[str, str] = {}
        confidence = 0.1
        generic = [c for c in candidates if c.entry.strategy.is_generic]
        if generic:
            best = generic[0]
            guess = EvidenceLine(best.root.line, best.root.text)
            evidence = _evidence(best.root, best.entry.hits)
            confidence = 0.3 if best.key[1] == 1 else 0.2
            sid = best.entry.strategy.id
            generic_params = {k: v for k, v in best.root.groups.items() if k != "exit_code"}
            remediation = _render_remediation(best.entry.strategy.remediation, generic_params)
            risk = best.entry.strategy.risk.value
        else:
            tail = [e for e in scan.tail if _ERRORISH.search(e.text)] or scan.tail
            if tail:
                guess = tail[-1]
                evidence = (guess,)
            sid = "unknown"
            remediation = Remediation("escalate", "No known failure pattern matched; a person should look at the log.")
            risk = Risk.HIGH.value
        params: dict[str, object] = dict(generic_params) if generic else {}
        if scan.exit_code is not None:
            params["exit_code"] = scan.exit_code
        return Diagnosis(
            category="unknown",
            confidence=confidence,
            risk=risk,
            strategy=sid,
            params=params,
            evidence=evidence,
            failed_step=_step_label(scan, scan.failed_step or (_step_of(scan, evidence[0].line) if evidence else None)),
            signature=signature(sid, guess.text if guess else "", {}),
            secondary=_secondary([c for c in candidates if not c.entry.strategy.is_generic], sid),
            remediation=remediation,
            source=scan.name,
            warnings=warnings,
        )


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


def _evidence(root: Hit, hits: Iterable[Hit]) -> tuple[EvidenceLine, ...]:
    """The root-cause line, the lines right after it, then other lines of the same failure."""
    out = [EvidenceLine(root.line, root.text)]
    seen = {root.line}
    for e in root.after:
        if len(out) >= 5:
            break
        if e.text.startswith(_NOISE_PREFIXES):
            break
        if e.text.strip() and not e.text.startswith("##[endgroup]"):
            out.append(e)
            seen.add(e.line)
    for h in hits:
        if len(out) >= MAX_EVIDENCE:
            break
        if h.line not in seen and not is_noise_step(h.step):
            out.append(EvidenceLine(h.line, h.text))
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


def _render_remediation(rem: Remediation, params: Mapping[str, object]) -> Remediation:
    try:
        text = _JINJA.from_string(rem.description).render(**params)
    except Exception:  # a template error must never hide a diagnosis
        text = rem.description
    return Remediation(rem.action, text, rem.retry_delay_seconds)
