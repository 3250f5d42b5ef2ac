"""Seeded synthetic episodes with a known effect of concurrent care: the ground truth for the analytics
(pure: no Django). Used by the tests, and meant for `tandem demo --effect INSTRUMENT:POINTS`.

The model, per episode of cohort c (a combination; single disciplines are drawn evenly among dc/pt/lmt):
- baseline ~ Normal(profile mean + baseline_shift[c], profile sd), rounded to the instrument's step, kept in
  range: a shift makes one cohort start worse, as confounding by indication does;
- change at the last follow-up = mean change + slope x (baseline - profile mean) + effect[c] + noise: the
  negative slope is the regression to the mean that the baseline adjustment has to absorb; effect[c] is the
  injected effect (points on the instrument's scale, signed: "odi:-8" and "lefs:9" are both improvements);
- 1 to 4 follow-ups about two weeks apart, the score moving along a concave path so that the last follow-up
  carries the whole change; intermediate scores get a little noise of their own (for the time to MCID);
- a share of episodes (`dropout`) has no follow-up at all, at random (unrelated to the outcome).
Scores are rounded to the instrument's step and kept within its range, so some clipping happens at the ends
of the scale, as in real data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from tandem.outcomes.cohorts import COHORTS, COMBINATIONS, SINGLE_DISCIPLINE, Episode, FollowUp
from tandem.outcomes.scoring import INSTRUMENTS, ScoringError, instrument

CONCURRENT_COHORT = "all-three"


class EffectError(ValueError):
    def __init__(self, message: str, *, field: str = "effect") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Profile:
    """Plausible score behaviour for one instrument (on its own scale)."""

    baseline_mean: float
    baseline_sd: float
    mean_change: float  # signed: negative is improvement on higher-is-worse instruments
    slope: float  # change per baseline point above the mean
    noise_sd: float
    step: float  # the score's resolution
    condition_group: str


PROFILES: dict[str, Profile] = {
    "nprs": Profile(6.5, 1.5, -2.5, -0.4, 1.5, 1.0, "mixed"),
    "odi": Profile(40.0, 12.0, -10.0, -0.3, 8.0, 2.0, "lumbar"),
    "ndi": Profile(20.0, 6.0, -6.0, -0.3, 4.5, 1.0, "cervical"),
    "rmdq": Profile(12.0, 4.0, -4.5, -0.3, 3.0, 1.0, "lumbar"),
    "quickdash": Profile(40.0, 14.0, -13.0, -0.3, 10.0, 25 / 11, "upper-limb"),
    "psfs": Profile(3.5, 1.3, 2.5, -0.3, 1.3, 1 / 3, "mixed"),
    "lefs": Profile(40.0, 11.0, 12.0, -0.3, 8.0, 1.0, "lower-limb"),
}
MEAN_VISITS = {"single": 8.0, "dc+lmt": 11.0, "dc+pt": 11.0, "pt+lmt": 11.0, "all-three": 14.0}
_PRACTITIONERS = {"dc": (101, 102), "pt": (201, 202), "lmt": (301, 302)}
_TAU_DAYS = 21.0


def parse_effect(spec: str) -> tuple[str, dict[str, float]]:
    """Read "INSTRUMENT:POINTS" (e.g. "odi:-8": the all-three cohort changes 8 ODI points more, i.e. improves
    8 more) into the instrument code and the effects to inject."""
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise EffectError(f"Give the effect as INSTRUMENT:POINTS, e.g. odi:-8; got {spec!r}.")
    code, points_text = (part.strip() for part in spec.split(":"))
    try:
        definition = instrument(code.lower())
    except ScoringError as error:
        raise EffectError(error.message) from error
    try:
        points = float(points_text)
    except ValueError:
        raise EffectError(
            f"The effect's points must be a number, e.g. odi:-8; got {points_text!r}."
        ) from None
    low, high = definition.score_range
    if not math.isfinite(points) or abs(points) > high - low:
        raise EffectError(f"The effect must be a number of {definition.name} points within ±{high - low}.")
    return definition.code, {CONCURRENT_COHORT: points}


def generate(
    instrument_code: str,
    *,
    per_cohort: int | Mapping[str, int] = 300,
    effects: Mapping[str, float] | None = None,
    baseline_shift: Mapping[str, float] | None = None,
    dropout: float = 0.1,
    seed: int = 0,
    start_on: date = date(2025, 1, 6),
) -> list[Episode]:
    """Episodes of one instrument for the five cohorts (single, dc+lmt, dc+pt, pt+lmt, all-three); the same
    arguments give the same episodes. `per_cohort` is a count for each cohort or a mapping cohort -> count;
    `effects` and `baseline_shift` map cohort -> points (missing cohorts: 0)."""
    profile = _profile(instrument_code)
    definition = INSTRUMENTS[instrument_code]
    low, high = definition.score_range
    sizes = _sizes(per_cohort)
    effects = _by_cohort(effects, "effects")
    shifts = _by_cohort(baseline_shift, "baseline_shift")
    if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise EffectError("dropout must be a share from 0 to below 1.", field="dropout")
    rng = np.random.default_rng(seed)

    def rounded(value: float) -> float:
        value = round(value / profile.step) * profile.step
        return float(min(max(value, low), high))

    episodes: list[Episode] = []
    serial = 0
    for cohort, size in sizes.items():
        for _ in range(size):
            serial += 1
            combination = (
                str(rng.choice(SINGLE_DISCIPLINE)) if cohort == "single" else cohort
            )  # why: the single-discipline cohort pools the three, drawn evenly
            disciplines = frozenset(
                ("dc", "pt", "lmt") if combination == "all-three" else combination.split("+")
            )
            true_baseline = rng.normal(profile.baseline_mean + shifts.get(cohort, 0.0), profile.baseline_sd)
            baseline = rounded(true_baseline)
            change = (
                profile.mean_change
                + profile.slope * (baseline - profile.baseline_mean)
                + effects.get(cohort, 0.0)
                + rng.normal(0.0, profile.noise_sd)
            )
            began = start_on + timedelta(days=int(rng.integers(0, 300)))
            count = 0 if rng.random() < dropout else int(rng.integers(1, 5))
            days = [14 * j + int(rng.integers(-3, 4)) for j in range(1, count + 1)]
            followups = []
            for index, day in enumerate(days):
                if index == count - 1:
                    score = baseline + change
                else:
                    progress = (1 - math.exp(-day / _TAU_DAYS)) / (1 - math.exp(-days[-1] / _TAU_DAYS))
                    score = baseline + change * progress + rng.normal(0.0, profile.noise_sd / 2)
                followups.append(FollowUp(began + timedelta(days=day), rounded(score)))
            visits = 1 + int(rng.poisson(MEAN_VISITS[cohort] - 1))
            practitioners = tuple(int(rng.choice(_PRACTITIONERS[d])) for d in sorted(disciplines))
            episodes.append(
                Episode(
                    patient_id=serial,
                    plan_id=serial,
                    instrument=instrument_code,
                    disciplines=disciplines,
                    visits=visits,
                    baseline=baseline,
                    baseline_on=began,
                    start_on=began,
                    end_on=followups[-1].on if followups else None,
                    followups=tuple(followups),
                    condition_group=profile.condition_group,
                    location_id=int(rng.integers(1, 3)),
                    practitioner_ids=practitioners,
                )
            )
    return episodes


def _profile(code: str) -> Profile:
    if code not in PROFILES:
        raise EffectError(
            f"Unknown instrument {code!r}; use one of: {', '.join(PROFILES)}.", field="instrument"
        )
    return PROFILES[code]


def _sizes(per_cohort: int | Mapping[str, int]) -> dict[str, int]:
    if isinstance(per_cohort, Mapping):
        sizes = {cohort: per_cohort.get(cohort, 0) for cohort in COHORTS}
        unknown = set(per_cohort) - set(COHORTS)
        if unknown:
            raise EffectError(f"Unknown cohort(s): {', '.join(sorted(unknown))}.", field="per_cohort")
    else:
        sizes = dict.fromkeys(COHORTS, per_cohort)
    for count in sizes.values():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise EffectError("per_cohort counts must be whole numbers of at least 0.", field="per_cohort")
    return sizes


def _by_cohort(values: Mapping[str, float] | None, name: str) -> dict[str, float]:
    values = dict(values or {})
    unknown = set(values) - set(COHORTS)
    if unknown:
        hint = " (single disciplines share the 'single' cohort)" if unknown & set(COMBINATIONS) else ""
        raise EffectError(f"Unknown cohort(s) in {name}: {', '.join(sorted(unknown))}{hint}.", field=name)
    for value in values.values():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise EffectError(f"The {name} must be numbers of points.", field=name)
    return {k: float(v) for k, v in values.items()}
