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
