"""The repository's trail on its state branch, over real HTTP against the fake GitHub server:
an orphan branch created on first use, fast-forward-only appends that lose no record when two
writers race, a deleted or diverged branch, corrupt lines, retention, oversized shards."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from healing_guard.github_api import GitHubClient
from healing_guard.history.github_trail import README, GitHubTrail, TrailWriteError
from healing_guard.history.records import TrailRecord, make_record
from healing_guard.simulator import FakeGitHub
from healing_guard.simulator.protocol import error_body
from tests.conftest import ServerFactory

BRANCH = "healing-guard/state"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
SHARD = f"trail/{NOW:%Y-%m}.jsonl"


def client(gh: FakeGitHub) -> GitHubClient:
    return GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda s: None)


def trail(gh: FakeGitHub, **kwargs: Any) -> GitHubTrail:
    options: dict[str, Any] = {"backoff": 0.001}
    options.update(kwargs)
    return GitHubTrail(client(gh), **options)


def record(run: int, job: int = 1, at: datetime = NOW, **fields: Any) -> TrailRecord:
    return make_record(
        "failure", repository="octo-org/octo-repo", run_id=run, attempt=1, job_id=job, at=at.isoformat(), **fields
    )


def tree_paths(gh: FakeGitHub, ref: str) -> list[str]:
    state = client(gh)
    return sorted(e.path for e in state.get_tree(ref) if e.type == "blob")


def lines(gh: FakeGitHub, path: str = SHARD) -> list[str]:
    text = gh.file(path, BRANCH)
    assert text is not None
    return text.splitlines()


def test_first_append_creates_an_orphan_branch_holding_only_the_trail(gh: FakeGitHub) -> None:
    gh.add_file("src/app.py", "print('hi')\n")
    t = trail(gh)
    t.append([record(1), record(2)])
    head = gh.refs[f"refs/heads/{BRANCH}"]
    commit = client(gh).get_commit(head)
    assert commit.parents == ()  # an orphan commit, not based on the default branch
    assert tree_paths(gh, BRANCH) == [README, SHARD]
    assert [r.run_id for r in t.read().records] == [1, 2]
    assert any("did not exist" in n for n in t.notes)
    # the second append goes on top of the first, fast-forward only
    t.append([record(3)])
    assert client(gh).get_commit(gh.refs[f"refs/heads/{BRANCH}"]).parents == (head,)
    assert len(lines(gh)) == 3
    patches = [r for r in gh.requests if r.method == "PATCH"]
    assert patches and all(r.body == {"sha": gh.refs[f"refs/heads/{BRANCH}"], "force": False} for r in patches)


def test_the_same_records_appended_twice_are_stored_once_and_cost_no_write(gh: FakeGitHub) -> None:
    t = trail(gh)
    batch = [record(1), record(2, job=5)]
    t.append(batch)
    gh.reset_requests()
    t.append(batch)
    assert gh.writes() == []
    assert len(lines(gh)) == 2


class Racing:
    """A store that lets ``rival`` append once, right before this writer moves the branch."""

    def __init__(self, inner: GitHubClient, rival: GitHubTrail, records: Sequence[TrailRecord]) -> None:
        self.inner = inner
        self.rival = rival
        self.records = records
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def move_branch(self, branch: str, sha: str) -> str:
        if not self.raced:
            self.raced = True
            self.rival.append(self.records)
        return self.inner.move_branch(branch, sha)


def test_a_writer_that_loses_the_race_rereads_and_applies_its_records_again(gh: FakeGitHub) -> None:
    trail(gh).append([record(1)])
    rival = trail(gh)
    racing = Racing(client(gh), rival, [record(2)])
    loser = GitHubTrail(racing, backoff=0.001)
    gh.reset_requests()
    loser.append([record(3)])
    assert loser.retries == 1
    refused = [r for r in gh.requests if r.method == "PATCH" and r.status == 422]
    assert len(refused) == 1 and "not a fast forward" in str(refused[0].response)
    assert sorted(r.run_id for r in trail(gh).read().records) == [1, 2, 3]


def test_two_concurrent_writers_never_lose_a_record(make_server: ServerFactory) -> None:
    gh = make_server()
    per_writer = 8
    errors: list[BaseException] = []
    writers = [trail(gh, max_attempts=40) for _ in range(2)]

    def write(index: int) -> None:
        try:
            for n in range(per_writer):
                writers[index].append([record(100 * (index + 1) + n)])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors, errors
    runs = [r.run_id for r in trail(gh).read().records]
    assert sorted(runs) == sorted(100 * (i + 1) + n for i in range(2) for n in range(per_writer))
    assert len(lines(gh)) == 2 * per_writer  # each record once
    # the branch only ever moved forward: every commit's parent is the one before
    head = gh.refs[f"refs/heads/{BRANCH}"]
    depth = 0
    while True:
        parents = client(gh).get_commit(head).parents
        if not parents:
            break
        head, depth = parents[0], depth + 1
    assert depth == 2 * per_writer - 1


def test_a_deleted_state_branch_is_created_again_with_a_note(gh: FakeGitHub) -> None:
    trail(gh).append([record(1)])
    gh.delete_branch(BRANCH)
    assert trail(gh).read().records == []  # no branch: an empty trail, not an error
    again = trail(gh)
    again.append([record(2)])
    assert [r.run_id for r in again.read().records] == [2]
    assert any("did not exist" in n and "deleted" in n for n in again.notes)
    assert client(gh).get_commit(gh.refs[f"refs/heads/{BRANCH}"]).parents == ()


def test_a_diverged_state_branch_keeps_the_trail_only_and_says_so(gh: FakeGitHub) -> None:
    gh.add_file("src/app.py", "print('hi')\n")
    trail(gh).append([record(1)])
    # someone pushed the default branch over the state branch
    foreign = gh.refs["refs/heads/main"]
    gh.add_branch(BRANCH, foreign)
    t = trail(gh)
    t.append([record(2)])
    assert tree_paths(gh, BRANCH) == [README, SHARD]  # src/app.py is not carried on
    assert client(gh).get_commit(gh.refs[f"refs/heads/{BRANCH}"]).parents == (foreign,)  # nothing forced
    assert [r.run_id for r in t.read().records] == [2]
    assert any("not the trail" in n and "src/app.py" in n for n in t.notes)


def test_corrupt_lines_are_skipped_counted_and_kept(gh: FakeGitHub) -> None:
    t = trail(gh)
    t.append([record(1)])
    text = gh.file(SHARD, BRANCH)
    assert text is not None
    gh.add_file(SHARD, text + '{"kind": "failure", "trunc\nnot json at all', branch=BRANCH)
    t.append([record(2)])
    found = t.read()
    assert [r.run_id for r in found.records] == [1, 2]
    assert found.corrupt == 2
    assert len(found.warnings) == 2 and all("corrupt" in w for w in found.warnings)
    assert "not json at all" in lines(gh)  # a bad line is never dropped by a writer
    month = t.read_month(NOW)
    assert month.corrupt == 2 and [r.run_id for r in month.records] == [1, 2]


def test_shards_past_retention_are_removed_in_the_same_commit(gh: FakeGitHub) -> None:
    old = datetime(2020, 1, 15, tzinfo=timezone.utc)
    t = trail(gh, retention_days=180)
    t.append([record(1, at=old), record(2)])
    assert tree_paths(gh, BRANCH) == [README, "trail/2020-01.jsonl", SHARD]  # written, then past retention
    gh.reset_requests()
    t.append([record(3)])
    assert tree_paths(gh, BRANCH) == [README, SHARD]
    trees = [r for r in gh.requests if r.method == "POST" and r.path.endswith("/git/trees")]
    assert (
        len(trees) == 1
        and {"path": "trail/2020-01.jsonl", "mode": "100644", "type": "blob", "sha": None} in (trees[0].body["tree"])
    )
    assert any("retention" in n and "2020-01" in n for n in t.notes)


def test_a_shard_over_the_size_limit_is_reported_not_skipped_silently(gh: FakeGitHub) -> None:
    trail(gh).append([record(n) for n in range(20)])
    small = trail(gh, shard_limit=200)
    found = small.read()
    assert found.records == [] and "larger than 200" in found.warnings[0]
    assert "larger than 200" in small.read_month(NOW).warnings[0]
    with pytest.raises(TrailWriteError, match="larger than the limit"):
        small.append([record(99)])


def test_reading_one_month_costs_one_request(gh: FakeGitHub) -> None:
    trail(gh).append([record(1)])
    gh.reset_requests()
    assert [r.run_id for r in trail(gh).read_month(NOW).records] == [1]
    assert len(gh.requests) == 1
    gh.reset_requests()
    assert trail(gh, branch="no/such-branch").read_month(NOW).records == []
    assert len(gh.requests) == 1


def test_a_writer_that_keeps_losing_gives_up_after_bounded_attempts(gh: FakeGitHub) -> None:
    trail(gh).append([record(1)])
    refused = error_body(
        422, "Update is not a fast forward", "https://docs.github.com/rest/git/refs#update-a-reference"
    )
    gh.inject("PATCH", r"/git/refs/heads/", 422, times=None, body=refused)
    t = trail(gh, max_attempts=3)
    with pytest.raises(TrailWriteError, match="3 times"):
        t.append([record(2)])
    assert sum(1 for r in gh.requests if r.method == "PATCH") == 3


def test_a_refused_write_is_an_error_with_the_permission_it_needs(gh: FakeGitHub) -> None:
    gh.set_permission("contents", "read")
    with pytest.raises(Exception, match="contents: write"):
        trail(gh).append([record(1)])
