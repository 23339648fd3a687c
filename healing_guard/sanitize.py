"""Make untrusted log text safe to print, annotate, or put in an output, a file or Markdown.

Log text is attacker-controlled (a fork's test can print anything). Before any of it leaves the
guard it goes through ``clean``, in this order:

1. ``normalise``: ANSI and other escape sequences out, NFKC, every line end (CR, CRLF, NEL, U+2028,
   U+2029) as ``\\n``, control and invisible format characters (zero-width space, BOM, bidi
   overrides) out. A token split by any of these is whole again before step 2 looks at it;
2. redaction (``redaction.Redactor``): known secrets and the shapes of secrets become ``***``;
3. ``neutralise``: no line can be read by the runner as a workflow command (``::cmd::`` at a line
   start, or the legacy ``##[cmd]`` anywhere in a line).

Truncate only after ``clean`` (a cut never leaves half a secret behind). For Markdown use the
helpers of ``markdown``; for structures bound for JSON, ``clean_data`` (never redact serialised
JSON: a rule that matches across its quotes breaks it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from .redaction import Redactor, default_redactor

__all__ = [
    "ZWSP",
    "Redactor",
    "clean",
    "clean_data",
    "code_fence",
    "default_redactor",
    "inline_code",
    "neutralise",
    "normalise",
    "plain_markdown",
    "safe_log_text",
    "strip_ansi",
    "truncate",
]

ZWSP = "\u200b"
# CSI (with private and sub-parameters), OSC (hyperlinks, titles) ended by BEL or ST, DCS/SOS/PM/APC
# strings, charset selections, two-byte escapes, and the 8-bit CSI
_ANSI = re.compile(
    r"\x1b\[[0-9;?:<=>]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[()*+\-./][A-Za-z0-9]"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-9;?]*[ -/]*[@-~]"
    # the same CSI codes saved as text the way `cat -v` prints them (`^[[31m`), as some copied logs have them
    r"|\^\[\[(?:[0-9;]+[A-HJKSTfm]|[mK])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_ENDS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# every control (Cc) but tab and LF, and every format character (Cf) of Unicode 15
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
# The runner reads its output line by line with .NET ReadLine, which ends a line at CR as well as at
# LF; Unicode line separators are treated as line ends too, to be safe.
_LINE_CMD = re.compile(r"(?m)(?:^|(?<=[\r\x85\u2028\u2029]))(\s*):(?=:)")
_LEGACY_CMD = re.compile(r"##\[")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def normalise(text: str) -> str:
    """One form for every way of writing the same text: what redaction and escaping look at."""
    text = strip_ansi(text)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _LINE_ENDS.sub("\n", text)
    return _INVISIBLE.sub("", text)


def neutralise(text: str) -> str:
    """Text the runner will print as it is, never run as a workflow command."""
    text = _CONTROL.sub("", strip_ansi(text))
    text = _LEGACY_CMD.sub("#" + ZWSP + "#[", text)
    return _LINE_CMD.sub(lambda m: m.group(1) + ":" + ZWSP, text)


def clean(text: str, redactor: Callable[[str], str] | None = None) -> str:
    """Untrusted text made safe for stdout, annotations, outputs and files: normalised, redacted, neutralised."""
    return neutralise((redactor or default_redactor)(normalise(text)))


#: The old name of ``clean``.
safe_log_text = clean


def clean_data(value: Any, redactor: Callable[[str], str] | None = None) -> Any:
    """``value`` (JSON-like data) with every string in it, keys too, passed through ``clean``."""
    if isinstance(value, str):
        return clean(value, redactor)
    if isinstance(value, dict):
        return {clean_data(k, redactor): clean_data(v, redactor) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_data(v, redactor) for v in value]
    return value


def truncate(text: str, limit: int, marker: str = "\n… (truncated)") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker


# -- Markdown: the old names of the helpers of ``markdown`` ----------------------------------------------


def inline_code(value: object) -> str:
    from .markdown import md_code

    return md_code(value)


def code_fence(text: str, info: str = "text") -> str:
    from .markdown import md_fence

    return md_fence(text, info)


def plain_markdown(text: object) -> str:
    from .markdown import md_text

    return md_text(text)
