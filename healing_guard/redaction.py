"""Secrets out of untrusted text: values the guard knows, and the shapes of tokens, keys and passwords.

The text given to a ``Redactor`` should already be normalised (``sanitize.normalise``): a token split
by an ANSI code, a control or an invisible format character is only recognised once it is joined.
Three kinds of rule run in turn:

* known secrets (the guard's token, anything added with ``Redactor.add``), replaced wherever they are;
* shapes: private-key blocks, provider tokens (GitHub, AWS, GitLab, Slack, npm, PyPI, Stripe, Google,
  JWTs …), credentials in URLs, ``Authorization`` headers, ``key=value`` assignments whose key names a
  secret (env, YAML, JSON, Python, Ruby, INI, XML forms), CLI flags such as ``--password x``;
* encodings: a base64 run that decodes to text holding a secret, and long high-entropy base64 runs
  (the body lines of a private key, an AWS secret key) are replaced whole.

Only the secret is replaced (``PGPASSWORD=***``, ``https://user:***@host``) so a reader still sees what
was hidden. Values that are already masked or are placeholders (``***``, ``${{ secrets.X }}``,
``$TOKEN``, ``<password>``, ``required``) are left as they are.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable

MASK = "***"

# -- private keys -----------------------------------------------------------------------------------
_PEM_BEGIN = re.compile(r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----")
# what may follow a BEGIN line when the END is not in the text: base64 lines, armour headers, blanks
_PEM_BODY_LINE = re.compile(r"[ \t]*(?:[A-Za-z0-9+/]{8,}={0,2}|[A-Za-z0-9+/]*=|[A-Za-z-]+: [^\n]*|)[ \t]*")

# -- whole-match shapes -----------------------------------------------------------------------------
_SHAPES: tuple[re.Pattern[str], ...] = (
    # GitHub: no \b in front, "xghp_…" and "token:ghp_…" are tokens too
    re.compile(r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,255}"),
    re.compile(r"github_pat_[A-Za-z0-9_]{22,255}"),
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Z])"),
    re.compile(r"gl(?:pat|dt|rt|ptt|cbt|oas|soat)-[A-Za-z0-9_-]{20,}"),
    re.compile(r"xox[abposre]-[A-Za-z0-9-]{10,}"),
    re.compile(r"xapp-\d-[A-Za-z0-9-]{10,}"),
    re.compile(r"npm_[A-Za-z0-9]{36}"),
    re.compile(r"pypi-[A-Za-z0-9_-]{50,}"),
    re.compile(r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    re.compile(r"whsec_[A-Za-z0-9]{24,}"),
    re.compile(r"AIza[0-9A-Za-z_-]{35}"),
    re.compile(r"(?<![A-Za-z0-9])sk-(?:proj-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{32,}"),
    re.compile(r"(?<![A-Za-z0-9])hf_[A-Za-z]{30,}"),
    re.compile(r"SG\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{40,}"),
    re.compile(r"dop_v1_[a-f0-9]{64}"),
    # a JWT (header.payload.signature, the first two base64url JSON objects)
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
)

_ANY_SHAPE = re.compile("|".join(f"(?:{p.pattern})" for p in _SHAPES))

# -- shapes where only the group "v" is the secret ---------------------------------------------------
# No value class takes a backtick or "<": a second pass over rendered Markdown (which the executor
# makes) must never eat the delimiter of a code span or an HTML tag and leave its text live.
_KEYWORDS = (
    r"password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|secret[_-]?key|account[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key"
)
# A key that names a secret: PGPASSWORD, DB_PASSWORD, _authToken, SecretAccessKey, client-secret.
# Past "password", a keyword starts the key or a part of it (after _ . - or a lower-to-upper case
# change): "tiktoken" and "bypass" are not keys. The case-insensitive keyword sits in a
# case-sensitive pattern so that the camel-case boundary can be seen.
_KEY = (
    r"(?P<k>(?<![A-Za-z0-9])[A-Za-z0-9_.-]*?"
    r"(?:(?i:passw(?:or)?d|passphrase|_pass|_pwd)|(?:(?<=[_.-])|(?<=[a-z])(?=[A-Z])|(?<![A-Za-z0-9]))"
    rf"(?i:{_KEYWORDS})))"
)
# the key may be quoted (JSON, Python, YAML) or a Ruby symbol; the separator is = : => or :=
_SEP = r"(?:\\?[\"'])?\s*(?P<sep>=>|:=|=(?!=)|:(?![:/]))\s*"
_VALUED: tuple[re.Pattern[str], ...] = (
    # Slack, Discord and Teams webhooks: the path is the secret
    re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<v>[A-Za-z0-9/_-]{8,})"),
    re.compile(r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/(?P<v>[A-Za-z0-9_-]{16,})"),
    re.compile(r"\.webhook\.office\.com/webhookb2/(?P<v>[^\s'\"`<>]{16,})"),
    # credentials in a URL: scheme://user:password@host, scheme://long-token@host
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@'\"`<>]*:(?P<v>[^/\s@'\"`<>]+)@"),
    re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://(?P<v>[A-Za-z0-9_-]{20,})@"),
    # secrets in a query string (tokens, SAS signatures, presigned URLs)
    re.compile(
        r"(?i)[?&](?:[\w.-]*(?:token|secret|passw(?:or)?d|signature|credential|api[_-]?key|apikey|access[_-]?key)"
        r"|sig|code)=(?P<v>[^&\s'\"`#<>]{4,})"
    ),
    # Authorization / Proxy-Authorization headers, with or without a scheme word
    re.compile(
        r"(?i)\b(?:proxy-)?authorization\s*[:=]\s*(?:(?:bearer|basic|token|digest|negotiate|ntlm|bot)\s+)?"
        r"(?P<v>[^\s'\"`<]+)"
    ),
    # "Bearer <token>": a token has a digit or an inner symbol, or is long ("bearer authentication." is prose)
    re.compile(
        r"(?i:\bbearer)\s+(?P<v>(?=[A-Za-z._~+/=-]*[0-9]|[A-Za-z]*[._~+/=-]+[A-Za-z0-9]|[A-Za-z]{20})"
        r"[A-Za-z0-9._~+/=-]{8,})"
    ),
    # CLI flags: --password x, --token=x, --api-key "x", --client-secret x
    re.compile(
        r"(?i)(?<![\w-])--?[a-z0-9-]*?(?:password|passwd|passphrase|token|secret|api-?key|apikey|access-key)"
        r"(?:=|[ \t]+)(?P<v>\"[^\"\n`]*(?:\"|$|(?=`))|'[^'\n`]*(?:'|$|(?=`))|[^\s'\"`-][^\s'\"`]*)"
    ),
    # mysql -pSECRET, sshpass -p SECRET, docker login -p SECRET, curl -u user:SECRET
    re.compile(r"(?i)\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?\s-p(?P<v>[^\s'\"`]+)"),
    re.compile(r"(?i)\bsshpass\b[^\n]*?\s-p\s*(?P<v>[^\s'\"`]+)"),
    re.compile(
        r"(?i)\b(?:docker|podman|buildah|skopeo|helm|oras|crane)\b[^\n]*?\blogin\b[^\n]*?\s-p\s+(?P<v>[^\s'\"`]+)"
    ),
    re.compile(r"(?i)\bcurl\b[^\n]*?\s(?:-u|--user)\s+['\"]?[^\s:'\"`]+:(?P<v>[^\s'\"`]+)"),
    # npm's legacy _auth (base64 of user:password)
    re.compile(r"(?i):_auth\s*=\s*(?P<v>[^\s'\"`]{4,})"),
    # "auth": "…" (a Docker config.json) only when quoted: "auth: required" is prose
    re.compile(r"(?i)[\"']auth[\"']\s*:\s*[\"'](?P<v>[^\"'\s]{4,})[\"']"),
)
#: rules keyed by a name (run only on the lines that hold a keyword: the key's scan is slow)
_KEY_HINT = re.compile(r"(?i)passw|passphrase|secret|token|key|_pass|_pwd")
_KEYED: tuple[re.Pattern[str], ...] = (
    # <password>…</password> (Maven settings.xml, NuGet.config)
    re.compile(rf"<{_KEY}>(?P<v>[^<\n]+)</"),
    # key = "quoted value": JSON, Python and Ruby hashes, YAML, TOML, INI, env
    # (a value cut before its closing quote is hidden to the end of the line)
    re.compile(rf"{_KEY}{_SEP}(?P<q>\\?[\"'])(?P<v>(?:(?!(?P=q))[^`]){{1,500}}?)(?:(?P=q)|$|(?=`))"),
    # KEY=value, key: value unquoted
    re.compile(rf"{_KEY}{_SEP}(?P<v>[^\s'\"`\\,;&<>()]{{3,}})"),
)

# placeholders and prose that follow "password:" without being a password
_NOT_SECRET = re.compile(
    r"(?i)(?:\**|x{3,}|•+|\[?(?:redacted|masked|filtered|hidden|secure)\]?|<[^>]*>|\$.*|%[^%]*%|\{\{.*|null|none|nil"
    r"|true|false|undefined|required|missing|invalid|incorrect|wrong|expired|empty|not|set|unset|is|are|was|provided"
    r"|given|found|ok|yes|no|changeme|\.\.\.|…"
    # code, not values: a type annotation, a reference to another variable or setting, an env var's name
    r"|string|str|int|integer|bool|boolean|bytes|char|any|object|number|self|this"
    r"|(?-i:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+))"
)

# -- encodings -------------------------------------------------------------------------------------
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_KEY_BODY_RUN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/])")
_PRINTABLE = re.compile(r"[\t\n\r\x20-\x7e]*")
#: bits per character; a random base64 run of 40 characters has about 5, a hex digest at most 4
MIN_ENTROPY = 4.4


def _entropy(text: str) -> float:
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_random(run: str) -> bool:
    """A run that is a key body or an encoded secret rather than a word, a path or a digest."""
    body = run.rstrip("=")
    if not (re.search(r"[a-z]", body) and re.search(r"[A-Z]", body) and re.search(r"[0-9]", body)):
        return False
    if body.count("/") > len(body) // 32 + 1:  # paths are slashes and words; a key line has one or two
        return False
    return _entropy(body) >= MIN_ENTROPY


def _decode(run: str) -> str | None:
    """``run`` decoded as base64 (standard or URL-safe) if that gives printable text, else None."""
    body = run.rstrip("=")
    padded = body + "=" * (-len(body) % 4)
    try:
        data = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if len(text) >= 8 and _PRINTABLE.fullmatch(text) else None


def _redact_private_keys(text: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        begin = _PEM_BEGIN.search(text, pos)
        if begin is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : begin.start()])
        end = _PEM_END.search(text, begin.end())
        if end is not None:
            # the END of this key, not of a later one (a second BEGIN before it starts another key)
            again = _PEM_BEGIN.search(text, begin.end(), end.start())
            stop = end.end() if again is None else again.start()
        else:
            # no END: the rest of the BEGIN line and the key-like lines after it
            line_end = text.find("\n", begin.end())
            stop = len(text) if line_end < 0 else line_end
            while stop < len(text):
                nxt = text.find("\n", stop + 1)
                nxt = len(text) if nxt < 0 else nxt
                line = text[stop + 1 : nxt]
                if not line.strip() or not _PEM_BODY_LINE.fullmatch(line):
                    break
                stop = nxt
        out.append(MASK)
        pos = stop


class Redactor:
    """Replaces secrets with ``***``. Known secrets are added with ``add``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4:
            with self._lock:
                self._secrets.add(secret)

    def known(self, text: str) -> str:
        """``text`` with the known secrets replaced, and nothing else."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for s in secrets:
            text = text.replace(s, MASK)
        return text

    def __call__(self, text: str) -> str:
        text = self._shapes(self.known(text))
        text = _BASE64_RUN.sub(self._encoded, text)
        return _KEY_BODY_RUN.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)

    def _shapes(self, text: str) -> str:
        if "PRIVATE KEY" in text:
            text = _redact_private_keys(text)
        text = _ANY_SHAPE.sub(MASK, text)
        for pattern in _VALUED:
            text = pattern.sub(_mask_value, text)
        if _KEY_HINT.search(text):
            text = "\n".join(_keyed(line) if _KEY_HINT.search(line) else line for line in text.split("\n"))
        return text

    def _encoded(self, m: re.Match[str]) -> str:
        run = m.group(0)
        decoded = _decode(run)
        if decoded is not None and self._shapes(self.known(decoded)) != decoded:
            return MASK
        return run


_REFERENCE = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")


def _keyed(line: str) -> str:
    for pattern in _KEYED:
        line = pattern.sub(_mask_value, line)
    return line


def _mask_value(m: re.Match[str]) -> str:
    value = m.group("v")
    bare = value.strip("\"'")
    key = m.groupdict().get("k")
    if value == MASK or _NOT_SECRET.fullmatch(bare) or (MASK in value and len(value) <= 8):
        return m.group(0)
    if key is not None and bare.lower() == key.lower():  # api_key: api_key (code)
        return m.group(0)
    # password: config.password, token = self.next_token (code: a reference to another name)
    if key is not None and _REFERENCE.fullmatch(bare) and _KEY_HINT.search(bare.rsplit(".", 1)[-1]):
        return m.group(0)
    start, end = m.span("v")
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + MASK + whole[end - base :]


#: Redacts token-like strings only; the Action adds its own token to a per-run Redactor.
default_redactor = Redactor()

RedactFn = Callable[[str], str]
