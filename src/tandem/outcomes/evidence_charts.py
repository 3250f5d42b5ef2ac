"""The evidence dashboard's charts as server-rendered SVG (pure: no Django), for pages and PDFs alike.

Each function takes one instrument's `analytics.CohortAnalysis` and answers a complete `<svg>` element (a
string), drawn in the style of the progress chart (outcomes/charts.py: its palette, font, coordinates and
escaping), with role="img", a <title> and a <desc> that says in words what the picture shows, and a viewBox so
the picture scales with its container (CSS `width: 100%; height: auto`):

- `change_chart`: a forest plot of the baseline-adjusted mean change per cohort (square, 95 % CI whisker) on
  the instrument's scale, the zero line, the MCID as a dashed reference line with the "change < MCID" band
  between it and zero, "← better" on the side where improvement lies (left on the ODI, right on the LEFS), and
  beside each cohort (above it in narrow charts) its estimate and its difference from the reference cohort
  with the CI;
- `responder_chart`: horizontal bars of the share of episodes reaching the MCID, Wilson 95 % CI whiskers,
  "count of n" on each bar;
- `time_to_mcid_chart`: Kaplan-Meier step curves of the share that has reached the MCID by each day since the
  baseline, one per cohort, told apart by dash pattern and a label at the line's end as well as by colour,
  a legend, and a marker at each median that can be estimated.

A cohort the analysis could not estimate is still listed, "too few to estimate (n < 10)"; nothing to draw at
all gives a valid picture saying what is missing, never an exception. Numbers are shown with one decimal (the
change, percentages) and a true minus sign. The geometry is exposed (`change_scale`, `responder_scale`,
`time_scales`) so tests and callers can map values to coordinates exactly as the charts do.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import TYPE_CHECKING

from tandem.outcomes.charts import (
    BRAND,
    BRAND_DARK,
    BRAND_SOFT,
    FONT,
    INK,
    INK_SOFT,
    LINE,
    LINE_STRONG,
    MUTED,
    OK,
    SURFACE,
    WARN_BG,
    WARN_LINE,
    _n,
)
from tandem.outcomes.scoring import INSTRUMENTS

if TYPE_CHECKING:  # analytics pulls in pandas; the charts only read its dataclasses
    from tandem.outcomes.analytics import CohortAnalysis, CohortResult, Contrast, Interval, TimeToMcid

# More of tandem.css :root, inlined (PDFs have no CSS variables).
WARN = "#7d4a00"
CHIRO = "#3f6fb5"
PT = "#2f8a5b"
MASSAGE = "#a0679b"
INFO = "#1d4f7a"

MINUS = "\u2212"
TOO_FEW = "too few to estimate"
WIDTH = 720  # the default width in SVG user units (px); every chart scales with its viewBox
MIN_WIDTH, MAX_WIDTH = 480, 2000

# Layout of the two row charts (change, responders), in px.
PAD = 16
LABEL_W = 206  # the cohort labels, left of the plot
ROW = 50  # one cohort
CHAR = 0.58  # average character width as a share of the font size (system sans-serif)

# One line style per cohort: colour, dash pattern ("" = solid), width. Told apart without colour by the dash.
SERIES: dict[str, tuple[str, str, float]] = {
    "single": (INK_SOFT, "9 4", 2.0),
    "dc+lmt": (MASSAGE, "2 3", 2.5),
    "dc+pt": (CHIRO, "12 3 3 3", 2.0),
    "pt+lmt": (WARN, "5 2", 2.0),
    "all-three": (BRAND, "", 3.0),
    "dc": (CHIRO, "9 4", 2.0),
    "pt": (PT, "6 2 2 2", 2.0),
    "lmt": (MASSAGE, "14 4", 2.0),
}
FALLBACK_SERIES = ((INFO, "6 3 1 3", 2.0), (OK, "1 2", 2.0), (MUTED, "16 3 3 3 3 3", 2.0))
SHORT_LABELS = {
    "single": "One discipline",
    "dc+lmt": "DC + LMT",
    "dc+pt": "DC + PT",
    "pt+lmt": "PT + LMT",
    "all-three": "All three",
    "dc": "DC only",
    "pt": "PT only",
    "lmt": "LMT only",
}


class ChartInputError(ValueError):
    """A chart option out of range (the analysis itself is never refused); `field` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Scale:
    """A linear map from data values (`domain`) to SVG coordinates (`span`); `ticks` are the axis labels."""

    domain: tuple[float, float]
    span: tuple[float, float]
    ticks: tuple[float, ...] = ()

    def __call__(self, value: float) -> float:
        (d0, d1), (s0, s1) = self.domain, self.span
        return s0 + (value - d0) / (d1 - d0) * (s1 - s0)


# Numbers and text -------------------------------------------------------------------------------------------


def one(value: float) -> str:
    """One decimal, rounded half-up from the number as written (2.25 -> 2.3), with a true minus sign."""
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if rounded == 0:
        return "0.0"
    return str(rounded).replace("-", MINUS)


def signed(value: float) -> str:
    text = one(value)
    return text if text.startswith(MINUS) or text == "0.0" else f"+{text}"


def percent(share: float) -> str:
    """A share (0-1) as a percentage for people: 0.4333 -> "43.3 %"."""
    return f"{one(share * 100)} %"


