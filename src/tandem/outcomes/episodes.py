"""The clinic's episodes of care as the per-episode rows tandem.outcomes.analytics.analyse reads: ONE SQL
query over plans, their finished visits and their scored responses, portable between SQLite and PostgreSQL.

An episode is one plan of care measured with one instrument. Per plan the query gives:
- from the per-plan summary (outcomes.PlanSummary, rebuilt every 10 minutes by services.plan_summary_refresh,
  and built here first when the clinic's never was; one row per plan instead of every encounter): the
  disciplines of its finished visits (encounters linked to the plan's activities) as three flags, their count
  and their location (the lowest location id when they took place at several), its patient, its supervising
  practitioner and its condition group (from the body site of its problems: the first by name when they lie
  in several groups). A visit finished or cancelled, or a plan changed, since the refresh counts from the
  next one; the filters below read visits, plans and problems live;
- the baseline (the plan's earliest valid score of the instrument) and its time, the last score when there is
  a later one (the follow-up) and its time, and the time of the first follow-up reaching the MCID (the
  threshold is passed as parameters, with the instrument's direction, so the SQL and analytics.reached agree).
Scores of a response that was later corrected (`replaced_by`) are left out: the correction counts.
Day counts, combinations and groups are then computed column-wise with pandas (no loop over rows).

Filters (`EpisodeFilters`): a condition group, a period (baseline date within it), a location (a finished
visit there) and a practitioner (the plan's supervisor or the clinician of a finished visit).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from tandem.accounts.models import Organization
from tandem.careplans.models import Activity, CarePlan
from tandem.charting.models import Encounter, EncounterStatus
from tandem.outcomes.analytics import EPISODE_COLUMNS, CohortAnalysis, analyse, threshold
from tandem.outcomes.models import PlanSummary, Response, Score
from tandem.outcomes.scoring import ScoringError, instrument
from tandem.outcomes.services import plan_summary_ensure
from tandem.patients.models import Condition
from tandem.scheduling.models import Appointment

# Condition groups by the body site of a plan's problems (the dashboard's condition filter).
CONDITION_GROUPS: dict[str, tuple[str, ...]] = {
    "lumbar": ("lumbar", "sacral", "pelvis"),
    "cervical": ("cervical", "head"),
    "thoracic": ("thoracic", "rib-cage", "abdomen"),
    "upper-limb": ("shoulder", "upper-arm", "elbow", "forearm", "wrist-hand"),
    "lower-limb": ("hip", "thigh", "knee", "lower-leg", "ankle-foot"),
}
GROUP_OF_SITE: dict[str, str] = {site: group for group, sites in CONDITION_GROUPS.items() for site in sites}
# The episode's own columns besides analytics.EPISODE_COLUMNS.
EXTRA_COLUMNS = (
    "plan_id",
    "patient_id",
    "baseline_on",
    "condition_group",
    "location_id",
    "practitioner_id",
)
_TOLERANCE = 1e-9


class EpisodeFilterError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class EpisodeFilters:
    condition: str | None = None  # a key of CONDITION_GROUPS
    start_on: datetime.date | None = None  # baseline on or after
    end_on: datetime.date | None = None  # baseline on or before
    location_id: int | None = None
    practitioner_id: int | None = None

    def checked(self) -> EpisodeFilters:
        if self.condition is not None and self.condition not in CONDITION_GROUPS:
            raise EpisodeFilterError(
                f"Unknown condition group {self.condition!r}; use one of: {', '.join(CONDITION_GROUPS)}.",
                field="condition",
            )
        if self.start_on and self.end_on and self.end_on < self.start_on:
            raise EpisodeFilterError("The period ends before it starts.", field="end_on")
        return self


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def episode_sql(
    organization_id: int, instrument_code: str, filters: EpisodeFilters, mcid: str | None = None
) -> tuple[str, list[Any]]:
    """The query and its parameters (one row per plan with a baseline score and a finished visit)."""
    rule = threshold(instrument_code, mcid)
    plans, activities, encounters = _table(CarePlan), _table(Activity), _table(Encounter)
    scores, responses, appointments = _table(Score), _table(Response), _table(Appointment)
    problems, conditions = _table(CarePlan.problems.through), _table(Condition)
    summary = _table(PlanSummary)

    plan_where = ["v.organization_id = %s", "v.visits > 0"]
    plan_params: list[Any] = [organization_id]
    unfiltered = len(plan_where)
    if filters.location_id is not None:
        plan_where.append(
            f"v.plan_id IN (SELECT a2.plan_id FROM {encounters} e2 "
            f"JOIN {activities} a2 ON a2.id = e2.activity_id "
            f"JOIN {appointments} ap2 ON ap2.id = e2.appointment_id "
            "WHERE e2.status = %s AND ap2.location_id = %s)"
        )
        plan_params += [EncounterStatus.FINISHED, filters.location_id]
    if filters.practitioner_id is not None:
        plan_where.append(
            f"(v.plan_id IN (SELECT p3.id FROM {plans} p3 WHERE p3.supervising_practitioner_id = %s) "
            f"OR v.plan_id IN (SELECT a3.plan_id FROM {encounters} e3 "
            f"JOIN {activities} a3 ON a3.id = e3.activity_id "
            "WHERE e3.status = %s AND e3.practitioner_id = %s))"
        )
        plan_params += [filters.practitioner_id, EncounterStatus.FINISHED, filters.practitioner_id]
    if filters.condition is not None:
        sites = CONDITION_GROUPS[filters.condition]
        plan_where.append(
            f"v.plan_id IN (SELECT pp.careplan_id FROM {problems} pp "
            f"JOIN {conditions} c2 ON c2.id = pp.condition_id "
            f"WHERE c2.body_site IN ({', '.join(['%s'] * len(sites))}))"
        )
        plan_params += list(sites)
    base_where: list[str] = []
    base_params: list[Any] = []
    if filters.start_on is not None:
        base_where.append("m.baseline_at >= %s")
        base_params.append(_day_start(filters.start_on))
    if filters.end_on is not None:
        base_where.append("m.baseline_at < %s")
        base_params.append(_day_start(filters.end_on + datetime.timedelta(days=1)))

    improvement = "s.baseline - s.value" if rule.direction == "higher-is-worse" else "s.value - s.baseline"
    reached: list[str] = []
    reached_params: list[Any] = []
    if rule.points is not None:
        reached.append(f"({improvement}) >= %s")
        reached_params.append(rule.points - _TOLERANCE)
    if rule.relative_pct is not None:
        reached.append(f"(s.baseline <> 0 AND ({improvement}) * 100.0 / s.baseline >= %s)")
        reached_params.append(rule.relative_pct - _TOLERANCE)
    reached_sql = " OR ".join(reached) or "1 = 0"

    # The scores are read once, from the score index (instrument, plan, time, id) in the order of the window:
    # on PostgreSQL a merge join with the clinic's summary rows in plan order keeps that order, so nothing is
    # sorted and another clinic's scores are not read. One window pass numbers each plan's scores by time and
    # carries the baseline along; one GROUP BY picks the baseline, the last follow-up and the first follow-up
    # reaching the MCID. Corrected responses are one small list (NOT IN: a hashed filter, order kept). Times
    # come back as ISO text (UTC on both databases), which pandas parses column-wise: a driver's datetime per
    # value costs about 10 us, a second for the 100,000 of a large clinic.
    plans_sql = f"SELECT v.plan_id FROM {summary} v WHERE {' AND '.join(plan_where)}"
    chosen = ""
    if len(plan_where) > unfiltered:
        # A filter's subqueries are evaluated once, into a list the scores are then checked against: left
        # inside the score scan, a planner without statistics for fresh rows (a bulk load that autovacuum has
        # not analysed yet) re-runs them for every score, which at a few hundred plans already takes seconds.
        chosen = f"chosen AS MATERIALIZED ({plans_sql}),\n"
        plans_sql = "SELECT c.plan_id FROM chosen c"
    sql = f"""
