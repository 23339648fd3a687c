"""Which kind of failure a root line describes, from general error vocabulary (no catalogue).

Each rule is a tool's or an operating system's convention (``error TS2345``, ``No space left on
device``, ``manifest unknown``), never one log's wording. The first rule that matches a line gives
its category; the order runs from the most specific readings to the most general ones, so that
``fatal error: foo.h: No such file or directory`` is a missing dependency rather than a missing
file, and ``Permission denied`` on a push is a permission problem rather than a network one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class VocabRule:
    category: str
    pattern: re.Pattern[str]
    weight: float  # how specific the rule is: 1.0 names the failure, 0.5 only hints at it


def _r(category: str, pattern: str, weight: float = 1.0) -> VocabRule:
    return VocabRule(category, re.compile(pattern), weight)


#: public package registries and their CDNs: a 403 on a download from them is a refusal or rate limit
#: of the runner's address, never missing credentials (uploads go to other hosts or say PUT/publish)
PUBLIC_REGISTRIES = (
    r"(?:repo\.maven\.apache\.org|repo1\.maven\.org|central\.maven\.org|plugins\.gradle\.org"
    r"|plugins-artifacts\.gradle\.org|services\.gradle\.org|dl\.google\.com|maven\.google\.com|registry\.npmjs\.org"
    r"|registry\.yarnpkg\.com|pypi\.org|files\.pythonhosted\.org|rubygems\.org|index\.rubygems\.org|proxy\.golang\.org"
    r"|sum\.golang\.org|crates\.io|static\.crates\.io|index\.crates\.io|api\.nuget\.org|repo\.packagist\.org)"
)

RULES: tuple[VocabRule, ...] = (
    # resources
    _r(
        "disk_full",
        r"(?i)\bno space left on device\b|\bENOSPC\b|\bdisk quota exceeded\b|\bnot enough (?:free )?disk space\b",
    ),
    _r(
        "oom",
        r"(?i)\bout of memory\b|\bOutOfMemoryError\b|\bheap limit\b|\bCannot allocate memory\b|\bstd::bad_alloc\b"
        r"|\bMemoryError\b|\boom[- ]?kill|\bexit code 137\b|\bKilled\s*$|\bKilled signal terminated program\b",
    ),
    # images and caches
    _r(
        "docker_image",
        r"(?i)\bmanifest unknown\b|\bmanifest for \S+ not found\b|\bpull access denied\b"
        r"|\bfailed to resolve source metadata\b|\bdocker\.io/\S+: not found\b|\berror pulling image\b"
        r"|\bimage not found\b",
    ),
    _r(
        "cache_corruption",
        r"(?i)\binvalid stored block lengths\b|\bunexpected end of (?:file|archive|data)\b"
        r"|\bcorrupt(?:ed)? (?:cache|archive|zip)"
        r"|\bzip END header not found\b|\bCRC (?:error|mismatch)\b|\bincorrect header check\b|\bcache (?:is )?corrupt",
    ),
    # dependencies
    _r(
        "dependency_conflict",
        r"(?i)\bERESOLVE\b|\bconflicting (?:peer )?dependenc|\bdependency conflict\b|\bversion solving failed\b"
        r"|\bResolutionImpossible\b|\bcould not resolve dependencies\b|\bpeer dep\w*\b.*\b(?:conflict|requires"
        r"|incompatible)"
        r"|\bOUTDATED_LOCKFILE\b|\bfrozen[- ]lockfile\b|\block ?file\b.*\b(?:out of (?:date|sync)"
        r"|not up to date|needs to be updated|in sync)"
        r"|\bincompatible with\b|\bis incompatible\b|\brequires (?:a )?(?:different|newer|older) version\b"
        r"|\bbut (?:version )?\S+ (?:is|was) installed\b"
        r"|\bNamed export '.*' not found\b|\bBecause \S+ depends on\b|\bdepends on \S+ .* which depends on\b"
        r"|\brequires libraries and applications that\b|\bnot compatible with\b",
    ),
    _r(
        "dependency_missing",
        r"(?i)\bModuleNotFoundError\b|\bNo module named\b|\bCannot find (?:module|package)\b"
        r"|\bCould not find (?:a )?package\b"
        r"|(?-i:\bCould NOT find\b)|\bCouldn't resolve the package\b|\bNo matching (?:version|distribution) found\b"
        r"|\bnotarget\b"
        r"|\bCould not find a version that satisfies\b|\bCould not (?:find|resolve) (?:artifact|dependency|\S+:\S+:\S+)"
        r"|\bUnable to resolve action\b|(?<![\w-])[\w.+][\w.+-]*: command not found\b|\bcommand not found: "
        r"|\bnot found in PATH\b|\bis not installed\b"
        r"|\bnot installed\b"
        r"|\bcannot find -l\S+|\bfatal error: \S+\.h(?:pp)?: No such file"
        r"|\bPackage '?\S+'? was not found in the pkg-config"
        r"|\bno required module provides package\b|\bcannot find package\b|\bE404\b"
        r"|\b404 Not Found\b.*\b(?:registry|npm|pypi|package)"
        r"|\bUnable to locate package\b|\bpackage \S+ is not available\b|\bno such package\b|\bgem \S+ .*not found\b"
        r"|\bCould not find gem\b|\bLibrary not loaded\b|\bcannot open shared object file\b|\bunable to find library\b",
    ),
    # lint and formatting
    _r(
        "lint",
        r"(?i)\bwould reformat\b|\bwould have printed\b|\bcode style issues\b|\bstyle issues?\b|\bcheckstyle\b"
        r"|\bformatting (?:issues|errors|check failed)\b|\bnot (?:properly )?formatted\b|\b\d+ problems? \(\d+ errors?"
        r"|\blint(?:er|ing)? (?:found|failed|errors?)\b|\bLint found errors\b|\bclippy::|\bruff\b|\bflake8\b|\beslint\b"
        r"|:\d+:\d+: [EWFC]\d{3,4}\b|\bLibrary stubs not installed\b|\berror: .* \[[a-z]+(?:-[a-z]+)+\]$"
        r"|\s-\s+error:\s.*\(report\w+\)$|\berror • .* • \S+:\d+:\d+ •|\binfo • |\bwarning • |\bktlint\b"
        r"|\bdetekt\b|\bgolangci\b|\bstylelint\b",
    ),
    # compile
    _r(
        "compile_error",
        r"\berror (?:TS|CS|C|LNK|FS|BC)\d+\b|\berror\[E\d+\]|^e: (?:file:|/|[A-Z]:\\)|\.dart:\d+:\d+: Error:"
        r"|\.(?:c|cc|cpp|cxx|h|hpp|m|mm|swift|go|rs|java|kt|scala|cs|ts|tsx|sol|zig"
        r"|f90):\d+(?::\d+)?:? (?:fatal )?error\b"
        r"|\b(?:Compilation|compilation) (?:failed|error|terminated)\b|\bCOMPILATION ERROR\b|\bcannot find symbol\b"
        r"|\bundefined reference to\b|\bUnresolved reference\b|\bisn't defined for the type\b"
        r"|\bMember not found\b|\bisn't a type\b"
        r"|\bis not assignable to\b|\bCannot infer type\b|\bmismatched types\b|\bdoes not conform to\b"
        r"|\bno member named\b"
        r"|\bwas not declared in this scope\b|\bredeclared\b|\bundeclared identifier\b|\brelocation \S+ against\b"
        r"|\berror: could not compile\b|\bsorry, unimplemented\b|\bLaTeX Error\b|\bSyntaxError\b"
        r"|\bsyntax error\b(?!.*\bnear\b)"
        r"|\bexpected .* found\b|\bcannot convert\b|\bno matching function\b|\bError \(\d+\): \b"
        r"|\bshould be marked as abstract\b"
        r"|\bAAPT: error\b|\bResource and asset merger\b|\bfailed to compile\b|\bCompiling .* failed\b"
        r"|\bbuild failed due to\b",
    ),
    # tests
    _r(
        "test_failure",
        r"\bAssertionError\b|\bAssertionFailedError\b|\bassert(?:ion)? (?:failed|error)\b|^\s*E\s+assert\b"
        r"|--- FAIL:|\bexpect\(.*\)\.(?:not\.)?to\w+|\bTests? failed\b|\btests? failed\b"
        r"|\bTest Suites: .*\bfailed\b|\bTests run: .*(?:Failures|Errors): [1-9]|\bThere (?:was|were) \d+ failures?\b"
        r"|\btest result: FAILED\b|(?<![/\d])\b\d+ (?:tests? )?fail(?:ed|ing|ures?)\b|\bFAIL(?:URE)?: test\w*"
        r"|^FAIL\s+\S|\bExpected\b.*\b(?:but (?:was|got|received)|to (?:be|equal))\b|^\s*Received(?: \w+){0,3}:"
        r"|\btoHaveScreenshot\b"
        r"|\bTest .* failed\b",
    ),
    # a request that failed on the way: Go's HTTP client (Terraform, Docker, Helm, kubectl, gh) names the
    # URL and what broke, which reads as a timeout below but is the network; a public registry's 403
    # on a download is its CDN refusing (credentials cannot fix a public artifact)
    _r(
        "network",
        r"(?i)\b(?:Get|Post|Head|Put) \"?https?://[^\s\"]+\"?: (?:net/http|dial tcp|context deadline exceeded|read tcp"
        r"|EOF\b|http2:|remote error)|\bClient\.Timeout exceeded while awaiting headers\b"
        r"|\brequest canceled while waiting for connection\b|\bdial tcp \S+: (?:i/o timeout|lookup \S+|connect: )"
        r"|\bplease try again later\b|\bcould not query provider registry\b"
        rf"|https?://{PUBLIC_REGISTRIES}[/'\"):\s].*\b403\b|\b403\b.*https?://{PUBLIC_REGISTRIES}[/'\"):\s]",
    ),
    # waiting
    _r(
        "timeout",
        r"(?i)\bhas timed out after\b|\bexceeded the maximum execution time\b|\bTimeout of \d+\s*ms hit\b"
        r"|\btimed out after \d+|\bjob .* timed out\b|\bdeadline exceeded\b|\btimeout exceeded\b"
        r"|\bFailed: Timeout >|\bExceeded timeout of \d+\s*ms\b|\bTest timed out in \d+"
        # Puppeteer's and Playwright's waits: "TimeoutError: Waiting failed: 60000ms exceeded",
        # "Navigation timeout of 30000 ms exceeded", "page.click: Timeout 30000ms exceeded"
        r"|\b(?:Waiting failed: |timeout of |Timeout )\d+\s*ms exceeded\b",
    ),
    # a repository's refusal in the words of Maven and Gradle (public hosts' 403s are caught above)
    _r("permission", r"\bReceived status code 40[13]\b|\bstatus code:? 40[13]\b|\bReturn code is:? 40[13]\b"),
    # network
    _r(
        "network",
        r"(?i)\bCould not resolve host\b|\bConnect(?:ion)? timed out\b|\bCould not (?:GET|HEAD"
        r"|get resource) 'https?://|\bECONNRESET\b|\bETIMEDOUT\b|\bEAI_AGAIN\b|\bgetaddrinfo\b|\bsocket hang up\b"
        r"|\bConnection (?:timed out|reset)\b|\bRead timed out\b|\bTLS handshake timeout\b"
        r"|\bTemporary failure in name resolution\b"
        r"|\bBad Gateway\b|\bService Unavailable\b|\bGateway Time-?out\b|\breturned error\s*:\s*50[234]\b"
        r"|\bstatus(?: code)?:? 50[234]\b"
        r"|\bReceived status code 50[0234]\b|\bnetwork (?:error|is unreachable|timeout)\b|\bNetwork is unreachable\b"
        r"|\bFailed to (?:query available provider packages|download|fetch|connect)\b|\bHTTP 0+\b"
        r"|\bconnect to host .* port \d+",
    ),
    # permission
    _r(
        "permission",
        r"(?i)\bPermission denied\b|\bEACCES\b|\bResource not accessible by integration\b|\bdenied to\b"
        r"|\bOperation not permitted\b"
        r"|\binsufficient (?:permission|scope)s?\b|\b403\b.*\bForbidden\b|\bForbidden\b.*\b403\b"
        r"|\bnot authorized\b|\bunauthorized\b"
        r"|\bmust have (?:admin|write|push) (?:rights|access)\b|\bdenied: requested access\b"
        r"|\bwrite access to repository not granted\b",
    ),
    # configuration and environment
    _r(
        "config_env",
        r"(?i)(?:^|\s)-[\w-]+: command not found\b|\benvironment variable\b|\bmust be (?:set|provided|specified"
        r"|defined)\b|\bis not set\b|\bnot configured\b"
        r"|\bmissing required (?:property|input|option|argument|parameter|field)\b|\binvalid choice\b"
        r"|\bunknown (?:or unexpected )?option\b"
        r"|\bunrecognized (?:option|argument|arguments)\b|\bis not supported\b|\bnot supported by\b|^usage: "
        r"|\bunexpected EOF\b"
        r"|\bInvalid (?:configuration|config|value|credentials?|token|key|input)\b|\bbad credentials\b"
        r"|\bnot valid JSON\b"
        r"|\bInput required and not supplied\b|\bInconsistent JVM-target\b|\bproperty is not enabled\b"
        r"|\bSDK location not found\b"
        r"|\bJAVA_HOME\b|\bkeystore\b|\bsigning ?config|\bin any of the following sources\b"
        r"|\bProject with path .* could not be found\b"
        r"|\bError loading key\b|\bConnection to \S+ refused\b|\bconnection to server\b.*\bfailed\b"
        r"|\bsyntax error at or near\b"
        r"|\bUnsupported class file major version\b|\bnot a valid\b|\brequires (?:node|python|java|ruby)\b"
        r"|\bunsupported engine\b"
        # PEP 668: pip refuses to install into the system Python (use a venv or setup-python)
        r"|\bexternally-managed-environment\b|\bThis environment is externally managed\b"
        # make has no such target (a file-like target is a missing file, below)
        r"|\bNo rule to make target [`'‘]?[\w-]+['’]?(?:\.(?:\s|$)|,|\s*$)"
        # a CLI that has no credentials: "Failed to authenticate, have you run firebase login?",
        # "You are not logged in", "Please run `vercel login`"
        r"|\bhave you run \S+ login\b|\bnot logged in\b|\bplease (?:run|use) `?\S+ login\b|\bFailed to authenticate\b",
        0.8,
    ),
    # files
    _r(
        "missing_file",
        r"(?i)\bNo such file or directory\b|\bENOENT\b|\bcannot access\b|\bcan't open file\b|\bFileNotFoundError\b"
        r"|\bpathspec .* did not match\b|\bCould not find or load main class\b|\bno such file\b|\bdoes not exist\b"
        r"|\b(?:file|directory|path) .*\bnot found\b|\bnot found: \S*[/.]\S*|\bUnable to find .* file\b"
        r"|\bNo rule to make target [`'‘]?[^'’\s]*[/.]"
        # "no west.yml found in /tmp/config", "No package.json found", "no go.mod file found"
        r"|\b[Nn]o [\w.-]+\.(?:ya?ml|json|toml|xml|ini|cfg|conf|lock|mod|txt|gradle|properties|sln|csproj)"
        r"(?: file)? (?:was )?found\b",
        0.7,
    ),
    # a line a test runner prints for a failing test, whatever the test's own error says: it names
    # the category only when nothing more specific in the line does
    _r(
        "test_failure",
        r"^\s*E\s{2,}|^FAILED \S+::|\bFAILED \S+\.py|^\s*not ok \d+|^\s*●\s.*›|^\s*[✕×✗✘]\s"
        r"|\bFAIL\s+\S+\.(?:test|spec)\.\w+"
        r"|\btest\w* .*\bFAILED\b|\bTests? .*\bfailed\b",
        0.5,
    ),
)


def categorize(text: str) -> tuple[str, float] | None:
    """The category a line's vocabulary names, and how specifically; None when it names none."""
    for rule in RULES:
        if rule.pattern.search(text):
            return rule.category, rule.weight
    return None
