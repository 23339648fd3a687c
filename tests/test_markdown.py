"""The Markdown helpers' own rules (the payload suites are in tests/adversarial/test_markdown.py)."""

from __future__ import annotations

import json
import re

import pytest

from healing_guard.markdown import Md, finalize, md_code, md_comment, md_fence, md_prose, md_text, md_url


def test_helpers_return_md_and_finalize_passes_it_through() -> None:
    for value in (md_text("a"), md_prose("a"), md_code("a"), md_fence("a"), md_url("https://x.y"), md_comment("a")):
        assert isinstance(value, Md)
        assert finalize(value) is value
    assert finalize("<b>") == "&lt;b&gt;" and finalize(None) == ""
    assert md_text(md_text("<b>")) == "&lt;b&gt;"  # not escaped twice


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/o/r/actions/runs/1", "https://github.com/o/r/actions/runs/1"),
        ("https://x.y/a b)(c<d>\"e'", "https://x.y/a%20b%29%28c%3Cd%3E%22e%27"),
        ("javascript:alert(1)", "#"),
        ("//evil.example", "#"),
        ("data:text/html,x", "#"),
    ],
)
def test_md_url(value: str, expected: str) -> None:
    assert md_url(value) == expected


def test_md_comment_cannot_be_closed_and_keeps_json_readable() -> None:
    state = {"occurrences": 2, "runs": ["x --> <img src=x> --!> end"]}
    comment = md_comment(f"<!-- healing-guard:state {json.dumps(state)} -->")
    assert comment.startswith("<!-- healing-guard:state {") and comment.endswith(" -->")
    inner = comment[len("<!-- ") : -len(" -->")]
    assert "-->" not in inner and ">" not in inner and "\n" not in inner
    m = re.search(r"healing-guard:state (\{.*\})", comment)
    assert m and json.loads(m.group(1)) == state
    assert md_comment("<!-- healing-guard:comment -->") == "<!-- healing-guard:comment -->"


def test_md_prose_keeps_code_spans_and_escapes_the_rest() -> None:
    out = md_prose("Run `a && b <c>` then [x](y) @z")
    assert "`a && b <c>`" in out
    assert "&#91;x&#93;(y)" in out and "@\u200bz" in out


def test_md_text_keeps_snake_case_and_tokens_whole() -> None:
    # the run's redactor looks for its token in the rendered text: escaping must not split it
    assert md_text("ghs_abc123 snake_case_name") == "ghs_abc123 snake_case_name"
    assert md_text("_em_ __strong__") == "&#95;em&#95; &#95;&#95;strong&#95;&#95;"


def test_md_code_in_a_table_escapes_the_pipe() -> None:
    assert md_code("a|b", table=True) == "`a\\|b`"
    assert md_code("a|b") == "`a|b`"
    assert md_code("") == "` `"
