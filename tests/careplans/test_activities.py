"""What an activity must say: techniques of its discipline, the right sites, pressure, dose, practitioner."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, exercise, massage

from tandem.careplans.models import Activity


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (adjustment(techniques=["massage-swedish"]), "techniques"),
        (adjustment(techniques=["chiro-made-up"]), "techniques"),
        (adjustment(techniques=[]), "techniques"),
        (adjustment(body_sites=["knee-left"]), "body_sites"),
        (adjustment(body_sites=["elbow"]), "body_sites"),
        (adjustment(body_sites=["lumbar", "lumbar"]), "body_sites"),
        (adjustment(discipline="physical-therapy"), "discipline"),
        (adjustment(kind="acupuncture"), "kind"),
        (adjustment(massage_pressure="deep"), "massage_pressure"),
        (massage(massage_pressure=""), "massage_pressure"),
        (massage(massage_pressure="crushing"), "massage_pressure"),
        (massage(exercises=[{"name": "Plank", "sets": 3, "repetitions": 1}]), "exercises"),
        (exercise(exercises=[{"name": "Plank", "sets": 0, "repetitions": 1}]), "exercises"),
        (exercise(exercises=[{"name": "", "sets": 1, "repetitions": 1}]), "exercises"),
        (exercise(exercises=[{"name": "Plank", "sets": 1, "repetitions": 1, "weight": 5}]), "exercises"),
        (exercise(visits_per_week=8), "visits_per_week"),
        (exercise(weeks=0), "weeks"),
        (exercise(visit_minutes=300), "visit_minutes"),
        (exercise(visit_minutes=None), "visit_minutes"),
        (exercise(status="finished"), "status"),
        (exercise(status="cancelled"), "status"),
        ({**exercise(), "approval": "approved"}, "approval"),
    ],
)
def test_it_refuses_an_activity_that_does_not_add_up(plan, add_activity, data, field):
    with pytest.raises(ValidationError) as refused:
        add_activity(plan, data)
    assert field in refused.value.message_dict
    assert not Activity.objects.exists()


def test_the_discipline_follows_from_the_kind(plan, add_activity):
    data = exercise()
    del data["discipline"]
    assert add_activity(plan, data).discipline == "physical-therapy"


def test_the_preferred_practitioner_is_on_the_team_and_of_the_discipline(
    ben, maya, outsider, plan, add_activity
):
    assert add_activity(
        plan, exercise(preferred_practitioner=ben.practitioner.pk)
    ).preferred_practitioner == (ben.practitioner)
    for person in (maya, outsider):
        with pytest.raises(ValidationError) as refused:
            add_activity(plan, exercise(preferred_practitioner=person.practitioner.pk))
        assert "preferred_practitioner" in refused.value.message_dict
