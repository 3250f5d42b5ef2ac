"""Progress against a goal, from the scores (pure: no Django).

`goal_status(goal_target, direction, due_on, scores_with_dates, today, mcid=None, *, baseline=None)` answers a
FHIR R4 Goal achievement code (http://terminology.hl7.org/CodeSystem/goal-achievement), decided in this
order; the first rule that applies wins:

1. **achieved**: the latest score meets the target (at or below it when lower is better, at or above it when
   higher is better). The latest score decides: a target met once and then lost is not achieved now.
2. **not-achieved**: the due date has passed (`today > due_on`) and the latest score, if any, misses the
   target. The due day itself still counts as in time.
3. **in-progress**: nothing to compare yet: no scores, or a single score and no separate baseline.
4. **improving** / **worsening** / **no-change**: the change from the baseline to the latest score, counted in
   the goal's better direction. With an MCID, a change only counts when it reaches the MCID (points, or a
   relative change from the baseline in percent when the MCID gives one: either suffices, as in
   `scoring.mcid_check`); anything smaller is no-change. Without an MCID any change counts.

The baseline is `baseline` when given (the goal's recorded baseline value), else the earliest score. Scores
are ordered by date; several on one day keep the order given (the last one given is the latest).

The target, the baseline and the MCID are on the scale of the scores: a goal written on another scale (an NDI
goal in percent, the NDI score raw 0-50) is converted by the caller, with
careplans.measures.goal_value_on_score_scale (outcomes.goals.goal_values), never here.

`direction` is the goal's ("decrease" / "increase", as careplans.GoalDirection) or the instrument's
("higher-is-worse" / "higher-is-better", as scoring.Direction). `mcid` is a number of points on the score's
scale or a `scoring.Mcid` (e.g. `instrument("odi").mcid()`).

`change_from_baseline(baseline, latest, direction)` gives the change in points and percent;
`mcid_reached(code, baseline, followup, mcid=None)` whether it reaches the instrument's published MCID (via
scoring.mcid_check).
Bad input raises `ProgressError` (a `ScoringError`) naming the field; nothing is guessed or clipped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from tandem.outcomes.scoring import Mcid, ScoringError, mcid_check

Number = int | float | Decimal | Fraction
GoalAchievement = Literal["in-progress", "improving", "worsening", "no-change", "achieved", "not-achieved"]
GOAL_ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_ACHIEVEMENT_LABELS: dict[str, str] = {
    "in-progress": "In progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no-change": "No change",
    "achieved": "Achieved",
    "not-achieved": "Not achieved",
}

# Which way is better, whichever vocabulary the caller speaks: True when lower scores are better.
_LOWER_IS_BETTER = {"decrease": True, "higher-is-worse": True, "increase": False, "higher-is-better": False}


class ProgressError(ScoringError):
    """Input that cannot be judged; `field` names it (e.g. "scores.2", "direction")."""


@dataclass(frozen=True)
class Change:
    """The change from `baseline` to `latest`. `points` and `percent` are signed as the scores move (ODI 42 ->
    24: -18 points, -42.9 %); `improvement` and `improvement_pct` are the same change counted positive when it
    is for the better, whichever way the measure runs. Percentages are None when the baseline is 0."""

    baseline: Fraction
    latest: Fraction
    points: Fraction
    percent: Fraction | None
    improvement: Fraction
    improvement_pct: Fraction | None

    def as_dict(self) -> dict[str, float | None]:
        def f(value: Fraction | None) -> float | None:
            return None if value is None else float(value)

        return {
            "baseline": f(self.baseline),
            "latest": f(self.latest),
            "points": f(self.points),
            "percent": f(self.percent),
            "improvement": f(self.improvement),
            "improvement_pct": f(self.improvement_pct),
        }


def lower_is_better(direction: object) -> bool:
    """True for "decrease" / "higher-is-worse", False for "increase" / "higher-is-better"."""
    if isinstance(direction, str) and direction in _LOWER_IS_BETTER:
        return _LOWER_IS_BETTER[direction]
    known = ", ".join(_LOWER_IS_BETTER)
    raise ProgressError(f"Unknown direction {direction!r}; use one of: {known}.", field="direction")


def exact(value: object, name: str) -> Fraction:
    """A score as the exact decimal it prints as (0.1 -> 1/10), or ProgressError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction)):
        raise ProgressError(f"The {name} must be a number, not {value!r}.", field=name)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ProgressError(f"The {name} must be a finite number, not {value!r}.", field=name)
        return Fraction(repr(value))
    if isinstance(value, Decimal) and not value.is_finite():
        raise ProgressError(f"The {name} must be a finite number, not {value}.", field=name)
    return Fraction(value)


