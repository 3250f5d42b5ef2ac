"""The evidence dashboard's charts (server-rendered SVG): well-formed, accessible, the right numbers in the
right places (coordinates read back through the axis ticks), the direction of improvement, the cohorts in
order, the empty and degenerate analyses, escaping, and that WeasyPrint draws them. Pure module: no
database."""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tandem.outcomes import evidence_charts as ec
from tandem.outcomes.analytics import (
    CohortAnalysis,
    CohortResult,
    Contrast,
    CurvePoint,
    Interval,
    Responders,
    TimeToMcid,
    analyse_episodes,
)
from tandem.outcomes.scoring import INSTRUMENTS
from tandem.outcomes.synthetic import generate

SVG = "{http://www.w3.org/2000/svg}"
MINUS = "\u2212"
CSS = Path(__file__).resolve().parents[2] / "src" / "tandem" / "static" / "css" / "tandem.css"
CHARTS: dict[str, Callable[..., str]] = {
    "change": ec.change_chart,
    "responder": ec.responder_chart,
    "time": ec.time_to_mcid_chart,
}


# Analyses -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def odi() -> CohortAnalysis:
    """ODI (lower is better), all five cohorts estimable, all three disciplines 8 points better."""
    return analyse_episodes(
        generate("odi", per_cohort=60, effects={"all-three": -8.0}, seed=3), instrument_code="odi"
    )


@pytest.fixture(scope="module")
def lefs() -> CohortAnalysis:
    """LEFS (higher is better), with one cohort too small to estimate."""
    sizes = {"single": 40, "dc+lmt": 5, "dc+pt": 30, "pt+lmt": 30, "all-three": 30}
    return analyse_episodes(
        generate("lefs", per_cohort=sizes, effects={"all-three": 9.0}, seed=5), instrument_code="lefs"
    )


@pytest.fixture(scope="module")
def too_small() -> CohortAnalysis:
    return analyse_episodes(generate("odi", per_cohort=4, seed=3), instrument_code="odi")


@pytest.fixture(scope="module")
def nothing() -> CohortAnalysis:
    return analyse_episodes([], instrument_code="odi")


@pytest.fixture(scope="module")
def split() -> CohortAnalysis:
    """NPRS with the single disciplines kept apart: seven cohorts, the reference too small."""
    sizes = {"single": 45, "dc+lmt": 15, "dc+pt": 15, "pt+lmt": 15, "all-three": 15}
    return analyse_episodes(
        generate("nprs", per_cohort=sizes, seed=8), instrument_code="nprs", split_single=True, reference="dc"
    )


@pytest.fixture(scope="module")
def degenerate() -> CohortAnalysis:
    """Hand-built corners: a point estimate without a CI, 0 and n of n responders, a cohort nobody in which
    reached the MCID, a one-step curve, a median without an upper bound, a cohort too small."""
    return hand_built(
        cohort("single", "One discipline", adjusted_change=Interval(-4.0, -4.0, -4.0),
               responders=Responders(0, 12, 0.0, 0.0, 0.24),
               time_to_mcid=TimeToMcid(None, None, None, 0, 18, ())),
        cohort("dc+pt", "Chiropractic + physical therapy", adjusted_change=Interval(-6.0, -9.0, -3.0),
               contrast=Contrast(-2.0, -4.5, 0.5, 0.2, "neither"),
               responders=Responders(12, 12, 1.0, 0.76, 1.0),
               time_to_mcid=TimeToMcid(None, None, None, 2, 16, curve((14.0, 0.2)))),
        cohort("all-three", "All three", adjusted_change=Interval(-12.0, -15.0, -9.0),
               contrast=Contrast(-8.0, -11.0, -5.0, 0.0001, "cohort"),
               responders=Responders(1, 12, 1 / 12, 0.01, 0.35),
               time_to_mcid=TimeToMcid(21.0, 14.0, None, 12, 6, curve((14.0, 0.3), (21.0, 0.6)))),
        cohort("dc+lmt", "Chiropractic + massage", estimable=False, with_followup=3,
               note="too few to estimate (n < 10)"),
    )  # fmt: skip


