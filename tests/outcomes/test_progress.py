"""Goal status from the scores (FHIR goal-achievement codes), change from baseline and MCID reached.
Pure module: no database."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest

from tandem.outcomes.progress import (
    GOAL_ACHIEVEMENT_LABELS,
    ProgressError,
    change_from_baseline,
    goal_status,
    mcid_reached,
    ordered_scores,
)
from tandem.outcomes.scoring import ScoringError, instrument, mcid_check

TODAY = dt.date(2026, 12, 3)
DUE = dt.date(2026, 12, 31)
PAST = dt.date(2026, 11, 30)


def on(days_ago: int) -> dt.date:
    return TODAY - dt.timedelta(days=days_ago)


# (case, target, direction, due_on, scores [(days ago, score)], mcid, baseline, expected status)
STATUS_CASES = [
    ("no scores yet", 30, "decrease", DUE, [], None, None, "in-progress"),
    ("one score, nothing to compare", 30, "decrease", DUE, [(0, 48)], None, None, "in-progress"),
    ("one score against the goal's baseline", 30, "decrease", DUE, [(0, 40)], None, 48, "improving"),
    ("ODI falling", 30, "decrease", DUE, [(42, 48), (21, 40), (0, 36)], None, None, "improving"),
    ("ODI rising", 30, "decrease", DUE, [(42, 40), (0, 46)], None, None, "worsening"),
    ("ODI flat", 30, "decrease", DUE, [(42, 40), (0, 40)], None, None, "no-change"),
    ("ODI at the target exactly", 30, "decrease", DUE, [(42, 48), (0, 30)], None, None, "achieved"),
    ("ODI below the target", 30, "decrease", DUE, [(42, 48), (0, 22)], None, None, "achieved"),
    ("a single score already at target", 30, "decrease", DUE, [(0, 20)], None, None, "achieved"),
    (
        "target met once, then lost",
        30,
        "decrease",
        DUE,
        [(42, 48), (21, 28), (0, 34)],
        None,
        None,
        "improving",
    ),
    ("PSFS rising", 7, "increase", DUE, [(30, 3), (0, 5)], None, None, "improving"),
    ("PSFS falling", 7, "increase", DUE, [(30, 5), (0, 3)], None, None, "worsening"),
    ("PSFS at the target", 7, "increase", DUE, [(30, 3), (0, 7)], None, None, "achieved"),
    ("instrument vocabulary, worse", 30, "higher-is-worse", DUE, [(9, 40), (0, 44)], None, None, "worsening"),
    (
        "instrument vocabulary, better",
        60,
        "higher-is-better",
        DUE,
        [(9, 40), (0, 44)],
        None,
        None,
        "improving",
    ),
    # The MCID decides whether a change counts.
    ("change below the MCID", 30, "decrease", DUE, [(42, 48), (0, 40)], 10, None, "no-change"),
    ("change equal to the MCID", 20, "decrease", DUE, [(42, 48), (0, 38)], 10, None, "improving"),
    ("worse by less than the MCID", 30, "decrease", DUE, [(42, 40), (0, 46)], 10, None, "no-change"),
    ("worse by the MCID", 30, "decrease", DUE, [(42, 40), (0, 50)], 10, None, "worsening"),
    ("PSFS up 2 of 2.3", 9, "increase", DUE, [(30, 3), (0, 5)], Decimal("2.3"), None, "no-change"),
    ("PSFS up 2.5 of 2.3", 9, "increase", DUE, [(30, 3), (0, 5.5)], Decimal("2.3"), None, "improving"),
    # The due date.
    ("due today, not met", 30, "decrease", TODAY, [(42, 48), (0, 40)], None, None, "improving"),
    ("due date passed, not met", 30, "decrease", PAST, [(42, 48), (0, 40)], None, None, "not-achieved"),
    ("due date passed, no scores", 30, "decrease", PAST, [], None, None, "not-achieved"),
    ("due date passed, met", 30, "decrease", PAST, [(42, 48), (0, 28)], None, None, "achieved"),
    ("no due date", 30, "decrease", None, [(400, 48), (0, 40)], None, None, "improving"),
    # Order: the latest by date, whatever the order given.
    ("given newest first", 30, "decrease", DUE, [(0, 36), (42, 48)], None, None, "improving"),
]


@pytest.mark.parametrize(
    ("target", "direction", "due_on", "scores", "mcid", "baseline", "expected"),
    [case[1:] for case in STATUS_CASES],
    ids=[case[0] for case in STATUS_CASES],
)
def test_goal_status_follows_the_scores(
    target: int,
    direction: str,
    due_on: dt.date | None,
    scores: list[tuple[int, float]],
    mcid: int | Decimal | None,
    baseline: int | None,
    expected: str,
) -> None:
    dated = [(on(days_ago), value) for days_ago, value in scores]
    status = goal_status(target, direction, due_on, dated, TODAY, mcid, baseline=baseline)
    assert status == expected
    assert status in GOAL_ACHIEVEMENT_LABELS


def test_same_day_scores_keep_the_order_given_and_the_last_is_the_latest() -> None:
    day = on(0)
    assert goal_status(30, "decrease", DUE, [(on(7), 40), (day, 20), (day, 45)], TODAY) == "worsening"
    assert goal_status(30, "decrease", DUE, [(on(7), 40), (day, 45), (day, 20)], TODAY) == "achieved"
    assert [s for _, s in ordered_scores([(day, 3), (on(1), 1), (day, 2)])] == [1, 3, 2]


def test_an_mcid_with_a_relative_threshold_counts_either_way() -> None:
    # NPRS, Ostelo 2008: 2 points or 30 %. From 3 to 2 is 1 point but 33 %: meaningful.
    nprs = instrument("nprs").mcid()
    assert nprs.points == 2 and nprs.relative_pct == 30
    assert goal_status(0, "decrease", DUE, [(on(14), 3), (on(0), 2)], TODAY, nprs) == "improving"
    # From 8 to 7: 1 point, 12.5 %: too small.
    assert goal_status(0, "decrease", DUE, [(on(14), 8), (on(0), 7)], TODAY, nprs) == "no-change"


# (baseline, latest, direction, points, percent, improvement, improvement_pct)
CHANGE_CASES = [
    (42, 24, "decrease", -18, Fraction(-300, 7), 18, Fraction(300, 7)),
    (24, 42, "decrease", 18, 75, -18, -75),
    (
        Decimal("3.3"),
        8,
        "increase",
        Fraction(47, 10),
        Fraction(4700, 33),
        Fraction(47, 10),
        Fraction(4700, 33),
    ),
    (0.1, 0.3, "higher-is-better", Fraction(1, 5), 200, Fraction(1, 5), 200),  # decimals, not binary floats
    (0, 4, "higher-is-worse", 4, None, -4, None),  # no percent from a baseline of 0
    (40, 40, "decrease", 0, 0, 0, 0),
]


@pytest.mark.parametrize(
    ("baseline", "latest", "direction", "points", "percent", "improvement", "improvement_pct"), CHANGE_CASES
)
def test_change_from_baseline(
    baseline: object,
    latest: object,
    direction: str,
    points: Fraction,
    percent: Fraction | None,
    improvement: Fraction,
    improvement_pct: Fraction | None,
) -> None:
    change = change_from_baseline(baseline, latest, direction)
    assert (change.points, change.percent) == (points, percent)
    assert (change.improvement, change.improvement_pct) == (improvement, improvement_pct)
    as_dict = change.as_dict()
    assert as_dict["points"] == float(points)
    assert as_dict["percent"] == (None if percent is None else float(percent))


# (instrument, baseline, followup, mcid key, reached) — thresholds from scoring.INSTRUMENTS
MCID_CASES = [
    ("odi", 42, 32, None, True),  # 10 points (Ostelo 2008)
    ("odi", 42, 33, None, False),  # 9 points, 21 %
    ("odi", 20, 14, None, True),  # 6 points but 30 %
    ("odi", 42, 30, "abbott-schmitt-2014", True),
    ("nprs", 8, 7, None, False),
    ("nprs", 3, 2, None, True),  # 33 %
    ("psfs", 3, 5.3, None, True),  # 2.3 (medium)
    ("psfs", 3, 5.2, None, False),
    ("lefs", 40, 31, None, False),  # worse is never reached
    ("lefs", 40, 49, None, True),
]


@pytest.mark.parametrize(("code", "baseline", "followup", "key", "reached"), MCID_CASES)
def test_mcid_reached_is_scorings_mcid_check(
    code: str, baseline: float, followup: float, key: str | None, reached: bool
) -> None:
    assert mcid_reached(code, baseline, followup, key) is reached
    assert mcid_check(code, baseline, followup, key).reached is reached


BAD_INPUT = [
    ("unknown direction", dict(direction="down"), "direction"),
    ("target not a number", dict(goal_target="thirty"), "target"),
    ("target a bool", dict(goal_target=True), "target"),
    ("target NaN", dict(goal_target=math.nan), "target"),
    ("score NaN", dict(scores_with_dates=[(TODAY, math.nan)]), "scores.0.score"),
    ("score infinite Decimal", dict(scores_with_dates=[(TODAY, Decimal("Infinity"))]), "scores.0.score"),
    ("score text", dict(scores_with_dates=[(TODAY, 1), (TODAY, "2")]), "scores.1.score"),
    (
        "datetime instead of a date",
        dict(scores_with_dates=[(dt.datetime(2026, 12, 1, 9), 40)]),
        "scores.0.date",
    ),
    ("not a pair", dict(scores_with_dates=[(TODAY,)]), "scores.0"),
    ("scores as text", dict(scores_with_dates="40"), "scores"),
    ("today not a date", dict(today="2026-12-03"), "today"),
    ("due_on not a date", dict(due_on="2026-12-31"), "due_on"),
    ("mcid zero", dict(mcid=0), "mcid"),
    ("mcid negative", dict(mcid=-2), "mcid"),
    ("baseline not a number", dict(baseline="48"), "baseline"),
]


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_with_the_field_named(changes: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = dict(
        goal_target=30,
        direction="decrease",
        due_on=DUE,
        scores_with_dates=[(on(7), 48), (on(0), 40)],
        today=TODAY,
        mcid=None,
        baseline=None,
    )
    arguments.update(changes)
    with pytest.raises(ProgressError) as caught:
        goal_status(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.message
    assert isinstance(caught.value, ScoringError)  # callers that handle scoring errors handle these too


def test_change_from_baseline_refuses_a_bad_direction_and_values() -> None:
    with pytest.raises(ProgressError) as caught:
        change_from_baseline(40, 30, "lower")
    assert caught.value.field == "direction"
    with pytest.raises(ProgressError) as caught:
        change_from_baseline(None, 30, "decrease")
    assert caught.value.field == "baseline"
