"""Goal measures: the outcome instruments of DESIGN.md §5, their score ranges and which way is better.

Pure module (no Django). Ranges and directions are those of /work/shared/clinical/REFERENCE.md §1:
NPRS 0–10 (higher = worse); ODI v2.1a index 0–100 % (higher = worse); NDI as a percentage 0–100 (raw 0–50 × 2,
higher = worse); RMDQ-24 0–24 (higher = worse); QuickDASH and its optional work and sport modules 0–100
(higher = worse); PSFS mean 0–10 (higher = better); LEFS 0–80 (higher = better).

**Goal scale.** Goals are written on the scale clinicians speak ("NDI 40 %"), which is the scored scale for
every instrument but the NDI: its stored score is raw 0–50 (tandem.outcomes.scoring), its goals percent 0–100.
Wherever a goal meets scores (goal status, progress, charts, the report) the goal value goes through
`goal_value_on_score_scale`, the one place that converts.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

DECREASE = "decrease"
INCREASE = "increase"


@dataclass(frozen=True)
class Instrument:
    code: str
    label: str
    low: Decimal
    high: Decimal
    direction: str  # the way a patient gets better
    unit: str = "points"
    # Goal units per point of the instrument's stored score: the NDI's goals are in percent, its score raw
    # (percent = raw x 2, Vernon & Mior 1991).
    goal_units_per_score_point: Decimal = Decimal(1)


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        Instrument("nprs", "Numeric Pain Rating Scale", Decimal(0), Decimal(10), DECREASE),
        Instrument("odi", "Oswestry Disability Index", Decimal(0), Decimal(100), DECREASE, "%"),
        Instrument("ndi", "Neck Disability Index", Decimal(0), Decimal(100), DECREASE, "%", Decimal(2)),
        Instrument("rmdq", "Roland-Morris Disability Questionnaire", Decimal(0), Decimal(24), DECREASE),
        Instrument("quickdash", "QuickDASH", Decimal(0), Decimal(100), DECREASE),
        Instrument("quickdash-work", "QuickDASH work module", Decimal(0), Decimal(100), DECREASE),
        Instrument(
            "quickdash-sport", "QuickDASH sports/performing arts module", Decimal(0), Decimal(100), DECREASE
        ),
        Instrument("psfs", "Patient-Specific Functional Scale", Decimal(0), Decimal(10), INCREASE),
        Instrument("lefs", "Lower Extremity Functional Scale", Decimal(0), Decimal(80), INCREASE),
    )
}


def instrument(measure: str) -> Instrument | None:
    return INSTRUMENTS.get(measure.strip().lower())


def goal_value_on_score_scale(measure: str, value: Decimal | None) -> Decimal | None:
    """A goal's baseline or target value (as written on the goal) on the scale of the instrument's stored
    score: an NDI goal of 20 % is 10 raw points; other instruments, and free-text measures, are unchanged."""
    found = instrument(measure)
    if value is None or found is None:
        return value
    return Decimal(value) / found.goal_units_per_score_point


def check_goal(
    measure: str, baseline: Decimal | None, target: Decimal | None, direction: str
) -> tuple[str, dict[str, str]]:
    """The direction the goal must take and the problems found, by field name.

    An instrument decides the direction; a free-text measure needs one. Values must lie in the instrument's
    range, and the target must be an improvement on the baseline.
    """
    errors: dict[str, str] = {}
    found = instrument(measure)
    if found is not None:
        if direction and direction != found.direction:
            errors["direction"] = (
                f"{found.label}: {'lower' if found.direction == DECREASE else 'higher'} is better, so the "
                f"goal must {found.direction}."
            )
        direction = found.direction
        for field, value in (("baseline_value", baseline), ("target_value", target)):
            if value is not None and not found.low <= value <= found.high:
                errors[field] = f"{found.label} scores run from {found.low} to {found.high}."
    elif direction not in (DECREASE, INCREASE):
        errors["direction"] = "Say whether the measure should decrease or increase."
    if baseline is not None and target is not None and not errors and direction in (DECREASE, INCREASE):
        if direction == DECREASE and not target < baseline:
            errors["target_value"] = "The target must be lower than the baseline (lower is better)."
        if direction == INCREASE and not target > baseline:
            errors["target_value"] = "The target must be higher than the baseline (higher is better)."
    return direction, errors
