"""Care combinations and episodes of care for the clinic's own evidence (pure: no Django).

An *episode* is one patient's course of care under one plan, measured with one instrument: a baseline score,
the follow-up scores with their dates, and the disciplines of its finished visits. Its *combination* names
which disciplines treated the patient: one of `dc`, `pt`, `lmt` (one discipline), `dc+lmt`, `dc+pt`,
`pt+lmt` or `all-three`. For the analysis the three single-discipline combinations form one *cohort*,
`single` ("One discipline", the issue's grouping and the default reference), unless the caller asks to keep
them apart.

Discipline codes are read in either form: the model's slugs (`chiropractic`, `physical-therapy`,
`massage-therapy`, DESIGN.md §5) or the short ones (`dc`, `pt`, `lmt`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from tandem.outcomes.scoring import ScoringError, instrument

DISCIPLINES: dict[str, str] = {
    "chiropractic": "dc",
    "physical-therapy": "pt",
    "massage-therapy": "lmt",
    "dc": "dc",
    "pt": "pt",
    "lmt": "lmt",
}
_ORDER = ("dc", "pt", "lmt")

# The seven care combinations, in display order, with their labels.
COMBINATIONS: dict[str, str] = {
    "dc": "Chiropractic only",
    "pt": "Physical therapy only",
    "lmt": "Massage therapy only",
    "dc+lmt": "Chiropractic + massage",
    "dc+pt": "Chiropractic + physical therapy",
    "pt+lmt": "Physical therapy + massage",
    "all-three": "All three (chiropractic + physical therapy + massage)",
}
SINGLE_DISCIPLINE = ("dc", "pt", "lmt")

# The analysis cohorts (single disciplines pooled), in display order.
COHORTS: dict[str, str] = {
    "single": "One discipline",
    "dc+lmt": COMBINATIONS["dc+lmt"],
    "dc+pt": COMBINATIONS["dc+pt"],
    "pt+lmt": COMBINATIONS["pt+lmt"],
    "all-three": COMBINATIONS["all-three"],
}
DEFAULT_REFERENCE = "single"


class CohortError(ValueError):
    """Input that cannot form an episode or a combination; `field` names it, as ScoringError does."""

    def __init__(self, message: str, *, field: str = "disciplines") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def discipline_code(discipline: object) -> str:
    """The short code (dc, pt, lmt) of a discipline given as a model slug or a short code."""
    if isinstance(discipline, str) and discipline in DISCIPLINES:
        return DISCIPLINES[discipline]
    known = ", ".join(DISCIPLINES)
    raise CohortError(f"Unknown discipline {discipline!r}; use one of: {known}.")


def combination(disciplines: Iterable[str]) -> str:
    """The care combination of the disciplines of an episode's finished visits (repeats do not matter)."""
    if isinstance(disciplines, str):
        raise CohortError("Give the disciplines as a list, not one string.")
    codes = {discipline_code(d) for d in disciplines}
    if not codes:
        raise CohortError("An episode needs at least one finished visit to have a care combination.")
    if len(codes) == 3:
        return "all-three"
    return "+".join(code for code in _ORDER if code in codes)


def cohort_of(combination_code: str, *, split_single: bool = False) -> str:
    """The analysis cohort of a combination: the single disciplines pool into `single` unless split."""
    if combination_code not in COMBINATIONS:
        known = ", ".join(COMBINATIONS)
        raise CohortError(f"Unknown care combination {combination_code!r}; use one of: {known}.")
    if combination_code in SINGLE_DISCIPLINE and not split_single:
        return "single"
    return combination_code


def cohort_labels(*, split_single: bool = False) -> dict[str, str]:
    """The cohorts an analysis reports, in display order, with their labels."""
    if split_single:
        return dict(COMBINATIONS)
    return dict(COHORTS)


def cohort_label(code: str) -> str:
    return COHORTS.get(code) or COMBINATIONS.get(code) or code


@dataclass(frozen=True)
class FollowUp:
    """A follow-up score (full precision) and the date it was taken."""

    on: date
    score: float


@dataclass(frozen=True)
class Episode:
    """One patient's course of care under one plan, measured with one instrument.

    `disciplines` are those of the finished visits (normalised to dc/pt/lmt); `visits` how many were
    finished; `practitioner_ids` who treated; `condition_group` a coarse grouping of the plan's condition
    (e.g. "lumbar") for filtering. Scores are on the instrument's scale; follow-ups are kept in date order and
    none may precede the baseline."""

    patient_id: int | str
    plan_id: int | str
    instrument: str
    disciplines: frozenset[str]
    visits: int
    baseline: float
    baseline_on: date
    start_on: date
    end_on: date | None = None
    followups: tuple[FollowUp, ...] = ()
    condition_group: str = ""
    location_id: int | str | None = None
    practitioner_ids: tuple[int | str, ...] = field(default=())

    def __post_init__(self) -> None:
        try:
            definition = instrument(self.instrument)
        except ScoringError as error:
            raise CohortError(error.message, field="instrument") from error
        object.__setattr__(self, "disciplines", frozenset(discipline_code(d) for d in self.disciplines))
        if not self.disciplines:
            raise CohortError("An episode needs at least one finished visit to have a care combination.")
        if isinstance(self.visits, bool) or not isinstance(self.visits, int) or self.visits < 1:
            raise CohortError("visits must be a whole number of at least 1.", field="visits")
        low, high = definition.score_range
        _check_score(self.baseline, low, high, "baseline")
        followups = tuple(sorted(self.followups, key=lambda f: f.on))
        for index, followup in enumerate(followups):
            _check_score(followup.score, low, high, f"followups.{index}")
            if followup.on < self.baseline_on:
                raise CohortError(
                    f"The follow-up of {followup.on} precedes the baseline of {self.baseline_on}.",
                    field=f"followups.{index}",
                )
        object.__setattr__(self, "followups", followups)
        if self.end_on is not None and self.end_on < self.start_on:
            raise CohortError("The episode ends before it starts.", field="end_on")

    @property
    def combination(self) -> str:
        return combination(self.disciplines)

    def cohort(self, *, split_single: bool = False) -> str:
        return cohort_of(self.combination, split_single=split_single)

    @property
    def last(self) -> FollowUp | None:
        return self.followups[-1] if self.followups else None

    @property
    def change(self) -> float | None:
        """The last follow-up minus the baseline, on the instrument's scale (None without a follow-up)."""
        last = self.last
        return None if last is None else last.score - self.baseline


def _check_score(value: object, low: int, high: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CohortError(f"The {name} score must be a number from {low} to {high}.", field=name)
    if not low <= value <= high:
        raise CohortError(f"The {name} score {value} is out of range {low}-{high}.", field=name)
