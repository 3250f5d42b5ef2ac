"""The clinic's own evidence on concurrent care: cohort statistics for one instrument (pure: no Django).

Statistics come from statsmodels (OLS on the formula's design matrix, built with numpy; Wilson intervals,
Kaplan-Meier through SurvfuncRight), not hand-written formulas:

- **Baseline-adjusted change** (ANCOVA): `change ~ C(cohort, Treatment(reference)) + baseline`, fitted to the
  episodes with a follow-up. Each cohort's adjusted mean change is the model's prediction at the mean baseline
  of all modelled episodes (the LS-mean), with its 95 % CI; each contrast is the cohort's coefficient, i.e.
  its adjusted difference from the reference cohort, with 95 % CI and p. Change is the last follow-up minus
  the baseline on the instrument's scale, so on the ODI a negative change is an improvement and on the
  PSFS/LEFS a positive one; `favours` reads the CI in the instrument's direction.
- **Responders**: the change from baseline to the last follow-up reaches the instrument's MCID (the rule of
  scoring.mcid_check: improvement >= points, or improvement / baseline >= the relative threshold), Wilson 95 %
  CI (statsmodels.stats.proportion.proportion_confint).
- **Time to MCID**: Kaplan-Meier per cohort of the days from the baseline to the first follow-up reaching the
  MCID, censored at the last follow-up; the median (None when the curve never falls to one half) and the
  curve as the proportion reaching the MCID by each event day.
- **Visits per episode**: mean and median over every episode of the cohort.

A cohort with fewer than `min_n` episodes with a follow-up is "too few to estimate": it is reported with its
counts but left out of the model, the responder rate and the curve.

Input and scale (the per-episode contract): `analyse` reads one row per episode, a DataFrame with
`EPISODE_COLUMNS`, so the heavy aggregation can be one SQL query on PostgreSQL (the issue's target is
1,000,000 visits and 300,000 responses in < 2 s); `episode_frame` builds the same rows from `Episode`
records (tests, the demo). The SQL will provide, per (plan, instrument), grouped over fulfilled visits and
scored responses with the dashboard's filters (condition, period, location, practitioner) in its WHERE:
- `combination`: from `bool_or(discipline = 'chiropractic')` etc. over the plan's finished visits, mapped to
  dc / pt / lmt / dc+lmt / dc+pt / pt+lmt / all-three;
- `visits`: `count(*)` of the finished visits;
- `baseline`: the first score (by date), `final`: the last one (NULL without a follow-up), through
  `array_agg(score ORDER BY taken_on)[1]` / `[n]` or window functions;
- `days_followed`: last follow-up date minus baseline date;
- `days_to_mcid`: `min(taken_on) - baseline_on` over the follow-ups meeting the threshold, the threshold
  passed as parameters (`threshold_points`, `threshold_relative_pct`, direction) so the SQL and `reached`
  agree; NULL when never reached.
Everything after that is vectorised numpy / statsmodels over the episode rows (milliseconds for 10^5 rows).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from tandem.outcomes.cohorts import (
    COMBINATIONS,
    DEFAULT_REFERENCE,
    Episode,
    cohort_label,
    cohort_labels,
    cohort_of,
)
from tandem.outcomes.scoring import InstrumentDefinition, Mcid, ScoringError, instrument

# statsmodels is imported inside the functions that use it: its import takes seconds (scipy.stats, the
# formula engines), and every `tandem` command that loads the URLs would otherwise pay it.

EPISODE_COLUMNS = ("combination", "baseline", "final", "visits", "days_followed", "days_to_mcid")
DEFAULT_MIN_N = 10
TOO_FEW = "too few to estimate"
# Scores are decimals at most a few places long; a difference within this of a threshold is the threshold.
_TOLERANCE = 1e-9

OBSERVATIONAL_STATEMENT = (
    "These figures come from this clinic's own records, not from a randomised trial. Patients were not "
    "assigned to a care combination at random: clinicians add disciplines for patients who are worse, more "
    "complex or slower to improve (confounding by indication), and patients who can afford, reach or stay in "
    "more care differ from those who cannot (selection); patients who stop early often have no follow-up "
    "score at all. Patients who start with high scores tend to score lower next time whatever the care "
    "(regression to the mean). The adjustment compares cohorts as if they had started from the same baseline "
    "score, which removes the part of these biases that runs through the baseline score. It does not remove "
    "differences the baseline does not capture: age, duration of symptoms, imaging findings, other "
    "conditions, motivation, or the number and timing of visits. A difference here is a reason to look "
    "closer, not proof that one combination causes better outcomes; the published trials (e.g. Goertz 2018, "
    "Cherkin 2011) remain the evidence on cause."
)


class AnalyticsError(ValueError):
    """Input the analysis cannot read; `field` names it, as ScoringError does."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


