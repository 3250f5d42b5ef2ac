"""Plans of care for the personas: Robert Hale's low-back episode, supervised by alice (DC)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from tandem.careplans import services
from tandem.careplans.models import Activity, CarePlan
from tandem.patients.models import Patient

EPISODE = "Low back pain — concurrent care, Nov 2026"


@pytest.fixture
def plan(alice, patient: Patient) -> CarePlan:
    return services.careplan_create(
        actor=alice,
        patient=patient,
        data={
            "title": EPISODE,
            "period_start_on": datetime.date(2026, 11, 2),
            "problems": [patient.conditions.get().pk],
        },
    )


def adjustment(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "chiropractic-adjustment",
        "discipline": "chiropractic",
        "techniques": ["chiro-activator"],
        "body_sites": ["thoracic"],
        "technique_notes": "Low-force; no rotation.",
        "visits_per_week": 2,
        "weeks": 6,
        "visit_minutes": 20,
    }
    data.update(extra)
    return data


def exercise(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "therapeutic-exercise",
        "discipline": "physical-therapy",
        "techniques": ["pt-therapeutic-exercise"],
        "body_sites": ["lumbar"],
        "exercises": [{"name": "Bird dog", "sets": 3, "repetitions": 10, "notes": "slow"}],
        "visits_per_week": 2,
        "weeks": 6,
        "visit_minutes": 30,
    }
    data.update(extra)
    return data


def massage(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "medical-massage",
        "discipline": "massage-therapy",
        "techniques": ["massage-swedish"],
        "body_sites": ["thoracic"],
        "massage_pressure": "light",
        "visits_per_week": 1,
        "weeks": 6,
        "visit_minutes": 45,
    }
    data.update(extra)
    return data


@pytest.fixture
def add_activity(alice):
    def add(plan: CarePlan, data: dict[str, Any], actor=None, override_reason: str = "") -> Activity:
        return services.activity_add(
            actor=actor or alice, plan=plan, data=data, override_reason=override_reason
        )

    return add
