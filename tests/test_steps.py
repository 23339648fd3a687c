"""The failing step's text is kept with bounded memory; step markers are bounded (issue 7 item 17)."""

from __future__ import annotations

import io

from healing_guard import Classifier
from healing_guard.logsource import from_text
from healing_guard.models import EvidenceLine
from healing_guard.scanner import MAX_FAILED_STEPS, MAX_STEPS_HEAD, MAX_STEPS_TAIL
from healing_guard.steps import HEAD_BYTES, TAIL_BYTES, StepWindow, pseudo_steps

TS = "2024-05-01T10:00:00.0000000Z "


def _scan(text: str) -> object:
    return Classifier(vocab=None).scanner.scan(from_text(text, "job.log"))


def test_many_step_markers_keep_a_bounded_list() -> None:
    n = 3_000  # the bound, not the size, is under test (the prefilter cost is bench/ territory)
    text = "".join(f"{TS}##[group]Run step {i}\n{TS}ok\n" for i in range(n))
    text += f"{TS}##[group]Run last\n{TS}boom\n{TS}##[error]Process completed with exit code 3.\n"
    scan = Classifier(vocab=None).scanner.scan(from_text(text, "job.log"))
    assert len(scan.steps) == MAX_STEPS_HEAD + MAX_STEPS_TAIL
    assert scan.steps_dropped == n + 1 - len(scan.steps)
    assert scan.steps[0] == (1, "Run step 0") and scan.steps[-1][1] == "Run last"
    assert scan.failed_step == "Run last" and scan.exit_code == 3


def test_failed_steps_are_bounded_and_the_last_one_stays_right() -> None:
    text = "".join(f"##[group]Run s{i}\n##[error]Process completed with exit code {i % 7 + 1}.\n" for i in range(500))
    scan = Classifier(vocab=None).scanner.scan(from_text(text, "job.log"))
    assert len(scan.failed_steps) == MAX_FAILED_STEPS
    assert scan.failed_steps[-1][1:] == ("Run s499", 499 % 7 + 1)
    assert len(scan.failed_windows) <= 6


def test_the_window_holds_only_the_failing_step() -> None:
    text = (
        f"{TS}##[group]Run npm ci\n{TS}added 10 packages\n{TS}##[endgroup]\n"
        f"{TS}##[group]Run npx tsc\n{TS}npx tsc\n{TS}##[endgroup]\n"
        f"{TS}src/a.ts(1,2): error TS2322: Type 'x' is not assignable to type 'y'.\n"
        f"{TS}##[error]Process completed with exit code 2.\n"
        f"{TS}Post job cleanup.\n{TS}git version 2.45\n"
    )
    scan = Classifier(vocab=None).scanner.scan(from_text(text, "job.log"))
    (w,) = scan.windows
    lines = w.lines()
    assert w.step == "Run npx tsc" and w.exit_code == 2
    assert lines[0] == EvidenceLine(4, "##[group]Run npx tsc")
    assert lines[-1].text == "##[error]Process completed with exit code 2." and lines[-1].line == 8
    assert not any("added 10 packages" in e.text or "git version" in e.text for e in lines)


def test_a_huge_step_keeps_its_head_and_tail_with_true_line_numbers() -> None:
    w = StepWindow("Run big")
    base = 0
    for _ in range(4):  # four blocks, as the scanner hands them over
        block = b"".join(b"line %d of the test output\n" % i for i in range(base + 1, base + 50_001))
        w.begin_block(block, base)
        w.end_block()
        base += 50_000
    snap = w.finish(200_000)
    assert snap is not None and snap.size <= HEAD_BYTES + TAIL_BYTES
    lines = snap.lines()
    assert lines[0] == EvidenceLine(1, "line 1 of the test output")
    assert lines[-1] == EvidenceLine(200_000, "line 200000 of the test output")
    assert all(e.text == f"line {e.line} of the test output" for e in lines)


def test_a_plain_log_gets_its_end_as_the_window() -> None:
    scan = Classifier(vocab=None).scanner.scan(from_text("$ make\ncc -c a.c\na.c:1:1: error: boom\n", "local.log"))
    (w,) = scan.windows
    assert not w.failed and [e.line for e in w.lines()] == [1, 2, 3]


def test_pseudo_steps_split_at_shell_traces_and_banners() -> None:
    lines = [EvidenceLine(i + 1, t) for i, t in enumerate(["setup", "+ npm ci", "ok", "$ npm test", "> jest", "FAIL"])]
    steps = pseudo_steps(lines)
    assert [(s.command, s.start, s.stop) for s in steps] == [
        ("", 0, 1),
        ("npm ci", 1, 3),
        ("npm test", 3, 4),
        ("jest", 4, 6),
    ]


# Real excerpt: CiDiff data set (ISSTA 2025, Apache-2.0), breakages/pushcommentgithub_173/fail.log,
# lines 9-12 and 28-58 (pip's download lines and the Revapi table left out): pip installs PyGithub,
# then Jenkins runs the job's Python script, which fails on a NameError. The failing command is
# the script, not the install.
JENKINS_EXCERPT = """\
[push-comment-github] $ /bin/sh -xe /tmp/jenkins5954628580576761729.sh
+ python3 --version
Python 3.5.2
+ pip3 install pygithub
Collecting pygithub
Installing collected packages: wrapt, deprecated, pyjwt, idna, chardet, certifi, urllib3, requests, pygithub
Successfully installed certifi-2020.4.5.1 chardet-3.0.4 deprecated-1.2.6 idna-2.8 pygithub-1.44.1 pyjwt-1.7.1
You are using pip version 8.1.1, however version 20.0.2 is available.
You should consider upgrading via the 'pip install --upgrade pip' command.
[push-comment-github] $ python /tmp/jenkins6935586436688970599.py
3342
API changes: 1 (Detected by [Revapi](https://github.com/revapi/revapi/))

Traceback (most recent call last):
  File "/tmp/jenkins6935586436688970599.py", line 23, in <module>
    gh = Github(login,token)
NameError: name 'Github' is not defined

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/tmp/jenkins6935586436688970599.py", line 35, in <module>
    except GithubException as e:
NameError: name 'GithubException' is not defined
Build step 'Execute Python script' marked build as failure
Finished: FAILURE
"""


def test_a_jenkins_shell_trace_starts_a_pseudo_step() -> None:
    lines = [EvidenceLine(i + 1, t) for i, t in enumerate(JENKINS_EXCERPT.splitlines())]
    steps = pseudo_steps(lines)
    assert [s.command for s in steps] == [
        "/bin/sh -xe /tmp/jenkins5954628580576761729.sh",
        "python3 --version",
        "pip3 install pygithub",
        "python /tmp/jenkins6935586436688970599.py",
    ]
    assert steps[-1].start == 9


def test_a_name_error_after_a_pip_install_is_not_a_missing_dependency() -> None:
    d = Classifier().diagnose(from_text(JENKINS_EXCERPT, "fail.log"))
    assert d.category != "dependency_missing"
    assert d.evidence[0].text == "NameError: name 'Github' is not defined"


def test_memory_stays_flat_for_a_stream() -> None:
    # the window never holds more than its bounds, whatever the step's size
    w = StepWindow("Run x")
    for i in range(50):
        block = b"x" * 1000 + b"\n"
        w.begin_block(block * 100, i * 100)
        w.end_block()
    snap = w.finish(5000)
    assert snap is not None and snap.size <= HEAD_BYTES + TAIL_BYTES
    assert io.BytesIO(b"".join(c for _, c in snap.chunks)).getbuffer().nbytes == snap.size