def _day(value: object, name: str) -> dt.date:
    # A datetime is refused rather than truncated: which day it falls on depends on the clinic's time zone,
    # which the caller knows and this module does not.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ProgressError(f"The {name} must be a date (not a datetime), not {value!r}.", field=name)
    return value


def ordered_scores(scores_with_dates: Iterable[object]) -> list[tuple[dt.date, Fraction]]:
    """(date, score) pairs checked and sorted by date; same-day scores keep the order given."""
    if isinstance(scores_with_dates, (str, bytes)) or not isinstance(scores_with_dates, Iterable):
        raise ProgressError("Send the scores as a list of (date, score) pairs.", field="scores")
    checked: list[tuple[dt.date, Fraction]] = []
    for index, pair in enumerate(scores_with_dates):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ProgressError(
                f"Score {index + 1}: expected a (date, score) pair, not {pair!r}.", field=f"scores.{index}"
            )
        on = _day(pair[0], f"scores.{index}.date")
        checked.append((on, exact(pair[1], f"scores.{index}.score")))
    return sorted(checked, key=lambda item: item[0])  # sorted() is stable: same-day order is kept


def change_from_baseline(baseline: object, latest: object, direction: str) -> Change:
    """The change from the baseline to the latest score, in points and percent (see `Change`)."""
    start = exact(baseline, "baseline")
    end = exact(latest, "latest")
    points = end - start
    percent = points / start * 100 if start else None
    sign = -1 if lower_is_better(direction) else 1
    improvement_pct = None if percent is None else sign * percent
    return Change(start, end, points, percent, sign * points, improvement_pct)


def mcid_reached(code: str, baseline: object, followup: object, mcid: str | None = None) -> bool:
    """Whether the change from `baseline` to `followup` reaches the instrument's MCID (`mcid`: the key of one
    of its published values, default the instrument's own), exactly as scoring.mcid_check decides."""
    return mcid_check(code, baseline, followup, mcid).reached


def meets_target(score: Fraction, target: Fraction, direction: str) -> bool:
    """At or below the target when lower is better, at or above it when higher is better."""
    return score <= target if lower_is_better(direction) else score >= target


def _meaningful(amount: Fraction, start: Fraction, mcid: Fraction | Mcid | None) -> bool:
    """Whether a change of `amount` points (> 0) from `start` reaches the MCID."""
    if mcid is None:
        return amount > 0
    if isinstance(mcid, Fraction):
        return amount >= mcid
    if mcid.points is not None and amount >= mcid.points:
        return True
    return mcid.relative_pct is not None and start != 0 and amount / abs(start) * 100 >= mcid.relative_pct


def _checked_mcid(mcid: object) -> Fraction | Mcid | None:
    if mcid is None or isinstance(mcid, Mcid):
        return mcid
    points = exact(mcid, "mcid")
    if points <= 0:
        raise ProgressError(f"The MCID must be more than 0 points, not {mcid}.", field="mcid")
    return points


def goal_status(
    goal_target: object,
    direction: str,
    due_on: dt.date | None,
    scores_with_dates: Iterable[object],
    today: dt.date,
    mcid: Number | Mcid | None = None,
    *,
    baseline: Number | None = None,
) -> GoalAchievement:
    """The goal's achievement status (FHIR goal-achievement code); the rules are in the module docstring."""
    target = exact(goal_target, "target")
    better_low = lower_is_better(direction)
    if due_on is not None:
        _day(due_on, "due_on")
    _day(today, "today")
    threshold = _checked_mcid(mcid)
    start = None if baseline is None else exact(baseline, "baseline")
    scores = ordered_scores(scores_with_dates)

    latest = scores[-1][1] if scores else None
    if latest is not None and meets_target(latest, target, direction):
        return "achieved"
    if due_on is not None and today > due_on:
        return "not-achieved"
    if start is None:
        if len(scores) < 2:
            return "in-progress"
        start = scores[0][1]
    if latest is None:
        return "in-progress"
    improvement = start - latest if better_low else latest - start
    if improvement > 0 and _meaningful(improvement, start, threshold):
        return "improving"
    if improvement < 0 and _meaningful(-improvement, start, threshold):
        return "worsening"
    return "no-change"
