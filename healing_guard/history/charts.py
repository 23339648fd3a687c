"""The report's charts as geometry: numbers and labels that a template draws as inline SVG.

Nothing here writes markup. A chart is a frozen dataclass of coordinates (already rounded), colours
from a fixed palette (never from the trail) and labels; the HTML template draws it with Jinja's
autoescape on, so a label from the trail (a category, a strategy) stays text.

- ``failures_chart``: failures per day (or week) stacked by category.
- ``mttr_chart``: the mean time to green per bucket, a line over the buckets that had recoveries.
- ``strategy_chart``: smoothed healing success per strategy, horizontal bars from 0 to 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .metrics import Bucket, duration
from .rates import SuccessRate

#: colour-blind-safe (Okabe–Ito), then greys for the rest
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
OTHER = "#999999"
WIDTH = 720
HEIGHT = 260
#: room for the axis labels: left, right, top, bottom
MARGIN = (56, 16, 16, 40)


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class LegendItem:
    colour: str
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Chart:
    """One SVG: its size, plot area, axes, and what is drawn (segments for bars, points for lines)."""

    kind: str
    title: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    segments: tuple[Segment, ...] = ()
    points: tuple[Point, ...] = ()
    legend: tuple[LegendItem, ...] = ()
    empty: str = ""

    @property
    def path(self) -> str:
        """The line through the points, as an SVG path (numbers only)."""
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x:.1f},{p.y:.1f}" for i, p in enumerate(self.points))


def colours(categories: Sequence[str]) -> dict[str, str]:
    """A colour per category, in the given order (most failures first), grey beyond the palette."""
    return {c: PALETTE[i] if i < len(PALETTE) else OTHER for i, c in enumerate(categories)}


def nice_max(value: float) -> float:
    """The axis maximum: 1, 2, 2.5 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


#: axis maxima in hours whose quarters read well (15 min, 2 h, 6 h, 1 d, 3.5 d …)
NICE_HOURS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0, 96.0, 168.0, 336.0, 672.0)


def hours_max(hours: float) -> float:
    """The time axis's maximum in hours: the first of ``NICE_HOURS`` at or above ``hours``."""
    return next((h for h in NICE_HOURS if hours <= h), nice_max(hours))


def _frame() -> tuple[float, float, float, float]:
    """The plot area of a chart of the default size: left, top, right, bottom."""
    left, right, top, bottom = MARGIN
    return float(left), float(top), float(WIDTH - right), float(HEIGHT - bottom)


def _label(bucket: Bucket, days: int) -> str:
    return f"{bucket.start:%m-%d}" if days == 1 else f"w/c {bucket.start:%m-%d}"


def _x_ticks(buckets: Sequence[Bucket], days: int, left: float, slot: float) -> tuple[Tick, ...]:
    every = max(1, math.ceil(len(buckets) / 12))  # at most a dozen labels
    return tuple(Tick(left + slot * (i + 0.5), _label(b, days)) for i, b in enumerate(buckets) if i % every == 0)


def failures_chart(buckets: Sequence[Bucket], categories: Sequence[str], days: int) -> Chart:
    left, top, right, bottom = _frame()
    # four steps of whole failures
    top_value = float(max(4, 4 * math.ceil(max((b.total for b in buckets), default=0) / 4)))
    slot = (right - left) / max(1, len(buckets))
    scale = (bottom - top) / top_value
    palette = colours(categories)
    segments: list[Segment] = []
    for i, b in enumerate(buckets):
        y = bottom
        for category in categories:
            count = b.failures.get(category, 0)
            if not count:
                continue
            h = count * scale
            y -= h
            segments.append(
                Segment(
                    round(left + slot * i + slot * 0.15, 1),
                    round(y, 1),
                    round(slot * 0.7, 1),
                    round(h, 1),
                    palette[category],
                    f"{_label(b, days)}: {count} {category}",
                )
            )
    y_ticks = tuple(
        Tick(round(bottom - (bottom - top) * f, 1), _number(top_value * f)) for f in (0, 0.25, 0.5, 0.75, 1)
    )
    return Chart(
        "bars",
        "Failures per day by category" if days == 1 else "Failures per week by category",
        WIDTH,
        HEIGHT,
        left,
        top,
        right,
        bottom,
        x_ticks=_x_ticks(buckets, days, left, slot),
        y_ticks=y_ticks,
        segments=tuple(segments),
        legend=tuple(LegendItem(palette[c], c) for c in categories),
        empty="" if segments else "No failures in this window.",
    )


def mttr_chart(buckets: Sequence[Bucket], days: int) -> Chart:
    left, top, right, bottom = _frame()
    timed = [b.mean_s for b in buckets if b.mean_s is not None]
    top_value = hours_max(max(timed, default=0.0) / 3600)  # hours on the axis
    slot = (right - left) / max(1, len(buckets))
    scale = (bottom - top) / top_value
    points = tuple(
        Point(
            round(left + slot * (i + 0.5), 1),
            round(bottom - b.mean_s / 3600 * scale, 1),
            f"{_label(b, days)}: {duration(b.mean_s)} ({b.recoveries} recoveries)",
        )
        for i, b in enumerate(buckets)
        if b.mean_s is not None
    )
    y_ticks = tuple(
        Tick(round(bottom - (bottom - top) * f, 1), duration(top_value * f * 3600) if f else "0")
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    return Chart(
        "line",
        "Mean time to green per day" if days == 1 else "Mean time to green per week",
        WIDTH,
        HEIGHT,
        left,
        top,
        right,
        bottom,
        x_ticks=_x_ticks(buckets, days, left, slot),
        y_ticks=y_ticks,
        points=points,
        empty="" if points else "No recovery was timed in this window.",
    )


def strategy_chart(rates: Sequence[SuccessRate], limit: int = 10) -> Chart:
    shown = list(rates)[:limit]
    row = 26
    height = max(80, MARGIN[2] + MARGIN[3] + row * len(shown))
    left, right = 200.0, float(WIDTH - 56)
    top, bottom = float(MARGIN[2]), float(height - MARGIN[3])
    segments = tuple(
        Segment(
            left,
            round(top + row * i + 4, 1),
            round((right - left) * s.rate, 1),
            row - 8.0,
            PALETTE[2] if s.rate >= 0.5 else PALETTE[3],
            f"{s.value} ({s.action}): {s.successes} of {s.tries} healed, {s.rate:.0%} smoothed",
        )
        for i, s in enumerate(shown)
    )
    return Chart(
        kind="hbars",
        title="Healing success per strategy (smoothed)",
        width=WIDTH,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=tuple(Tick(round(left + (right - left) * f, 1), f"{f:.0%}") for f in (0, 0.25, 0.5, 0.75, 1)),
        y_ticks=tuple(Tick(round(top + row * i + row / 2, 1), f"{s.value} ({s.action})") for i, s in enumerate(shown)),
        segments=segments,
        empty="" if shown else "No remediation outcome in this window.",
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"