def cohort(code: str, label: str, **fields: object) -> CohortResult:
    values: dict[str, object] = dict(
        cohort=code, label=label, episodes=20, with_followup=18, baseline_mean=40.0, visits_mean=9.0,
        visits_median=8.0, estimable=True,
    )  # fmt: skip
    values.update(fields)
    return CohortResult(**values)  # type: ignore[arg-type]


def hand_built(*cohorts: CohortResult, instrument: str = "odi", **fields: object) -> CohortAnalysis:
    definition = INSTRUMENTS[instrument]
    values: dict[str, object] = dict(
        instrument=instrument, direction=definition.direction, mcid=definition.mcid(), reference="single",
        min_n=10, episodes=sum(c.episodes for c in cohorts), modelled=sum(c.with_followup for c in cohorts),
        mean_baseline=40.0, baseline_slope=None, cohorts=tuple(cohorts),
    )  # fmt: skip
    values.update(fields)
    return CohortAnalysis(**values)  # type: ignore[arg-type]


def curve(*points: tuple[float, float]) -> tuple[CurvePoint, ...]:
    return tuple(CurvePoint(day, reached, 10, 1) for day, reached in points)


# Reading the pictures ---------------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root: ET.Element, cls: str, tag: str | None = None) -> list[ET.Element]:
    return [
        e
        for e in root.iter()
        if cls in (e.get("class") or "").split() and (tag is None or e.tag == f"{SVG}{tag}")
    ]


def number(text: str) -> float:
    return float(text.replace(MINUS, "-").replace("%", "").replace("+", "").strip())


def tick_map(root: ET.Element) -> Callable[[float], float]:
    """The x of a value, as the axis labels show it: a line through the first and the last tick label."""
    ticks = [(number(t.text or ""), float(t.get("x", ""))) for t in by_class(root, "tick")]
    assert len(ticks) >= 3
    (v0, x0), (v1, x1) = ticks[0], ticks[-1]
    for value, x in ticks:  # evenly spaced: the labels agree with each other
        assert x == pytest.approx(x0 + (value - v0) / (v1 - v0) * (x1 - x0), abs=0.01)
    return lambda value: x0 + (value - v0) / (v1 - v0) * (x1 - x0)


def rows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "cohort"]


def texts(element: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) if t.text is None else t.text for t in by_class(element, cls, "text")]


def label_of(row: ET.Element) -> str:
    return " ".join(texts(row, "cohort-label"))


# Every chart, every analysis --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHARTS)
@pytest.mark.parametrize("case", ["odi", "lefs", "split", "degenerate", "too_small", "nothing"])
def test_each_chart_is_an_accessible_self_contained_image(kind: str, case: str, request) -> None:
    analysis = request.getfixturevalue(case)
    svg = CHARTS[kind](analysis)
    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert (title.text or "").startswith(f"{INSTRUMENTS[analysis.instrument].name}: ")
    assert len(desc.text or "") > 40
    width, height = float(root.get("width", "")), float(root.get("height", ""))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert width == ec.WIDTH and height > 80
    for forbidden in ("<script", "href", " style=", "var(", "url(", "http://", "https://"):
        assert forbidden not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"\b(nan|inf|None)\b", svg)
    palette = set(re.findall(r"#[0-9a-f]{6}", CSS.read_text().split("}")[0]))
    used = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg)) - {"none"}
    assert used and used <= palette
    # Nothing is drawn outside the picture.
    for element in root.iter():
        for attribute in ("x", "x1", "x2", "cx"):
            if element.get(attribute) is not None:
                assert -0.5 <= float(element.get(attribute, "")) <= width + 0.5, (kind, element.attrib)
        for attribute in ("y", "y1", "y2", "cy"):
            if element.get(attribute) is not None:
                assert -0.5 <= float(element.get(attribute, "")) <= height + 0.5, (kind, element.attrib)


@pytest.mark.parametrize("kind", CHARTS)
def test_two_charts_on_one_page_have_distinct_ids(kind: str, odi, lefs) -> None:
    ids = {parse(CHARTS[kind](a)).get("aria-labelledby") for a in (odi, lefs)}
    assert len(ids) == 2
    assert parse(CHARTS[kind](odi)).get("aria-labelledby") == parse(CHARTS[kind](odi)).get("aria-labelledby")