def tick_label(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text.replace("-", MINUS)


def _ci(low: float, high: float) -> str:
    return f"{one(low)} to {one(high)}"


def _width_of(text: str, size: float, *, bold: bool = False) -> float:
    return len(text) * size * CHAR * (1.08 if bold else 1.0)


def _wrap(text: str, room: float, size: float, lines: int = 2) -> list[str]:
    """Words into at most `lines` lines of about `room` px; the last keeps the rest, shortened with "…"."""
    most = max(4, int(room / (size * CHAR)))
    out: list[str] = []
    # A number keeps its unit: "95 %" never breaks before the "%".
    text = text.replace(" %", "\u00a0%").replace("% CI", "%\u00a0CI")
    words = [word for word in text.split(" ") if word]
    while words and len(out) < lines:
        line = words.pop(0)
        while words and len(line) + 1 + len(words[0]) <= most:
            line += " " + words.pop(0)
        out.append(line)
    if words:
        rest = out[-1] + " " + " ".join(words)
        out[-1] = rest[: most - 1].rstrip() + "…"
    return [line if len(line) <= most else line[: most - 1] + "…" for line in out]


def _text(x: float, y: float, text: str, *, size: float = 11, fill: str = INK_SOFT, **extra: str) -> str:
    attributes = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(value)}"' for name, value in extra.items()
    )
    at = f'x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" fill="{fill}"'
    return f"<text {at}{attributes}>{escape(text)}</text>"


def _instrument_name(analysis: CohortAnalysis) -> tuple[str, str]:
    """The instrument's short name and the unit of a change on its scale."""
    definition = INSTRUMENTS.get(analysis.instrument)
    if definition is None:
        return str(analysis.instrument).upper(), "points"
    return definition.name, "percentage points" if definition.unit == "%" else definition.unit


def _lower_is_better(analysis: CohortAnalysis) -> bool:
    return analysis.direction != "higher-is-better"


def _mcid_text(analysis: CohortAnalysis) -> str:
    mcid = analysis.mcid
    if mcid.as_published:
        return mcid.as_published
    if mcid.points is not None:
        return f"{tick_label(float(mcid.points))} points"
    return f"{tick_label(float(mcid.relative_pct or 0))} %"


def _too_few(cohort: CohortResult, analysis: CohortAnalysis) -> str:
    return cohort.note or f"{TOO_FEW} (n < {analysis.min_n})"


def _checked_width(width: object) -> int:
    if isinstance(width, bool) or not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ChartInputError(
            f"The width must be a whole number of pixels from {MIN_WIDTH} to {MAX_WIDTH}.", field="width"
        )
    return width


# The frame shared by the three charts -----------------------------------------------------------------------


def _open(kind: str, analysis: CohortAnalysis, width: int, height: float, title: str, desc: str) -> list[str]:
    uid = f"{kind}-" + hashlib.sha1(repr((kind, width, analysis)).encode()).hexdigest()[:10]
    height_text = _n(math.ceil(height))
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height_text}" '
        f'viewBox="0 0 {width} {height_text}" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-family="{escape(FONT)}" '
        f'class="evidence-chart {kind}" data-instrument="{escape(str(analysis.instrument))}">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        f'<desc id="{uid}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height_text}" fill="{SURFACE}"/>',
    ]


def _heading(title: str, subtitle: str, width: int) -> tuple[list[str], float]:
    """The bold title and a muted subtitle (wrapped); answers the parts and the y below them."""
    parts = [_text(PAD, 20, title, size=14, fill=INK, font_weight="bold")]
    y = 20.0
    for line in _wrap(subtitle, width - 2 * PAD, 11, lines=3):
        y += 16
        parts.append(_text(PAD, y, line, fill=MUTED, class_="subtitle"))
    return parts, y


def _missing_chart(
    kind: str,
    analysis: CohortAnalysis,
    width: int,
    title: str,
    desc: str,
    subtitle: str,
    lines: Sequence[str],
) -> str:
    """A chart with nothing to draw: its title, and what is missing in a quiet box."""
    heading, below = _heading(title, subtitle, width)
    wrapped = [
        (index, part)
        for index, line in enumerate(lines)
        for part in _wrap(line, width - 2 * PAD - 24, 12, lines=3)
    ]
    top = below + 14
    box = 18 + 17 * len(wrapped)
    out = _open(kind, analysis, width, top + box + PAD, title, desc) + heading
    out.append(
        f'<rect class="missing" x="{PAD}" y="{_n(top)}" width="{width - 2 * PAD}" height="{box}" rx="6" '
        f'fill="{BRAND_SOFT}" stroke="{LINE_STRONG}"/>'
    )
    for row, (index, part) in enumerate(wrapped):
        fill = INK if index == 0 else INK_SOFT
        out.append(_text(PAD + 12, top + 22 + 17 * row, part, size=12, fill=fill, class_="missing-text"))
    out.append("</svg>")
    return "\n".join(out)


STACK_BELOW = 680  # narrower row charts put each cohort's name and numbers on lines above its mark


