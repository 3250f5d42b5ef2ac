"""The outcomes benchmark's generator at a tiny size on the test database, and its floor SQL held to
clinic_evidence's answers (bench/outcomes.py, `make bench`)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root holds the bench package

from bench.outcomes import compare, floor_sql, markdown, run_floor, svg, targets  # noqa: E402
from bench.outcomes_data import generate, overlaps, row_counts  # noqa: E402

from tandem.charting.models import Encounter, EncounterStatus  # noqa: E402
from tandem.outcomes.episodes import clinic_evidence  # noqa: E402
from tandem.outcomes.models import Score  # noqa: E402
from tandem.outcomes.services import plan_summary_refresh  # noqa: E402
from tandem.scheduling.models import Appointment, AppointmentStatus  # noqa: E402

VISITS, RESPONSES = 3000, 900


@pytest.fixture
def clinic(db: Any) -> Any:
    organization, counts = generate(visits=VISITS, responses=RESPONSES, seed=5)
    return organization, counts


def test_it_generates_the_requested_visits_and_responses_with_every_visit_finished(clinic: Any) -> None:
    organization, counts = clinic
    rows = row_counts()
    assert rows["appointments"] == rows["encounters"] == VISITS
    assert rows["responses"] == rows["scores"] == RESPONSES
    assert counts.rows["appointments"] == VISITS and counts.rows["scores"] == RESPONSES
    assert not Appointment.objects.exclude(status=AppointmentStatus.FULFILLED).exists()
    assert not Encounter.objects.exclude(status=EncounterStatus.FINISHED).exists()
    assert not Encounter.objects.filter(ended_at__isnull=True).exists()
    mismatched = Encounter.objects.exclude(practitioner_id=F("appointment__practitioner_id")).count()
    assert mismatched == 0
    assert Score.objects.filter(valid=True).count() == RESPONSES
    # Plans of one, two and three disciplines, and every condition group, are present.
    sites = set(Score.objects.values_list("plan__problems__body_site", flat=True))
    assert {"lumbar", "sacral", "pelvis"} & sites and {"cervical", "head"} & sites


def test_no_practitioner_room_or_patient_is_double_booked_and_the_guards_are_back(clinic: Any) -> None:
    assert overlaps() == {"practitioner": 0, "room": 0, "patient": 0}
    first = Appointment.objects.order_by("pk").first()
    assert first is not None
    twin = Appointment.objects.get(pk=first.pk)
    twin.pk = None
    twin.starts_at += datetime.timedelta(minutes=5)
    twin.ends_at += datetime.timedelta(minutes=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()  # the database refuses it: the triggers / exclusion constraints were put back


def test_the_floor_sql_gives_clinic_evidences_numbers(clinic: Any) -> None:
    organization, _ = clinic
    plan_summary_refresh(organization)  # the background refresh: the floor reads the plan summary too
    floor = run_floor(connection.connection, connection.vendor, organization.pk)
    analysis = clinic_evidence(organization, "odi")
    check = compare(floor, analysis)
    assert check == {"equal": True, "mismatches": []}
    assert sum(row["with_followup"] for row in floor.values()) == sum(
        c.with_followup for c in analysis.cohorts
    )
    assert sum(row["with_followup"] for row in floor.values()) > 50
    # And it is a different statement, not the episode query itself.
    sql, _ = floor_sql(connection.vendor, organization.pk, "odi")
    assert "GROUP BY v.bits" in sql


def _timing(median: float) -> dict[str, Any]:
    return {"median": median, "min": median, "max": median, "runs": [median]}


def _entry(floor: float, dashboard: float | None) -> dict[str, Any]:
    steps = {"floor": _timing(floor), "episodes": _timing(floor * 1.5), "clinic_evidence": _timing(floor * 2)}
    filtered = {"clinic_evidence": _timing(floor)}
    if dashboard is not None:
        steps["dashboard"] = _timing(dashboard)
        filtered["dashboard"] = _timing(dashboard / 2)
    return {
        "version": "x",
        "rows": dict.fromkeys(
            ("patients", "plans", "activities", "appointments", "encounters", "responses", "scores"), 1
        ),
        "episodes": 1,
        "load_seconds": 1.0,
        "analyze_seconds": 1.0,
        "database_mb": 1.0,
        "steps": steps,
        "filtered": filtered,
        "filtered_by": {"condition": "lumbar", "practitioner_id": 1},
        "filtered_episodes": 1,
        "floor_result": {},
        "floor_matches_clinic_evidence": {"equal": True, "mismatches": []},
        "notes": [],
        "explain": None,
        "refresh": _timing(floor * 3),
        "summary_rows": 1,
    }


@pytest.mark.parametrize(
    ("floor", "dashboard", "expected"),
    [
        (0.5, 1.2, [True, True]),  # under 2 s and 2.4x the floor
        (0.5, 1.8, [True, False]),  # under 2 s but 3.6x the floor
        (1.0, 2.5, [False, True]),  # over 2 s, 2.5x the floor
        (0.5, None, [None, None]),  # no dashboard: not measured
    ],
)
def test_the_targets_read_the_postgresql_dashboard(
    floor: float, dashboard: float | None, expected: list
) -> None:
    results = {
        "generated_at": "2026-01-01T00:00:00+00:00",
        "command": "python -m bench outcomes",
        "machine": {"cpus": 2, "python": "3.11", "sqlite": "3", "postgresql": "15"},
        "visits": 10,
        "responses": 3,
        "repeat": 1,
        "seed": 1,
        "instrument": "odi",
        "databases": {"postgresql": _entry(floor, dashboard)},
    }
    verdicts = targets(results)
    assert [t["met"] for t in verdicts] == expected
    results["targets"] = verdicts
    assert ("NOT MET" in markdown(results)) == (False in expected)
    assert "| postgresql, background refresh (plan summary of 1 plans" in markdown(results)
    assert svg(results).startswith("<svg") and "2 s target" in svg(results)
