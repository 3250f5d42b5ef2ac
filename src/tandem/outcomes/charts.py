"""Progress charts as server-rendered SVG (pure: no Django), for pages and WeasyPrint PDFs alike.

`progress_chart_svg(points, *, instrument_range, direction, mcid, baseline, goal, title, unit)` draws one
measure over time: dates on x, the score on y over the instrument's full range (higher scores are drawn
higher, whichever way the measure runs), and

- the MCID band: the zone of change too small to matter, from the baseline (default: the first score) to one
  MCID towards the better side (below it when higher is worse, above it when higher is better);
- the goal as a dashed line labelled "Goal ≤ 30" (or "≥" when higher is better);
- each score as a dot with a <title> tooltip (date, score, band when known);
- role="img" with a <title> and a <desc> summarising the course for screen readers, e.g. "ODI fell from 42 %
  to 24 % over 6 weeks (better). MCID of 10 reached. Goal ≤ 30 reached.";
- a "No scores yet" state for no points; one point is drawn alone, centred in a two-week window.

Everything is inline (presentation attributes, hex colours from tandem.css :root since PDFs have no CSS
variables, no script, no external reference) and every text is XML-escaped. Bad input raises `ChartError`
(a `ScoringError` naming the field), never a broken picture.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from html import escape

from tandem.outcomes import progress
from tandem.outcomes.progress import Number, ProgressError

# tandem.css :root, inlined.
INK = "#1d2733"
INK_SOFT = "#3c4a59"
MUTED = "#5f6e7d"
LINE = "#dfe5eb"
LINE_STRONG = "#c9d2db"
SURFACE = "#ffffff"
BRAND = "#1e5a66"
BRAND_DARK = "#154550"
BRAND_SOFT = "#e3f0f1"
OK = "#1c6a3b"
WARN_BG = "#fff5e2"
WARN_LINE = "#f1d8a6"
FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'Noto Sans', 'Liberation Sans', Arial, "
    "sans-serif"
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Layout, in SVG user units (px).
TOP = 40  # title and legend above the plot
BOTTOM = 30  # date labels
LEFT = 44  # score labels
RIGHT = 72  # the goal label sits in this margin, right of the plot
INSET = 14  # keeps the first and last dots off the plot's edges
ONE_POINT_WINDOW = 7  # days either side of a lone date


class ChartError(ProgressError):
    """Input the chart cannot draw; `field` names it."""


@dataclass(frozen=True)
class ChartPoint:
    """One score on one date; `band` is its interpretation band ("severe"), shown in the tooltip."""

    on: dt.date
    score: Fraction
    band: str | None = None


def progress_chart_svg(
    points: Iterable[object],
    *,
    instrument_range: tuple[Number, Number],
    direction: str,
    mcid: Number | None = None,
    baseline: Number | None = None,
    goal: Number | None = None,
    title: str,
    unit: str,
    width: int = 640,
    height: int = 280,
) -> str:
    """The chart as an <svg> element (a string). `points`: (date, score) or (date, score, band) tuples, or
    ChartPoint; any order. `direction`: "higher-is-worse" / "higher-is-better" (or a goal's "decrease" /
    "increase"). `mcid` in points on the score's scale; `baseline` defaults to the first score; `goal` is the
    target score. See the module docstring for what is drawn."""
    low, high = _range(instrument_range)
    better_low = _lower_is_better(direction)
    series = _points(points, low, high)
    mcid_points = None if mcid is None else _exact(mcid, "mcid")
    if mcid_points is not None and mcid_points <= 0:
        raise ChartError(f"The MCID must be more than 0 points, not {mcid}.", field="mcid")
    base = None if baseline is None else _in_range(_exact(baseline, "baseline"), low, high, "baseline")
    if base is None and series:
        base = series[0].score
    target = None if goal is None else _in_range(_exact(goal, "goal"), low, high, "goal")
    if isinstance(width, bool) or not isinstance(width, int) or not 240 <= width <= 4000:
        raise ChartError("The width must be a whole number of pixels from 240 to 4000.", field="width")
    if isinstance(height, bool) or not isinstance(height, int) or not 140 <= height <= 4000:
        raise ChartError("The height must be a whole number of pixels from 140 to 4000.", field="height")
    title = str(title)
    unit = str(unit)

    legend, top = _legend(width, mcid_points is not None and base is not None, target is not None, title)
    plot = _Plot(LEFT, top, width - RIGHT, height - BOTTOM, low, high, series)
    uid = (
        "chart-"
        + hashlib.sha1(repr((title, unit, series, low, high, mcid, base, goal)).encode()).hexdigest()[:10]
    )
    summary = describe(
        series, better_low=better_low, mcid=mcid_points, baseline=base, goal=target, title=title, unit=unit
    )

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{uid}-title {uid}-desc" '
        f'font-family="{escape(FONT)}" class="progress-chart">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(summary)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{SURFACE}"/>',
        f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold" fill="{INK}">{escape(title)}</text>',
    ]
    out += legend
    out += _y_axis(plot, unit)
    if mcid_points is not None and base is not None:
        out += _mcid_band(plot, base, mcid_points, better_low)
    if series:
        out += _x_axis(plot)
    if target is not None:
        out += _goal_line(plot, target, better_low)
    out.append(
        f'<rect x="{plot.left}" y="{plot.top}" width="{plot.width}" height="{plot.height}" fill="none" '
        f'stroke="{LINE_STRONG}" stroke-width="1"/>'
    )
    if series:
        out += _series(plot, series, unit, None if target is None else plot.y(target))
    else:
        out.append(
            f'<text x="{_n(plot.left + plot.width / 2)}" y="{_n(plot.top + plot.height / 2 + 5)}" '
            f'text-anchor="middle" font-size="14" fill="{MUTED}">No scores yet</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


# Input ------------------------------------------------------------------------------------------------------


def _exact(value: object, name: str) -> Fraction:
    try:
        return progress.exact(value, name)
    except ProgressError as exc:
        raise ChartError(exc.message, field=exc.field) from None


def _lower_is_better(direction: object) -> bool:
    try:
        return progress.lower_is_better(direction)
    except ProgressError as exc:
        raise ChartError(exc.message, field=exc.field) from None


def _range(instrument_range: object) -> tuple[Fraction, Fraction]:
    if (
        isinstance(instrument_range, (str, bytes))
        or not isinstance(instrument_range, Sequence)
        or len(instrument_range) != 2
    ):
        raise ChartError("The instrument range must be a (lowest, highest) pair.", field="instrument_range")
    low = _exact(instrument_range[0], "instrument_range")
    high = _exact(instrument_range[1], "instrument_range")
    if not low < high:
        raise ChartError(
            f"The instrument range must run from low to high, not {low}-{high}.", field="instrument_range"
        )
    return low, high


def _in_range(value: Fraction, low: Fraction, high: Fraction, name: str) -> Fraction:
    if not low <= value <= high:
        raise ChartError(
            f"The {name} {_fmt(value)} is outside the instrument's range {_fmt(low)}-{_fmt(high)}.",
            field=name,
        )
    return value


def _points(points: Iterable[object], low: Fraction, high: Fraction) -> list[ChartPoint]:
    if isinstance(points, (str, bytes)) or not isinstance(points, Iterable):
        raise ChartError("Send the points as a list of (date, score) pairs.", field="points")
    checked: list[ChartPoint] = []
    for index, item in enumerate(points):
        name = f"points.{index}"
        if isinstance(item, ChartPoint):
            on, value, band = item.on, item.score, item.band
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) in (2, 3):
            on, value = item[0], item[1]
            band = item[2] if len(item) == 3 else None
        else:
            raise ChartError(f"Point {index + 1}: expected (date, score) or (date, score, band).", field=name)
        if isinstance(on, dt.datetime) or not isinstance(on, dt.date):
            raise ChartError(f"Point {index + 1}: {on!r} is not a date.", field=f"{name}.date")
        if band is not None and not isinstance(band, str):
            raise ChartError(f"Point {index + 1}: the band must be text.", field=f"{name}.band")
        score = _in_range(_exact(value, f"{name}.score"), low, high, f"{name}.score")
        checked.append(ChartPoint(on, score, band))
    return sorted(checked, key=lambda p: p.on)


# Geometry ---------------------------------------------------------------------------------------------------


class _Plot:
    """Maps dates and scores to pixels inside the plot rectangle."""

    def __init__(
        self,
        left: int,
        top: int,
        right: int,
        bottom: int,
        low: Fraction,
        high: Fraction,
        series: list[ChartPoint],
    ) -> None:
        self.left, self.top, self.right, self.bottom = left, top, right, bottom
        self.width, self.height = right - left, bottom - top
        self.low, self.high = low, high
        if series:
            first, last = series[0].on, series[-1].on
            if first == last:
                first -= dt.timedelta(days=ONE_POINT_WINDOW)
                last += dt.timedelta(days=ONE_POINT_WINDOW)
        else:
            first = last = dt.date.min
        self.first, self.last = first, last

    def y(self, value: Fraction) -> float:
        return self.bottom - float((value - self.low) / (self.high - self.low)) * self.height

    def x(self, on: dt.date) -> float:
        span = (self.last - self.first).days
        inner = self.width - 2 * INSET
        return self.left + INSET + (on - self.first).days / span * inner


def _n(value: float) -> str:
    """A coordinate with at most 2 decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _fmt(value: Fraction) -> str:
    """A score for people: one decimal at most, rounded half-up (display only), no trailing .0."""
    rounded = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    text = str(rounded)
    return text[:-2] if text.endswith(".0") else text


