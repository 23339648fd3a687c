"""rootline: the line that explains a failure, on real excerpts (sources named)."""

from __future__ import annotations

from healing_guard.models import EvidenceLine
from healing_guard.rootline import rank, score_line

# hashicorp/terraform-provider-aws#19995: `terraform init` output pasted in the issue (code fence removed)
TERRAFORM_BOX = [
    "Initializing the backend...",
    "",
    "Initializing provider plugins...",
    '- Finding hashicorp/aws versions matching "~> 3.1"...',
    "╷",
    "│ Error: Failed to query available provider packages",
    "│ ",
    "│ Could not retrieve the list of available versions for provider hashicorp/aws: could not query",
    "│ provider registry for registry.terraform.io/hashicorp/aws: the request failed after 2 attempts,",
    '│ please try again later: Get "https://registry.terraform.io/v1/providers/hashicorp/aws/versions":',
    "│ net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting",
    "│ headers)",
    "╵",
]


def test_a_terraform_diagnostic_box_is_read_not_taken_for_a_code_frame() -> None:
    lines = [EvidenceLine(i + 1, t) for i, t in enumerate(TERRAFORM_BOX)]
    ranked = rank(lines)
    assert ranked and ranked[0].line.text == "│ Error: Failed to query available provider packages"
    assert ranked[0].reason == "error"


def test_code_frames_and_notice_boxes_stay_noise() -> None:
    # gha-real gha-lofi-pm-biome-format (LoFi-Monk/github-project-management): biome's code frame
    assert score_line("       │                                            ^^^") == (0.0, "")
    assert score_line("  > 43 │     const statements: { sql: string; args: any[] }[] = sql") == (0.0, "")
    # a box closed on the right (pnpm's notices) is not Terraform's
    assert score_line("│   Error: not a terraform diagnostic   │")[0] == 0.0


# gha-real gha-dculus-forms-healthcheck-000 (dculussoftwares/dculus-forms): every attempt of a health check failed
HEALTH_CHECK = [
    "🔍 Checking deployment at: https://viewer-app-production.dculus.com",
    "⏳ Waiting 60 seconds for DNS propagation...",
    "⚠️ Health check attempt 1/5 failed (HTTP 000000)",
    "⏳ Waiting 30 seconds before retry...",
    "⚠️ Health check attempt 2/5 failed (HTTP 000000)",
    "⏳ Waiting 30 seconds before retry...",
    "⚠️ Health check attempt 3/5 failed (HTTP 000000)",
    "⏳ Waiting 30 seconds before retry...",
    "⚠️ Health check attempt 4/5 failed (HTTP 000000)",
    "⏳ Waiting 30 seconds before retry...",
    "⚠️ Health check attempt 5/5 failed (HTTP 000000)",
    "❌ Health check failed after 5 attempts",
    "💡 Check Cloudflare Pages dashboard: https://dash.cloudflare.com/***/pages/view/viewer-app-production",
    "##[error]Process completed with exit code 1.",
]


def test_attempts_are_candidates_once_the_step_says_every_attempt_failed() -> None:
    lines = [EvidenceLine(i + 1, t) for i, t in enumerate(HEALTH_CHECK)]
    ranked = rank(lines)
    assert ranked[0].line.text == "❌ Health check failed after 5 attempts"
    assert {c.line.line for c in ranked if c.reason == "retry"} == {3, 5, 7, 9, 11}
    # without the last word on them, failed attempts stay noise (a later one may have recovered)
    recovered = [e for e in lines if "after 5 attempts" not in e.text]
    assert not [c for c in rank(recovered) if c.reason == "retry"]


# gha-real gha-blurr-maven-central-403 (Unselfisheologism/blurr-Vfinal), lines 2256-2274, shortened to
# the first two failures: Gradle lists several at the same depth; the first is the root
GRADLE_WENT_WRONG = [
    "FAILURE: Build failed with an exception.",
    "",
    "* What went wrong:",
    "Could not resolve all artifacts for configuration 'classpath'.",
    "> Could not resolve org.jetbrains.kotlin:kotlin-stdlib:2.1.20.",
    "   > Could not resolve org.jetbrains.kotlin:kotlin-stdlib:2.1.20.",
    "      > Could not get resource 'https://repo.maven.apache.org/maven2/org/jetbrains/kotlin/kotlin-stdlib/2.1.20/"
    "kotlin-stdlib-2.1.20.pom'.",
    "         > Could not GET 'https://repo.maven.apache.org/maven2/org/jetbrains/kotlin/kotlin-stdlib/2.1.20/"
    "kotlin-stdlib-2.1.20.pom'. Received status code 403 from server: Forbidden",
    "> Could not resolve org.apache.httpcomponents:httpmime:4.5.6.",
    "   > Could not resolve org.apache.httpcomponents:httpmime:4.5.6.",
    "      > Could not get resource 'https://repo.maven.apache.org/maven2/org/apache/httpcomponents/httpmime/4.5.6/"
    "httpmime-4.5.6.pom'.",
    "         > Could not GET 'https://repo.maven.apache.org/maven2/org/apache/httpcomponents/httpmime/4.5.6/"
    "httpmime-4.5.6.pom'. Received status code 403 from server: Forbidden",
    "",
    "* Try:",
]


def test_gradle_s_first_deepest_detail_is_the_cause() -> None:
    lines = [EvidenceLine(i + 1, t) for i, t in enumerate(GRADLE_WENT_WRONG)]
    assert rank(lines)[0].line.line == 8


def test_make_without_a_rule_is_the_root_not_a_cascade() -> None:
    # bombela/backward-cpp#53 (the output pasted in the issue): the only error is make's own
    lines = [
        "make: Entering directory '~/workspace/backward-cpp/build_c++98_gcc-4.6'",
        "make: *** No rule to make target 'test'.  Stop.",
        "make: Leaving directory '~/workspace/backward-cpp/build_c++98_gcc-4.6'",
    ]
    ranked = rank([EvidenceLine(i + 1, t) for i, t in enumerate(lines)])
    assert ranked[0].line.line == 2 and ranked[0].reason == "error"
    # mimic1#41: the recipe that failed because of it stays a cascade
    assert score_line("make: *** [test] Error 2") == (0.5, "cascade")