# 1. The change chart --------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [ec.WIDTH, 480, 1200])
def test_the_change_whiskers_and_estimates_sit_at_their_values(odi, width: int) -> None:
    root = parse(ec.change_chart(odi, width=width))
    x_of = tick_map(root)
    scale = ec.change_scale(odi, width=width)
    assert scale is not None
    assert [label_of(r).replace("+ physical", "+\nphysical").replace("\n", " ") for r in rows(root)] == [
        "One discipline", "Chiropractic + massage", "Chiropractic + physical therapy",
        "Physical therapy + massage", "All three (chiropractic + physical therapy + massage)",
    ]  # fmt: skip
    for row, result in zip(rows(root), odi.cohorts, strict=True):
        assert row.get("data-cohort") == result.cohort
        change = result.adjusted_change
        assert change is not None
        (ci,) = by_class(row, "ci", "line")
        assert float(ci.get("x1", "")) == pytest.approx(x_of(change.low), abs=0.01)
        assert float(ci.get("x2", "")) == pytest.approx(x_of(change.high), abs=0.01)
        assert float(ci.get("x1", "")) == pytest.approx(scale(change.low), abs=0.01)
        (dot,) = by_class(row, "estimate", "rect")
        assert float(dot.get("x", "")) + 5 == pytest.approx(x_of(change.estimate), abs=0.01)
        (value,) = texts(row, "estimate-label")
        assert value == f"{ec.signed(change.estimate)} ({ec.one(change.low)} to {ec.one(change.high)})"
        assert texts(row, "cohort-n") == [f"n = {result.with_followup}"]


def test_the_contrast_is_labelled_and_the_reference_says_so(odi) -> None:
    root = parse(ec.change_chart(odi))
    single, *others = rows(root)
    assert texts(single, "contrast-label") == ["Reference"]
    for row, result in zip(others, odi.cohorts[1:], strict=True):
        d = result.contrast
        assert d is not None
        (label,) = by_class(row, "contrast-label", "text")
        assert label.text == f"Difference {ec.signed(d.difference)} ({ec.one(d.low)} to {ec.one(d.high)})"
    all_three = odi.cohort("all-three").contrast
    assert all_three is not None and all_three.favours == "cohort"
    (label,) = by_class(others[-1], "contrast-label", "text")
    assert label.get("font-weight") == "bold"
    assert label.text is not None and label.text.startswith(f"Difference {MINUS}8.")  # the injected -8
    assert "p < 0.001: better" in (label.findtext(f"{SVG}title") or "")


@pytest.mark.parametrize(
    ("case", "better_side", "mcid"), [("odi", "left", -10.0), ("lefs", "right", 9.0)], ids=["odi", "lefs"]
)
def test_better_lies_on_the_side_of_improvement_with_the_mcid_there(case, better_side, mcid, request) -> None:
    analysis = request.getfixturevalue(case)
    root = parse(ec.change_chart(analysis))
    x_of = tick_map(root)
    (better,) = [t for t in by_class(root, "direction") if "better" in (t.text or "")]
    (worse,) = [t for t in by_class(root, "direction") if "worse" in (t.text or "")]
    if better_side == "left":
        assert better.text == "← better" and worse.text == "worse →"
        assert float(better.get("x", "")) < float(worse.get("x", ""))
    else:
        assert better.text == "better →" and worse.text == "← worse"
        assert float(better.get("x", "")) > float(worse.get("x", ""))
    (line,) = by_class(root, "mcid", "line")
    assert float(line.get("x1", "")) == pytest.approx(x_of(mcid), abs=0.01)
    (band,) = by_class(root, "mcid-band", "rect")
    band_x = sorted((float(band.get("x", "")), float(band.get("x", "")) + float(band.get("width", ""))))
    assert band_x == pytest.approx(sorted((x_of(0), x_of(mcid))), abs=0.02)
    (zero,) = by_class(root, "zero", "line")
    assert float(zero.get("x1", "")) == pytest.approx(x_of(0), abs=0.01)
    (mcid_label,) = texts(root, "mcid-label")
    assert mcid_label == f"MCID {ec.tick_label(mcid)}"


