"""Chart geometry: bars stacked to scale inside the plot area, the line through the timed buckets,
and colours from the palette (never from the trail)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from healing_guard.history import charts
from healing_guard.history.metrics import Bucket
from healing_guard.history.rates import SuccessRate

DAY = datetime(2026, 12, 1, tzinfo=timezone.utc)


def buckets() -> list[Bucket]:
    return [
        Bucket(DAY, {"network": 2, "runner": 1}, 1, 1800.0),
        Bucket(DAY + timedelta(days=1), {}, 0, None),
        Bucket(DAY + timedelta(days=2), {"runner": 5}, 2, 7200.0),
    ]


def test_bars_are_stacked_to_scale_inside_the_plot() -> None:
    chart = charts.failures_chart(buckets(), ["runner", "network"], 1)
    assert len(chart.segments) == 3 and not chart.empty
    top = float(chart.y_ticks[-1].label)
    assert top == 8  # four whole steps above the highest day (5)
    per_failure = (chart.bottom - chart.top) / top
    first = [s for s in chart.segments if s.title.startswith("12-01")]
    # runner at the bottom, then network on top of it
    assert [round(s.height / per_failure) for s in first] == [1, 2]
    assert first[0].y + first[0].height == pytest.approx(chart.bottom, abs=0.2)
    assert first[1].y + first[1].height == pytest.approx(first[0].y, abs=0.2)
    for s in chart.segments:
        assert chart.left <= s.x and s.x + s.width <= chart.right and chart.top <= s.y
    assert [(i.label, i.colour) for i in chart.legend] == [
        ("runner", charts.PALETTE[0]),
        ("network", charts.PALETTE[1]),
    ]


def test_the_line_goes_through_the_timed_buckets_only() -> None:
    chart = charts.mttr_chart(buckets(), 1)
    assert len(chart.points) == 2
    assert chart.path.startswith("M") and chart.path.count("L") == 1
    # 2 h is the highest: the axis ends at 2 h, so that point touches the top
    assert chart.points[1].y == pytest.approx(chart.top, abs=0.2)
    assert chart.y_ticks[-1].label == "2.0 h"


def test_strategy_bars_are_as_long_as_the_smoothed_rate() -> None:
    rates = [SuccessRate("strategy", "net", "rerun", 3, 3), SuccessRate("strategy", "oom", "rerun", 3, 0)]
    chart = charts.strategy_chart(rates)
    full = chart.right - chart.left
    assert [round(s.width / full, 2) for s in chart.segments] == [0.8, 0.2]
    assert chart.segments[0].colour != chart.segments[1].colour  # healing well and badly look different


def test_empty_charts_say_so() -> None:
    assert charts.failures_chart([], [], 1).empty
    assert charts.mttr_chart([], 1).empty
    assert charts.strategy_chart([]).empty


def test_categories_beyond_the_palette_are_grey() -> None:
    names = [f"c{i}" for i in range(len(charts.PALETTE) + 2)]
    assert list(charts.colours(names).values())[-2:] == [charts.OTHER, charts.OTHER]


@pytest.mark.parametrize(("value", "top"), [(0, 1.0), (0.7, 1.0), (3, 5.0), (12, 20.0), (240, 250.0)])
def test_nice_max(value: float, top: float) -> None:
    assert charts.nice_max(value) == top