@dataclass(frozen=True)
class Contrast:
    """A cohort's adjusted difference in change from the reference cohort."""

    difference: float
    low: float
    high: float
    p_value: float
    favours: Literal["cohort", "reference", "neither"]


@dataclass(frozen=True)
class Responders:
    count: int
    n: int
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class CurvePoint:
    day: float
    reached: float  # the proportion that has reached the MCID by this day (1 - Kaplan-Meier survival)
    at_risk: int
    events: int


@dataclass(frozen=True)
class TimeToMcid:
    median_days: float | None  # None: fewer than half reached the MCID within follow-up
    median_low: float | None
    median_high: float | None
    events: int
    censored: int
    curve: tuple[CurvePoint, ...]


@dataclass(frozen=True)
class CohortResult:
    cohort: str
    label: str
    episodes: int  # all episodes of the cohort
    with_followup: int  # those with a follow-up score (the n of the estimates)
    baseline_mean: float | None  # over the episodes with a follow-up
    visits_mean: float | None
    visits_median: float | None
    estimable: bool
    note: str | None = None  # why nothing is estimated ("too few to estimate")
    unadjusted_change: float | None = None
    adjusted_change: Interval | None = None
    contrast: Contrast | None = None  # None for the reference cohort
    responders: Responders | None = None
    time_to_mcid: TimeToMcid | None = None


@dataclass(frozen=True)
class CohortAnalysis:
    instrument: str
    direction: str
    mcid: Mcid
    reference: str
    min_n: int
    episodes: int
    modelled: int  # episodes in the model
    mean_baseline: float | None  # where the adjusted means are evaluated
    baseline_slope: Interval | None  # change per baseline point (regression to the mean shows here)
    cohorts: tuple[CohortResult, ...]
    notes: tuple[str, ...] = ()
    statement: str = OBSERVATIONAL_STATEMENT
    formula: str = ""

    def cohort(self, code: str) -> CohortResult:
        return next(c for c in self.cohorts if c.cohort == code)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Threshold:
    direction: str
    points: float | None
    relative_pct: float | None


def threshold(code: str, mcid: str | None = None) -> _Threshold:
    definition = instrument(code)
    chosen = definition.mcid(mcid)
    return _Threshold(
        definition.direction,
        None if chosen.points is None else float(chosen.points),
        None if chosen.relative_pct is None else float(chosen.relative_pct),
    )


def reached(code: str, baseline: Any, followup: Any, mcid: str | None = None) -> np.ndarray:
    """Vectorised scoring.mcid_check(...).reached: for each pair, whether the improvement from `baseline` to
    `followup` reaches the MCID (points, or relative to a non-zero baseline). 30 us a call is too slow for
    10^5 episodes; tests hold the two to the same answers."""
    rule = threshold(code, mcid)
    start = np.asarray(baseline, dtype=float)
    end = np.asarray(followup, dtype=float)
    improvement = start - end if rule.direction == "higher-is-worse" else end - start
    hit = np.zeros(np.broadcast(start, end).shape, dtype=bool)
    if rule.points is not None:
        hit |= improvement >= rule.points - _TOLERANCE
    if rule.relative_pct is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(start != 0, improvement / np.where(start != 0, start, 1) * 100, -np.inf)
        hit |= relative >= rule.relative_pct - _TOLERANCE
    return hit


def episode_frame(episodes: Iterable[Episode], *, mcid: str | None = None) -> pd.DataFrame:
    """The per-episode rows `analyse` reads (see the module docstring), from Episode records of one
    instrument."""
    rows: list[tuple[Any, ...]] = []
    code: str | None = None
    for episode in episodes:
        if code is None:
            code = episode.instrument
        elif episode.instrument != code:
            raise AnalyticsError(
                f"Episodes of {code} and {episode.instrument} cannot be analysed together.",
                field="instrument",
            )
        last = episode.last
        if last is None:
            rows.append((episode.combination, episode.baseline, np.nan, episode.visits, np.nan, np.nan))
            continue
        scores = [f.score for f in episode.followups]
        hits = reached(episode.instrument, episode.baseline, scores, mcid)
        first = next((f for f, hit in zip(episode.followups, hits, strict=True) if hit), None)
        rows.append(
            (
                episode.combination,
                episode.baseline,
                last.score,
                episode.visits,
                float((last.on - episode.baseline_on).days),
                np.nan if first is None else float((first.on - episode.baseline_on).days),
            )
        )
    return pd.DataFrame.from_records(rows, columns=list(EPISODE_COLUMNS))