def test_a_cohort_too_small_is_listed_without_a_whisker(lefs) -> None:
    root = parse(ec.change_chart(lefs))
    assert [r.get("data-cohort") for r in rows(root)] == [c.cohort for c in lefs.cohorts]
    small = rows(root)[1]
    assert small.get("data-cohort") == "dc+lmt"
    assert texts(small, "too-few") == ["too few to estimate (n < 10)"]
    assert texts(small, "cohort-n") == ["n = 5"]
    assert not by_class(small, "ci") and not by_class(small, "estimate")
    assert "Chiropractic + massage (n = 5): too few to estimate (n < 10)." in (
        root.findtext(f"{SVG}desc") or ""
    )


def test_the_change_summary_reads_in_words(odi) -> None:
    desc = parse(ec.change_chart(odi)).findtext(f"{SVG}desc") or ""
    change = odi.cohort("all-three").adjusted_change
    assert change is not None
    assert "a fall is an improvement. MCID 10 points or 30 %." in desc
    n_all, n_single = odi.cohort("all-three").with_followup, odi.cohort("single").with_followup
    assert (
        f"All three (chiropractic + physical therapy + massage) (n = {n_all}): {ec.signed(change.estimate)}"
        in desc
    )
    assert "compared with One discipline: better." in desc
    assert "compared with One discipline: no clear difference." in desc
    assert f"One discipline (n = {n_single}): " in desc and ", the reference." in desc


# 2. The responder chart -----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [ec.WIDTH, 480, 1200])
def test_the_bars_and_wilson_whiskers_sit_at_their_rates(odi, width: int) -> None:
    root = parse(ec.responder_chart(odi, width=width))
    x_of = tick_map(root)
    assert texts(root, "tick") == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    scale = ec.responder_scale(odi, width=width)
    assert [r.get("data-cohort") for r in rows(root)] == [c.cohort for c in odi.cohorts]
    for row, result in zip(rows(root), odi.cohorts, strict=True):
        r = result.responders
        assert r is not None
        (bar,) = by_class(row, "bar", "rect")
        assert float(bar.get("x", "")) == pytest.approx(x_of(0), abs=0.01)
        assert float(bar.get("x", "")) + float(bar.get("width", "")) == pytest.approx(
            x_of(r.rate * 100), abs=0.02
        )
        (ci,) = by_class(row, "ci", "line")
        assert float(ci.get("x1", "")) == pytest.approx(x_of(r.low * 100), abs=0.01)
        assert float(ci.get("x2", "")) == pytest.approx(scale(r.high), abs=0.01)
        assert texts(row, "bar-n") == [f"{r.count} of {r.n}"]
        assert texts(row, "rate-label") == [ec.percent(r.rate)]
        assert texts(row, "rate-ci") == [f"{ec.one(r.low * 100)} to {ec.one(r.high * 100)} %"]


@pytest.mark.parametrize(
    ("count", "n", "inside"), [(0, 12, False), (1, 12, False), (6, 12, True), (12, 12, True)]
)
def test_the_count_goes_inside_the_bar_only_where_it_fits(count: int, n: int, inside: bool) -> None:
    from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

    low, high = proportion_confint(count, n, method="wilson")
    analysis = hand_built(
        cohort("single", "One discipline", responders=Responders(count, n, count / n, low, high))
    )
    root = parse(ec.responder_chart(analysis))
    (bar,) = by_class(root, "bar", "rect")
    (label,) = by_class(root, "bar-n", "text")
    assert label.text == f"{count} of {n}"
    bar_end = float(bar.get("x", "")) + float(bar.get("width", ""))
    if inside:
        assert float(label.get("x", "")) + len(label.text) * 11 * 0.58 < bar_end
    else:
        (ci,) = by_class(root, "ci", "line")
        assert float(label.get("x", "")) > float(ci.get("x2", ""))
    assert texts(root, "rate-label") == [ec.percent(count / n)]


# 3. The time-to-MCID chart ----------------------------------------------------------------------------------


def step_points(d: str) -> list[tuple[float, float]]:
    """The corners of an "M x,y H x V y ..." step path."""
    tokens = re.findall(r"([MHV])([-\d.]+)(?:,([-\d.]+))?", d)
    x = y = 0.0
    corners = []
    for command, a, b in tokens:
        if command == "M":
            x, y = float(a), float(b)
        elif command == "H":
            x = float(a)
        else:
            y = float(a)
        corners.append((x, y))
    return corners


