"""Referral turnaround statistics and their bar chart. Pure module: no Django.

Percentiles use linear interpolation between closest ranks (the "inclusive" method: NumPy's default, and
`statistics.quantiles(..., method="inclusive")`), so the median of an even count is the mean of the
middle two.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The `fraction` (0..1) percentile of `values` by linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Timeline:
    """The moments of one referral that the report measures."""

    kind: str
    discipline: str
    sent_at: datetime.datetime
    accepted_at: datetime.datetime | None = None
    scheduled_at: datetime.datetime | None = None


@dataclass
class TurnaroundRow:
    kind: str
    discipline: str
    count: int = 0
    to_accept_hours: list[float] = field(default_factory=list)
    to_schedule_hours: list[float] = field(default_factory=list)

    @property
    def accept_median(self) -> float | None:
        return percentile(self.to_accept_hours, 0.5)

    @property
    def accept_p90(self) -> float | None:
        return percentile(self.to_accept_hours, 0.9)

    @property
    def schedule_median(self) -> float | None:
        return percentile(self.to_schedule_hours, 0.5)

    @property
    def schedule_p90(self) -> float | None:
        return percentile(self.to_schedule_hours, 0.9)


def _hours(start: datetime.datetime, end: datetime.datetime) -> float:
    return (end - start).total_seconds() / 3600


def turnaround_rows(timelines: Iterable[Timeline]) -> list[TurnaroundRow]:
    """One row per kind and discipline: how many were sent, and the sent→accepted and accepted→scheduled
    times (hours) of those that got that far."""
    rows: dict[tuple[str, str], TurnaroundRow] = {}
    for item in timelines:
        row = rows.setdefault((item.kind, item.discipline), TurnaroundRow(item.kind, item.discipline))
        row.count += 1
        if item.accepted_at is not None:
            row.to_accept_hours.append(_hours(item.sent_at, item.accepted_at))
            if item.scheduled_at is not None:
                row.to_schedule_hours.append(_hours(item.accepted_at, item.scheduled_at))
    return [rows[key] for key in sorted(rows)]


@dataclass(frozen=True)
class Bar:
    label: str
    series: str  # "accept" or "schedule"
    value: float
    x: float
    y: float
    width: float
    height: float
    text_x: float
    text_y: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bars: tuple[Bar, ...]
    labels: tuple[tuple[str, float], ...]  # (row label, y of its text baseline)
    ticks: tuple[tuple[float, str], ...]  # (x, label) of the scale
    plot_top: float
    plot_bottom: float


def format_hours(hours: float | None) -> str:
    """A duration for people: minutes under an hour, hours under two days, then days."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def bar_chart(
    rows: Sequence[tuple[str, float | None, float | None]], *, width: int = 640, label_width: int = 210
) -> Chart:
    """Geometry of a horizontal bar chart of median times: per row, one bar to accept and one to schedule.

    `rows` are (label, median hours to accept, median hours to schedule). The template draws the SVG.
    """
    bar_height, gap, row_gap, top, bottom = 14.0, 3.0, 14.0, 8.0, 28.0
    values = [v for _, a, s in rows for v in (a, s) if v is not None]
    # One unit on the whole axis: minutes up to two hours, hours up to three days, days beyond.
    longest = max(values, default=0.0)
    per_unit, unit = (24.0, "d") if longest > 72 else (1.0, "h") if longest > 2 else (1 / 60, "min")
    scale_max = max(4.0, _nice_ceiling(longest / per_unit))  # at least 0-1-2-3-4 on the axis

    def in_unit(hours: float) -> str:
        number = hours / per_unit
        return f"{number:.0f} {unit}" if number == int(number) else f"{number:.1f} {unit}"

    plot_width = width - label_width - 70
    bars: list[Bar] = []
    labels: list[tuple[str, float]] = []
    y = top
    for label, accept, schedule in rows:
        labels.append((label, y + bar_height + gap / 2 + 4))
        for series, value, offset in (("accept", accept, 0.0), ("schedule", schedule, bar_height + gap)):
            bar_width = 0.0 if value is None else max(1.0, plot_width * value / per_unit / scale_max)
            bars.append(
                Bar(
                    label=label,
                    series=series,
                    value=value if value is not None else 0.0,
                    x=label_width,
                    y=y + offset,
                    width=round(bar_width, 1),
                    height=bar_height,
                    text_x=round(label_width + bar_width + 6, 1),
                    text_y=round(y + offset + bar_height - 3, 1),
                    text="—" if value is None else in_unit(value),
                )
            )
        y += 2 * bar_height + gap + row_gap
    plot_bottom = y - row_gap + 4
    ticks = tuple(
        (round(label_width + plot_width * i / 4, 1), in_unit(scale_max * per_unit * i / 4)) for i in range(5)
    )
    return Chart(
        width=width,
        height=int(plot_bottom + bottom),
        label_width=label_width,
        bars=tuple(bars),
        labels=tuple(labels),
        ticks=ticks,
        plot_top=top - 4,
        plot_bottom=plot_bottom,
    )
