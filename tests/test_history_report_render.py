"""The report as HTML and Markdown: structure, nothing loaded from elsewhere, and no markup, script
or link from hostile trail text (parsed with html.parser; the Markdown rendered by cmarkgfm, GitHub's
own renderer)."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest

from healing_guard.history import metrics, report_render
from healing_guard.history.records import TrailRecord, make_record, parse_time
from healing_guard.history.store import LocalTrail

FIXTURE = Path(__file__).parent / "fixtures" / "history" / "report"
NOW = parse_time("2026-11-29T00:00:00+00:00")


class Dom(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        #: text outside code spans and blocks (where GitHub links and pings)
        self.prose: list[str] = []
        self.stack: list[str] = []
        self.style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.style += data
        self.text.append(data)
        if "code" not in self.stack and "pre" not in self.stack:
            self.prose.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> Dom:
    dom = Dom()
    dom.feed(html)
    dom.close()
    return dom


def fixture_figures() -> tuple[metrics.Figures, int]:
    result = LocalTrail(FIXTURE).read()
    return metrics.build(result.records, days=7, now=NOW), result.corrupt


def test_html_structure_charts_and_tables() -> None:
    figures, corrupt = fixture_figures()
    dom = parse(report_render.to_html(figures, corrupt=corrupt, now=NOW, server="https://github.com"))
    charts = dom.find("figure")
    assert [c["data-chart"] for c in charts] == ["bars", "line", "hbars"]
    assert len(dom.find("svg")) == 3
    # one bar segment per (day, category) with failures: 1+1+1+2+1+1+1, then one bar per strategy
    assert len(dom.find("rect", **{"class": "bar"})) == 8 + 3
    assert len(dom.find("circle", **{"class": "point"})) == 5  # the days with a timed recovery
    assert len(dom.find("path", **{"class": "line"})) == 1
    for table in ("summary", "categories", "time-to-green", "slowest", "strategies", "flaky", "fixes", "minutes"):
        assert dom.find("table", id=table), table
    text = " ".join(dom.text)
    assert "5 of 12 (42%)" in text and "1.9 d (median 30 min, 5 recoveries)" in text
    assert "1 corrupt trail records skipped" in text


def _no_external_resources(dom: Dom) -> None:
    assert not dom.find("script") and not dom.find("link") and not dom.find("img") and not dom.find("iframe")
    for tag, attrs in dom.tags:
        assert "src" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "xlink:href"):
            if name in attrs:
                assert attrs[name].startswith("https://github.com/"), attrs[name]
    assert "url(" not in dom.style and "@import" not in dom.style and "http" not in dom.style
    assert dom.find("meta", **{"http-equiv": "Content-Security-Policy"})


def test_the_html_loads_nothing_from_elsewhere() -> None:
    figures, _ = fixture_figures()
    dom = parse(report_render.to_html(figures, now=NOW, server="https://github.com"))
    _no_external_resources(dom)
    links = [a["href"] for a in dom.find("a")]
    assert "https://github.com/octo/shop/actions/runs/207" in links
    assert "https://github.com/octo/shop/commit/a1b2c3d4e5f60718293a4b5c6d7e8f9012345678" in links


HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>[link](https://evil.example) @admin #1'


RUN_LINKS = {f"https://github.com/octo/shop/actions/runs/{n}" for n in (1, 2, 3, 10)}


def hostile_records() -> list[TrailRecord]:
    at = "2026-11-27T10:00:00+00:00"
    common: dict[str, Any] = {"workflow": HOSTILE, "branch": HOSTILE, "signature": HOSTILE}
    out = []
    for run in (1, 2, 3):
        out.append(
            make_record(
                "failure",
                repository="octo/shop",
                run_id=run,
                attempt=1,
                at=at,
                category=HOSTILE,
                strategy=HOSTILE,
                action="rerun",
                result="done",
                failing_tests=[HOSTILE, "javascript:alert(3)"],
                job_duration_s=60.0,
                **common,
            )
        )
        out.append(
            make_record(
                "outcome",
                repository="octo/shop",
                run_id=run,
                attempt=2,
                at="2026-11-27T11:00:00+00:00",
                result="healed",
                conclusion="success",
                strategy=HOSTILE,
                action=HOSTILE,
                failing_tests=[HOSTILE, "javascript:alert(3)"],
                time_to_green_s=600.0,
                **common,
            )
        )
    # a repository and a sha that are not what GitHub allows: no link may be built from them
    out.append(
        make_record(
            "fix",
            repository='evil/x"><script>alert(4)</script>',
            run_id=9,
            attempt=1,
            at="2026-11-28T10:00:00+00:00",
            fix_sha="javascript:alert(5)",
            files=[HOSTILE],
            **common,
        )
    )
    out.append(
        make_record(
            "fix",
            repository="octo/shop",
            run_id=10,
            attempt=1,
            at="2026-11-28T11:00:00+00:00",
            fix_sha='abc1234"><x',
            files=[HOSTILE],
            **common,
        )
    )
    return out


def hostile_figures() -> metrics.Figures:
    figures = metrics.build(hostile_records(), days=7, now=NOW)
    # every kind of hostile text reaches the report: categories, strategies, tests, fixes, advice
    assert figures.quarantine and figures.fixes and figures.strategies and figures.recommendations
    return figures


def test_hostile_trail_text_never_becomes_markup_in_html() -> None:
    html = report_render.to_html(hostile_figures(), now=NOW, server="https://github.com")
    dom = parse(html)
    _no_external_resources(dom)
    assert "<script" not in html.lower() and "<img" not in html.lower()
    # the text is there, as text
    assert any(HOSTILE in t for t in dom.text)
    # run links only, and only for the repository GitHub would allow (the fix of run 10; not run 9's)
    assert {a["href"] for a in dom.find("a")} == RUN_LINKS


def test_hostile_trail_text_never_becomes_live_markdown() -> None:
    md = report_render.to_markdown(hostile_figures(), now=NOW, server="https://github.com")
    html = cmarkgfm.github_flavored_markdown_to_html(md, options=cmarkgfm.Options.CMARK_OPT_UNSAFE)
    dom = parse(html)
    assert not dom.find("script") and not dom.find("img")
    assert {a["href"] for a in dom.find("a")} == RUN_LINKS
    prose = " ".join(dom.prose)
    # trail text shows in code spans (where GitHub neither links nor pings) or escaped as text
    assert "@admin" not in prose and "#1" not in prose
    assert 'evil/x"><script>alert(4)</script>' in prose
    assert HOSTILE in " ".join(dom.text).replace("\u200b", "")


@pytest.mark.parametrize("server", ["javascript:alert(1)//", "https://x.example/path?q=<b>", ""])
def test_a_server_url_that_is_not_a_plain_origin_falls_back_to_github(server: str) -> None:
    assert report_render.server_url(server) == report_render.DEFAULT_SERVER


def test_github_enterprise_server_url_is_kept() -> None:
    assert report_render.server_url("https://ghe.example.com/") == "https://ghe.example.com"
    assert report_render.run_url("https://ghe.example.com", "o/r", 5) == "https://ghe.example.com/o/r/actions/runs/5"
    assert report_render.run_url("https://github.com", "../r", 5) is None
    assert report_render.commit_url("https://github.com", "o/r", "XYZ") is None


def test_the_markdown_report_fits_in_an_issue_whatever_the_trail() -> None:
    at = datetime(2026, 11, 27, tzinfo=timezone.utc)
    records = []
    for run in range(400):
        name = f"tests/test_{run}.py::test_{'x' * 300}"
        common: dict[str, Any] = {"repository": "octo/shop", "run_id": run, "signature": f"sig-{run}"}
        records.append(
            make_record(
                "failure",
                attempt=1,
                at=at.isoformat(),
                category=f"c{run}",
                strategy=f"s{run}",
                failing_tests=[name],
                **common,
            )
        )
        records.append(
            make_record(
                "outcome",
                attempt=2,
                at=at.isoformat(),
                result="healed",
                conclusion="success",
                strategy=f"s{run}",
                action="rerun",
                failing_tests=[name],
                **common,
            )
        )
        records.append(make_record("fix", attempt=1, at=at.isoformat(), fix_sha="a" * 40, files=[name] * 50, **common))
    md = report_render.to_markdown(metrics.build(records, days=7, now=NOW), now=NOW)
    assert len(md) < 40000
    assert "more categories not shown" in md and "more flaky tests not shown" in md


def test_an_empty_window_still_renders_both_formats() -> None:
    figures = metrics.build([], days=7, now=NOW)
    md = report_render.to_markdown(figures, now=NOW)
    assert "no records in this window" in md and "No failures in this window" in md
    dom = parse(report_render.to_html(figures, now=NOW))
    assert len(dom.find("svg")) == 3
    assert "No failures in this window." in dom.text


@pytest.mark.parametrize(
    ("hours", "top"), [(0, 0.25), (0.3, 0.5), (5, 8.0), (23.9, 24.0), (223, 336.0), (1000, 1000.0)]
)
def test_the_time_axis_ends_on_a_round_duration(hours: float, top: float) -> None:
    from healing_guard.history.charts import hours_max

    assert hours_max(hours) == top