def test_each_curve_steps_through_its_kaplan_meier_points(odi) -> None:
    root = parse(ec.time_to_mcid_chart(odi))
    scales = ec.time_scales(odi)
    assert scales is not None
    x, y = scales
    x_ticks = [t for t in by_class(root, "tick") if t.get("text-anchor") == "middle"]
    for tick in x_ticks:
        assert float(tick.get("x", "")) == pytest.approx(x(number(tick.text or "")), abs=0.01)
    y_ticks = [t for t in by_class(root, "tick") if t.get("text-anchor") == "end"]
    assert [t.text for t in y_ticks] == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    curves = by_class(root, "curve", "path")
    assert [c.get("data-cohort") for c in curves] == [c.cohort for c in odi.cohorts]
    dashes = set()
    for path, result in zip(curves, odi.cohorts, strict=True):
        t = result.time_to_mcid
        assert t is not None
        corners = step_points(path.get("d", ""))
        assert corners[0] == pytest.approx((x(0), y(0)), abs=0.01)
        expected = [(x(0), y(0))]
        for point in t.curve:
            expected += [(x(point.day), expected[-1][1]), (x(point.day), y(point.reached))]
        assert corners == [pytest.approx(c, abs=0.01) for c in expected]
        dashes.add((path.get("stroke-dasharray"), path.get("stroke-width")))
    assert len(dashes) == len(curves)  # told apart without colour


def test_the_curves_carry_labels_at_their_ends_and_a_legend(odi) -> None:
    root = parse(ec.time_to_mcid_chart(odi))
    ends = by_class(root, "end-label", "text")
    assert sorted(e.text or "" for e in ends) == sorted(ec.SHORT_LABELS[c.cohort] for c in odi.cohorts)
    ys = sorted(float(e.get("y", "")) for e in ends)
    assert all(b - a >= 12.99 for a, b in zip(ys, ys[1:], strict=False))  # never on top of each other
    x, _ = ec.time_scales(odi) or (None, None)
    assert x is not None
    assert all(float(e.get("x", "")) > x.span[1] for e in ends)  # right of the plot
    legend = by_class(root, "legend-line", "line")
    assert [e.get("data-cohort") for e in legend] == [c.cohort for c in odi.cohorts]
    assert texts(root, "legend") == [c.label for c in odi.cohorts]
    for line, path in zip(legend, by_class(root, "curve", "path"), strict=True):
        assert line.get("stroke-dasharray") == path.get("stroke-dasharray")
        assert line.get("stroke") == path.get("stroke")


def test_medians_are_marked_at_half_where_estimable(odi) -> None:
    root = parse(ec.time_to_mcid_chart(odi))
    x, y = ec.time_scales(odi) or (None, None)
    assert x is not None and y is not None
    markers = by_class(root, "median", "path")
    with_median = [c for c in odi.cohorts if c.time_to_mcid and c.time_to_mcid.median_days is not None]
    assert with_median and [m.get("data-cohort") for m in markers] == [c.cohort for c in with_median]
    for marker, result in zip(markers, with_median, strict=True):
        assert result.time_to_mcid is not None
        days = result.time_to_mcid.median_days
        assert days is not None
        top = step_points(marker.get("d", "").replace("L", "H").split(" H")[0])[0]
        assert top == pytest.approx((x(days), y(0.5) - 6), abs=0.01)
        assert f"median {ec.tick_label(days)} days" in (marker.findtext(f"{SVG}title") or "")


def test_degenerate_curves_none_reached_one_point_and_no_median() -> None:
    analysis = hand_built(
        cohort("single", "One discipline", time_to_mcid=TimeToMcid(None, None, None, 0, 18, ())),
        cohort("dc+pt", "Chiropractic + physical therapy", time_to_mcid=TimeToMcid(None, None, None, 2, 16,
                                                                                    curve((14.0, 0.2)))),
        cohort("all-three", "All three", time_to_mcid=TimeToMcid(21.0, 14.0, None, 12, 6,
                                                                 curve((14.0, 0.3), (21.0, 0.6)))),
        cohort("dc+lmt", "Chiropractic + massage", estimable=False, with_followup=3,
               note="too few to estimate (n < 10)"),
    )  # fmt: skip
    root = parse(ec.time_to_mcid_chart(analysis))
    assert [c.get("data-cohort") for c in by_class(root, "curve", "path")] == ["dc+pt", "all-three"]
    legend = texts(root, "legend")
    assert "One discipline: none of 18 reached the MCID" in legend
    assert "Chiropractic + massage: too few to estimate (n < 10)" in legend
    assert [m.get("data-cohort") for m in by_class(root, "median", "path")] == ["all-three"]
    desc = root.findtext(f"{SVG}desc") or ""
    assert "One discipline: none of 18 episodes reached the MCID during follow-up." in desc
    assert "Chiropractic + physical therapy: 20.0 % by day 14, fewer than half reached it (no median)" in desc
    assert "All three: 60.0 % by day 21, median 21 days;" in desc  # one end of the CI unknown: no CI


