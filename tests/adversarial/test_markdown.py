"""Markdown from logs is never live: every payload of ``data/markdown.yml`` in every Markdown context.

Each helper's output is rendered with cmark-gfm (GitHub's renderer) and read back: inline text must
render as exactly its text, code as exactly its text (no ``&lt;`` shown literally, defect 11), and
every template rendered with hostile values must have the same elements and links as with benign
ones, and no mention or issue reference outside code.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from healing_guard.fixpr import FixProposal
from healing_guard.render import jinja_env, to_markdown
from healing_guard.report import Reporter
from healing_guard.sanitize import Redactor, safe_log_text

from ..test_report import settings
from .gfm import PINGS, Rendered, read
from .hostile import diagnosis_from, markdown_payloads, result_from

PAYLOADS = [p if isinstance(p, str) else p["text"] for p in markdown_payloads()]
ZWSP = "\u200b"


def _shown(payload: str) -> str:
    """What the reader should see of ``payload``: its text, cleaned (normalised, secrets hidden)."""
    return safe_log_text(payload).replace(ZWSP, "")


def _inline(payload: str) -> str:
    return _shown(payload).replace("\t", " ").replace("\n", " ")


def _filter(name: str) -> object:
    return jinja_env().filters[name]


def _no_pings(r: Rendered, where: str) -> None:
    assert not PINGS.search(r.prose), f"{where}: a mention or reference in {r.prose!r}"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_text_renders_as_exactly_the_text(payload: str) -> None:
    r = read("x " + _filter("plain")(payload))  # type: ignore[operator]
    assert set(r.tags) <= {"p", "code"} and r.tags["p"] == 1, r.tags
    assert not r.comments
    _no_pings(r, "md_prose")
    shown = r.visible.replace(ZWSP, "").strip()
    assert shown == ("x " + _inline(payload)).strip() or "`" in payload  # code spans stay code spans


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_text_renders_as_exactly_the_text(payload: str) -> None:
    r = read("x " + jinja_env().filters["md_text"](payload))
    assert dict(r.tags) == {"p": 1}, r.tags
    _no_pings(r, "md_text")
    assert r.visible.replace(ZWSP, "").strip() == ("x " + _inline(payload)).strip()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_span_shows_the_text_verbatim(payload: str) -> None:
    r = read("x " + _filter("inline_code")(payload))  # type: ignore[operator]
    assert dict(r.tags) == {"p": 1, "code": 1}, r.tags
    assert r.code[0].replace(ZWSP, "") == _inline(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_code_in_a_table_cell_stays_in_its_cell(payload: str) -> None:
    md_code = jinja_env().filters["md_code"]
    r = read(f"| a | b |\n|---|---|\n| {md_code(payload, table=True)} | end |\n")
    assert r.tags["td"] == 2 and r.tags["tr"] == 2, r.tags
    assert r.code[0].replace(ZWSP, "") == _inline(payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_fence_shows_the_text_verbatim(payload: str) -> None:
    r = read(_filter("code_block")(payload) + "\n\nafter")  # type: ignore[operator]
    assert dict(r.tags) == {"pre": 1, "code": 1, "p": 1}, r.tags
    assert r.code[0].replace(ZWSP, "") == _shown(payload) + "\n"


def test_code_shows_angle_brackets_and_ampersands_as_they_are() -> None:
    """Defect 11: ``&lt;Class&gt;`` and ``&amp;&amp;`` were shown literally inside code spans."""
    r = read("Suggested: " + _filter("plain")("Run `mvn -Dtest=<Class>#<method> test && echo ok`"))  # type: ignore[operator]
    assert r.code == ["mvn -Dtest=<Class>#<method> test && echo ok"]


def test_a_raw_interpolation_is_escaped_too() -> None:
    """A template that forgets its filter still cannot place live Markdown (``finalize``)."""
    out = jinja_env().from_string("{{ v }}").render(v="[x](https://evil.example) <img src=x> @octocat")
    r = read(out)
    assert dict(r.tags) == {"p": 1}
    _no_pings(r, "finalize")


def _bodies(texts: list[str]) -> dict[str, str]:
    result = result_from(texts)
    r = result.results[0]
    env = jinja_env()
    return {
        "summary": Reporter(settings(Path("/nonexistent")), Redactor(), io.StringIO()).summary(result),
        "comment": env.get_template("comment.md.j2").render(res=result, marker="<!-- healing-guard:comment -->"),
        "issue": env.get_template("issue.md.j2").render(
            res=result,
            r=r,
            marker="<!-- healing-guard:signature=0123 -->",
            state='<!-- healing-guard:state {"occurrences":2,"runs":[]} -->',
            occurrences=2,
            runs=[f"https://github.com/o/r/actions/runs/1 {t}" for t in texts],
        ),
        "fix PR": env.get_template("fix_pr.md.j2").render(
            res=result,
            r=r,
            marker="<!-- m -->",
            change=FixProposal(texts[0], ((texts[0], texts[0]),), texts[0], texts[0], texts[0], texts[0]),
            run_url="https://github.com/o/r/actions/runs/1",
            token_note=texts[0],
        ),
        "analyze --format markdown": to_markdown([diagnosis_from(t) for t in texts]),
    }


BENIGN = {name: read(body) for name, body in _bodies(["benign"]).items()}


def _shape(r: Rendered) -> tuple[object, ...]:
    tags = {t: n for t, n in r.tags.items() if t != "code"}  # a code span in advice is inert
    return tags, r.hrefs, len(r.comments)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_template_renders_hostile_text_as_text(payload: str) -> None:
    for name, body in _bodies([payload]).items():
        # the executor passes the whole rendered body through the run's Redactor once more
        for label, text in ((name, body), (f"{name}, redacted again", Redactor()(body))):
            r = read(text)
            assert _shape(r) == _shape(BENIGN[name]), f"{label}: the payload changed the document's structure"
            _no_pings(r, label)