def analyse_episodes(
    episodes: Iterable[Episode], *, instrument_code: str, mcid: str | None = None, **options: Any
) -> CohortAnalysis:
    """`analyse` on Episode records (all of `instrument_code`)."""
    chosen = [e for e in episodes if e.instrument == instrument_code]
    return analyse(episode_frame(chosen, mcid=mcid), instrument_code=instrument_code, mcid=mcid, **options)


def analyse(
    frame: pd.DataFrame,
    *,
    instrument_code: str,
    mcid: str | None = None,
    reference: str = DEFAULT_REFERENCE,
    min_n: int = DEFAULT_MIN_N,
    split_single: bool = False,
    alpha: float = 0.05,
) -> CohortAnalysis:
    """The cohort statistics of one instrument's episodes (one row each, EPISODE_COLUMNS); `days_to_mcid`
    must have been computed with the same `mcid`. See the module docstring for the methods."""
    definition = _instrument(instrument_code)
    try:
        chosen_mcid = definition.mcid(mcid)
    except ScoringError as error:
        raise AnalyticsError(error.message, field="mcid") from error
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 3:
        raise AnalyticsError("min_n must be a whole number of at least 3.", field="min_n")
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise AnalyticsError("alpha must be a number between 0 and 1.", field="alpha")
    labels = cohort_labels(split_single=split_single)
    if reference not in labels:
        raise AnalyticsError(
            f"Unknown reference cohort {reference!r}; use one of: {', '.join(labels)}.", field="reference"
        )
    data = _checked_frame(frame, definition, split_single)

    notes: list[str] = []
    followed = data[data["final"].notna()]
    counts = followed["cohort"].value_counts()
    estimable = [c for c in labels if counts.get(c, 0) >= min_n]
    modelled = followed[followed["cohort"].isin(estimable)]
    model = _fit(modelled, estimable, reference, definition.direction, alpha, notes)

    results = []
    for code, label in labels.items():
        everyone = data[data["cohort"] == code]
        group = followed[followed["cohort"] == code]
        common: dict[str, Any] = {
            "cohort": code,
            "label": label,
            "episodes": len(everyone),
            "with_followup": len(group),
            "baseline_mean": _mean(group["baseline"]),
            "visits_mean": _mean(everyone["visits"]),
            "visits_median": None if everyone.empty else float(everyone["visits"].median()),
        }
        if code not in estimable:
            results.append(CohortResult(**common, estimable=False, note=f"{TOO_FEW} (n < {min_n})"))
            continue
        results.append(
            CohortResult(
                **common,
                estimable=True,
                unadjusted_change=float((group["final"] - group["baseline"]).mean()),
                adjusted_change=None if model is None else model.adjusted[code],
                contrast=None if model is None else model.contrasts.get(code),
                responders=_responders(definition.code, chosen_mcid.key, group, alpha),
                time_to_mcid=_time_to_mcid(group, alpha),
            )
        )
    return CohortAnalysis(
        instrument=definition.code,
        direction=definition.direction,
        mcid=chosen_mcid,
        reference=reference,
        min_n=min_n,
        episodes=len(data),
        modelled=0 if model is None else model.n,
        mean_baseline=None if model is None else model.mean_baseline,
        baseline_slope=None if model is None else model.slope,
        cohorts=tuple(results),
        notes=tuple(notes),
        formula="" if model is None else model.formula,
    )


def _instrument(code: str) -> InstrumentDefinition:
    try:
        return instrument(code)
    except ScoringError as error:
        raise AnalyticsError(error.message, field="instrument") from error


