"""The progress chart (server-rendered SVG): structure, coordinates, accessibility, escaping, the palette,
date ticks, refusals, and that WeasyPrint draws it in a PDF. Pure module: no database."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from tandem.outcomes.charts import ChartError, ChartPoint, date_ticks, progress_chart_svg, y_ticks

SVG = "{http://www.w3.org/2000/svg}"
START = dt.date(2026, 9, 7)  # a Monday
CSS = Path(__file__).resolve().parents[2] / "src" / "tandem" / "static" / "css" / "tandem.css"


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def chart(points: Sequence[object], **overrides: object) -> ET.Element:
    arguments: dict[str, object] = dict(
        instrument_range=(0, 100), direction="higher-is-worse", title="ODI", unit="%", width=640, height=280
    )
    arguments.update(overrides)
    return ET.fromstring(progress_chart_svg(points, **arguments))  # type: ignore[arg-type]


def find(root: ET.Element, tag: str, cls: str | None = None) -> list[ET.Element]:
    found = root.iter(f"{SVG}{tag}")
    return [e for e in found if cls is None or e.get("class") == cls]


def plot_rect(root: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the plot frame: the unfilled rectangle."""
    (frame,) = [r for r in find(root, "rect") if r.get("fill") == "none"]
    left, top = float(frame.get("x", "")), float(frame.get("y", ""))
    return left, top, left + float(frame.get("width", "")), top + float(frame.get("height", ""))


def y_of(root: ET.Element, value: float, low: float = 0, high: float = 100) -> float:
    _, top, _, bottom = plot_rect(root)
    return bottom - (value - low) / (high - low) * (bottom - top)


def gridline_y(root: ET.Element, label: str) -> float:
    """The y of the horizontal gridline whose axis label reads `label`."""
    texts = [t for t in find(root, "text") if t.text == label and t.get("text-anchor") == "end"]
    assert texts, f"no axis label {label!r}"
    label_y = float(texts[0].get("y", ""))
    lines = [float(g.get("y1", "")) for g in find(root, "line") if g.get("y1") == g.get("y2")]
    return min(lines, key=lambda y: abs(y - label_y))


