"""Notifications and incidents end to end: the action started as the runner starts it, against the
fake GitHub server and local HTTP servers standing in for Slack, a webhook receiver and PagerDuty.

The URLs come from environment variables the config names; the action masks them (``::add-mask::``)
before anything is printed and never prints them otherwise. A failing channel is reported (an
error annotation and the summary) and neither stops the other channels nor the healing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest

from healing_guard.simulator import FakeGitHub

from .receiver import Receiver, Reply
from .runner import FAST_CONFIG
from .test_action_e2e import NETWORK, failed_run, heal

SECRET_PATH = "/services/T0001/B0002/XyZsecretPart123"
KEY = "webhook-signing-key-42"

NOTIFY_CONFIG = (
    FAST_CONFIG
    + """notifications:
  - type: slack
    url_env: SLACK_URL
    filters:
      risk: [medium, high]
  - type: webhook
    url_env: BROKEN_HOOK_URL
    secret_env: HOOK_KEY
  - type: webhook
    url_env: HOOK_URL
    secret_env: HOOK_KEY
"""
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def test_a_medium_risk_rerun_notifies_and_a_broken_channel_is_only_reported(
    gh: FakeGitHub, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.script = [Reply(200, "ok"), Reply(500, "boom")]  # Slack, then the broken webhook
    env = {
        "SLACK_URL": receiver.url + SECRET_PATH,
        "BROKEN_HOOK_URL": receiver.url + "/broken",
        "HOOK_URL": receiver.url + "/hook",
        "HOOK_KEY": KEY,
    }
    # on the protected branch main a re-run is one risk level higher: medium acts and notifies
    run = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    result = heal(gh, tmp_path, run, config=NOTIFY_CONFIG, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.outputs["healed"] == "true"  # the healing went on
    assert result.outputs["action"].split(",") == ["rerun", "notify"]
    assert [r.path for r in receiver.received] == [SECRET_PATH, "/broken", "/hook"]
    slack = receiver.received[0].json
    assert "Risk: medium" in [f["text"] for f in slack["blocks"][1]["fields"]]
    hook = receiver.received[2]
    assert hook.headers["X-Healing-Guard-Signature"] == (
        "sha256=" + hmac.new(KEY.encode(), hook.body, hashlib.sha256).hexdigest()
    )
    assert hook.json["run"]["id"] == run["id"] and hook.json["action"] == "rerun"
    # the failure is an annotation and a line of the summary; the URLs are masked, never printed
    assert "::error title=Self-Healing Pipeline Guard::failed to notify: webhook (BROKEN_HOOK_URL)" in result.stdout
    assert "failed to notify" in result.summary and "notified" in result.summary
    assert f"::add-mask::{receiver.url}{SECRET_PATH}" in result.stdout
    assert f"::add-mask::{KEY}" in result.stdout
    shown = result.stdout.replace(f"::add-mask::{receiver.url}{SECRET_PATH}", "").replace(f"::add-mask::{KEY}", "")
    shown = shown.replace(f"::add-mask::{SECRET_PATH.lstrip('/')}", "")
    for text in (shown, result.summary, result.stderr):
        assert SECRET_PATH.lstrip("/") not in text and KEY not in text


def test_a_low_risk_rerun_notifies_nobody(gh: FakeGitHub, tmp_path: Path, receiver: Receiver) -> None:
    env = {"SLACK_URL": receiver.url + "/s", "BROKEN_HOOK_URL": receiver.url + "/b", "HOOK_URL": "", "HOOK_KEY": KEY}
    run = failed_run(gh, {"install": NETWORK})  # a pull request branch: low risk acts quietly
    result = heal(gh, tmp_path, run, config=NOTIFY_CONFIG, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.outputs["action"] == "rerun,comment"
    assert receiver.received == []


INCIDENT_CONFIG = (
    FAST_CONFIG
    + """incidents:
  after_failures: 3
  pagerduty:
    routing_key_env: PD_ROUTING_KEY
    url: {url}/v2/enqueue
"""
)


def test_an_incident_after_three_failures_is_resolved_when_the_workflow_is_green(
    gh: FakeGitHub, tmp_path: Path, receiver: Receiver
) -> None:
    receiver.default = Reply(202, {"status": "success", "message": "Event processed"})
    config = INCIDENT_CONFIG.format(url=receiver.url)
    env = {"PD_ROUTING_KEY": "R0UTINGKEY0123456789abcd"}
    run = failed_run(gh, {"install": NETWORK}, attempt=4, pr=False, branch="main")
    result = heal(gh, tmp_path, run, config=config, inputs={"max-retries": "3"}, extra_env=env)
    assert result.returncode == 0, result.stderr
    assert result.outputs["action"].split(",") == ["escalate", "incident"]
    [trigger] = receiver.received
    assert trigger.json["event_action"] == "trigger" and trigger.json["routing_key"] == env["PD_ROUTING_KEY"]
    signature = trigger.json["dedup_key"].removeprefix("healing-guard-")
    [issue] = [i for i in gh.issues.values() if i.get("pull_request") is None]
    assert "healing-guard:incident workflow=" in issue["body"]
    assert env["PD_ROUTING_KEY"] not in result.stdout.replace(f"::add-mask::{env['PD_ROUTING_KEY']}", "")

    # the same workflow passes on main: the incident is resolved, once
    green = gh.add_run(name="CI", head_branch="main", conclusion="success")
    ok = heal(gh, tmp_path, green, config=config, extra_env=env)
    assert ok.returncode == 0, ok.stderr
    resolve = receiver.received[1].json
    assert resolve == {
        "routing_key": env["PD_ROUTING_KEY"],
        "event_action": "resolve",
        "dedup_key": f"healing-guard-{signature}",
    }
    assert "incident resolved" in ok.summary
    assert "healing-guard:incident" not in gh.issues[issue["number"]]["body"]
    again = heal(gh, tmp_path, green, config=config, extra_env=env)
    assert again.returncode == 0 and len(receiver.received) == 2

    # a green run on another branch resolves nothing
    other = gh.add_run(name="CI", head_branch="feature/x", conclusion="success")
    heal(gh, tmp_path, other, config=config, extra_env=env)
    assert len(receiver.received) == 2
