"""rootvocab: which category a root line's general vocabulary names (real lines, sources named)."""

from __future__ import annotations

import pytest

from healing_guard.rootvocab import categorize

# (line, category); every line is copied from a public log, named beside it
REAL_LINES = [
    # hashicorp/terraform#26161 (pasted `terraform init` output): Go's HTTP client names the URL
    (
        'document: Get "https://registry.terraform.io/.well-known/terraform.json": context deadline exceeded'
        " (Client.Timeout exceeded while awaiting headers)",
        "network",
    ),
    # hashicorp/terraform-provider-aws#19995
    ("│ net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting", "network"),
    # gha-real gha-blurr-maven-central-403 (Unselfisheologism/blurr-Vfinal): a public host's 403 on a download
    (
        "         > Could not GET 'https://repo.maven.apache.org/maven2/org/jetbrains/kotlin/kotlin-stdlib/2.1.20/"
        "kotlin-stdlib-2.1.20.pom'. Received status code 403 from server: Forbidden",
        "network",
    ),
    # gradle/gradle#19181: a private Artifactory's 403 stays a permission problem
    (
        "         > Could not HEAD 'https://husqvarnadss.jfrog.io/artifactory/plugins-release/io/quarkus/"
        "io.quarkus.gradle.plugin/1.13.3.Final/io.quarkus.gradle.plugin-1.13.3.Final.jar'. Received status code 403"
        " from server: Forbidden",
        "permission",
    ),
    # komputing/KHash#29: GitHub Packages without a token
    (
        "Caused by: org.gradle.internal.resource.transport.http.HttpErrorStatusCodeException: Could not GET "
        "'https://maven.pkg.github.com/komputing/KHash/com/github/komputing/khash/sha256/1.1.3/sha256-1.1.3.pom'."
        " Received status code 401 from server: Unauthorized",
        "permission",
    ),
    # gha-real gha-dculus-forms-healthcheck-000 (dculussoftwares/dculus-forms): curl's 000, no connection
    ("⚠️ Health check attempt 1/5 failed (HTTP 000000)", "network"),
    # gha-real gha-vtuber-check-puppeteer-wait (hugow0528/Vtuber-check): Puppeteer gives up waiting
    ("[capture] Fatal error: TimeoutError: Waiting failed: 60000ms exceeded", "timeout"),
    # gha-real gha-dactyl-zmk-no-west-yml (Mack00102/dactyl-zmk-config): `west init -l` without its file
    ("FATAL ERROR: can't init: no west.yml found in /tmp/zmk-config/config", "missing_file"),
    # gha-real gha-p4f-firebase-bad-credentials (njytim-cyber/p4f-simple-spelling-app): a CLI without credentials
    ("Error: Failed to authenticate, have you run firebase login?", "config_env"),
    # NOAA-EMC/NCEPLIBS-ip#23 and celestiaorg/celestia-app#633: make has no such target
    ("make: *** No rule to make target 'test'.  Stop.", "config_env"),
    ("make: *** No rule to make target `test-build', needed by `test'. Stop.", "config_env"),
    # stan-dev/stan#3058 and sep-developers/sep#106: the target is a file nothing builds
    ("gmake[1]: *** No rule to make target 'test/test-models/good/services/test_lp.hpp'.  Stop.", "missing_file"),
    ("make: *** No rule to make target 'src/libsep.so', needed by 'ctest/test_image'.  Stop.", "missing_file"),
    # pyTooling/Actions#81: pip on ubuntu-24.04's system Python (PEP 668)
    ("error: externally-managed-environment", "config_env"),
    ("× This environment is externally managed", "config_env"),
]


@pytest.mark.parametrize(("line", "category"), REAL_LINES)
def test_real_lines_name_their_category(line: str, category: str) -> None:
    found = categorize(line)
    assert found is not None and found[0] == category, found


def test_one_attempt_out_of_several_is_not_a_count_of_failed_tests() -> None:
    # "1/5 failed" counts attempts; "3 failed" (jest's summary) counts tests
    assert categorize("Health check attempt 1/5 failed") is None
    assert categorize("Tests:       3 failed, 12 passed, 15 total") == ("test_failure", 1.0)


def test_received_is_jests_word_only_at_the_start_of_a_line() -> None:
    # jest/vitest print `Received: ...` under `Expected: ...`; Gradle's "Received status code" is not a test
    assert categorize('    Received: "two"') == ("test_failure", 1.0)
    assert categorize("Received status code 500 from server") != ("test_failure", 1.0)