def dots(root: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx", "")), float(c.get("cy", ""))) for c in find(root, "circle", "score")]


IMPROVING_ODI = [(day(0), 42, "severe"), (day(14), 36, "moderate"), (day(28), 30), (day(42), 24, "moderate")]


def test_it_is_an_accessible_image_with_a_title_and_a_summary() -> None:
    root = chart(IMPROVING_ODI, mcid=10, goal=30)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == "ODI"
    assert desc.text == (
        "ODI fell from 42 % to 24 % (better) over 6 weeks, 4 scores from 7 Sep 2026. MCID of 10 reached. "
        "Goal ≤ 30 reached."
    )


def test_higher_scores_are_drawn_higher_and_dates_run_left_to_right() -> None:
    root = chart([(day(7), 20), (day(0), 40)])  # given out of order
    (x40, y40), (x20, y20) = dots(root)
    assert y40 < y20  # a higher-is-worse 40 sits above 20: the axis is never flipped
    assert x40 < x20
    assert y40 == pytest.approx(y_of(root, 40), abs=0.01)
    assert y20 == pytest.approx(y_of(root, 20), abs=0.01)
    assert y20 == pytest.approx(gridline_y(root, "20"), abs=0.01)


def test_dates_are_spaced_in_proportion_to_time() -> None:
    root = chart([(day(0), 50), (day(7), 45), (day(28), 40)])
    (x0, _), (x7, _), (x28, _) = dots(root)
    assert (x28 - x7) == pytest.approx(3 * (x7 - x0), abs=0.02)
    left, _, right, _ = plot_rect(root)
    assert left < x0 < x28 < right


@pytest.mark.parametrize(
    ("goal", "label", "on_gridline"),
    [(30, "Goal ≤ 30", False), (40, "Goal ≤ 40", True), (0, "Goal ≤ 0", True), (100, "Goal ≤ 100", True)],
)
def test_the_goal_is_a_dashed_line_at_its_value_with_a_label(
    goal: int, label: str, on_gridline: bool
) -> None:
    root = chart(IMPROVING_ODI, goal=goal)
    (line,) = find(root, "line", "goal")
    assert line.get("stroke-dasharray")
    assert float(line.get("y1", "")) == float(line.get("y2", "")) == pytest.approx(y_of(root, goal), abs=0.01)
    if on_gridline:  # the same height as the axis's own gridline for that value
        assert float(line.get("y1", "")) == pytest.approx(gridline_y(root, str(goal)), abs=0.01)
    (text,) = find(root, "text", "goal-label")
    assert text.text == label
    assert abs(float(text.get("y", "")) - float(line.get("y1", ""))) < 8


def test_the_goal_label_says_at_least_when_higher_is_better() -> None:
    root = chart([(day(0), 3), (day(30), 6)], instrument_range=(0, 10), direction="higher-is-better", goal=7)
    (text,) = find(root, "text", "goal-label")
    assert text.text == "Goal ≥ 7"


# (direction, baseline, mcid, band from, band to) — the band runs from the baseline one MCID towards better
BAND_CASES = [
    ("higher-is-worse", 42, 10, 32, 42),
    ("higher-is-better", 42, 10, 42, 52),
    ("higher-is-worse", 6, 10, 0, 6),  # clipped at the bottom of the range
    ("higher-is-better", 95, 10, 95, 100),  # clipped at the top
]


@pytest.mark.parametrize(("direction", "baseline", "mcid", "low", "high"), BAND_CASES)
def test_the_mcid_band_lies_on_the_better_side_of_the_baseline(
    direction: str, baseline: int, mcid: int, low: int, high: int
) -> None:
    root = chart([(day(0), baseline), (day(20), 50)], direction=direction, mcid=mcid)
    (band,) = find(root, "rect", "mcid-band")
    top = float(band.get("y", ""))
    bottom = top + float(band.get("height", ""))
    assert top == pytest.approx(y_of(root, high), abs=0.01)
    assert bottom == pytest.approx(y_of(root, low), abs=0.01)
    (base_line,) = find(root, "line", "baseline")
    assert float(base_line.get("y1", "")) == pytest.approx(y_of(root, baseline), abs=0.01)


def test_an_explicit_baseline_anchors_the_band_instead_of_the_first_score() -> None:
    root = chart([(day(0), 30), (day(20), 25)], mcid=10, baseline=48)
    (band,) = find(root, "rect", "mcid-band")
    assert float(band.get("y", "")) == pytest.approx(y_of(root, 48), abs=0.01)
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "MCID of 10 reached" in (desc.text or "")


def test_no_mcid_no_band_and_no_goal_no_goal_line() -> None:
    root = chart(IMPROVING_ODI)
    assert not find(root, "rect", "mcid-band")
    assert not find(root, "line", "goal")
    assert "MCID" not in ET.tostring(root, encoding="unicode")


def test_each_dot_has_a_tooltip_with_date_score_and_band() -> None:
    root = chart(IMPROVING_ODI)
    tips = [c.findtext(f"{SVG}title") for c in find(root, "circle", "score")]
    assert tips == ["7 Sep 2026: 42 % (severe)", "21 Sep 2026: 36 % (moderate)", "5 Oct 2026: 30 %",
                    "19 Oct 2026: 24 % (moderate)"]  # fmt: skip


def test_no_points_show_a_clear_empty_state() -> None:
    root = chart([], goal=30, mcid=10)
    texts = [t.text for t in find(root, "text")]
    assert "No scores yet" in texts
    assert not find(root, "circle") and not find(root, "polyline")
    assert not find(root, "rect", "mcid-band")  # no baseline to draw it around
    assert find(root, "line", "goal")
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "ODI: no scores yet. Goal ≤ 30."


def test_one_point_sits_in_the_middle_without_a_line() -> None:
    root = chart([(day(0), 48, "severe")], mcid=10, goal=30)
    ((x, y),) = dots(root)
    left, _, right, _ = plot_rect(root)
    assert x == pytest.approx((left + right) / 2, abs=0.01)
    assert y == pytest.approx(y_of(root, 48), abs=0.01)
    assert not find(root, "polyline")
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "ODI: one score, 48 % on 7 Sep 2026. Goal ≤ 30 not yet reached."


def test_a_year_of_weekly_scores_stays_inside_the_plot_with_few_ticks() -> None:
    points = [(day(7 * i), 60 - i) for i in range(53)]
    root = chart(points, instrument_range=(0, 80), direction="higher-is-better", unit="points", title="LEFS")
    left, top, right, bottom = plot_rect(root)
    coordinates = dots(root)
    assert len(coordinates) == 53
    assert all(left < x < right and top <= y <= bottom for x, y in coordinates)
    assert [x for x, _ in coordinates] == sorted(x for x, _ in coordinates)
    (line,) = find(root, "polyline", "trend")
    assert len((line.get("points") or "").split()) == 53
    date_labels = [t for t in find(root, "text") if float(t.get("y", "0")) > bottom + 8]
    assert 4 <= len(date_labels) <= 10
    assert all(t.text and not t.text[0].isdigit() for t in date_labels)  # month labels, not days
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "fell from 60 points to 8 points (worse) over 1 year" in (desc.text or "")


def test_text_is_escaped() -> None:
    title = 'NPRS <b>&amp; "pain"</b>'
    svg = progress_chart_svg(
        [(day(0), 4, "<mild>")],
        instrument_range=(0, 10),
        direction="higher-is-worse",
        title=title,
        unit="pts",
    )
    root = ET.fromstring(svg)  # parses: nothing unescaped
    assert root.findtext(f"{SVG}title") == title
    assert "<b>" not in svg
    assert find(root, "circle", "score")[0].findtext(f"{SVG}title") == "7 Sep 2026: 4 pts (<mild>)"


def test_it_is_self_contained_and_uses_only_the_palette() -> None:
    svg = progress_chart_svg(
        IMPROVING_ODI, instrument_range=(0, 100), direction="higher-is-worse", mcid=10, goal=30, title="ODI",
        unit="%",
    )  # fmt: skip
    for forbidden in ("<script", "href", "style=", "var(", "url(", "http://", "https://"):
        assert forbidden not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    palette = set(re.findall(r"#[0-9a-f]{6}", CSS.read_text().split("}")[0]))
    used = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg)) - {"none"}
    assert used and used <= palette