WITH {chosen}ranked AS (
    SELECT s.plan_id AS plan_id, s.value AS value, s.effective_at AS effective_at,
           ROW_NUMBER() OVER w AS position,
           COUNT(*) OVER (PARTITION BY s.plan_id) AS measures,
           FIRST_VALUE(s.value) OVER w AS baseline
    FROM {scores} s
    WHERE s.instrument = %s AND s.valid = %s AND s.plan_id IS NOT NULL
      AND s.response_id NOT IN (SELECT r.replaces_id FROM {responses} r WHERE r.replaces_id IS NOT NULL)
      AND s.plan_id IN ({plans_sql})
    WINDOW w AS (PARTITION BY s.plan_id ORDER BY s.effective_at, s.id)
),
measured AS (
    SELECT s.plan_id AS plan_id,
           MAX(CASE WHEN s.position = 1 THEN s.value END) AS baseline,
           MAX(CASE WHEN s.position = 1 THEN s.effective_at END) AS baseline_at,
           MAX(CASE WHEN s.position > 1 AND s.position = s.measures THEN s.value END) AS final,
           MAX(CASE WHEN s.position > 1 AND s.position = s.measures THEN s.effective_at END) AS final_at,
           MIN(CASE WHEN s.position > 1 AND ({reached_sql}) THEN s.effective_at END) AS mcid_at
    FROM ranked s
    GROUP BY s.plan_id
)
SELECT v.plan_id, v.patient_id, v.dc, v.pt, v.lmt, v.visits, m.baseline, CAST(m.baseline_at AS TEXT), m.final,
       CAST(m.final_at AS TEXT), CAST(m.mcid_at AS TEXT), v.body_site, v.location_id, v.supervisor_id