# Nothing to draw -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHARTS)
def test_too_few_everywhere_says_what_is_missing(kind: str, too_small) -> None:
    root = parse(CHARTS[kind](too_small))
    lines = texts(root, "missing-text")
    assert "yet: no care combination has at least 10 episodes with a follow-up score." in lines[0]
    assert "One discipline: 4 of 4 episodes with a follow-up." in lines
    assert not by_class(root, "ci") and not by_class(root, "curve") and not by_class(root, "tick")


@pytest.mark.parametrize("kind", CHARTS)
def test_no_episodes_at_all_says_so(kind: str, nothing) -> None:
    root = parse(CHARTS[kind](nothing))
    (line,) = texts(root, "missing-text")
    assert "yet: there are no episodes with a baseline score for this instrument." in line


@pytest.mark.parametrize("kind", CHARTS)
def test_an_analysis_without_cohorts_is_still_a_picture(kind: str) -> None:
    root = parse(CHARTS[kind](hand_built(episodes=0)))
    assert texts(root, "missing-text")


def test_no_model_but_responders_draws_the_bars_and_explains_the_change() -> None:
    results = [
        cohort("single", "One discipline", responders=Responders(5, 10, 0.5, 0.24, 0.76)),
        cohort("all-three", "All three", responders=Responders(7, 10, 0.7, 0.4, 0.89)),
    ]
    analysis = hand_built(*results, notes=("Too few episodes for the model's parameters.",))
    change = parse(ec.change_chart(analysis))
    assert "no care combination" in texts(change, "missing-text")[0]
    assert len(by_class(parse(ec.responder_chart(analysis)), "bar")) == 2


def test_one_estimable_cohort_with_a_point_estimate_only() -> None:
    """A zero-width interval and no contrast: still a dot, a whisker of no length and a readable axis."""
    analysis = hand_built(
        cohort("single", "One discipline", adjusted_change=Interval(-4.0, -4.0, -4.0)),
        cohort("dc+pt", "Chiropractic + physical therapy", estimable=False, note=None, with_followup=2),
    )
    root = parse(ec.change_chart(analysis))
    x_of = tick_map(root)
    (ci,) = by_class(root, "ci", "line")
    assert float(ci.get("x1", "")) == pytest.approx(x_of(-4.0), abs=0.01) == float(ci.get("x2", ""))
    assert texts(rows(root)[1], "too-few") == ["too few to estimate (n < 10)"]


# Text -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", CHARTS)
def test_text_is_escaped(kind: str) -> None:
    nasty = 'Chiro <b>&amp; "massage"</b>'
    analysis = hand_built(
        cohort("single", "One discipline", adjusted_change=Interval(-9.0, -11.0, -7.0),
               responders=Responders(9, 18, 0.5, 0.29, 0.71),
               time_to_mcid=TimeToMcid(20.0, 14.0, 28.0, 9, 9, curve((14.0, 0.3), (20.0, 0.5)))),
        cohort("odd<>", nasty, adjusted_change=Interval(-12.0, -14.0, -10.0),
               contrast=Contrast(-3.0, -5.0, -1.0, 0.01, "cohort"),
               responders=Responders(12, 18, 0.67, 0.44, 0.84),
               time_to_mcid=TimeToMcid(15.0, 13.0, 20.0, 12, 6, curve((13.0, 0.4), (15.0, 0.7)))),
    )  # fmt: skip
    svg = CHARTS[kind](analysis)
    root = parse(svg)
    assert "<b>" not in svg and '"massage"' not in svg.split("</desc>")[0]
    assert nasty in "".join(root.itertext())
    assert any(e.get("data-cohort") == "odd<>" for e in root.iter())