LEGEND_CASES = [
    (640, "ODI", False),
    (640, "Oswestry Disability Index v2.1a (ODI)", False),
    (640, "Oswestry Disability Index v2.1a (ODI), lumbar", True),
    (320, "NPRS", True),
]


@pytest.mark.parametrize(("width", "title", "own_row"), LEGEND_CASES)
def test_the_legend_never_covers_the_title(width: int, title: str, own_row: bool) -> None:
    root = chart(IMPROVING_ODI, mcid=10, goal=30, width=width, title=title)
    (heading,) = [t for t in find(root, "text") if t.text == title]
    legend = [t for t in find(root, "text") if t.text in ("Goal", "Change < MCID")]
    assert len(legend) == 2
    _, top, _, _ = plot_rect(root)
    legend_y = {float(t.get("y", "")) for t in legend}
    if own_row:
        assert min(legend_y) > float(heading.get("y", "")) + 12  # a row of its own, below the title
    else:
        title_end = float(heading.get("x", "")) + len(title) * 9
        assert all(float(t.get("x", "")) - 24 > title_end for t in legend)
    assert max(legend_y) < top - 8


def test_two_charts_on_one_page_have_distinct_ids() -> None:
    a = chart(IMPROVING_ODI)
    b = chart([(day(0), 5)], instrument_range=(0, 10), title="NPRS", unit="points")
    assert a.get("aria-labelledby") != b.get("aria-labelledby")


def test_scores_keep_their_precision_until_drawn() -> None:
    # 16/45 x 100 = 35.555...: drawn at its exact place, labelled 35.6 (half-up, display only)
    root = chart([ChartPoint(day(0), Fraction(320, 9))])
    ((_, y),) = dots(root)
    assert y == pytest.approx(y_of(root, 320 / 9), abs=0.01)
    assert "35.6" in [t.text for t in find(root, "text")]


# (first, last, most) — the ticks are round dates inside the span, at most `most`
TICK_CASES = [
    (day(0), day(1), 8),
    (day(0), day(6), 8),
    (day(0), day(13), 8),
    (day(0), day(42), 8),
    (day(3), day(100), 8),
    (day(0), day(183), 8),
    (day(0), day(365), 8),
    (day(0), day(3 * 365), 8),
    (day(0), day(30), 3),
]


