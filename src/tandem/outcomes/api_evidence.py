"""The clinic's concurrent-care evidence under /api/v1/: `GET /outcomes/evidence` with the dashboard's filters
(instrument, condition, start, end, location, practitioner, mcid) answers the analysis as JSON: the same
numbers as the page and its CSV (tandem.outcomes.evidence), computed once and audited. For the clinic's
clinicians and its administrator (404 for anyone else); bad filters answer 422 naming each parameter."""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema

from tandem.core.http import request_user
from tandem.outcomes.schemas import McidOut, mcid_out
from tandem.outcomes.services import plan_summary_refreshed_at

router = Router(tags=["outcomes"])


class IntervalOut(Schema):
    estimate: float | None
    low: float | None
    high: float | None


class ContrastOut(Schema):
    difference: float | None
    low: float | None
    high: float | None
    p_value: float | None
    favours: str


class RespondersOut(Schema):
    count: int
    n: int
    rate: float | None
    low: float | None
    high: float | None


class CurvePointOut(Schema):
    day: float
    reached: float | None = Field(..., description="Proportion that reached the MCID by this day (1 - KM)")
    at_risk: int
    events: int


class TimeToMcidOut(Schema):
    median_days: float | None
    median_low: float | None
    median_high: float | None
    events: int
    censored: int
    curve: list[CurvePointOut]


class CohortOut(Schema):
    cohort: str
    label: str
    episodes: int
    with_followup: int
    baseline_mean: float | None
    visits_mean: float | None
    visits_median: float | None
    estimable: bool
    note: str | None
    unadjusted_change: float | None
    adjusted_change: IntervalOut | None
    contrast: ContrastOut | None = Field(..., description="The difference from the reference cohort")
    responders: RespondersOut | None
    time_to_mcid: TimeToMcidOut | None


class FiltersOut(Schema):
    instrument: str
    mcid: str
    condition: str | None
    start: str | None
    end: str | None
    location: int | None
    practitioner: int | None


class EvidenceOut(Schema):
    instrument: str
    direction: str
    mcid: McidOut
    reference: str
    min_n: int
    episodes: int
    modelled: int
    mean_baseline: float | None
    baseline_slope: IntervalOut | None
    cohorts: list[CohortOut]
    notes: list[str]
    statement: str
    formula: str
    filters: FiltersOut
    # When the clinic's visits were last counted (the per-plan summary, rebuilt every 10 minutes): a visit
    # finished or cancelled since counts from the next refresh. None: never counted (no plan yet).
    visits_counted_at: datetime.datetime | None


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: a figure the statistics could not give is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


@router.get("/outcomes/evidence", response=EvidenceOut)
def outcomes_evidence(
    request: HttpRequest,
    instrument: str = "odi",
    condition: str = "",
    start: str = "",
    end: str = "",
    location: str = "",
    practitioner: str = "",
    mcid: str = "",
) -> dict[str, Any]:
    """The clinic's evidence on concurrent care for one instrument: per cohort (one discipline, the reference;
    DC+LMT; DC+PT; PT+LMT; all three) the baseline-adjusted change with its 95 % CI, the difference from one
    discipline (CI, p), responders (Wilson CI), Kaplan-Meier time to MCID and visits per episode; and the
    observational statement. Filters: `condition` (lumbar, cervical, thoracic, upper-limb, lower-limb),
    `start`/`end` (the baseline's date, YYYY-MM-DD), `location` and `practitioner` (ids of the clinic's),
    `mcid` (a key of the instrument's MCIDs; the default otherwise)."""
    from tandem.outcomes import evidence  # pandas: loaded on the first request, not at start-up

    user = evidence.require_evidence_access(request_user(request))
    assert user.organization is not None
    choices = evidence.evidence_choices(user.organization, with_instruments=False)
    params = {
        "instrument": instrument,
        "condition": condition,
        "start": start,
        "end": end,
        "location": location,
        "practitioner": practitioner,
        "mcid": mcid,
    }
    try:
        query = evidence.evidence_query_parse(evidence.query_values(params), choices)
        analysis = evidence.evidence_analysis(actor=user, query=query, purpose="API")
    except evidence.EvidenceQueryError as problem:
        raise ValidationError({name: [message] for name, message in problem.errors.items()}) from None
    found = analysis.as_dict()
    chosen = analysis.mcid
    found["mcid"] = mcid_out(chosen)
    filters = query.filters
    found["filters"] = {
        "instrument": query.instrument.code,
        "mcid": chosen.key,
        "condition": filters.condition,
        "start": filters.start_on.isoformat() if filters.start_on else None,
        "end": filters.end_on.isoformat() if filters.end_on else None,
        "location": filters.location_id,
        "practitioner": filters.practitioner_id,
    }
    found["visits_counted_at"] = plan_summary_refreshed_at(user.organization)
    return _finite(found)