FROM measured m
JOIN {summary} v ON v.plan_id = m.plan_id
WHERE {" AND ".join(base_where) or "1 = 1"}
ORDER BY v.plan_id
"""
    scored: list[Any] = [instrument_code, True]
    params = (plan_params + scored if chosen else scored + plan_params) + reached_params + base_params
    return sql, params


_RAW = (
    "plan_id",
    "patient_id",
    "dc",
    "pt",
    "lmt",
    "visits",
    "baseline",
    "baseline_at",
    "final",
    "final_at",
    "mcid_at",
    "body_site",
    "location_id",
    "practitioner_id",
)


def episodes(
    organization: Organization,
    instrument_code: str,
    filters: EpisodeFilters | None = None,
    *,
    mcid: str | None = None,
) -> pd.DataFrame:
    """One row per episode: analytics.EPISODE_COLUMNS then EXTRA_COLUMNS."""
    code = _instrument_code(instrument_code)
    chosen = (filters or EpisodeFilters()).checked()
    plan_summary_ensure(organization)
    sql, params = episode_sql(organization.pk, code, chosen, mcid)
    with analytic_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    raw = pd.DataFrame.from_records(rows, columns=list(_RAW))
    return _frame(raw)


@contextmanager
def analytic_cursor() -> Iterator[CursorWrapper]:
    """A cursor for the episode query (also what the benchmark EXPLAINs it with).

    On PostgreSQL, for this one analytical query (SET LOCAL: its own transaction): no JIT, whose compiling
    costs more than it saves on a query of a fraction of a second, and room to sort and hash a large clinic's
    scores in memory instead of in batches on disk (100,000 scores: about 12 MB). On SQLite a transaction
    would take the write lock: none there.
    """
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic() if postgresql else nullcontext(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
        yield cursor


def _local_days(values: pd.Series) -> pd.Series:
    """Timestamps (datetimes, or strings from SQLite) as dates in the clinic's time zone."""
    stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    return stamps.dt.tz_convert(timezone.get_current_timezone_name()).dt.normalize().dt.tz_localize(None)


def _frame(raw: pd.DataFrame) -> pd.DataFrame:
    dc, pt, lmt = (raw[c].astype(bool).to_numpy() for c in ("dc", "pt", "lmt"))
    combination = np.select(
        [dc & pt & lmt, dc & pt, dc & lmt, pt & lmt, dc, pt],
        ["all-three", "dc+pt", "dc+lmt", "pt+lmt", "dc", "pt"],
        default="lmt",
    )
    baseline_on = _local_days(raw["baseline_at"])
    final_on = _local_days(raw["final_at"])
    mcid_on = _local_days(raw["mcid_at"])
    frame = pd.DataFrame(
        {
            "combination": combination,
            "baseline": pd.to_numeric(raw["baseline"]).astype(float),
            "final": pd.to_numeric(raw["final"]).astype(float),
            "visits": pd.to_numeric(raw["visits"]).astype(float),
            "days_followed": (final_on - baseline_on).dt.days.astype(float),
            "days_to_mcid": (mcid_on - baseline_on).dt.days.astype(float),
            "plan_id": raw["plan_id"],
            "patient_id": raw["patient_id"],
            "baseline_on": baseline_on.dt.date,
            "condition_group": raw["body_site"].map(GROUP_OF_SITE).fillna(""),
            "location_id": raw["location_id"],
            "practitioner_id": raw["practitioner_id"],
        },
        columns=list(EPISODE_COLUMNS + EXTRA_COLUMNS),
    )
    return frame


def _instrument_code(code: str) -> str:
    try:
        return instrument(code).code
    except ScoringError as error:
        raise EpisodeFilterError(error.message, field="instrument") from error


def clinic_evidence(
    organization: Organization,
    instrument_code: str,
    filters: EpisodeFilters | None = None,
    *,
    mcid: str | None = None,
    **options: Any,
) -> CohortAnalysis:
    """The clinic's own evidence for one instrument: the episode query, then analytics.analyse."""
    frame = episodes(organization, instrument_code, filters, mcid=mcid)
    return analyse(frame, instrument_code=_instrument_code(instrument_code), mcid=mcid, **options)
