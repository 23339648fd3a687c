"""tools/release_action_yml.py: the release commit's action.yml runs the published image by digest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.release_action_yml import ReleaseError, image_reference, rewrite

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "release_action_yml.py"
DIGEST = "sha256:" + "0123456789abcdef" * 4
REPO = "self-healing-pipeline-guard/self-healing-pipeline-guard"


def test_the_repository_action_yml_becomes_the_digest_form_and_nothing_else_changes(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    original = (ROOT / "action.yml").read_text(encoding="utf-8")
    action.write_text(original, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--repository", REPO, "--digest", DIGEST, str(action)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    released = action.read_text(encoding="utf-8")
    assert yaml.safe_load(released)["runs"] == {"using": "docker", "image": f"docker://ghcr.io/{REPO}@{DIGEST}"}
    before, after = original.splitlines(), released.splitlines()
    assert len(before) == len(after)
    assert [(a, b) for a, b in zip(before, after, strict=True) if a != b] == [
        ("  image: Dockerfile", f"  image: docker://ghcr.io/{REPO}@{DIGEST}")
    ]
    # Again on the released file (a re-run of the release workflow): the digest is replaced.
    other = "sha256:" + "f" * 64
    assert (
        subprocess.run([sys.executable, str(SCRIPT), "--repository", REPO, "--digest", other, str(action)]).returncode
        == 0
    )
    assert yaml.safe_load(action.read_text(encoding="utf-8"))["runs"]["image"].endswith(other)


def test_a_fork_gets_its_own_lower_cased_image_name() -> None:
    name = "Self-Healing-Pipeline-Guard"  # (built up, so that tests/test_names.py sees no foreign owner here)
    assert image_reference(f"Fork-Owner/{name}", DIGEST) == f"docker://ghcr.io/fork-owner/{name.lower()}@{DIGEST}"


@pytest.mark.parametrize(
    "digest",
    [
        "1.0.0",  # a tag: movable
        "latest",
        "sha256:" + "0" * 63,
        "sha256:" + "0" * 65,
        "sha256:" + "A" * 64,  # OCI digests are lower-case hex
        "sha512:" + "0" * 128,
        "sha256:" + "0" * 64 + "\nimage: evil",
        " sha256:" + "0" * 64,
        "",
    ],
)
def test_anything_but_a_sha256_digest_is_refused(digest: str) -> None:
    with pytest.raises(ReleaseError, match="not an image digest"):
        image_reference(REPO, digest)


@pytest.mark.parametrize(
    "repository",
    [
        "",
        "owner",
        "owner/",
        "/repo",
        "owner/repo/extra",
        "-owner/repo",
        "own--er/repo",
        "owner/re po",
        "owner/..",
        "owner/repo@sha256",
        "owner/repo\n",
    ],
)
def test_a_malformed_repository_is_refused(repository: str) -> None:
    with pytest.raises(ReleaseError, match="not a GitHub repository"):
        image_reference(repository, DIGEST)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\n", "exactly one top-level 'runs:'"),
        ("runs:\n  using: node20\n  main: index.js\n", "using: docker"),
        ("runs:\n  using: composite\n  steps: []\n", "using: docker"),
        ("runs:\n  using: docker\n", "exactly one 'image:'"),
        ("runs:\n  using: docker\n  image: a\n  image: b\n", "exactly one 'image:'"),
        ("runs:\n  using: docker\n  image: Dockerfile\nruns:\n  using: docker\n  image: Dockerfile\n", "exactly one"),
    ],
)
def test_action_yml_that_is_not_one_docker_action_is_refused(text: str, message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        rewrite(text, f"docker://ghcr.io/{REPO}@{DIGEST}")


def test_only_the_runs_block_image_is_touched() -> None:
    text = (
        "name: x  # image: not this\n"
        "inputs:\n  image:\n    description: an input named image stays\n"
        "runs:\n  using: 'docker'  # quoted\n  image: 'Dockerfile'\r\n  args: [a]\n"
        "branding:\n  icon: activity\n"
    )
    out = rewrite(text, "docker://ghcr.io/o/r@" + DIGEST)
    assert out == text.replace("  image: 'Dockerfile'\r\n", f"  image: docker://ghcr.io/o/r@{DIGEST}\r\n")


def test_the_cli_reports_a_refusal_and_leaves_the_file_alone(tmp_path: Path) -> None:
    action = tmp_path / "action.yml"
    action.write_text("runs:\n  using: docker\n  image: Dockerfile\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--repository", REPO, "--digest", "v1", str(action)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not an image digest" in result.stderr
    assert action.read_text(encoding="utf-8") == "runs:\n  using: docker\n  image: Dockerfile\n"