def _with_unit(value: Fraction, unit: str) -> str:
    if unit == "%":
        return f"{_fmt(value)} %"
    return f"{_fmt(value)} {unit}".strip()


def _date(on: dt.date, *, year: bool = True) -> str:
    text = f"{on.day} {MONTHS[on.month - 1]}"
    return f"{text} {on.year}" if year else text


# Parts ------------------------------------------------------------------------------------------------------


def _legend(width: int, band: bool, goal: bool, title: str) -> tuple[list[str], int]:
    """The legend at the top right, level with the title, or on a row of its own below the title when the two
    would collide (narrow charts, long titles); answers its parts and how far down the plot must start."""
    needed = (70 if goal else 0) + (118 if band else 0)
    if not needed:
        return [], TOP
    title_end = LEFT + len(title) * 8.5 + 16  # bold 14 px text is about 8.5 px a character
    own_row = title_end > width - RIGHT + 30 - needed
    base = 36 if own_row else 18  # the text baseline of the legend row
    x = LEFT + needed + 20 if own_row else width - RIGHT + 30
    parts: list[str] = []
    if goal:
        x -= 34
        parts += [
            f'<line x1="{x - 24}" y1="{base - 4}" x2="{x - 4}" y2="{base - 4}" stroke="{OK}" '
            'stroke-width="2" stroke-dasharray="5 3"/>',
            f'<text x="{x}" y="{base}" font-size="11" fill="{INK_SOFT}">Goal</text>',
        ]
        x -= 36
    if band:
        x -= 118
        parts += [
            f'<rect x="{x - 20}" y="{base - 10}" width="16" height="11" fill="{WARN_BG}" '
            f'stroke="{WARN_LINE}"/>',
            f'<text x="{x}" y="{base}" font-size="11" fill="{INK_SOFT}">Change &lt; MCID</text>',
        ]
    return parts, TOP + 18 if own_row else TOP