def _checked_frame(frame: pd.DataFrame, definition: InstrumentDefinition, split_single: bool) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise AnalyticsError("The episodes must be a table (DataFrame) of one row each.", field="episodes")
    missing = [c for c in EPISODE_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"The episode table lacks the columns: {', '.join(missing)}.", field="episodes")
    data = frame.loc[:, list(EPISODE_COLUMNS)].copy()
    unknown = sorted(set(data["combination"].astype(str)) - set(COMBINATIONS))
    if unknown:
        raise AnalyticsError(
            f"Unknown care combination(s) {', '.join(unknown)}; use: {', '.join(COMBINATIONS)}.",
            field="combination",
        )
    for column in EPISODE_COLUMNS[1:]:
        try:
            data[column] = pd.to_numeric(data[column]).astype(float)
        except (TypeError, ValueError) as error:
            raise AnalyticsError(f"The column {column} must hold numbers.", field=column) from error
        if np.isinf(data[column]).any():
            raise AnalyticsError(f"The column {column} holds an infinite value.", field=column)
    low, high = definition.score_range
    if data["baseline"].isna().any():
        raise AnalyticsError("Every episode needs a baseline score.", field="baseline")
    for column in ("baseline", "final"):
        values = data[column].dropna()
        if ((values < low) | (values > high)).any():
            raise AnalyticsError(
                f"A {column} score is outside the {definition.name} range {low}-{high}.", field=column
            )
    if data["visits"].isna().any() or (data["visits"] < 1).any():
        raise AnalyticsError("Every episode needs at least one visit.", field="visits")
    followed = data["final"].notna()
    if data.loc[followed, "days_followed"].isna().any() or (data["days_followed"] < 0).any():
        raise AnalyticsError(
            "days_followed must be given, and not negative, with a follow-up.", field="days_followed"
        )
    late = data["days_to_mcid"].notna() & ~(data["days_to_mcid"].between(0, data["days_followed"]))
    if late.any():
        raise AnalyticsError("days_to_mcid must lie between 0 and days_followed.", field="days_to_mcid")
    to_cohort = {code: cohort_of(code, split_single=split_single) for code in COMBINATIONS}
    data["cohort"] = data["combination"].astype(str).map(to_cohort)
    return data


@dataclass(frozen=True)
class _Model:
    n: int
    formula: str
    mean_baseline: float
    slope: Interval | None
    adjusted: dict[str, Interval]
    contrasts: dict[str, Contrast] = field(default_factory=dict)


def _fit(
    group: pd.DataFrame, cohorts: list[str], reference: str, direction: str, alpha: float, notes: list[str]
) -> _Model | None:
    if not cohorts:
        notes.append(f"No cohort has enough episodes with a follow-up for a model ({TOO_FEW}).")
        return None
    data = pd.DataFrame(
        {
            "change": group["final"] - group["baseline"],
            "baseline": group["baseline"],
            "cohort": group["cohort"],
        }
    )
    terms = []
    with_contrasts = len(cohorts) > 1 and reference in cohorts
    if len(cohorts) > 1:
        if reference not in cohorts:
            notes.append(
                f"The reference cohort ({cohort_label(reference)}) has too few episodes: no contrasts; the "
                "adjusted means are still shown."
            )
            # Any level serves as the model's reference for the adjusted means; no contrast is reported.
            reference = cohorts[0]
        terms.append(f"C(cohort, Treatment(reference='{reference}'))")
    adjusted_for_baseline = data["baseline"].nunique() > 1
    if adjusted_for_baseline:
        terms.append("baseline")
    else:
        notes.append("Every baseline score is the same: the change is not adjusted for the baseline.")
    formula = "change ~ " + (" + ".join(terms) if terms else "1")
    from statsmodels.regression.linear_model import OLS

    if len(data) <= len(terms) + len(cohorts):
        notes.append("Too few episodes for the model's parameters.")
        return None
    # The formula's design matrix, built with numpy (patsy's formula machinery costs a third of a second on a
    # large clinic): an intercept, one treatment dummy per cohort other than the reference, the baseline.
    # `formula` names the same model for people (the CSV export).
    others = [code for code in cohorts if code != reference] if len(cohorts) > 1 else []
    mean_baseline = float(data["baseline"].mean())

    def design(cohort: np.ndarray, baseline: np.ndarray) -> np.ndarray:
        columns = [np.ones(len(cohort))] + [(cohort == code).astype(float) for code in others]
        if adjusted_for_baseline:
            columns.append(baseline.astype(float))
        return np.column_stack(columns)

    fit = OLS(
        data["change"].to_numpy(dtype=float),
        design(data["cohort"].to_numpy(dtype=object), data["baseline"].to_numpy(dtype=float)),
    ).fit()
    grid = design(np.array(cohorts, dtype=object), np.full(len(cohorts), mean_baseline))
    predicted = fit.get_prediction(grid).summary_frame(alpha=alpha)
    adjusted = {
        code: Interval(float(row["mean"]), float(row["mean_ci_lower"]), float(row["mean_ci_upper"]))
        for code, (_, row) in zip(cohorts, predicted.iterrows(), strict=True)
    }
    params, bounds, pvalues = fit.params, fit.conf_int(alpha=alpha), fit.pvalues
    slope = None
    if adjusted_for_baseline:
        last = len(params) - 1
        slope = Interval(float(params[last]), float(bounds[last, 0]), float(bounds[last, 1]))
    contrasts: dict[str, Contrast] = {}
    if with_contrasts:
        # Improvement is a fall in score on higher-is-worse instruments.
        sign = -1.0 if direction == "higher-is-worse" else 1.0
        for column, code in enumerate(others, start=1):
            low, high = float(bounds[column, 0]), float(bounds[column, 1])
            contrasts[code] = Contrast(
                float(params[column]), low, high, float(pvalues[column]), _favours(low, high, sign)
            )
    return _Model(len(data), formula, mean_baseline, slope, adjusted, contrasts)


