"""The clinic's own evidence on concurrent care, as the dashboard, its CSV export and the API serve it.

- Who may see it (`can_see_evidence`): the clinic's clinicians of any discipline and its administrator. It is
  the clinic's aggregate (cohort statistics), not one patient's record; the front desk and users of no clinic
  are refused with a 404, as the Claims page refuses those who may not export claims.
- The filters, read from a query string (`evidence_query_parse`): instrument, condition group, the period of
  the baseline, a location and a practitioner of the user's clinic, and one of the instrument's MCIDs. Every
  bad value is reported against its parameter, all at once, and nothing is computed.
- The filter choices (`evidence_choices`): three queries whatever the clinic's size (the instruments
  measured: one EXISTS each, from the score index).
- The analysis (`evidence_analysis`): tandem.outcomes.episodes.clinic_evidence (one SQL query, then
  tandem.outcomes.analytics.analyse), computed once per request and audited (the actor and the filters;
  cohort figures name no patient).
- Display and export rows (`cohort_rows`, `evidence_csv`) from that one analysis, so the page, the CSV and the
  API cannot disagree.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from tandem.accounts.models import Location, Organization, Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.outcomes.analytics import AnalyticsError, CohortAnalysis, CohortResult, Interval
from tandem.outcomes.cohorts import COHORTS
from tandem.outcomes.episodes import CONDITION_GROUPS, EpisodeFilterError, EpisodeFilters, clinic_evidence
from tandem.outcomes.models import Score
from tandem.outcomes.scoring import INSTRUMENTS, InstrumentDefinition, ScoringError
from tandem.outcomes.services import REFRESH_MINUTES, plan_summary_refreshed_at
from tandem.patients.access import refuse_access

DEFAULT_INSTRUMENT = "odi"
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2199, 12, 31)
PARAMS = ("instrument", "condition", "start", "end", "location", "practitioner", "mcid")
# Instruments the evidence can be computed for: a responder needs a published MCID.
EVIDENCE_INSTRUMENTS: dict[str, InstrumentDefinition] = {
    code: definition for code, definition in INSTRUMENTS.items() if definition.mcids
}
CONDITION_LABELS: dict[str, str] = {
    "lumbar": "Low back and pelvis",
    "cervical": "Neck and head",
    "thoracic": "Mid back, ribs and abdomen",
    "upper-limb": "Shoulder, arm and hand",
    "lower-limb": "Hip, leg and foot",
}
# episodes.EpisodeFilterError names the dataclass field; the page and the API name the query parameter.
_PARAM_OF_FIELD = {
    "start_on": "start",
    "end_on": "end",
    "location_id": "location",
    "practitioner_id": "practitioner",
}


def can_see_evidence(user: Any) -> bool:
    """A clinician (any discipline) or the administrator of a clinic, signed in and active."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.organization_id is None:
        return False
    return bool(user.is_clinician or user.is_clinic_admin)


def require_evidence_access(user: User) -> User:
    """The user, if they may see the clinic's evidence; otherwise Http404 (audited), never a 403."""
    if not can_see_evidence(user):
        raise refuse_access(user, "CohortAnalysis", "*", None, "No such page.")
    return user


@dataclass(frozen=True)
class InstrumentChoice:
    code: str
    name: str
    measured: bool  # some plan of the clinic has a valid score of it
    mcids: tuple[tuple[str, str], ...]  # (key, label)


@dataclass(frozen=True)
class EvidenceChoices:
    instruments: tuple[InstrumentChoice, ...]
    conditions: tuple[tuple[str, str], ...]
    locations: tuple[Location, ...]
    practitioners: tuple[Practitioner, ...]

    def location(self, pk: int) -> Location | None:
        return next((choice for choice in self.locations if choice.pk == pk), None)

    def practitioner(self, pk: int) -> Practitioner | None:
        return next((choice for choice in self.practitioners if choice.pk == pk), None)


def _mcid_label(definition: InstrumentDefinition, key: str) -> str:
    mcid = definition.mcid(key)
    where = f", {mcid.population}" if mcid.population else ""
    default = " (default)" if key == definition.default_mcid else ""
    return f"{mcid.as_published} ({key}{where}){default}"