@pytest.mark.parametrize(
    ("value", "one", "signed"),
    [(2.25, "2.3", "+2.3"), (-2.25, f"{MINUS}2.3", f"{MINUS}2.3"), (-0.04, "0.0", "0.0"),
     (0.15, "0.2", "+0.2"), (-8.090522, f"{MINUS}8.1", f"{MINUS}8.1"), (12.0, "12.0", "+12.0")],
)  # fmt: skip
def test_numbers_are_for_people(value: float, one: str, signed: str) -> None:
    assert (ec.one(value), ec.signed(value)) == (one, signed)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(-19.7, 5.0, [-20, -15, -10, -5, 0, 5]), (0.0, 25.7, [0, 5, 10, 15, 20, 25, 30]),
     (-1.2, 0.4, [-1.5, -1, -0.5, 0, 0.5]), (3.0, 3.0, [2, 2.5, 3, 3.5, 4])],
)  # fmt: skip
def test_axis_ticks_are_round_and_cover_the_data(low: float, high: float, expected: list[float]) -> None:
    assert ec.nice_ticks(low, high) == expected


def test_long_cohort_labels_wrap_within_their_column(odi) -> None:
    root = parse(ec.change_chart(odi))
    labels = by_class(rows(root)[-1], "cohort-label", "text")
    assert [t.text for t in labels] == ["All three (chiropractic +", "physical therapy + massage)"]
    scale = ec.change_scale(odi)
    assert scale is not None
    assert all(float(t.get("x", "")) + len(t.text or "") * 12 * 0.58 < scale.span[0] for t in labels)


@pytest.mark.parametrize("width", [479, 2001, 640.5, True, "720"])
@pytest.mark.parametrize("kind", CHARTS)
def test_a_bad_width_is_refused_with_the_field_named(kind: str, width: object, odi) -> None:
    with pytest.raises(ec.ChartInputError) as caught:
        CHARTS[kind](odi, width=width)
    assert caught.value.field == "width"


@pytest.mark.parametrize("width", [480, 1200])
@pytest.mark.parametrize("kind", CHARTS)
def test_other_widths_keep_everything_inside(kind: str, width: int, odi) -> None:
    root = parse(CHARTS[kind](odi, width=width))
    assert root.get("width") == str(width)
    for element in root.iter():
        for attribute in ("x", "x1", "x2"):
            if element.get(attribute) is not None:
                assert 0 <= float(element.get(attribute, "")) <= width


def boxes(root: ET.Element) -> list[tuple[str, float, float, float, float]]:
    """Each text's box (text, left, top, right, bottom), from its anchor, size and length."""
    found = []
    for t in root.iter(f"{SVG}text"):
        text = "".join(t.itertext()) if t.text is None else t.text
        size = float(t.get("font-size", "11"))
        length = len(text) * size * 0.58 * (1.08 if t.get("font-weight") == "bold" else 1)
        x, y = float(t.get("x", "")), float(t.get("y", ""))
        left = {"middle": x - length / 2, "end": x - length}.get(t.get("text-anchor", ""), x)
        found.append((text, left, y - size * 0.75, left + length, y + size * 0.2))
    return found


@pytest.mark.parametrize("width", [480, ec.WIDTH, 1200])
@pytest.mark.parametrize("kind", CHARTS)
@pytest.mark.parametrize("case", ["odi", "lefs", "split", "degenerate", "too_small"])
def test_no_text_overlaps_another_or_leaves_the_picture(kind: str, case: str, width: int, request) -> None:
    root = parse(CHARTS[kind](request.getfixturevalue(case), width=width))
    found = boxes(root)
    for text, left, _, right, _ in found:
        assert 0 <= left and right <= width, (text, left, right)
    for i, (a, al, at, ar, ab) in enumerate(found):
        for b, bl, bt, br, bb in found[i + 1 :]:
            overlap = min(ar, br) - max(al, bl) > 1 and min(ab, bb) - max(at, bt) > 1
            assert not overlap, (a, b)