@dataclass(frozen=True)
class _Rows:
    """Where the parts of a row chart (change, responders) go. Wide: the cohort's name left of the plot, its
    numbers right of it. Stacked (narrow): name and numbers on two lines above the mark, the plot full
    width."""

    width: int
    values_w: float  # the numbers' column, wide layout

    @property
    def stacked(self) -> bool:
        return self.width < STACK_BELOW

    @property
    def row(self) -> float:
        return 66 if self.stacked else ROW

    @property
    def plot(self) -> tuple[float, float]:
        if self.stacked:
            return PAD + 4, self.width - PAD - 4
        return PAD + LABEL_W + 12, self.width - PAD - self.values_w

    def mark_y(self, top: float, index: int) -> float:
        return top + self.row * index + (50 if self.stacked else self.row / 2)

    def head(self, cohort: CohortResult, top: float, index: int) -> list[str]:
        """The cohort's name and its n."""
        n_text = f"n = {cohort.with_followup}"
        if self.stacked:
            y = top + self.row * index + 15
            room = self.width - 2 * PAD - _width_of(n_text, 10.5) - 12
            (line,) = _wrap(cohort.label, room, 12, lines=1)
            return [
                _text(PAD, y, line, size=12, fill=INK, font_weight="bold", class_="cohort-label"),
                _text(
                    self.width - PAD, y, n_text, size=10.5, fill=MUTED, text_anchor="end", class_="cohort-n"
                ),
            ]
        y = self.mark_y(top, index)
        lines = _wrap(cohort.label, LABEL_W - 8, 12)
        first = y - (len(lines) * 14 + 13) / 2 + 11
        parts = [
            _text(PAD, first + 14 * i, line, size=12, fill=INK, class_="cohort-label")
            for i, line in enumerate(lines)
        ]
        parts.append(
            _text(PAD, first + 14 * len(lines) + 1, n_text, size=10.5, fill=MUTED, class_="cohort-n")
        )
        return parts

    def values(self, top: float, index: int, first: str) -> tuple[tuple[float, float], tuple[float, float]]:
        """Where the first (bold, 12 px) and the second (11 px) number go."""
        if self.stacked:
            y = top + self.row * index + 32
            return (PAD, y), (PAD + _width_of(first, 12, bold=True) + 16, y)
        x, y = self.plot[1] + 14, self.mark_y(top, index)
        return (x, y - 3), (x, y + 13)

    def rule(self, top: float, index: int) -> list[str]:
        """The line between two cohorts; stacked, a clear strip under the name and the numbers as well."""
        y = top + self.row * index
        parts = []
        if self.stacked:
            parts.append(
                f'<rect x="0" y="{_n(y)}" width="{self.width}" height="37" fill="{SURFACE}" stroke="none"/>'
            )
        if index:
            parts.append(
                f'<line x1="{PAD}" y1="{_n(y)}" x2="{self.width - PAD}" y2="{_n(y)}" stroke="{LINE}" '
                'stroke-width="1" stroke-dasharray="1 3"/>'
            )
        return parts


# 1. Baseline-adjusted change --------------------------------------------------------------------------------


def _finite(*values: float) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _change(c: CohortResult) -> Interval | None:
    """The cohort's adjusted change, or None when missing or not a finite number (never drawn as NaN)."""
    i = c.adjusted_change
    return i if i is not None and _finite(i.estimate, i.low, i.high) else None


def _contrast(c: CohortResult) -> Contrast | None:
    d = c.contrast
    return d if d is not None and _finite(d.difference, d.low, d.high, d.p_value) else None


def _change_texts(c: CohortResult, reference: str) -> tuple[str, str, bool] | None:
    """A cohort's estimate and its second line (the difference, or "Reference"), and whether that line is
    bold (the CI excludes no difference); None without an estimate."""
    change = _change(c)
    if change is None:
        return None
    value = f"{signed(change.estimate)} ({_ci(change.low, change.high)})"
    d = _contrast(c)
    if d is not None:
        return value, f"Difference {signed(d.difference)} ({_ci(d.low, d.high)})", d.favours != "neither"
    return value, "Reference" if c.cohort == reference else "", False


def _change_values_w(analysis: CohortAnalysis) -> float:
    """The numbers' column of the change chart: as wide as its longest text."""
    widest = 0.0
    for c in analysis.cohorts:
        texts = _change_texts(c, analysis.reference)
        if texts is not None:
            widest = max(widest, _width_of(texts[0], 12, bold=True), _width_of(texts[1], 11, bold=texts[2]))
    return widest + 14 + 2


def nice_ticks(low: float, high: float, most: int = 7) -> list[float]:
    """Round values covering low..high (extended outwards to a whole step), at most `most` + 1 of them."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        low, high = low - 1, high + 1
    span = high - low
    step = 1.0
    for exponent in range(-3, 8):
        found = False
        for factor in (1, 2, 2.5, 5):
            step = factor * 10.0**exponent
            if span / step <= most - 1:
                found = True
                break
        if found:
            break
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    count = round((last - first) / step)
    return [round(first + i * step, 9) + 0.0 for i in range(count + 1)]


def _signed_mcid(analysis: CohortAnalysis) -> float | None:
    """The MCID as a change on the instrument's scale: negative where lower is better."""
    if analysis.mcid.points is None:
        return None
    points = float(analysis.mcid.points)
    return -points if _lower_is_better(analysis) else points