def evidence_choices(organization: Organization, *, with_instruments: bool = True) -> EvidenceChoices:
    """The filter choices of a clinic: its locations, its practitioners and (unless not wanted, as in the API)
    which instruments its plans were measured with. Three queries."""
    measured: set[str] = set()
    if with_instruments:
        # One EXISTS per instrument, each answered from the score index on (instrument, plan, ...) at the
        # first of the clinic's plans measured with it, instead of a DISTINCT over every score.
        flags = (
            Organization.objects.filter(pk=organization.pk)
            .annotate(
                **{
                    f"measured_{index}": Exists(
                        Score.objects.filter(
                            instrument=code, valid=True, plan__organization_id=OuterRef("pk")
                        )
                    )
                    for index, code in enumerate(EVIDENCE_INSTRUMENTS)
                }
            )
            .values_list(*(f"measured_{index}" for index in range(len(EVIDENCE_INSTRUMENTS))))
            .first()
        )
        measured = {code for code, flag in zip(EVIDENCE_INSTRUMENTS, flags or (), strict=False) if flag}
    instruments = tuple(
        InstrumentChoice(
            code,
            definition.name,
            code in measured,
            tuple((m.key, _mcid_label(definition, m.key)) for m in definition.mcids),
        )
        for code, definition in EVIDENCE_INSTRUMENTS.items()
    )
    locations = tuple(Location.objects.filter(organization=organization).order_by("name", "pk"))
    practitioners = tuple(
        Practitioner.objects.filter(user__organization=organization)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    conditions = tuple((key, CONDITION_LABELS.get(key, key)) for key in CONDITION_GROUPS)
    return EvidenceChoices(instruments, conditions, locations, practitioners)


@dataclass(frozen=True)
class EvidenceQuery:
    instrument: InstrumentDefinition
    mcid: str | None
    filters: EpisodeFilters
    condition_label: str = ""
    location: Location | None = None
    practitioner: Practitioner | None = None

    def described(self) -> list[tuple[str, str]]:
        """The filters in words, for the CSV's header block and the audit trail."""
        filters = self.filters
        mcid = self.instrument.mcid(self.mcid)
        return [
            ("instrument", f"{self.instrument.name} ({self.instrument.code})"),
            ("MCID", f"{mcid.as_published} ({mcid.key}; {mcid.source})"),
            ("condition", self.condition_label or "all"),
            ("baseline from", filters.start_on.isoformat() if filters.start_on else "any"),
            ("baseline to", filters.end_on.isoformat() if filters.end_on else "any"),
            ("location", self.location.name if self.location else "all"),
            ("practitioner", self.practitioner.display_name if self.practitioner else "all"),
        ]


class EvidenceQueryError(ValueError):
    """Bad filters: one message per query parameter."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def query_values(params: Mapping[str, Any]) -> dict[str, str]:
    """The filter parameters as stripped strings (absent: empty; the instrument defaults to the ODI)."""
    values = {name: str(params.get(name) or "").strip() for name in PARAMS}
    values["instrument"] = values["instrument"] or DEFAULT_INSTRUMENT
    return values


def _date(raw: str, name: str, errors: dict[str, str]) -> datetime.date | None:
    if not raw:
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{raw[:40]!r} is not a date; enter it as YYYY-MM-DD."
        return None
    # The query turns days into time-zone-aware datetimes (and the end into the next day's start): keep far
    # from the calendar's ends.
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = f"Enter a date between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
        return None
    return day


def _chosen_id(raw: str) -> int | None:
    try:
        number = int(raw)
    except ValueError:
        return None
    return number if number > 0 else None


def evidence_query_parse(values: Mapping[str, str], choices: EvidenceChoices) -> EvidenceQuery:
    """The filters of `values` (see query_values), checked against the clinic's choices; EvidenceQueryError
    naming every bad parameter otherwise."""
    errors: dict[str, str] = {}
    definition = EVIDENCE_INSTRUMENTS.get(values["instrument"])
    if definition is None:
        if values["instrument"] in INSTRUMENTS:
            name = INSTRUMENTS[values["instrument"]].name
            errors["instrument"] = f"The {name} has no published MCID, so it has no evidence to show."
        else:
            errors["instrument"] = (
                f"Unknown instrument {values['instrument'][:40]!r}; choose one of: "
                f"{', '.join(EVIDENCE_INSTRUMENTS)}."
            )
    mcid = values["mcid"] or None
    if definition is not None and mcid is not None and mcid not in {m.key for m in definition.mcids}:
        errors["mcid"] = (
            f"The {definition.name} has no MCID {mcid[:60]!r}; choose one of: "
            f"{', '.join(m.key for m in definition.mcids)}."
        )
    condition = values["condition"] or None
    if condition is not None and condition not in CONDITION_GROUPS:
        errors["condition"] = (
            f"Unknown condition group {condition[:40]!r}; choose one of: {', '.join(CONDITION_GROUPS)}."
        )
    start_on = _date(values["start"], "start", errors)
    end_on = _date(values["end"], "end", errors)
    if start_on and end_on and end_on < start_on:
        errors["end"] = "The period ends before it starts: choose an end on or after the start."
    location = practitioner = None
    if values["location"]:
        number = _chosen_id(values["location"])
        location = None if number is None else choices.location(number)
        if location is None:
            errors["location"] = "Choose one of this clinic's locations."
    if values["practitioner"]:
        number = _chosen_id(values["practitioner"])
        practitioner = None if number is None else choices.practitioner(number)
        if practitioner is None:
            errors["practitioner"] = "Choose one of this clinic's practitioners."
    if errors or definition is None:
        raise EvidenceQueryError(errors)
    filters = EpisodeFilters(
        condition=condition,
        start_on=start_on,
        end_on=end_on,
        location_id=location.pk if location else None,
        practitioner_id=practitioner.pk if practitioner else None,
    )
    try:
        filters.checked()
    except EpisodeFilterError as error:
        raise EvidenceQueryError({_PARAM_OF_FIELD.get(error.field, error.field): error.message}) from None
    return EvidenceQuery(
        instrument=definition,
        mcid=mcid,
        filters=filters,
        condition_label=CONDITION_LABELS.get(condition, "") if condition else "",
        location=location,
        practitioner=practitioner,
    )


def evidence_analysis(*, actor: User, query: EvidenceQuery, purpose: str) -> CohortAnalysis:
    """The clinic's evidence for the query (one SQL query, then the statistics), audited as `purpose`
    ("dashboard", "CSV export", "API"). The figures are the clinic's aggregate: no patient is named."""
    organization = actor.organization
    if organization is None:  # require_evidence_access comes first; this keeps the type checker honest
        raise Http404("No such page.")
    try:
        analysis = clinic_evidence(organization, query.instrument.code, query.filters, mcid=query.mcid)
    except (EpisodeFilterError, AnalyticsError) as error:
        raise EvidenceQueryError({_PARAM_OF_FIELD.get(error.field, error.field): error.message}) from None
    except ScoringError as error:
        raise EvidenceQueryError({error.field: error.message}) from None
    audit_record(
        actor=actor,
        action=AuditAction.EXECUTE if purpose == "CSV export" else AuditAction.READ,
        object_type="CohortAnalysis",
        object_id=query.instrument.code,
        detail=f"concurrent-care evidence, {purpose}: "
        + "; ".join(f"{name}={value}" for name, value in query.described()),
    )
    return analysis


# Display ---------------------------------------------------------------------------------------------------


def evidence_as_of(organization: Organization) -> str:
    """When the visits behind the figures were counted (the per-plan summary's last refresh), in words
    for the page, with what that means for a visit finished or cancelled since."""
    refreshed_at = plan_summary_refreshed_at(organization)
    if refreshed_at is None:
        return "No visit has been counted yet: the figures appear once the clinic has plans with visits."
    shown = timezone.localtime(refreshed_at).strftime("%Y-%m-%d %H:%M")
    return (
        f"Figures as of {shown}. Visits are counted every {REFRESH_MINUTES} minutes: a visit finished or "
        "cancelled since then appears at the next refresh."
    )


def number(value: float | None, places: int = 1) -> str:
    """A figure for people: fixed decimals, "–" when there is none."""
    if value is None or not math.isfinite(value):
        return "–"
    shown = f"{value:.{places}f}"
    return "0" + shown[2:] if shown.startswith("-0") and float(shown) == 0 else shown


def interval(low: float | None, high: float | None, places: int = 1) -> str:
    return f"{number(low, places)} to {number(high, places)}"


def p_value(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _favours(result: CohortResult, reference_label: str) -> str:
    if result.contrast is None:
        return ""
    if result.contrast.favours == "cohort":
        return f"better than {reference_label.lower()}"
    if result.contrast.favours == "reference":
        return f"worse than {reference_label.lower()}"
    return "no clear difference"


@dataclass(frozen=True)
class CohortRow:
    """One cohort's figures as the page shows them (strings, already formatted)."""

    cohort: str
    label: str
    reference: bool
    estimable: bool
    note: str
    episodes: int
    with_followup: int
    baseline_mean: str
    adjusted_change: str
    adjusted_ci: str
    difference: str
    difference_ci: str
    p_value: str
    favours: str
    responders: str
    responder_rate: str
    responder_ci: str
    median_days: str
    median_ci: str
    visits_mean: str
    visits_median: str


def _median_days(result: CohortResult) -> tuple[str, str]:
    ttm = result.time_to_mcid
    if ttm is None:
        return "–", ""
    if ttm.median_days is None:
        return "not reached", "fewer than half reached the MCID within follow-up"
    low = number(ttm.median_low, 0) if ttm.median_low is not None else "–"
    high = number(ttm.median_high, 0) if ttm.median_high is not None else "not reached"
    return f"{number(ttm.median_days, 0)} days", f"({low} to {high})"


def cohort_rows(analysis: CohortAnalysis) -> list[CohortRow]:
    """The cohorts of `analysis` for the page, formatted to one decimal (rates in %, days whole)."""
    reference_label = COHORTS.get(analysis.reference, analysis.reference)
    rows = []
    for result in analysis.cohorts:
        adjusted: Interval | None = result.adjusted_change
        contrast, responders = result.contrast, result.responders
        median, median_ci = _median_days(result)
        rows.append(
            CohortRow(
                cohort=result.cohort,
                label=result.label,
                reference=result.cohort == analysis.reference,
                estimable=result.estimable,
                note=result.note or "",
                episodes=result.episodes,
                with_followup=result.with_followup,
                baseline_mean=number(result.baseline_mean),
                adjusted_change=number(adjusted.estimate) if adjusted else "–",
                adjusted_ci=interval(adjusted.low, adjusted.high) if adjusted else "",
                difference=number(contrast.difference) if contrast else "–",
                difference_ci=interval(contrast.low, contrast.high) if contrast else "",
                p_value=p_value(contrast.p_value) if contrast else "",
                favours=_favours(result, reference_label),
                responders=f"{responders.count} of {responders.n}" if responders else "–",
                responder_rate=f"{number(responders.rate * 100)} %" if responders else "–",
                responder_ci=interval(responders.low * 100, responders.high * 100) if responders else "",
                median_days=median,
                median_ci=median_ci,
                visits_mean=number(result.visits_mean),
                visits_median=number(result.visits_median),
            )
        )
    return rows


@dataclass(frozen=True)
class EvidenceFacts:
    """The analysis as a whole, in words for the page."""

    instrument: str
    scale: str
    better: str  # which way an improvement runs
    mcid: str
    reference: str
    mean_baseline: str
    slope: str
    slope_ci: str


def evidence_facts(analysis: CohortAnalysis) -> EvidenceFacts:
    definition = INSTRUMENTS[analysis.instrument]
    low, high = definition.score_range
    if analysis.direction == "higher-is-worse":
        better = "lower scores are better: a negative change is an improvement"
    else:
        better = "higher scores are better: a positive change is an improvement"
    slope = analysis.baseline_slope
    return EvidenceFacts(
        instrument=definition.name,
        scale=f"{low}-{high} {definition.unit}",
        better=better,
        mcid=f"{analysis.mcid.as_published} ({analysis.mcid.source})",
        reference=COHORTS.get(analysis.reference, analysis.reference),
        mean_baseline=number(analysis.mean_baseline),
        slope=number(slope.estimate, 2) if slope else "–",
        slope_ci=interval(slope.low, slope.high, 2) if slope else "",
    )


# CSV export ------------------------------------------------------------------------------------------------


def _csv_number(value: float | None, places: int = 4) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{round(value, places):.{places}f}"


def _csv_p(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.4g}"


def csv_columns(analysis: CohortAnalysis) -> list[str]:
    """The export's column headings, each with its unit."""
    unit = INSTRUMENTS[analysis.instrument].unit
    scale = f"{analysis.instrument.upper()} {unit}"
    return [
        "cohort",
        "cohort_label",
        "reference",
        "episodes",
        "episodes_with_followup",
        f"baseline_mean ({scale})",
        f"unadjusted_change ({scale})",
        f"adjusted_change ({scale})",
        f"adjusted_change_ci95_low ({scale})",
        f"adjusted_change_ci95_high ({scale})",
        f"difference_vs_reference ({scale})",
        f"difference_ci95_low ({scale})",
        f"difference_ci95_high ({scale})",
        "difference_p_value",
        "favours",
        "responders (episodes)",
        "responder_rate (%)",
        "responder_rate_ci95_low (%)",
        "responder_rate_ci95_high (%)",
        "median_time_to_mcid (days)",
        "median_time_to_mcid_ci95_low (days)",
        "median_time_to_mcid_ci95_high (days)",
        "reached_mcid (episodes)",
        "censored (episodes)",
        "visits_per_episode_mean (visits)",
        "visits_per_episode_median (visits)",
        "note",
    ]


def _csv_row(analysis: CohortAnalysis, result: CohortResult) -> list[str]:
    adjusted, contrast, responders, ttm = (
        result.adjusted_change,
        result.contrast,
        result.responders,
        result.time_to_mcid,
    )
    return [
        result.cohort,
        result.label,
        "yes" if result.cohort == analysis.reference else "no",
        str(result.episodes),
        str(result.with_followup),
        _csv_number(result.baseline_mean),
        _csv_number(result.unadjusted_change),
        _csv_number(adjusted.estimate if adjusted else None),
        _csv_number(adjusted.low if adjusted else None),
        _csv_number(adjusted.high if adjusted else None),
        _csv_number(contrast.difference if contrast else None),
        _csv_number(contrast.low if contrast else None),
        _csv_number(contrast.high if contrast else None),
        _csv_p(contrast.p_value if contrast else None),
        contrast.favours if contrast else "",
        str(responders.count) if responders else "",
        _csv_number(responders.rate * 100 if responders else None, 2),
        _csv_number(responders.low * 100 if responders else None, 2),
        _csv_number(responders.high * 100 if responders else None, 2),
        _csv_number(ttm.median_days if ttm else None, 1),
        _csv_number(ttm.median_low if ttm else None, 1),
        _csv_number(ttm.median_high if ttm else None, 1),
        str(ttm.events) if ttm else "",
        str(ttm.censored) if ttm else "",
        _csv_number(result.visits_mean, 2),
        _csv_number(result.visits_median, 2),
        result.note or "",
    ]


def evidence_csv(
    analysis: CohortAnalysis,
    query: EvidenceQuery,
    *,
    clinic: str,
    exported_by: str,
    exported_at: str,
    counted_at: datetime.datetime | None = None,
) -> str:
    """The export: a header block of `#` lines (what was asked, when the visits were counted, the model, the
    notes and the observational statement: one label and one value per line), a blank line, then one row per
    cohort (no patient rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["# Tandem: the clinic's own evidence on concurrent care (observational data)"])
    writer.writerow(["# clinic", clinic])
    for name, value in query.described():
        writer.writerow([f"# {name}", value])
    counted = timezone.localtime(counted_at).isoformat(timespec="minutes") if counted_at else "never"
    writer.writerow(["# visits counted at", counted])
    writer.writerow(["# reference cohort", COHORTS.get(analysis.reference, analysis.reference)])
    writer.writerow(["# episodes", str(analysis.episodes)])
    writer.writerow(["# episodes in the model", str(analysis.modelled)])
    writer.writerow(["# model", analysis.formula or "none (too few episodes)"])
    if analysis.mean_baseline is not None:
        writer.writerow(["# adjusted at the mean baseline", _csv_number(analysis.mean_baseline)])
    if analysis.baseline_slope is not None:
        slope = analysis.baseline_slope
        writer.writerow(
            [
                "# baseline slope (change per baseline point; 95% CI)",
                f"{_csv_number(slope.estimate)} ({_csv_number(slope.low)} to {_csv_number(slope.high)})",
            ]
        )
    for note in analysis.notes:
        writer.writerow(["# note", note])
    writer.writerow(["# statement", analysis.statement])
    writer.writerow(["# exported", f"{exported_at} by {exported_by}"])
    writer.writerow([])
    writer.writerow(csv_columns(analysis))
    for result in analysis.cohorts:
        writer.writerow(_csv_row(analysis, result))
    return out.getvalue()