def test_seven_cohorts_each_get_a_line_style_of_their_own(split) -> None:
    assert [c.cohort for c in split.cohorts] == ["dc", "pt", "lmt", "dc+lmt", "dc+pt", "pt+lmt", "all-three"]
    root = parse(ec.time_to_mcid_chart(split))
    curves = by_class(root, "curve", "path")
    assert len(curves) >= 6
    styles = {(c.get("stroke"), c.get("stroke-dasharray"), c.get("stroke-width")) for c in curves}
    dashes = {(c.get("stroke-dasharray"), c.get("stroke-width")) for c in curves}
    assert len(styles) == len(dashes) == len(curves)  # distinct even in black and white
    change = parse(ec.change_chart(split))
    assert [r.get("data-cohort") for r in rows(change)] == [c.cohort for c in split.cohorts]
    # The reference (DC only) is too small: no differences anywhere, and the subtitle promises none.
    assert texts(rows(change)[0], "too-few") == ["too few to estimate (n < 10)"]
    assert not texts(change, "contrast-label")
    assert "difference" not in " ".join(texts(change, "subtitle"))
    assert len(by_class(change, "ci", "line")) == len(split.cohorts) - 1


def test_an_mcid_without_points_draws_no_line_but_names_the_threshold(odi) -> None:
    relative_only = dataclasses.replace(odi.mcid, points=None, as_published="")
    analysis = dataclasses.replace(odi, mcid=relative_only)
    root = parse(ec.change_chart(analysis))
    assert not by_class(root, "mcid") and not by_class(root, "mcid-band") and not texts(root, "legend")
    assert "MCID 30 %." in (root.findtext(f"{SVG}desc") or "")
    subtitle = " ".join(texts(parse(ec.responder_chart(analysis)), "subtitle")).replace("\u00a0", " ")
    assert "at least the MCID (30 %), with" in subtitle


def test_a_non_finite_estimate_is_not_drawn_as_nan() -> None:
    nan = float("nan")
    analysis = hand_built(
        cohort("single", "One discipline", adjusted_change=Interval(-5.0, -7.0, -3.0)),
        cohort("all-three", "All three", adjusted_change=Interval(-9.0, nan, nan),
               contrast=Contrast(-4.0, nan, nan, nan, "neither")),
    )  # fmt: skip
    svg = ec.change_chart(analysis)
    assert "nan" not in svg.lower()
    root = parse(svg)
    assert len(by_class(root, "ci", "line")) == 1
    assert texts(rows(root)[1], "too-few") == ["no estimate (see the notes)"]


def test_an_unknown_cohort_gets_a_style_of_its_own(odi) -> None:
    extra = dataclasses.replace(odi.cohorts[0], cohort="dc", label="Chiropractic only")
    odd = dataclasses.replace(odi.cohorts[1], cohort="mystery", label="Mystery")
    analysis = dataclasses.replace(odi, cohorts=(*odi.cohorts, extra, odd))
    styles = {ec.series_style(analysis, c.cohort) for c in analysis.cohorts}
    assert len(styles) == len(analysis.cohorts)
    root = parse(ec.time_to_mcid_chart(analysis))
    assert "Mystery" in texts(root, "end-label")


# PDF ------------------------------------------------------------------------------------------------------


def test_weasyprint_draws_all_three(odi, lefs, tmp_path: Path) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    weasyprint = pytest.importorskip("weasyprint")
    for name, analysis in (("odi", odi), ("lefs", lefs)):
        body = "\n".join(chart(analysis) for chart in CHARTS.values())
        html = (
            f"<html><head><style>@page {{ size: 210mm 420mm; margin: 8mm }}</style></head><body>{body}</body>"
        )
        document = pdfium.PdfDocument(weasyprint.HTML(string=html + "</html>").write_pdf())
        assert len(document) == 1
        image = document[0].render(scale=1.6).to_pil().convert("RGB")
        image.save(tmp_path / f"n-{name}.png")
        colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24) or []}

        def near(hex_colour: str, colours: set = colours) -> bool:
            r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
            return any(abs(r - c[0]) + abs(g - c[1]) + abs(b - c[2]) < 24 for c in colours)

        # The concurrent-care curve and bars, the MCID band and line, every drawn cohort's curve colour.
        drawn = {ec.series_style(analysis, c.cohort)[0] for c in analysis.cohorts if c.estimable}
        for colour in {ec.BRAND, ec.BRAND_SOFT, ec.WARN_BG, ec.WARN, *drawn}:
            assert near(colour), (name, colour)
        assert (ec.MASSAGE in drawn) == (name == "odi")  # the LEFS's DC + LMT cohort is too small to draw
        document.close()
