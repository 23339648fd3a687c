"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package) renders it,
takes a screenshot, and dumps the DOM it built.

The screenshot must have the window's size and not be blank (many colours, among them the chart
colours of the categories with the most failures); the DOM must hold the three charts with their
bars, line and points, and no element that hostile trail text could have smuggled in. Skipped, with
the reason, where no Chromium is installed (``apt-get install chromium``)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from healing_guard.history import charts, metrics, report_render
from healing_guard.history.store import LocalTrail

from .pngread import read_png
from .test_history_report_render import FIXTURE, NOW, hostile_figures, parse

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH, HEIGHT = 800, 1400


def find_browser() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


BROWSER = find_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason=f"no headless Chromium on this machine (looked for {', '.join(CANDIDATES)} on PATH); "
    "Debian: apt-get install chromium",
)


def run_browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(2, "--no-sandbox")  # Chromium refuses to run as root inside its sandbox
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False, cwd=tmp_path)


def write_report(tmp_path: Path, figures: metrics.Figures) -> Path:
    page = tmp_path / "report.html"
    page.write_text(report_render.to_html(figures, now=NOW, server="https://github.com"), encoding="utf-8")
    return page


def fixture_figures() -> metrics.Figures:
    return metrics.build(LocalTrail(FIXTURE).read().records, days=7, now=NOW)


def _rgb(colour: str) -> tuple[int, ...]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def test_the_screenshot_shows_the_charts(tmp_path: Path) -> None:
    figures = fixture_figures()
    page = write_report(tmp_path, figures)
    shot = tmp_path / "report.png"
    done = run_browser(tmp_path, f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", page.as_uri())
    assert shot.is_file(), done.stderr[-2000:]
    image = read_png(shot.read_bytes())
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    seen = image.colours()
    assert len(seen) > 50, f"a nearly blank screenshot: {len(seen)} colours"
    # the bars of the two largest categories and the time-to-green line, drawn in their colours
    palette = charts.colours([c.category for c in figures.categories])
    for category in ("runner", "test_failure"):
        assert _rgb(palette[category]) in seen, category
    assert _rgb(charts.PALETTE[0]) in seen


def test_the_browser_builds_the_charts_and_nothing_else(tmp_path: Path) -> None:
    figures = fixture_figures()
    done = run_browser(tmp_path, "--dump-dom", write_report(tmp_path, figures).as_uri())
    dom = parse(done.stdout)
    assert len(dom.find("svg")) == 3, done.stderr[-2000:]
    assert len(dom.find("rect", **{"class": "bar"})) == 8 + 3
    assert len(dom.find("path", **{"class": "line"})) == 1
    assert len(dom.find("circle", **{"class": "point"})) == 5
    assert dom.find("table", id="categories")


def test_hostile_text_stays_text_in_the_browser(tmp_path: Path) -> None:
    done = run_browser(tmp_path, "--dump-dom", write_report(tmp_path, hostile_figures()).as_uri())
    dom = parse(done.stdout)
    assert dom.find("svg"), done.stderr[-2000:]
    assert not dom.find("script") and not dom.find("img") and not dom.find("iframe")
    assert not any(name.startswith("on") for _, attrs in dom.tags for name in attrs)
    assert any("<script>alert(1)</script>" in t for t in dom.text)