@pytest.mark.parametrize(("first", "last", "most"), TICK_CASES)
def test_date_ticks_are_round_and_few(first: dt.date, last: dt.date, most: int) -> None:
    ticks = date_ticks(first, last, most)
    assert 1 <= len(ticks) <= most
    assert all(first <= t <= last for t in ticks)
    assert ticks == sorted(set(ticks))
    steps = {(b - a).days for a, b in zip(ticks, ticks[1:], strict=False)}
    if steps <= {1, 2}:
        return  # every day or every other day
    if steps <= {7, 14}:
        assert all(t.weekday() == 0 for t in ticks)  # Mondays
    else:
        assert all(t.day == 1 for t in ticks)  # the 1st of the month


def test_date_ticks_for_six_weeks_are_the_mondays() -> None:
    assert date_ticks(day(0), day(42), 8) == [day(7 * i) for i in range(7)]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 10, [0, 2, 4, 6, 8, 10]),
        (0, 100, [0, 20, 40, 60, 80, 100]),
        (0, 50, [0, 10, 20, 30, 40, 50]),
        (0, 80, [0, 20, 40, 60, 80]),
        (0, 24, [0, 5, 10, 15, 20, 24]),
        (0, 22, [0, 5, 10, 15, 22]),  # 20 is too close to 22 to label both
        (1, 5, [1, 2, 3, 4, 5]),
    ],
)
def test_y_ticks_are_round_and_include_both_ends(low: int, high: int, expected: list[int]) -> None:
    assert y_ticks(Fraction(low), Fraction(high)) == expected


BAD_INPUT = [
    ("score above the range", dict(points=[(day(0), 101)]), "points.0.score"),
    ("score below the range", dict(points=[(day(0), 5), (day(1), -1)]), "points.1.score"),
    ("score NaN", dict(points=[(day(0), math.nan)]), "points.0.score"),
    ("score a bool", dict(points=[(day(0), True)]), "points.0.score"),
    ("date a string", dict(points=[("2026-09-07", 40)]), "points.0.date"),
    ("date a datetime", dict(points=[(dt.datetime(2026, 9, 7, 9), 40)]), "points.0.date"),
    ("band not text", dict(points=[(day(0), 40, 3)]), "points.0.band"),
    ("point not a pair", dict(points=[40]), "points.0"),
    ("points as text", dict(points="40"), "points"),
    ("range reversed", dict(instrument_range=(100, 0)), "instrument_range"),
    ("range not a pair", dict(instrument_range=(0,)), "instrument_range"),
    ("unknown direction", dict(direction="up"), "direction"),
    ("mcid zero", dict(mcid=0), "mcid"),
    ("goal outside the range", dict(goal=120), "goal"),
    ("baseline outside the range", dict(baseline=-5), "baseline"),
    ("too narrow", dict(width=100), "width"),
    ("height not a number", dict(height="tall"), "height"),
]


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_with_the_field_named(changes: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = dict(
        points=[(day(0), 40)], instrument_range=(0, 100), direction="higher-is-worse", title="ODI", unit="%"
    )
    arguments.update(changes)
    with pytest.raises(ChartError) as caught:
        progress_chart_svg(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.message


def test_weasyprint_draws_it_in_a_pdf(tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    weasyprint = pytest.importorskip("weasyprint")
    svg = progress_chart_svg(
        IMPROVING_ODI, instrument_range=(0, 100), direction="higher-is-worse", mcid=10, goal=30, title="ODI",
        unit="%",
    )  # fmt: skip
    pdf = weasyprint.HTML(string=f"<html><body>{svg}</body></html>").write_pdf()
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1
    image = document[0].render(scale=1).to_pil().convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24) or []}

    def near(hex_colour: str) -> bool:
        r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        return any(abs(r - c[0]) + abs(g - c[1]) + abs(b - c[2]) < 24 for c in colours)

    assert near("#1e5a66")  # the trend line and dots
    assert near("#fff5e2")  # the MCID band
    assert near("#1c6a3b")  # the goal line
    document.close()
