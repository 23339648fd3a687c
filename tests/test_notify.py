"""Each integration against a local HTTP server that checks what arrives: Slack's Block Kit, Teams'
Adaptive Card, the signed webhook (HMAC-SHA256 checked as a receiver would), PagerDuty's Events API
v2 and Jira's REST API; and each failure (500, a 503 retried once, a timeout, a refused connection,
a bad URL, a variable that is not set) reported without the URL's secret part, the others going on."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from healing_guard.notify import Integrations
from healing_guard.notify.event import Event, chat_text
from healing_guard.notify.http import Sender
from healing_guard.policies import Channel, Filters, IncidentPolicy, Jira, PagerDuty, secret_values
from healing_guard.sanitize import Redactor

from .receiver import Receiver, Reply, refused_url

SECRET_PATH = "/services/T0001/B0002/XyZsecretPart123"
KEY = "hmac-key-for-tests"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
HOSTILE = f"<!channel> @here boom [click](https://evil.example) <https://evil.example|x> \x07bell token={TOKEN}"

EVENT = Event(
    repository="octo-org/octo-repo",
    branch="main",
    workflow="CI",
    run_id=7001,
    attempt=2,
    run_url="https://github.com/octo-org/octo-repo/actions/runs/7001",
    job="test",
    job_url="https://github.com/octo-org/octo-repo/actions/runs/7001/job/1",
    category="network",
    risk="medium",
    strategy="npm-network-error",
    root_line=HOSTILE,
    action="rerun",
    status="done: re-ran the failed jobs",
    signature="3f2a9c0d1e2f3a4b",
    key="notify:3f2a9c0d1e2f3a4b@7001/2",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def fast() -> Sender:
    return Sender(sleep=lambda s: None, read_timeout=0.5, connect_timeout=0.5)


def integrations(env: dict[str, str], *channels: Channel, incidents: IncidentPolicy | None = None) -> Integrations:
    redact = Redactor([TOKEN])
    return Integrations(channels, incidents, env, redact=redact, sender=fast())


def assert_clean(raw: bytes) -> None:
    text = raw.decode("utf-8")
    for bad in ("<!channel>", "@here", "](https://evil", "<https://evil", "\\u0007", TOKEN):
        assert bad not in text, bad


def test_slack_gets_block_kit_without_mentions_links_or_secrets(receiver: Receiver) -> None:
    env = {"SLACK_URL": receiver.url + SECRET_PATH}
    [done] = integrations(env, Channel("slack", "SLACK_URL")).notify(EVENT)
    assert done.ok, done.detail
    [got] = receiver.received
    assert got.path == SECRET_PATH and got.headers["Content-Type"].startswith("application/json")
    payload = got.json
    assert payload["text"].startswith("CI failure in octo-org/octo-repo (main): network")
    header, section, root, links = payload["blocks"]
    assert header["type"] == "header"
    fields = [f["text"] for f in section["fields"]]
    assert fields == [
        "Repository: octo-org/octo-repo",
        "Branch: main",
        "Run: CI #7001 (attempt 2)",
        "Category: network",
        "Risk: medium",
        "Action: rerun: done: re-ran the failed jobs",
    ]
    assert root["text"]["type"] == "plain_text" and "boom" in root["text"]["text"]
    assert links["elements"][0]["text"] == f"<{EVENT.run_url}|Run> · <{EVENT.job_url}|Job>"
    assert_clean(got.body)


def test_teams_gets_an_adaptive_card(receiver: Receiver) -> None:
    receiver.default = Reply(202, "")
    [done] = integrations({"TEAMS": receiver.url + "/workflows/abc"}, Channel("teams", "TEAMS")).notify(EVENT)
    assert done.ok and "202" in done.detail
    payload = receiver.received[0].json
    assert payload["type"] == "message"
    attachment = payload["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Risk"] == "medium" and facts["Branch"] == "main"
    assert [a["url"] for a in card["actions"]] == [EVENT.run_url, EVENT.job_url]
    assert_clean(receiver.received[0].body)


def test_webhook_is_signed_over_the_raw_body(receiver: Receiver) -> None:
    env = {"HOOK": receiver.url + "/hook", "HOOK_KEY": KEY}
    [done] = integrations(env, Channel("webhook", "HOOK", "HOOK_KEY")).notify(EVENT)
    assert done.ok
    got = receiver.received[0]
    expected = "sha256=" + hmac.new(KEY.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers["X-Healing-Guard-Signature"], expected)
    assert got.headers["X-Healing-Guard-Delivery"] == EVENT.key
    data = got.json
    assert (data["version"], data["event"], data["risk"], data["run"]["id"]) == (1, "ci_failure", "medium", 7001)
    assert data["signature"] == EVENT.signature
    assert_clean(got.body)
    # a receiver that checks the signature refuses a changed body
    tampered = got.body.replace(b"medium", b"low")
    assert not hmac.compare_digest(expected, "sha256=" + hmac.new(KEY.encode(), tampered, hashlib.sha256).hexdigest())


def test_a_webhook_without_its_key_sends_nothing(receiver: Receiver) -> None:
    env = {"HOOK": receiver.url + "/hook"}
    for channel in (Channel("webhook", "HOOK"), Channel("webhook", "HOOK", "UNSET_KEY")):
        [failed] = integrations(env, channel).notify(EVENT)
        assert not failed.ok
    assert receiver.received == []


def test_filters_choose_the_channels(receiver: Receiver) -> None:
    env = {"A": receiver.url + "/a", "B": receiver.url + "/b", "C": receiver.url + "/c"}
    sent = integrations(
        env,
        Channel("slack", "A", filters=Filters(risk=("high",))),
        Channel("slack", "B", filters=Filters(category=("network",), branch=("release/*", "main"))),
        Channel("slack", "C", filters=Filters(branch=("release/*",))),
    ).notify(EVENT)
    assert [d.target for d in sent] == ["slack (B)"]
    assert [r.path for r in receiver.received] == ["/b"]


def test_a_failing_channel_is_reported_and_the_others_go_on(receiver: Receiver) -> None:
    receiver.script = [Reply(500, "boom")]  # the first channel's answer
    env = {"BAD": receiver.url + SECRET_PATH, "GOOD": receiver.url + "/good", "GONE": refused_url()}
    out = integrations(env, Channel("slack", "BAD"), Channel("slack", "GONE"), Channel("teams", "GOOD")).notify(EVENT)
    assert [(d.target, d.ok) for d in out] == [("slack (BAD)", False), ("slack (GONE)", False), ("teams (GOOD)", True)]
    assert "answered 500" in out[0].detail
    assert "could not connect (tried 2 times)" in out[1].detail
    for d in out:
        assert SECRET_PATH not in d.detail and "XyZsecretPart123" not in d.detail and "127.0.0.1" not in d.detail
    assert [r.path for r in receiver.received] == [SECRET_PATH, "/good"]  # a 500 is not sent twice


def test_a_503_is_retried_once(receiver: Receiver) -> None:
    receiver.script = [Reply(503, "busy"), Reply(200, "ok")]
    [done] = integrations({"A": receiver.url + "/a"}, Channel("slack", "A")).notify(EVENT)
    assert done.ok and len(receiver.received) == 2
    receiver.script = [Reply(503), Reply(503)]
    [failed] = integrations({"A": receiver.url + "/a"}, Channel("slack", "A")).notify(EVENT)
    assert not failed.ok and "answered 503 (after 1 retry)" in failed.detail


def test_a_timeout_is_bounded_and_not_retried(receiver: Receiver) -> None:
    receiver.script = [Reply(200, "ok", delay=2.0)]
    [failed] = integrations({"A": receiver.url + SECRET_PATH}, Channel("slack", "A")).notify(EVENT)
    assert not failed.ok and "no answer within 0.5 s" in failed.detail
    assert len(receiver.received) == 1 and SECRET_PATH not in failed.detail


@pytest.mark.parametrize("url", ["ftp://example.com/x", "not a url", "https:///nohost"])
def test_a_bad_url_is_reported_without_repeating_it(url: str) -> None:
    [failed] = integrations({"A": url}, Channel("slack", "A")).notify(EVENT)
    assert not failed.ok and "not an http(s) URL" in failed.detail and url not in failed.detail


def test_an_unset_variable_is_named() -> None:
    [failed] = integrations({}, Channel("teams", "TEAMS_URL")).notify(EVENT)
    assert not failed.ok and "TEAMS_URL is not set" in failed.detail


def test_pagerduty_trigger_and_resolve(receiver: Receiver) -> None:
    receiver.default = Reply(202, {"status": "success", "message": "Event processed", "dedup_key": "x"})
    policy = IncidentPolicy(pagerduty=PagerDuty("PD_KEY", url=receiver.url + "/v2/enqueue", severity="critical"))
    it = integrations({"PD_KEY": "R0UT1NGKEY0123456789"}, incidents=policy)
    [done] = it.trigger(EVENT)
    assert done.ok and "dedup_key healing-guard-3f2a9c0d1e2f3a4b" in done.detail
    sent = receiver.received[0].json
    assert sent["routing_key"] == "R0UT1NGKEY0123456789" and sent["event_action"] == "trigger"
    assert sent["dedup_key"] == "healing-guard-3f2a9c0d1e2f3a4b"
    assert sent["payload"]["severity"] == "critical" and sent["payload"]["source"] == "octo-org/octo-repo"
    assert len(sent["payload"]["summary"]) <= 1024
    assert_clean(receiver.received[0].body)
    [resolved] = it.resolve([EVENT.signature])
    assert resolved.ok
    assert receiver.received[1].json == {
        "routing_key": "R0UT1NGKEY0123456789",
        "event_action": "resolve",
        "dedup_key": "healing-guard-3f2a9c0d1e2f3a4b",
    }


def test_pagerduty_refusal_is_reported(receiver: Receiver) -> None:
    receiver.default = Reply(400, {"status": "invalid event", "message": "Event object is invalid"})
    policy = IncidentPolicy(pagerduty=PagerDuty("PD_KEY", url=receiver.url + "/v2/enqueue"))
    [failed] = integrations({"PD_KEY": "k" * 32}, incidents=policy).trigger(EVENT)
    assert not failed.ok and "answered 400" in failed.detail and "k" * 32 not in failed.detail


@pytest.mark.parametrize("version", [2, 3])
def test_jira_creates_one_issue_per_signature(receiver: Receiver, version: int) -> None:
    receiver.script = [Reply(200, {"issues": []}), Reply(201, {"id": "10001", "key": "OPS-12", "self": "x"})]
    policy = IncidentPolicy(jira=Jira(receiver.url, "OPS", "JIRA_USER", "JIRA_TOKEN", api_version=version))
    it = integrations({"JIRA_USER": "bot@example.com", "JIRA_TOKEN": "jira-token-123"}, incidents=policy)
    [done] = it.trigger(EVENT)
    assert done.ok and done.detail == "opened OPS-12" and done.url == f"{receiver.url}/browse/OPS-12"
    search, create = receiver.received
    assert search.path == f"/rest/api/{version}/search"
    assert search.query["jql"] == [
        'project = "OPS" AND labels = "healing-guard-3f2a9c0d1e2f3a4b" AND statusCategory != Done'
    ]
    auth = "Basic " + base64.b64encode(b"bot@example.com:jira-token-123").decode()
    assert search.headers["Authorization"] == auth and create.headers["Authorization"] == auth
    fields = create.json["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Bug"}
    assert fields["labels"] == ["healing-guard", "healing-guard-3f2a9c0d1e2f3a4b"]
    description = json.dumps(fields["description"])
    assert ('"type": "doc"' in description) == (version == 3)
    assert_clean(create.body)
    # found again: nothing is created
    receiver.script = [Reply(200, {"issues": [{"key": "OPS-12"}]})]
    [again] = it.trigger(EVENT)
    assert again.ok and again.detail == "already open: OPS-12" and len(receiver.received) == 3


def test_one_failing_incident_service_does_not_stop_the_other(receiver: Receiver) -> None:
    receiver.script = [Reply(200, {"issues": []}), Reply(201, {"key": "OPS-1"})]
    policy = IncidentPolicy(
        pagerduty=PagerDuty("PD_KEY", url=refused_url()),
        jira=Jira(receiver.url, "OPS", "U", "T"),
    )
    out = integrations({"PD_KEY": "k" * 20, "U": "u@example.com", "T": "t" * 12}, incidents=policy).trigger(EVENT)
    assert [d.ok for d in out] == [False, True]


def test_chat_text_removes_mentions_links_and_control_characters() -> None:
    text = chat_text(HOSTILE, Redactor([TOKEN]))
    assert "<!channel>" not in text and "@here" not in text and "\x07" not in text and TOKEN not in text
    assert "https://evil.example)" not in text and "|x>" not in text
    assert "click" in text and "boom" in text
    assert chat_text("ping @octocat and @everyone") == "ping @\u200boctocat and everyone"


def test_secret_values_include_the_key_part_of_a_url() -> None:
    channels = (Channel("slack", "SLACK", filters=Filters()), Channel("webhook", "HOOK", "HOOK_KEY"))
    policy = IncidentPolicy(pagerduty=PagerDuty("PD"), jira=Jira("https://x.atlassian.net", "OPS", "JU", "JT"))
    env = {"SLACK": "https://hooks.slack.com" + SECRET_PATH, "HOOK_KEY": KEY, "PD": "pdkey", "JT": "tok12345"}
    values = secret_values(channels, policy, env)
    assert values == ["https://hooks.slack.com" + SECRET_PATH, SECRET_PATH.lstrip("/"), KEY, "pdkey", "tok12345"]
    assert replace(policy, pagerduty=None).configured