def _favours(low: float, high: float, sign: float) -> Literal["cohort", "reference", "neither"]:
    if sign * low > 0 and sign * high > 0:
        return "cohort"
    if sign * low < 0 and sign * high < 0:
        return "reference"
    return "neither"


def _responders(code: str, mcid: str, group: pd.DataFrame, alpha: float) -> Responders:
    from statsmodels.stats.proportion import proportion_confint

    hits = reached(code, group["baseline"].to_numpy(), group["final"].to_numpy(), mcid)
    count, n = int(hits.sum()), len(group)
    low, high = proportion_confint(count, n, alpha=alpha, method="wilson")
    return Responders(count, n, count / n, float(low), float(high))


def _time_to_mcid(group: pd.DataFrame, alpha: float) -> TimeToMcid:
    from statsmodels.duration.survfunc import SurvfuncRight

    event = group["days_to_mcid"].notna().to_numpy()
    time = np.where(event, group["days_to_mcid"].to_numpy(), group["days_followed"].to_numpy())
    events = int(event.sum())
    if events == 0:
        return TimeToMcid(None, None, None, 0, len(group), ())
    curve = SurvfuncRight(time.astype(float), event.astype(int))
    # statsmodels warns (log of 0) when the curve reaches 0; the estimates are still right.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = _finite(curve.quantile(0.5))
        low, high = curve.quantile_ci(0.5, alpha=alpha)
    points = tuple(
        CurvePoint(float(day), 1.0 - float(s), int(r), int(e))
        for day, s, r, e in zip(curve.surv_times, curve.surv_prob, curve.n_risk, curve.n_events, strict=True)
    )
    return TimeToMcid(median, _finite(low), _finite(high), events, len(group) - events, points)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _mean(values: pd.Series) -> float | None:
    return None if values.empty else float(values.mean())


def summary_rows(analysis: CohortAnalysis) -> list[dict[str, Any]]:
    """One flat row per cohort (for the CSV export and tables)."""
    rows: list[dict[str, Any]] = []
    for c in analysis.cohorts:
        adjusted, contrast, resp, ttm = c.adjusted_change, c.contrast, c.responders, c.time_to_mcid
        rows.append(
            {
                "instrument": analysis.instrument,
                "cohort": c.cohort,
                "label": c.label,
                "episodes": c.episodes,
                "with_followup": c.with_followup,
                "baseline_mean": c.baseline_mean,
                "adjusted_change": adjusted and adjusted.estimate,
                "adjusted_change_low": adjusted and adjusted.low,
                "adjusted_change_high": adjusted and adjusted.high,
                "difference_vs_reference": contrast and contrast.difference,
                "difference_low": contrast and contrast.low,
                "difference_high": contrast and contrast.high,
                "p_value": contrast and contrast.p_value,
                "responder_rate": resp and resp.rate,
                "responder_low": resp and resp.low,
                "responder_high": resp and resp.high,
                "median_days_to_mcid": ttm and ttm.median_days,
                "visits_mean": c.visits_mean,
                "visits_median": c.visits_median,
                "note": c.note or "",
            }
        )
    return rows
