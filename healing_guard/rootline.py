"""The line that explains a failure, found without the catalogue.

Reads the failing step's text (see ``steps``) and ranks its lines: error vocabulary and tool
conventions score a line up, noise (warnings, deprecation notices, runner annotations, stack
frames, env dumps, the step's own script, retried attempts) scores it down or out, and the first
real error wins over its cascade (``make: *** Error 1``, ``npm ERR! A complete log``,
``Process completed with exit code``). Summaries ("3 failed", "BUILD FAILURE") rank below the
errors they summarise but stay as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .models import EvidenceLine
from .steps import StepText, pseudo_steps

MAX_CANDIDATES = 10

# -- vocabulary ------------------------------------------------------------------------------------
# Each pattern is general (a word, a tool's convention), never one log's wording.

#: a line a compiler, test runner or tool prints for the error itself
_STRONG = re.compile(
    r"""(?x)
      ^\#\#\[error\](?!Process\ completed)            # a runner annotation that is not the exit code
    | \b(?:error|Error|ERROR)(?:\[\w+\])?\ ?[:•]            # error: / ERROR: / error[E0425]: / error •
    | \berror\ (?:TS|CS|C|LNK|FS|BC)\d+\b                # tsc, C#, MSVC, linker
    | ^(?:\S+:\d+(?::\d+)?:\ )?(?:fatal\ )?error\b       # gcc/clang/swift: file:1:2: error
    | :\d+(?::\d+)?:\ (?:fatal\ )?[Ee]rror\b            # file:line:col: Error
    | \(\d+,\d+\):\ (?:fatal\ )?error\b                   # MSBuild / tsc file(1,2): error
    | ^e:\ (?:file:|/|[A-Z]:\\)                         # kotlinc
    | ^\s*\[ERROR\]\s                                    # maven
    | \b(?:FATAL|Fatal|fatal)(?:\ error|\ ERROR|:)       # fatal: / FATAL ERROR
    | \bpanic:                                           # go
    | ^\s*E\s{2,}\S                                      # pytest E lines
    | \bsorry,\ unimplemented\b                          # gcc
    | ^\S*/_temp/[\w-]+\.(?:sh|ps1):\ line\ \d+:\ |^(?:/usr)?/bin/(?:ba|z
    |da)?sh:\ (?:line\ \d+:\ )?\S   # the step's shell
    | ^\s*(?:[\w.$]+\.)?[A-Z]\w*(?:Error|Exception|Failure)\b(?::|$) # Python / Java / JS exception
    | ^\s*(?:---\ FAIL:|FAIL(?:ED)?\b|not\ ok\ \d+|[✕✗✘×❌⨯]\s|●\ )   # failing tests and checks
    | \bnpm\ (?:ERR!|error)\ (?:code|404|notarget|ERESOLVE|E\d{3})
    | \bERR_PNPM_\w+
    | \bcommand\ not\ found\b|\bnot\ found\ in\ PATH\b
    | \bNo\ such\ file\ or\ directory\b|\bcannot\ access\b|\bcan't\ open\b
    | \b(?:Permission|Access)\ (?:denied|is\ denied)|\bnot\ accessible\b|\bdenied\ to\b
    | \bNo\ space\ left\ on\ device\b|\bout\ of\ memory\b|\bheap\ limit\b|\bKilled\b|\bSegmentation\ fault\b
    | \bUnresolved\ reference\b|\bundefined\ reference\b|\b[Cc]annot\ find\ (?:symbol|module|package|-l)
    | \b[Ee]xceeded\ timeout\b|\b[Tt]imeout\ of\ \d+\s*ms\b
    | \bisn't\ defined\b|\bis\ not\ defined\b|\bnot\ found:|\bMember\ not\ found\b
    | \bmanifest\ unknown\b|\bpull\ access\ denied\b|\bNo\ rule\ to\ make\ target\b
    | \b(?:timed\ out|Timeout\ of\ \d+|[Tt]imeout\ \d+\s*ms\ exceeded|has\ timed\ out|exceeded\ the\ maximum)
    | \bConnection\ (?:refused|reset|timed\ out)|\bCould\ not\ resolve\ host\b|\bECONNRE\w+|\bETIMEDOUT\b
    | \bThe\ operation\ was\ canceled\b
    | \b(?:is|are)\ not\ supported\b|\bunknown\ (?:option|command|flag|argument)\b|\binvalid\ (?:choice|option
    |argument|value)\b
    | \b(?:is\ )?missing\ required\b|\bmust\ be\ (?:set|provided|specified)\b
    """
)

#: weaker hints of an error: only count when nothing stronger is near
_WEAK = re.compile(
    r"""(?xi)
      \b(?:error|errors|failed|failure|fail|fatal|exception|cannot|can't|couldn't|could\ not|unable\ to)\b
    | \bnot\ found\b|\bdoes\ not\ exist\b|\bdoesn't\ exist\b|\bno\ such\b|\binvalid\b|\bunexpected\b
    | \bbroken\ pipe\b|\bmissing\b|\bdenied\b|\brefused\b|\bforbidden\b|\bunauthori[sz]ed\b|\baborted\b|\bunsupported\b
    | \b[45]\d\d\b(?=.*\b(?:error|status|response|code|http)\b)
    """
)

#: a tool's summary of failures already reported above it
_SUMMARY = re.compile(
    r"""(?xi)
      \b\d+\ (?:failed|failing|errors?|failures?)\b
    | \bBUILD\ (?:FAILURE|FAILED)\b|\bFAILURE:\ Build\ failed\b|\bTests?\ (?:run|suites?):.*\bfail
    | \berror:\ could\ not\ compile\b|\bFound\ \d+\ errors?\b|\btest\ result:\ FAILED\b
    | \bfailed\ to\ execute\ goal\b|\bExecution\ failed\ for\ task\b|\bCompilation\ failed\b
    | ^\s*=+\ .*\bfailed\b.*=+$|^\s*FAILURES\b|^\s*short\ test\ summary
    | \bTraceback\ \(most\ recent|^\s*●\ Test\ suite\ failed\ to\ run
    """
)

#: consequences of an error printed above: never the root while something better exists
_CASCADE = re.compile(
    r"""(?xi)
      ^\#\#\[error\]Process\ completed\ with\ exit\ code|^Error:\ Process\ completed\ with\ exit\ code
    | \bmake(?:\[\d+\])?:\ \*\*\*(?!\ No\ rule\ to\ make)|\bninja:\ build\ stopped\b
    |\bgmake(?:\[\d+\])?:\ \*\*\*(?!\ No\ rule\ to\ make)
    | \bnpm\ (?:ERR!|error)\ (?:A\ complete\ log|code\ ELIFECYCLE|errno|Lifecycle|command\ failed
    |\ *at\ location|path\b|This\ is\ probably|Failed\ at\ the)
    | \bnpm\ (?:ERR!|error)\s*$|\bELIFECYCLE\b|\berror\ Command\ failed\ with\ exit\ code\b
    |\bCommand\ failed\ with\ exit\ code\b
    | \bexit\ (?:status|code)\ \d+\s*$|\bexited\ with\ (?:exit\ )?code\b|\breturned\ non-zero\ exit\ status\b
    | \bprocess\ '.*'\ failed\ with\ exit\ code\b|\bScript\ .*\ failed\b
    | ^\*\ What\ went\ wrong:|^\*\ Try:|^>\ Run\ with\ --(?:stacktrace|info|debug)|^>\ Get\ more\ help
    |^\[ERROR\]\ (?:->|Re-run|For\ more|To\ see|\[Help\ \d+\]|$)
    | \bSee\ .*\ for\ (?:details|more)\b|\bfor\ the\ full\ (?:report|log)\b
    | ^Error:\ Command\ failed:|\bsubprocess-exited-with-error\b|^\s*exit\ code:\ \d+
    | ^error:\ Recipe\ `|^\s*╰─>|\bELIFECYCLE\b|^\s*lerna\ (?:ERR!|error)
    | ^\s*(?:Warning|Error):\ The\ process\ '.*'\ failed|\bscript\ returned\ exit\ code\b|^Finished:\ FAILURE
    | ^\[ERROR\]\ COMPILATION\ ERROR\b|^The\ command\ ".*"\ exited\ with
    """
)

#: lines that are not errors whatever words they contain
_NOISE = re.compile(
    r"""(?x)
      ^\#\#\[(?:group|endgroup|warning|notice|debug|command)\]|^::(?:warning|notice|debug|group|endgroup)
    | ^\s*(?:\[WARN(?:ING)?\]|WARN(?:ING)?\b|[Ww]arning\b|npm\ (?:WARN|warn)\b|w:\ |⚠)
    | ^\s*at\ (?:[\w$.<>\[\]/]+\ ?\(|[\w$.]+:\d+|\S+\.(?:js|ts|mjs|cjs|java|kt):\d+)|^\s*at\ [\w$.<>]+\.[\w$<>]+\(
    | ^\s*File\ ".*",\ line\ \d+|^\s*\#\d+\ +0x[0-9a-f]+|^\s+\.\.\.\ \d+\ more\b
    | ^\s*>?\s*\d*\s*[|│]\s|^\s*[\^~]+\s*$|^\s*\|\s*$|^>\s{2,}\S            # code frames, pytest's source line
    | ^\s*>\ (?:Task\ :|Configure\ project|Run\ with|Get\ more\ help|There\ (?:is|are)\ \d+\ more|[\w@/.-]+@\S+\ \S)
    | ^\s*\S*\.\w+:\d+(?::\d+)?:\ warning\b|:\ warning\ [A-Z]+\d+:|\bwarning:\s
    """
)

#: lines that are not errors unless they also carry strong error vocabulary (then they count less)
_SOFT_NOISE = re.compile(
    r"""(?x)
      \b(?:[Dd]eprecated|DEPRECATED|DeprecationWarning|is\ deprecated)\b
    | \b(?:[Rr]etry(?:ing)?|attempt\ \d+\s*(?:of|/)\s*\d+|will\ retry|[Rr]etrying\ in)\b
    | ^\s*(?:Download|Downloading|Downloaded|Fetching|Resolving|Compiling|Checking|Installing|Collecting
    |Requirement\ already)\b
    | \b(?:0|no)\ (?:errors?|failures?|failed)\b|\berrors?=0\b|\bpassed\b.*\b0\ failed\b
    | \bPicked\ up\ (?:_?JAVA_\w*OPTIONS|JDK_JAVA_OPTIONS)\b
    | ^\s*(?:continue-on-error|fail-fast|error-on|ignore-errors?|FAIL_ON\w*|\w*ERROR\w*=)
    """
)

#: a retried attempt (soft noise: most retries recover)
_RETRIED = re.compile(r"\b[Rr]etry(?:ing)?\b|\b[Aa]ttempt \d+\s*(?:of|/)\s*\d+\b|\bwill retry\b|\b[Rr]etrying in\b")
#: ... unless the step says that every attempt failed: then the attempts are the cause, not noise
_EXHAUSTED = re.compile(
    r"(?i)\b(?:failed|gave up|giving up|unsuccessful)\b.*\bafter \d+ (?:attempts|retries|tries)\b"
    r"|\ball \d+ (?:attempts|retries|tries) failed\b|\b(?:max(?:imum)? retries|retries) (?:exceeded|exhausted)\b"
    r"|\bretry limit (?:reached|exceeded)\b"
)
RETRY_EXHAUSTED = 1.5

_SHELL_LINE = re.compile(r"^shell: ")
_ENV_LINE = re.compile(r"^env:$")


@dataclass(frozen=True)
class Candidate:
    """A line that may explain the failure, with its score and why."""

    line: EvidenceLine
    score: float
    reason: str


@dataclass(frozen=True)
class StepView:
    """The failing step split into its command (the ``##[group]Run`` header) and its output."""

    title: str | None
    command: tuple[str, ...]
    output: tuple[EvidenceLine, ...]
    exit_code: int | None


def split_step(text: StepText) -> StepView:
    """Separate the step's script and env dump from what it printed."""
    lines = text.lines()
    command: list[str] = []
    start = 0
    if lines and lines[0].text.startswith("##[group]Run "):
        command.append(lines[0].text[len("##[group]Run ") :])
        in_env = False
        for i, e in enumerate(lines[1:], 1):
            t = e.text
            if t.startswith("##[endgroup]"):
                start = i + 1
                break
            if _ENV_LINE.match(t):
                in_env = True
            if not in_env and not _SHELL_LINE.match(t):
                command.append(t)
        else:
            start = 1
    output = tuple(lines[start:])
    code = text.exit_code
    if not command:
        # a plain log (other CIs, local runs): the failing pseudo-step
        output, cmd, found = _pseudo_step(output)
        command = [cmd] if cmd else []
        code = code if code is not None else found
    return StepView(text.step, tuple(c for c in command if c.strip()), output, code)


_TRAVIS_EXIT = re.compile(r'^The command "(?P<command>.+)" (?:exited with|failed and exited with) (?P<code>\d+)')


def _pseudo_step(lines: Sequence[EvidenceLine]) -> tuple[tuple[EvidenceLine, ...], str, int | None]:
    """The pseudo-step that failed: the one a CI's exit message names (Travis: ``The command "x"
    exited with 1.``), else the last one that printed a real error, else all lines."""
    steps = pseudo_steps(lines)
    if len(steps) == 1:
        return tuple(lines), steps[0].command, None
    for i in range(len(lines) - 1, -1, -1):
        t = lines[i].text
        if t.startswith("The command"):
            m = _TRAVIS_EXIT.match(t)
            if m and m.group("code") != "0":
                named = [s for s in steps if s.start < i and s.command == m.group("command")]
                if named:
                    s = named[-1]
                    return tuple(lines[s.start : i + 1]), s.command, int(m.group("code"))
    for s in reversed(steps):
        if any(score_line(e.text)[1] == "error" for e in lines[s.start : s.stop]):
            return tuple(lines[s.start :]), s.command, None
    return tuple(lines), steps[-1].command, None


def score_line(text: str) -> tuple[float, str]:
    """How much one line looks like the cause of a failure (0 = not at all) and which rule said so."""
    t = text.strip()
    if not t or len(t) < 3:
        return 0.0, ""
    if t[0] == "│" and text[0] == "│" and not t.endswith("│"):
        # Terraform/OpenTofu print a diagnostic in a box (`╷`, `│ Error: ...`, `│ detail`, `╵`) from
        # the first column; a code frame's bar follows a line number or indentation, a notice box
        # (pnpm's) closes each line with another bar
        t = t[1:].strip()
        if len(t) < 3:
            return 0.0, ""
    if _CASCADE.search(t):
        return 0.5, "cascade"
    strong = bool(_STRONG.search(t))
    if _NOISE.search(t) and not (strong and t.startswith("##[error]")):
        # a warning about a failed attempt is noise only while a later attempt may have recovered
        return (0.0, "retry") if _RETRIED.search(t) and _WEAK.search(t) else (0.0, "")
    if _SOFT_NOISE.search(t):
        if strong:
            return 1.0, "weak"
        # a failed attempt: noise while a later attempt may have recovered (``rank`` decides)
        return (0.0, "retry") if _RETRIED.search(t) and _WEAK.search(t) else (0.0, "")
    if strong:
        return (3.0, "error") if not _SUMMARY.search(t) else (2.0, "summary")
    if _SUMMARY.search(t):
        return 2.0, "summary"
    if t.startswith(">") and _WEAK.search(t):
        return 2.5, "cause"  # gradle's "What went wrong" detail lines
    if _WEAK.search(t):
        return 1.0, "weak"
    return 0.0, ""


def rank(
    lines: Sequence[EvidenceLine],
    *,
    limit: int = MAX_CANDIDATES,
    findings: re.Pattern[str] | None = None,
    root_score: Callable[[str], float] | None = None,
) -> list[Candidate]:
    """Candidate root lines of one step's output, best first.

    The first strong error wins (the root comes before its cascade); an annotation that repeats it
    (``##[error]`` problem matchers) is dropped as a duplicate of the earlier line. ``findings``
    marks the plain lines a formatter lists its offending files with; ``root_score`` (a learned
    model, 0..1) nudges lines within a tier.
    """
    scored: list[tuple[float, int, Candidate]] = []
    seen: dict[str, int] = {}
    n = len(lines)
    exhausted: bool | None = None
    for i, e in enumerate(lines):
        s, why = score_line(e.text)
        if findings is not None and s < 2.8 and findings.search(e.text):
            s, why = 2.8, "finding"
        if why == "retry":
            if exhausted is None:
                exhausted = any(_EXHAUSTED.search(x.text) for x in lines)
            if exhausted:
                s = RETRY_EXHAUSTED
        if s <= 0:
            continue
        tier = s
        if root_score is not None:
            s += 0.4 * root_score(e.text)
        key = _norm(e.text)
        if key in seen:
            continue
        seen[key] = i
        # a tiny preference for lines near the end: the error is printed last more often than the
        # first line of a long step, but never enough to beat an earlier line of a higher tier
        pos = 0.1 * (i / n) if n else 0.0
        scored.append((tier, i, Candidate(e, s + pos, why)))
    if not scored:
        return []
    _gradle_cause(lines, scored)
    top = max(t for t, _, _ in scored)
    # inside the best tier the earliest line is the root; the others follow by score then position
    best_tier = [c for t, _, c in scored if t == top]
    rest = sorted((c for t, _, c in scored if t != top), key=lambda c: -c.score)
    ordered = [best_tier[0], *sorted(best_tier[1:], key=lambda c: -c.score), *rest]
    return ordered[:limit]


_STRIP_ANNOTATION = re.compile(r"^##\[error\]")
_WENT_WRONG = re.compile(r"^\* What went wrong:")
_TRY = re.compile(r"^\* (?:Try|Exception is):|^BUILD FAILED|^FAILURE:")
_GRADLE_DETAIL = re.compile(r"^(\s*)> (?!Run with|Get more help|There (?:is|are) \d+ more)\S")
GRADLE_CAUSE = 2.9


def _gradle_cause(lines: Sequence[EvidenceLine], scored: list[tuple[float, int, Candidate]]) -> None:
    """Gradle explains a failure under ``* What went wrong:``, most specific at the deepest ``>``
    (the first of them when several failures are listed at that depth).

    That line is the cause of the build failure; compiler errors printed before it still rank
    above it (they are what the task failed on)."""
    index = {i: k for k, (_, i, _) in enumerate(scored)}
    for i, e in enumerate(lines):
        if not e.text.startswith("* What") or not _WENT_WRONG.match(e.text):
            continue
        best: tuple[int, int] | None = None
        for j in range(i + 1, min(i + 40, len(lines))):
            t = lines[j].text
            if _TRY.match(t):
                break
            m = _GRADLE_DETAIL.match(t)
            if m and (best is None or len(m.group(1)) > best[0]):
                best = (len(m.group(1)), j)
        if best is None:
            continue
        j = best[1]
        cand = Candidate(lines[j], GRADLE_CAUSE, "cause")
        if j in index:
            k = index[j]
            if scored[k][0] < GRADLE_CAUSE:
                scored[k] = (GRADLE_CAUSE, j, cand)
        else:
            scored.append((GRADLE_CAUSE, j, cand))
            index[j] = len(scored) - 1
    scored.sort(key=lambda x: x[1])


def _norm(text: str) -> str:
    return _STRIP_ANNOTATION.sub("", text).strip()