def change_scale(analysis: CohortAnalysis, *, width: int = WIDTH) -> Scale | None:
    """The x scale of `change_chart`: change on the instrument's scale -> px; None with nothing to draw."""
    width = _checked_width(width)
    intervals = [i for i in map(_change, analysis.cohorts) if i is not None]
    if not intervals:
        return None
    values = [0.0] + [v for i in intervals for v in (i.low, i.high, i.estimate)]
    mcid = _signed_mcid(analysis)
    if mcid is not None:
        values.append(mcid)
    values = [v for v in values if math.isfinite(v)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.04 or 1.0
    ticks = nice_ticks(low - pad, high + pad)
    left, right = _Rows(width, _change_values_w(analysis)).plot
    return Scale((ticks[0], ticks[-1]), (left, right), tuple(ticks))


def _change_desc(analysis: CohortAnalysis, name: str, unit: str) -> str:
    better = "a fall" if _lower_is_better(analysis) else "a rise"
    sentences = [
        f"{name}: mean change from baseline by care combination, adjusted for the baseline score, with 95 % "
        f"confidence intervals; {better} is an improvement. MCID {_mcid_text(analysis)}."
    ]
    reference = next((c for c in analysis.cohorts if c.cohort == analysis.reference), None)
    for c in analysis.cohorts:
        change = _change(c)
        if change is None:
            reason = _too_few(c, analysis) if not c.estimable else "no estimate (see the notes)"
            sentences.append(f"{c.label} (n = {c.with_followup}): {reason}.")
            continue
        text = f"{c.label} (n = {c.with_followup}): {signed(change.estimate)} {unit}"
        text += f" ({_ci(change.low, change.high)})"
        d = _contrast(c)
        if d is not None and reference is not None:
            verdict = {"cohort": "better", "reference": "worse"}.get(d.favours, "no clear difference")
            text += (
                f", {signed(d.difference)} ({_ci(d.low, d.high)}) compared with {reference.label}: {verdict}"
            )
        elif c.cohort == analysis.reference:
            text += ", the reference"
        sentences.append(text + ".")
    return " ".join(sentences)


def change_chart(analysis: CohortAnalysis, *, width: int = WIDTH) -> str:
    """The forest plot of the baseline-adjusted change per cohort (see the module docstring)."""
    width = _checked_width(width)
    name, unit = _instrument_name(analysis)
    title = f"{name}: change from baseline by care combination"
    reference = next((c for c in analysis.cohorts if c.cohort == analysis.reference), None)
    at = "" if analysis.mean_baseline is None else f" at the mean baseline of {one(analysis.mean_baseline)}"
    subtitle = f"Mean change adjusted for the baseline score{at}, with 95 % CI"
    if reference is not None and any(_contrast(c) is not None for c in analysis.cohorts):
        subtitle += f"; and the difference from {reference.label} (the reference), with 95 % CI"
    subtitle += "."
    heading, below = _heading(title, subtitle, width)
    scale = change_scale(analysis, width=width)
    cohorts = analysis.cohorts
    desc = _change_desc(analysis, name, unit)
    if scale is None or not cohorts:
        lines = _missing_lines(analysis, "adjusted change")
        return _missing_chart("change-chart", analysis, width, title, desc, subtitle, lines)

    better_low = _lower_is_better(analysis)
    layout = _Rows(width, _change_values_w(analysis))
    left, right = scale.span
    top = below + 34  # room for the MCID label above the plot
    bottom = top + layout.row * len(cohorts)
    height = bottom + 60
    out = _open("change-chart", analysis, width, height, title, desc) + heading

    # Grid, the MCID band and line, the zero line.
    for tick in scale.ticks:
        x = _n(scale(tick))
        out.append(
            f'<line x1="{x}" y1="{_n(top)}" x2="{x}" y2="{_n(bottom)}" stroke="{LINE}" stroke-width="1"/>'
        )
        out.append(
            _text(scale(tick), bottom + 15, tick_label(tick), fill=MUTED, text_anchor="middle", class_="tick")
        )
    mcid = _signed_mcid(analysis)
    if mcid is not None:
        x0, x1 = sorted((scale(0.0), scale(mcid)))
        out.append(
            f'<rect class="mcid-band" x="{_n(x0)}" y="{_n(top)}" width="{_n(x1 - x0)}" '
            f'height="{_n(bottom - top)}" fill="{WARN_BG}" stroke="none">'
            f"<title>{escape(f'A change smaller than the MCID ({_mcid_text(analysis)})')}</title></rect>"
        )
        out.append(
            f'<line class="mcid" x1="{_n(scale(mcid))}" y1="{_n(top - 4)}" x2="{_n(scale(mcid))}" '
            f'y2="{_n(bottom)}" stroke="{WARN}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        )
        out.append(
            _text(
                scale(mcid),
                top - 9,
                f"MCID {tick_label(mcid)}",
                fill=WARN,
                font_weight="bold",
                text_anchor="middle",
                class_="mcid-label",
            )  # fmt: skip
        )
    out.append(
        f'<line class="zero" x1="{_n(scale(0.0))}" y1="{_n(top - 4)}" x2="{_n(scale(0.0))}" '
        f'y2="{_n(bottom)}" stroke="{INK_SOFT}" stroke-width="1.5"/>'
    )
    out.append(
        f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" height="{_n(bottom - top)}" '
        f'fill="none" stroke="{LINE_STRONG}" stroke-width="1"/>'
    )

    # The direction and the axis title, under the tick labels.
    better, worse = ("← better", "worse →") if better_low else ("better →", "← worse")
    out.append(_text(left, bottom + 32, better if better_low else worse, fill=OK if better_low else MUTED,
                     font_weight="bold" if better_low else "normal", class_="direction"))  # fmt: skip
    out.append(_text(right, bottom + 32, worse if better_low else better, fill=MUTED if better_low else OK,
                     font_weight="normal" if better_low else "bold", text_anchor="end",
                     class_="direction"))  # fmt: skip
    out.append(
        _text(
            (left + right) / 2,
            bottom + 48,
            f"Change in {name} ({unit})",
            fill=INK_SOFT,
            text_anchor="middle",
            class_="axis-title",
        )  # fmt: skip
    )

    for index, c in enumerate(cohorts):
        y = layout.mark_y(top, index)
        out.append(f'<g class="cohort" data-cohort="{escape(c.cohort)}">')
        out += layout.rule(top, index)
        out += layout.head(c, top, index)
        change = _change(c)
        if change is None:
            reason = _too_few(c, analysis) if not c.estimable else "no estimate (see the notes)"
            out += _too_few_text((left + right) / 2, y, reason)
            out.append("</g>")
            continue
        is_reference = c.cohort == analysis.reference
        colour = INK_SOFT if is_reference else BRAND
        x_low, x_high, x_mid = scale(change.low), scale(change.high), scale(change.estimate)
        tip = f"{c.label}: {signed(change.estimate)} {unit} (95 % CI {_ci(change.low, change.high)})"
        value, second, strong = _change_texts(c, analysis.reference) or ("", "", False)
        (x1, y1), (x2, y2) = layout.values(top, index, value)
        out += [
            f'<line class="ci" x1="{_n(x_low)}" y1="{_n(y)}" x2="{_n(x_high)}" y2="{_n(y)}" '
            f'stroke="{colour}" stroke-width="2"/>',
            f'<line x1="{_n(x_low)}" y1="{_n(y - 5)}" x2="{_n(x_low)}" y2="{_n(y + 5)}" stroke="{colour}" '
            'stroke-width="2"/>',
            f'<line x1="{_n(x_high)}" y1="{_n(y - 5)}" x2="{_n(x_high)}" y2="{_n(y + 5)}" stroke="{colour}" '
            'stroke-width="2"/>',
            f'<rect class="estimate" x="{_n(x_mid - 5)}" y="{_n(y - 5)}" width="10" height="10" '
            f'fill="{colour}" stroke="{SURFACE}" stroke-width="1"><title>{escape(tip)}</title></rect>',
            _text(x1, y1, value, size=12, fill=INK, font_weight="bold", class_="estimate-label"),
        ]  # fmt: skip
        d = _contrast(c)
        if d is not None:
            verdict = {"cohort": "better", "reference": "worse"}.get(d.favours, "")
            p_text = "p < 0.001" if d.p_value < 0.001 else f"p = {d.p_value:.3f}"
            out.append(
                f'<text x="{_n(x2)}" y="{_n(y2)}" font-size="11" '
                f'fill="{OK if d.favours == "cohort" else INK_SOFT}" '
                f'font-weight="{"bold" if strong else "normal"}" class="contrast-label">{escape(second)}'
                f"<title>{escape(f'{second}, {p_text}' + (f': {verdict}' if verdict else ''))}</title></text>"
            )
        elif second:
            out.append(_text(x2, y2, second, fill=MUTED, class_="contrast-label"))
        out.append("</g>")
    if mcid is not None:
        out += _band_legend(width, below + 14)
    out.append("</svg>")
    return "\n".join(out)


def _too_few_text(x: float, y: float, reason: str) -> list[str]:
    """Why a cohort has no estimate, centred in its row, on a clear patch over the grid and the MCID line."""
    room = _width_of(reason, 11) + 12
    return [
        f'<rect x="{_n(x - room / 2)}" y="{_n(y - 9)}" width="{_n(room)}" height="17" fill="{SURFACE}"/>',
        _text(x, y + 4, reason, fill=MUTED, font_style="italic", text_anchor="middle", class_="too-few"),
    ]


def _band_legend(width: int, y: float) -> list[str]:
    x = width - PAD - 100
    return [
        f'<rect x="{_n(x - 20)}" y="{_n(y - 10)}" width="16" height="11" fill="{WARN_BG}" '
        f'stroke="{WARN_LINE}"/>',
        _text(x, y, "Change < MCID", fill=INK_SOFT, class_="legend"),
    ]


def _missing_lines(analysis: CohortAnalysis, what: str) -> list[str]:
    if not analysis.cohorts or analysis.episodes == 0:
        return [f"No {what} yet: there are no episodes with a baseline score for this instrument."]
    lines = [
        f"No {what} yet: no care combination has at least {analysis.min_n} episodes with a follow-up score."
    ]
    for c in analysis.cohorts:
        lines.append(f"{c.label}: {c.with_followup} of {c.episodes} episodes with a follow-up.")
    return lines


# 2. Responders ----------------------------------------------------------------------------------------------


def _responder_texts(c: CohortResult) -> tuple[str, str] | None:
    r = c.responders
    return None if r is None else (percent(r.rate), f"{_ci(r.low * 100, r.high * 100)} %")


def _responder_values_w(analysis: CohortAnalysis) -> float:
    widest = 0.0
    for c in analysis.cohorts:
        texts = _responder_texts(c)
        if texts is not None:
            widest = max(widest, _width_of(texts[0], 12, bold=True), _width_of(texts[1], 11))
    return widest + 14 + 2


def responder_scale(analysis: CohortAnalysis, *, width: int = WIDTH) -> Scale:
    """The x scale of `responder_chart`: a share from 0 to 1 -> px."""
    width = _checked_width(width)
    return Scale((0.0, 1.0), _Rows(width, _responder_values_w(analysis)).plot, (0.0, 0.25, 0.5, 0.75, 1.0))


def _responder_desc(analysis: CohortAnalysis, name: str) -> str:
    sentences = [
        f"{name}: the share of episodes whose last follow-up improved by at least the MCID "
        f"({_mcid_text(analysis)}), with Wilson 95 % confidence intervals."
    ]
    for c in analysis.cohorts:
        r = c.responders
        if r is None:
            sentences.append(f"{c.label} (n = {c.with_followup}): {_too_few(c, analysis)}.")
        else:
            sentences.append(
                f"{c.label}: {r.count} of {r.n}, {percent(r.rate)} ({_ci(r.low * 100, r.high * 100)} %)."
            )
    return " ".join(sentences)


def responder_chart(analysis: CohortAnalysis, *, width: int = WIDTH) -> str:
    """Bars of the responder rate per cohort (see the module docstring)."""
    width = _checked_width(width)
    name, _ = _instrument_name(analysis)
    title = f"{name}: responders by care combination"
    subtitle = (
        f"Share of episodes whose last follow-up improved by at least the MCID ({_mcid_text(analysis)}), "
        "with Wilson 95 % CI."
    )
    heading, below = _heading(title, subtitle, width)
    desc = _responder_desc(analysis, name)
    cohorts = analysis.cohorts
    if not any(c.responders is not None for c in cohorts):
        lines = _missing_lines(analysis, "responder rate")
        return _missing_chart("responder-chart", analysis, width, title, desc, subtitle, lines)

    scale = responder_scale(analysis, width=width)
    layout = _Rows(width, _responder_values_w(analysis))
    left, right = scale.span
    top = below + 14
    bottom = top + layout.row * len(cohorts)
    height = bottom + 40
    out = _open("responder-chart", analysis, width, height, title, desc) + heading
    for tick in scale.ticks:
        x = _n(scale(tick))
        out.append(
            f'<line x1="{x}" y1="{_n(top)}" x2="{x}" y2="{_n(bottom)}" stroke="{LINE}" stroke-width="1"/>'
        )
        out.append(_text(scale(tick), bottom + 15, f"{round(tick * 100)} %", fill=MUTED, text_anchor="middle",
                         class_="tick"))  # fmt: skip
    out.append(
        _text(
            (left + right) / 2,
            bottom + 32,
            "Episodes reaching the MCID",
            fill=INK_SOFT,
            text_anchor="middle",
            class_="axis-title",
        )  # fmt: skip
    )
    for index, c in enumerate(cohorts):
        y = layout.mark_y(top, index)
        out.append(f'<g class="cohort" data-cohort="{escape(c.cohort)}">')
        out += layout.rule(top, index)
        out += layout.head(c, top, index)
        r = c.responders
        if r is None:
            out += _too_few_text((left + right) / 2, y, _too_few(c, analysis))
            out.append("</g>")
            continue
        bar_end, x_low, x_high = scale(r.rate), scale(r.low), scale(r.high)
        tip = f"{c.label}: {r.count} of {r.n} ({percent(r.rate)}, 95 % CI {_ci(r.low * 100, r.high * 100)} %)"
        count_text = f"{r.count} of {r.n}"
        out += [
            f'<rect class="bar" x="{_n(left)}" y="{_n(y - 10)}" width="{_n(bar_end - left)}" height="20" '
            f'fill="{BRAND_SOFT}" stroke="{BRAND}" stroke-width="1.5"><title>{escape(tip)}</title></rect>',
            f'<line class="ci" x1="{_n(x_low)}" y1="{_n(y)}" x2="{_n(x_high)}" y2="{_n(y)}" stroke="{INK}" '
            'stroke-width="1.5"/>',
            f'<line x1="{_n(x_low)}" y1="{_n(y - 6)}" x2="{_n(x_low)}" y2="{_n(y + 6)}" stroke="{INK}" '
            'stroke-width="1.5"/>',
            f'<line x1="{_n(x_high)}" y1="{_n(y - 6)}" x2="{_n(x_high)}" y2="{_n(y + 6)}" stroke="{INK}" '
            'stroke-width="1.5"/>',
        ]
        # "count of n" inside the bar, left of the whisker, when it fits there; else after the whisker.
        count_w = _width_of(count_text, 11)
        if left + 6 + count_w + 6 < min(bar_end, x_low):
            out.append(
                _text(left + 6, y + 4, count_text, fill=BRAND_DARK, font_weight="bold", class_="bar-n")
            )
        elif x_high + 6 + count_w <= right:
            out.append(_text(x_high + 6, y + 4, count_text, fill=INK, class_="bar-n"))
        else:  # a short bar with a long whisker to the right edge: above the bar
            out.append(_text(left + 2, y - 13, count_text, size=10, fill=INK, class_="bar-n"))
        rate_text, ci_text = _responder_texts(c) or ("", "")
        (x1, y1), (x2, y2) = layout.values(top, index, rate_text)
        out += [
            _text(x1, y1, rate_text, size=12, fill=INK, font_weight="bold", class_="rate-label"),
            _text(x2, y2, ci_text, fill=INK_SOFT, class_="rate-ci"),
            "</g>",
        ]
    out.append("</svg>")
    return "\n".join(out)


# 3. Time to MCID --------------------------------------------------------------------------------------------

TIME_LEFT = 58  # y labels
TIME_RIGHT = 118  # direct labels at the lines' ends
TIME_PLOT_H = 250
DAY_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 364)


def series_style(analysis: CohortAnalysis, code: str) -> tuple[str, str, float]:
    """The colour, dash pattern and width of a cohort's curve."""
    if code in SERIES:
        return SERIES[code]
    unknown = [c.cohort for c in analysis.cohorts if c.cohort not in SERIES]
    return (
        FALLBACK_SERIES[unknown.index(code) % len(FALLBACK_SERIES)] if code in unknown else FALLBACK_SERIES[0]
    )


def _curves(analysis: CohortAnalysis) -> list[tuple[CohortResult, TimeToMcid]]:
    return [
        (c, c.time_to_mcid) for c in analysis.cohorts if c.time_to_mcid is not None and c.time_to_mcid.curve
    ]


def _legend_rows(analysis: CohortAnalysis, width: int) -> list[list[tuple[str, str, bool]]]:
    """The legend's entries (code, text, has a line) flowed into rows across the width."""
    entries: list[tuple[str, str, bool]] = []
    for c in analysis.cohorts:
        ttm = c.time_to_mcid
        if ttm is None:
            entries.append((c.cohort, f"{c.label}: {_too_few(c, analysis)}", False))
        elif not ttm.curve:
            entries.append((c.cohort, f"{c.label}: none of {ttm.censored} reached the MCID", False))
        else:
            entries.append((c.cohort, c.label, True))
    rows: list[list[tuple[str, str, bool]]] = [[]]
    x = 0.0
    for entry in entries:
        needed = (34 if entry[2] else 0) + _width_of(entry[1], 11) + 18
        if rows[-1] and x + needed > width - 2 * PAD:
            rows.append([])
            x = 0.0
        rows[-1].append(entry)
        x += needed
    return rows


def _plot_top(analysis: CohortAnalysis, width: int, below: float) -> float:
    return below + 12 + 18 * len(_legend_rows(analysis, width)) + 30


def time_scales(analysis: CohortAnalysis, *, width: int = WIDTH) -> tuple[Scale, Scale] | None:
    """The (x, y) scales of `time_to_mcid_chart`: days since baseline -> px, share reached (0-1) -> px; None
    with no curve to draw."""
    width = _checked_width(width)
    curves = _curves(analysis)
    if not curves:
        return None
    last_day = max(p.day for _, t in curves for p in t.curve)
    last_day = max(last_day, *(t.median_high or 0.0 for _, t in curves), 7.0)
    step = next((s for s in DAY_STEPS if last_day / s <= 8), DAY_STEPS[-1])
    end = math.ceil(last_day / step - 1e-9) * step
    if end == last_day:
        end += step  # room after the last step for the curve to be seen to end
    ticks = tuple(float(step * i) for i in range(int(end // step) + 1))
    name, _ = _instrument_name(analysis)
    _, below = _heading(*_time_heading(analysis, name), width)
    top = _plot_top(analysis, width, below)
    x = Scale((0.0, float(end)), (TIME_LEFT, width - TIME_RIGHT), ticks)
    y = Scale((0.0, 1.0), (top + TIME_PLOT_H, top), (0.0, 0.25, 0.5, 0.75, 1.0))
    return x, y


def _time_heading(analysis: CohortAnalysis, name: str) -> tuple[str, str]:
    return (
        f"{name}: time to reach the MCID by care combination",
        f"Share of episodes that have reached the MCID ({_mcid_text(analysis)}) by each day since the "
        "baseline (Kaplan–Meier, censored at the last follow-up); ◆ marks the median where half have "
        "reached it.",
    )


def _days(value: float) -> str:
    return f"{tick_label(round(value, 1))} days" if value != 1 else "1 day"


def _days_range(low: float, high: float) -> str:
    return f"{tick_label(round(low, 1))} to {tick_label(round(high, 1))} days"


def _time_desc(analysis: CohortAnalysis, name: str) -> str:
    sentences = [
        f"{name}: share of episodes that have reached the MCID ({_mcid_text(analysis)}) by each day since "
        "the baseline, Kaplan–Meier estimate."
    ]
    for c in analysis.cohorts:
        t = c.time_to_mcid
        if t is None:
            sentences.append(f"{c.label} (n = {c.with_followup}): {_too_few(c, analysis)}.")
            continue
        if not t.curve:
            sentences.append(f"{c.label}: none of {t.censored} episodes reached the MCID during follow-up.")
            continue
        last = t.curve[-1]
        text = f"{c.label}: {percent(last.reached)} by day {tick_label(round(last.day, 1))}"
        if t.median_days is not None:
            text += f", median {_days(t.median_days)}"
            if t.median_low is not None and t.median_high is not None:
                text += f" (95 % CI {_days_range(t.median_low, t.median_high)})"
        else:
            text += ", fewer than half reached it (no median)"
        sentences.append(f"{text}; {t.events} reached it, {t.censored} censored.")
    return " ".join(sentences)


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near `wanted` (sorted ascending), at least `gap` apart, kept within low..high."""
    placed: list[float] = []
    for y in wanted:
        placed.append(max(y, placed[-1] + gap) if placed else max(y, low))
    overflow = placed[-1] - high if placed else 0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return placed


def time_to_mcid_chart(analysis: CohortAnalysis, *, width: int = WIDTH) -> str:
    """Kaplan-Meier curves of the time to the MCID per cohort (see the module docstring)."""
    width = _checked_width(width)
    name, _ = _instrument_name(analysis)
    title, subtitle = _time_heading(analysis, name)
    heading, below = _heading(title, subtitle, width)
    desc = _time_desc(analysis, name)
    scales = time_scales(analysis, width=width)
    if scales is None:
        lines = _missing_lines(analysis, "time to the MCID")
        if any(c.time_to_mcid is not None for c in analysis.cohorts):
            lines = ["No time to the MCID yet: no episode has reached the MCID during its follow-up."] + [
                f"{c.label}: "
                + (
                    _too_few(c, analysis)
                    if c.time_to_mcid is None
                    else f"none of {c.with_followup} reached it."
                )
                for c in analysis.cohorts
            ]
        return _missing_chart("time-chart", analysis, width, title, desc, subtitle, lines)

    x, y = scales
    left, right = x.span
    bottom, top = y.span
    height = bottom + 44
    out = _open("time-chart", analysis, width, height, title, desc) + heading

    # The legend: a line sample in each cohort's style, or its reason for having no line.
    legend_y = below + 12
    for row in _legend_rows(analysis, width):
        legend_y += 18
        lx = float(PAD)
        for code, text, has_line in row:
            if has_line:
                colour, dash, stroke = series_style(analysis, code)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'<line class="legend-line" data-cohort="{escape(code)}" x1="{_n(lx)}" '
                    f'y1="{_n(legend_y - 4)}" x2="{_n(lx + 28)}" y2="{_n(legend_y - 4)}" stroke="{colour}" '
                    f'stroke-width="{_n(stroke)}"{dash_attr}/>'
                )
                lx += 34
            out.append(_text(lx, legend_y, text, fill=INK_SOFT if has_line else MUTED, class_="legend"))
            lx += _width_of(text, 11) + 18

    # Axes and grid.
    for tick in y.ticks:
        ty = y(tick)
        dash = ' stroke-dasharray="4 3"' if tick == 0.5 else ""
        colour = LINE_STRONG if tick == 0.5 else LINE
        out.append(f'<line x1="{_n(left)}" y1="{_n(ty)}" x2="{_n(right)}" y2="{_n(ty)}" stroke="{colour}" '
                   f'stroke-width="1"{dash}/>')  # fmt: skip
        out.append(
            _text(left - 6, ty + 4, f"{round(tick * 100)} %", fill=MUTED, text_anchor="end", class_="tick")
        )
    for tick in x.ticks:
        tx = x(tick)
        out.append(f'<line x1="{_n(tx)}" y1="{_n(top)}" x2="{_n(tx)}" y2="{_n(bottom)}" stroke="{LINE}" '
                   'stroke-width="1"/>')  # fmt: skip
        out.append(_text(tx, bottom + 15, tick_label(tick), fill=MUTED, text_anchor="middle", class_="tick"))
    out.append(
        f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(right - left)}" height="{_n(bottom - top)}" '
        f'fill="none" stroke="{LINE_STRONG}" stroke-width="1"/>'
    )
    out.append(_text((left + right) / 2, bottom + 34, "Days since the baseline", fill=INK_SOFT,
                     text_anchor="middle", class_="axis-title"))  # fmt: skip
    out.append(_text(left - 6, top - 8, "Reached", fill=MUTED, text_anchor="end", class_="axis-title"))

    # The curves, then the medians on top, then the labels at the lines' ends.
    curves = _curves(analysis)
    ends: list[tuple[float, float, str]] = []
    for c, t in curves:
        colour, dash, stroke = series_style(analysis, c.cohort)
        path = f"M{_n(x(0.0))},{_n(y(0.0))}"
        for point in t.curve:
            path += f" H{_n(x(point.day))} V{_n(y(point.reached))}"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        last = t.curve[-1]
        tip = f"{c.label}: {percent(last.reached)} by day {tick_label(round(last.day, 1))}"
        out.append(
            f'<path class="curve" data-cohort="{escape(c.cohort)}" d="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{_n(stroke)}" stroke-linejoin="round"{dash_attr}>'
            f"<title>{escape(tip)}</title></path>"
        )
        ends.append((y(last.reached), x(last.day), c.cohort))
    for c, t in curves:
        if t.median_days is None:
            continue
        colour, _, _ = series_style(analysis, c.cohort)
        mx, my = x(t.median_days), y(0.5)
        tip = f"{c.label}: median {_days(t.median_days)}"
        if t.median_low is not None and t.median_high is not None:
            tip += f" (95 % CI {_days_range(t.median_low, t.median_high)})"
        out.append(
            f'<line x1="{_n(mx)}" y1="{_n(my)}" x2="{_n(mx)}" y2="{_n(bottom)}" stroke="{colour}" '
            'stroke-width="1" stroke-dasharray="1 2"/>'
        )
        out.append(
            f'<path class="median" data-cohort="{escape(c.cohort)}" data-days="{_n(t.median_days)}" '
            f'd="M{_n(mx)},{_n(my - 6)} L{_n(mx + 6)},{_n(my)} L{_n(mx)},{_n(my + 6)} '
            f'L{_n(mx - 6)},{_n(my)} Z" '
            f'fill="{colour}" stroke="{SURFACE}" stroke-width="1.5"><title>{escape(tip)}</title></path>'
        )
    ends.sort()
    placed = _spread([e[0] + 4 for e in ends], 13, top + 4, bottom + 4)
    for (end_y, end_x, code), label_y in zip(ends, placed, strict=True):
        colour, _, _ = series_style(analysis, code)
        cohort = next(c for c in analysis.cohorts if c.cohort == code)
        label = SHORT_LABELS.get(code) or _wrap(cohort.label, TIME_RIGHT - 12, 11, lines=1)[0]
        # A grey leader, not in the curve's colour: after its last step a curve says nothing (the data end).
        out.append(
            f'<circle class="curve-end" cx="{_n(end_x)}" cy="{_n(end_y)}" r="3" fill="{colour}" '
            f'stroke="{SURFACE}" stroke-width="1"/>'
        )
        out.append(
            f'<line x1="{_n(end_x + 5)}" y1="{_n(end_y)}" x2="{_n(right + 4)}" y2="{_n(label_y - 4)}" '
            f'stroke="{LINE_STRONG}" stroke-width="1" stroke-dasharray="2 2"/>'
        )
        out.append(_text(right + 7, label_y, label, fill=colour, font_weight="bold", class_="end-label",
                         data_cohort=code))  # fmt: skip
    out.append("</svg>")
    return "\n".join(out)
