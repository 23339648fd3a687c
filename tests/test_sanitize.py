"""Untrusted log text made safe: no workflow commands, no secrets, Markdown that cannot be broken out of.

``runner_commands`` reads output the way the Actions runner does (``ActionCommand.TryParseV2`` and
``TryParse`` in actions/runner, one ``StreamReader.ReadLine`` line at a time, which ends lines at
CR, LF and CRLF), with ``::stop-commands::`` honoured. It errs on the side of seeing commands: it
also splits lines at Unicode line separators and counts any ``::name`` line and any ``##[``.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass, field

import pytest

from healing_guard.sanitize import (
    ZWSP,
    Redactor,
    code_fence,
    default_redactor,
    inline_code,
    neutralise,
    normalise,
    plain_markdown,
    safe_log_text,
    strip_ansi,
    truncate,
)

# --- a runner-like command reader -----------------------------------------------------------------

REGISTERED = {
    "add-mask",
    "add-matcher",
    "add-path",
    "debug",
    "echo",
    "endgroup",
    "error",
    "group",
    "internal-set-repo-path",
    "notice",
    "remove-matcher",
    "save-state",
    "set-env",
    "set-output",
    "stop-commands",
    "warning",
}


@dataclass
class RunnerCommand:
    name: str
    data: str
    properties: dict[str, str] = field(default_factory=dict)
    line: str = ""


def _unescape(value: str, *, prop: bool) -> str:
    pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%3A", ":"), ("%2C", ",")] if prop else []) + [("%25", "%")]
    for escaped, raw in pairs:
        value = value.replace(escaped, raw)
    return value


def _parse_v2(line: str) -> RunnerCommand | None:
    text = line.lstrip()  # str.isspace is a superset of .NET's Char.IsWhiteSpace
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    info = text[2:end] if end >= 0 else text[2:]
    name, _, props = info.partition(" ")
    properties: dict[str, str] = {}
    for item in props.split(","):
        key, sep, value = item.partition("=")
        if sep and key:
            properties[key] = _unescape(value, prop=True)
    data = _unescape(text[end + 2 :], prop=False) if end >= 0 else ""
    return RunnerCommand(name, data, properties, line)


def _parse_legacy(line: str) -> RunnerCommand | None:
    start = line.find("##[")
    if start < 0:
        return None
    close = line.find("]", start)
    info = line[start + 3 : close] if close >= 0 else line[start + 3 :]
    return RunnerCommand(info.split(" ")[0], line[close + 1 :] if close >= 0 else "", {}, line)


def runner_commands(output: str) -> list[RunnerCommand]:
    """Every workflow command the runner would act on in ``output``."""
    found: list[RunnerCommand] = []
    stop_token: str | None = None
    for line in output.splitlines():
        v2 = _parse_v2(line)
        command = v2 if v2 is not None and v2.name in REGISTERED else None
        if command is None:
            # like the runner, the legacy form is tried when the line is not a known :: command; and
            # to be safe an unknown ::name is counted too
            command = _parse_legacy(line) or v2
        if command is None:
            continue
        if stop_token is not None:
            if command.name.lower() == stop_token.lower() and line.strip() in (
                f"::{stop_token}::",
                f"##[{stop_token}]",
            ):
                stop_token = None
                found.append(command)
            continue
        if command.name == "stop-commands":
            stop_token = command.data
        found.append(command)
    return found


def test_the_reader_sees_what_the_runner_sees() -> None:
    out = "\n".join(
        [
            "plain",
            "  ::error file=a.py,line=3,title=T%3A x%2C y::msg%0Anext",
            "text ##[warning]legacy anywhere",
            "before\r::add-mask::after-cr",
            "::stop-commands::tok123",
            "::error::ignored while stopped",
            "##[error]ignored too",
            "::tok123::",
            "::notice::back",
        ]
    )
    got = [(c.name, c.data, c.properties) for c in runner_commands(out)]
    assert got == [
        ("error", "msg\nnext", {"file": "a.py", "line": "3", "title": "T: x, y"}),
        ("warning", "legacy anywhere", {}),
        ("add-mask", "after-cr", {}),
        ("stop-commands", "tok123", {}),
        ("tok123", "", {}),
        ("notice", "back", {}),
    ]


# --- neutralise -----------------------------------------------------------------------------------------

#: The control characters ``neutralise`` drops (all but tab, LF and CR), for str.translate.
_DROPPED: dict[int, None] = {c: None for c in [*range(0, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}

HOSTILE = [
    "::add-mask::secret",
    "::error file=.github/workflows/ci.yml,line=1::forged annotation",
    "   ::warning::indented",
    "\t::notice::tab",
    "::set-output name=healed::true",
    "::stop-commands::abcdef",
    "::endgroup::",
    "::ERROR::upper case",
    "x ##[error]legacy in the middle",
    "##[set-output name=x;]y",
    "##[add-mask]legacy mask",
    "progress 10%\r::error::after a carriage return",
    "a\r\n::warning::after crlf",
    "first\n  ::debug::second line",
    "line\u2028::error::after a line separator",
    "line\x85::error::after NEL",
    ":\x00:error::NUL between the colons",
    "#\x1b[0m#[error]ANSI between the hashes",
    "##\x1b[31m[error]ANSI between hash and bracket",
    ":\x1b[0m:error::ANSI between the colons",
    "\x0b::error::vertical tab",
    "\x0c::error::form feed",
    "\u00a0::error::no-break space",
    "\u3000::error::ideographic space",
    "###[error]three hashes",
    "::::::",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_neutralised_text_is_never_a_command(text: str) -> None:
    # the raw text is a command, or would be once its control bytes are gone (the reader works) …
    assert runner_commands(text) or runner_commands(strip_ansi(text).translate(_DROPPED))
    assert runner_commands(neutralise(text)) == []  # … the neutralised text is not


def test_neutralise_keeps_ordinary_text() -> None:
    text = "src/app.cpp:12:5: error: 'std::vector' has no member named 'fooo' # see ##123"
    assert neutralise(text) == text
    assert neutralise("  ::x") == "  :" + ZWSP + ":x"
    assert neutralise("a ##[b") == "a #" + ZWSP + "#[b"


def test_neutralise_random_fragments() -> None:
    pieces = ["::", ":", "##[", "#", "[", "]", " ", "\t", "\r", "\n", "\r\n", "\u2028", "\x85", "\x00", "\x1b[0m",
              "\x1b", "error", "add-mask", "stop-commands", "x", "%0A", "\u200b", "\ufeff"]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        out = neutralise(text)
        assert runner_commands(out) == [], repr(text)
        assert out.replace(ZWSP, "") == strip_ansi(text).translate(_DROPPED).replace(ZWSP, ""), repr(text)


def test_safe_log_text_redacts_then_neutralises() -> None:
    out = safe_log_text("::add-mask::ghp_" + "A" * 36, Redactor())
    assert "ghp_" not in out
    assert runner_commands(out) == []


# --- Redactor ----------------------------------------------------------------------------------------

GHP = "ghp_" + "aB3" * 12
PAT = "github_pat_11ABCDEFG0" + "x1Y2" * 15
AKIA = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    ("text", "secret", "expected"),
    [
        (f"remote: https://x-access-token:{GHP}@github.com/o/r", GHP, "https://x-access-token:***"),
        (f"GITHUB_TOKEN={PAT}", PAT, "GITHUB_TOKEN=***"),
        (f"aws configure set aws_access_key_id {AKIA}", AKIA, "aws_access_key_id ***"),
        ('curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"', "eyJhbGci", "Bearer ***"),
        (
            "Authorization: token 0123456789abcdef0123456789abcdef01234567",
            "0123456789abcdef",
            "Authorization: token ***",
        ),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpw", "Authorization: Basic ***"),
        ("mysql -u root --password=hunter2hunter2 -h db", "hunter2", "--password=***"),
        ("  POSTGRES_PASSWORD: postgres123", "postgres123", "POSTGRES_PASSWORD: ***"),
        ("export API_KEY=abcdef123456", "abcdef123456", "API_KEY=***"),
        ("xoxb-1234567890-abcdefghij posted", "xoxb-1234567890", "*** posted"),
    ],
)
def test_known_token_shapes_are_redacted(text: str, secret: str, expected: str) -> None:
    out = Redactor()(text)
    assert secret not in out
    assert expected in out


def test_private_key_block_is_redacted_whole() -> None:
    key = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "QyNTUxOQAAACDm8QbC7u3y1kB9Qy0vZ3sKQ2c4h5i6j7k8l9m0n1o2pAAAAJgAAAAAAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----"
    )
    out = Redactor()(f"Loading deploy key\n{key}\nDone")
    assert out == "Loading deploy key\n***\nDone"
    # a key cut off by the end of the text still goes
    assert Redactor()("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7") == "***"


def test_registered_secret_is_redacted_wherever_it_appears() -> None:
    token = "s3cr3t-Registered-Token_value"
    redact = Redactor([token])
    assert redact(f"fetching with{token}!and again {token}") == "fetching with***!and again ***"
    redact.add(None)
    redact.add("ab")  # too short to be worth masking: it would mangle ordinary words
    assert redact("tab stop") == "tab stop"
    assert default_redactor(token) == token  # the shared redactor knows no run's secrets


@pytest.mark.parametrize(
    "text",
    [
        "tests/test_auth.py::test_password_reset PASSED                       [ 42%]",
        "FAILED tests/test_auth.py::test_secret_rotation - AssertionError: 3 != 4",
        "commit 4f2a9c1e7b3d5a8f0c6e2b1d9a7f3e5c8b0d2a4f (HEAD -> main, origin/main)",
        "HEAD is now at 4f2a9c1 Merge pull request #42 from octo/fix",
        r"C:\Users\runneradmin\AppData\Local\Temp\api_key_service\password_utils.py:12: in <module>",
        "/home/runner/work/widgets/widgets/src/secret_store/access_token.rs:88:5",
        "test crypto::secret::tests::roundtrip ... FAILED",
        "error[E0432]: unresolved import `crate::password::hash`",
        "Using bearer authentication with the registry.",
        "the password is required; passwords: 12 hashed",
        "Secrets: 3 configured",
        "sha256:0f3a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
        "ERROR: Could not find a version that satisfies the requirement pyyaml==9.9 (from versions: 5.4, 6.0)",
        "npm ERR! code E404 npm ERR! 404 Not Found - GET https://registry.npmjs.org/@octo%2fmissing",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor(["registered-token-value"])(text) == text


# --- Markdown -----------------------------------------------------------------------------------------


def _fence_closes_at(block: str) -> int:
    """The index of the line that closes the fenced block opened on line 0 (CommonMark rules)."""
    lines = block.split("\n")
    opening = re.match(r"`{3,}", lines[0])
    assert opening
    width = len(opening.group(0))
    for i, line in enumerate(lines[1:], start=1):
        if re.fullmatch(" {0,3}`{" + str(width) + r",}[ \t]*", line):
            return i
    return -1


@pytest.mark.parametrize(
    "body",
    [
        "plain",
        "```",
        "````\nstill inside\n`````",
        "   ```python\nx = 1\n```",
        "``````````` eleven",
        "inline `code` and ``double``",
        "~~~\n~~~",
    ],
)
def test_code_fence_cannot_be_closed_from_inside(body: str) -> None:
    block = code_fence(body)
    lines = block.split("\n")
    assert _fence_closes_at(block) == len(lines) - 1
    assert "\n".join(lines[1:-1]) == body


def test_code_fence_neutralises_and_redacts_its_body() -> None:
    block = code_fence("::add-mask::x\n##[error]y\n" + GHP)
    assert runner_commands(block) == []
    assert GHP not in block


def _code_span_content(span: str) -> str:
    """What a CommonMark renderer shows for the code span ``span`` (which must be one span)."""
    opening = re.match(r"`+", span)
    assert opening
    ticks = opening.group(0)
    assert span.endswith(ticks) and len(span) > 2 * len(ticks)
    inner = span[len(ticks) : -len(ticks)]
    # no run of exactly len(ticks) backticks inside: it would close the span early
    assert all(len(run) != len(ticks) for run in re.findall(r"`+", inner))
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]
    return inner


@pytest.mark.parametrize(
    "value",
    ["pytest -q", "a`b", "``double``", "`leading", "trailing`", "```", "x ` y `` z ```` w", "two\nlines"],
)
def test_inline_code_holds_any_backticks(value: str) -> None:
    assert _code_span_content(inline_code(value)) == value.replace("\n", " ")


def test_inline_code_is_safe() -> None:
    span = inline_code("::error::x ##[warning]y " + GHP)
    assert runner_commands(span) == []
    assert GHP not in span
    assert "\n" not in inline_code("a\r\nb")


def test_mentions_and_issue_references_do_not_ping() -> None:
    text = "ping @octocat and @octo-org/team about #123, octo/widgets#45 and GH-7"
    out = plain_markdown(text)
    assert not re.search(r"@[A-Za-z0-9]", out)
    assert not re.search(r"#\d", out)
    assert out.replace(ZWSP, "") == text


def test_html_and_entities_stay_text() -> None:
    out = plain_markdown("<img src=x onerror=alert(1)> &#64;octocat &#x23;12 &amp; more")
    assert "<" not in out and ">" not in out
    shown = html.unescape(out)  # what a Markdown renderer makes of entities
    assert not re.search(r"@[A-Za-z0-9]", shown)
    assert not re.search(r"#\d", shown)
    assert shown.replace(ZWSP, "") == "<img src=x onerror=alert(1)> &#64;octocat &#x23;12 &amp; more"


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 100, 20, "…")
    assert len(cut) == 20 and cut.endswith("…")


# --- normalise and clean ------------------------------------------------------------------------------


def test_every_format_character_is_invisible_to_normalise() -> None:
    import sys
    import unicodedata

    from healing_guard.sanitize import normalise

    kept = [
        hex(cp)
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Cf", "Cc")
        and chr(cp) not in "\t\n"
        and normalise(chr(cp)) not in ("", "\n")
    ]
    assert kept == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb\rc\x85d\u2028e\u2029f", "a\nb\nc\nd\ne\nf"),
        ("\x1b[1;31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "red link"),
        ("ｇｈｐ＿x ＠user ：：", "ghp_x @user ::"),
        ("zero\u200bwidth\ufeff \u202eevil", "zerowidth evil"),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    from healing_guard.sanitize import normalise

    assert normalise(text) == expected


def test_clean_redacts_after_normalising_and_before_neutralising() -> None:
    from healing_guard.sanitize import clean

    token = "ghp_" + "aB3" * 12
    # split by what normalising removes: joined first, then redacted
    for sep in ("\x00", "\x1b[0m", "\u200b", "\x08", "\x1b]0;t\x07"):
        out = clean(f"::add-mask::{token[:10]}{sep}{token[10:]}")
        assert token[10:] not in out and runner_commands(out) == []


def test_truncating_clean_text_never_leaves_half_a_secret() -> None:
    from healing_guard.sanitize import clean

    key = "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEowIBAAKCAQEA7Vq3GkTz9bXcW2rYp4LmN8sQf6HjU1aZ0xCvB3nD5eR7tK\n" * 5
    for limit in range(5, 80, 7):
        assert "MIIE" not in truncate(clean("x" * 3 + key), limit)


def test_known_secrets_only() -> None:
    redact = Redactor(["s3cr3t-value"])
    assert redact.known("a s3cr3t-value and ghp_" + "a" * 36) == "a *** and ghp_" + "a" * 36


def test_colour_codes_saved_as_caret_text_are_stripped_like_real_ones() -> None:
    # gha-real gha-jenkins-2026-terraform-registry (nubenetes/jenkins-2026, `gh run view --log` saved
    # through `cat -v`): the escape byte is written as `^[`
    line = "^[[31m│^[[0m ^[[0m^[[1m^[[31mError: ^[[0m^[[0m^[[1mFailed to query available provider packages^[[0m"
    assert strip_ansi(line) == "│ Error: Failed to query available provider packages"
    assert normalise(line) == "│ Error: Failed to query available provider packages"
    # a shell pattern is not a colour code
    assert strip_ansi("grep -E '^[[:space:]]*#' ^[[A-Z]") == "grep -E '^[[:space:]]*#' ^[[A-Z]"