def y_ticks(low: Fraction, high: Fraction) -> list[Fraction]:
    """About five round score values from low to high, both ends included (0-24: 0, 5, ..., 20, 24)."""
    span = high - low
    step = Fraction(1)
    for magnitude in (Fraction(10) ** k for k in range(-2, 6)):
        for factor in (1, 2, 5):
            step = magnitude * factor
            if span / step <= 6:
                break
        else:
            continue
        break
    first = -(-low // step) * step  # the first multiple of step at or above low
    ticks = [low] if first != low else []
    value = first
    while value <= high:
        ticks.append(value)
        value += step
    if ticks[-1] != high:
        if (high - ticks[-1]) < step / 2:
            ticks.pop()  # too close to the top to label both
        ticks.append(high)
    return ticks


def _y_axis(plot: _Plot, unit: str) -> list[str]:
    parts: list[str] = []
    for value in y_ticks(plot.low, plot.high):
        y = _n(plot.y(value))
        parts.append(
            f'<line x1="{plot.left}" y1="{y}" x2="{plot.right}" y2="{y}" stroke="{LINE}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{plot.left - 6}" y="{_n(plot.y(value) + 4)}" text-anchor="end" font-size="11" '
            f'fill="{MUTED}">{escape(_fmt(value))}</text>'
        )
    parts.append(
        f'<text x="{plot.left - 6}" y="{plot.top - 10}" text-anchor="end" font-size="11" '
        f'fill="{MUTED}">{escape(unit)}</text>'
    )
    return parts


def date_ticks(first: dt.date, last: dt.date, most: int) -> list[dt.date]:
    """Round dates from first to last, at most `most` of them: every 1 or 2 days, weekly or fortnightly
    Mondays, or the 1st of every 1, 2, 3, 6 or 12 months, the finest step that fits."""
    if last <= first:
        return [first]
    most = max(2, most)
    for days in (1, 2):
        ticks = [first + dt.timedelta(days=d) for d in range(0, (last - first).days + 1, days)]
        if len(ticks) <= most:
            return ticks
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    for weeks in (1, 2):
        ticks = []
        on = monday
        while on <= last:
            ticks.append(on)
            on += dt.timedelta(weeks=weeks)
        if len(ticks) <= most:
            return ticks
    for months in (1, 2, 3, 6, 12, 24, 60):
        ticks = []
        index = first.year * 12 + first.month - 1  # months since year 0
        if first.day != 1:
            index += 1
        index = -(-index // months) * months  # align: quarters start in Jan, Apr, Jul, Oct
        while True:
            on = dt.date(index // 12, index % 12 + 1, 1)
            if on > last:
                break
            ticks.append(on)
            index += months
        if len(ticks) <= most:
            return ticks
    return [first, last]


def _x_axis(plot: _Plot) -> list[str]:
    ticks = date_ticks(plot.first, plot.last, int(plot.width // 64))
    monthly = len(ticks) > 1 and all(t.day == 1 for t in ticks) and (ticks[1] - ticks[0]).days >= 28
    parts: list[str] = []
    shown_year: int | None = None
    for on in ticks:
        x = _n(plot.x(on))
        parts.append(
            f'<line x1="{x}" y1="{plot.top}" x2="{x}" y2="{plot.bottom}" stroke="{LINE}" stroke-width="1"/>'
        )
        if monthly:
            label = MONTHS[on.month - 1] if on.year == shown_year else f"{MONTHS[on.month - 1]} {on.year}"
        else:
            label = _date(on, year=False) if on.year == shown_year else _date(on)
        shown_year = on.year
        parts.append(
            f'<text x="{x}" y="{plot.bottom + 16}" text-anchor="middle" font-size="11" '
            f'fill="{MUTED}">{escape(label)}</text>'
        )
    return parts


def _mcid_band(plot: _Plot, base: Fraction, mcid: Fraction, better_low: bool) -> list[str]:
    edge = max(plot.low, base - mcid) if better_low else min(plot.high, base + mcid)
    top, bottom = plot.y(max(base, edge)), plot.y(min(base, edge))
    return [
        f'<rect class="mcid-band" x="{plot.left}" y="{_n(top)}" width="{plot.width}" '
        f'height="{_n(bottom - top)}" fill="{WARN_BG}" stroke="none">'
        f"<title>Within the MCID ({escape(_fmt(mcid))}) of the baseline {escape(_fmt(base))}</title></rect>",
        f'<line class="baseline" x1="{plot.left}" y1="{_n(plot.y(base))}" x2="{plot.right}" '
        f'y2="{_n(plot.y(base))}" stroke="{WARN_LINE}" stroke-width="1.5"/>',
        f'<line x1="{plot.left}" y1="{_n(plot.y(edge))}" x2="{plot.right}" y2="{_n(plot.y(edge))}" '
        f'stroke="{WARN_LINE}" stroke-width="1"/>',
    ]


def _goal_line(plot: _Plot, target: Fraction, better_low: bool) -> list[str]:
    y = plot.y(target)
    label = f"Goal {'≤' if better_low else '≥'} {_fmt(target)}"
    # In the right margin, level with the line, where no dot or value label can overlap it.
    return [
        f'<line class="goal" x1="{plot.left}" y1="{_n(y)}" x2="{plot.right}" y2="{_n(y)}" stroke="{OK}" '
        'stroke-width="2" stroke-dasharray="6 4"/>',
        f'<text class="goal-label" x="{plot.right + 5}" y="{_n(y + 4)}" font-size="11" font-weight="bold" '
        f'fill="{OK}">{escape(label)}</text>',
    ]


def _series(plot: _Plot, series: list[ChartPoint], unit: str, goal_y: float | None) -> list[str]:
    coords = [(plot.x(p.on), plot.y(p.score)) for p in series]
    parts: list[str] = []
    if len(series) > 1:
        path = " ".join(f"{_n(x)},{_n(y)}" for x, y in coords)
        parts.append(
            f'<polyline class="trend" points="{path}" fill="none" stroke="{BRAND}" stroke-width="2.5" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    # Dots shrink as they crowd: a year of weekly scores stays a readable line.
    gaps = [b[0] - a[0] for a, b in zip(coords, coords[1:], strict=False) if b[0] > a[0]]
    radius = max(2.0, min(4.5, min(gaps, default=20.0) / 2.6))
    ring = 1.5 if radius >= 3.5 else 0.75
    for point, (x, y) in zip(series, coords, strict=True):
        tip = f"{_date(point.on)}: {_with_unit(point.score, unit)}"
        if point.band:
            tip += f" ({point.band})"
        parts.append(
            f'<circle class="score" cx="{_n(x)}" cy="{_n(y)}" r="{_n(radius)}" fill="{BRAND}" '
            f'stroke="{SURFACE}" stroke-width="{ring}"><title>{escape(tip)}</title></circle>'
        )
    if len(series) <= 12:  # label the values while they do not crowd each other
        for point, (x, y) in zip(series, coords, strict=True):
            label_y = y - 9 if y - plot.top > 18 else y + 18
            if goal_y is not None and label_y - 11 < goal_y < label_y + 3 and y + 18 < plot.bottom:
                label_y = y + 18  # below the dot rather than struck through by the goal line
            parts.append(
                f'<text x="{_n(x)}" y="{_n(label_y)}" text-anchor="middle" font-size="11" '
                f'fill="{BRAND_DARK}">{escape(_fmt(point.score))}</text>'
            )
    return parts


# Summary ----------------------------------------------------------------------------------------------------


def _duration(days: int) -> str:
    if days < 14:
        return "1 day" if days == 1 else f"{days} days"
    if days < 91:
        weeks = round(days / 7)
        return f"{weeks} weeks"
    if 350 <= days <= 380:
        return "1 year"
    return f"{round(days / 30.44)} months"


def describe(
    series: list[ChartPoint],
    *,
    better_low: bool,
    mcid: Fraction | None,
    baseline: Fraction | None,
    goal: Fraction | None,
    title: str,
    unit: str,
) -> str:
    """The chart in words, for its <desc> (and anyone who cannot see it)."""
    goal_text = None if goal is None else f"Goal {'≤' if better_low else '≥'} {_fmt(goal)}"
    if not series:
        sentences = [f"{title}: no scores yet."]
        if goal_text:
            sentences.append(f"{goal_text}.")
        return " ".join(sentences)
    first, last = series[0], series[-1]
    if len(series) == 1:
        sentences = [f"{title}: one score, {_with_unit(first.score, unit)} on {_date(first.on)}."]
    else:
        if last.score == first.score:
            trend = f"{title} stayed at {_with_unit(first.score, unit)}"
        else:
            verb = "fell" if last.score < first.score else "rose"
            better = (last.score < first.score) == better_low
            trend = (
                f"{title} {verb} from {_with_unit(first.score, unit)} to {_with_unit(last.score, unit)}"
                f" ({'better' if better else 'worse'})"
            )
        span = (last.on - first.on).days
        sentences = [f"{trend} over {_duration(span)}, {len(series)} scores from {_date(first.on)}."]
    if mcid is not None and baseline is not None:
        improvement = baseline - last.score if better_low else last.score - baseline
        if improvement >= mcid:
            sentences.append(f"MCID of {_fmt(mcid)} reached.")
        elif improvement < 0:
            sentences.append(
                f"MCID of {_fmt(mcid)} not reached: {_with_unit(-improvement, unit)} worse than the baseline "
                f"{_with_unit(baseline, unit)}."
            )
        elif len(series) > 1 or baseline != first.score:
            sentences.append(
                f"MCID of {_fmt(mcid)} not reached: {_with_unit(improvement, unit)} better than the baseline "
                f"{_with_unit(baseline, unit)}."
            )
    if goal_text is not None and goal is not None:
        met = last.score <= goal if better_low else last.score >= goal
        sentences.append(f"{goal_text} {'reached' if met else 'not yet reached'}.")
    return " ".join(sentences)
