"""GET/PUT /api/v1/careplans/{plan_id}/measure-schedule and GET /api/v1/patients/{id}/measures/due: the plan's
measure schedule through outcomes.services.schedule_set (same rules, messages and audit as the chart panel's
form), due and overdue measures; 404 for anyone who may not see the patient's scores."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client
from django.utils import timezone
from tests.outcomes import administering
from tests.outcomes.administering import ODI_ANSWERS

from tandem.audit.models import AuditAction, AuditEvent, AuditOutcome
from tandem.careplans import services as careplans
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.outcomes import services
from tandem.outcomes.models import MeasureSchedule

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan


def url(plan: CarePlan) -> str:
    return f"/api/v1/careplans/{plan.pk}/measure-schedule"


def put(client: Client, plan: CarePlan, body: object, **headers: str):
    return client.put(url(plan), data=json.dumps(body), content_type="application/json", **headers)


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"]
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.fixture
def linda_plan(ben, other_patient) -> CarePlan:
    """A running plan of Linda Park, whose care team is ben alone."""
    plan = careplans.careplan_create(
        actor=ben, patient=other_patient, data={"title": "Neck pain", "period_start_on": timezone.localdate()}
    )
    CarePlan.objects.filter(pk=plan.pk).update(status=CarePlanStatus.ACTIVE)
    return plan


def test_an_unset_schedule_reads_as_the_forms_defaults(alice, robert_plan, client_for):
    answer = client_for(alice).get(url(robert_plan))
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "plan": robert_plan.pk,
        "configured": False,
        "instruments": [],
        "at_baseline": True,
        "every_visits": None,
        "every_weeks": None,
        "at_discharge": True,
        "updated_at": None,
        "updated_by": None,
    }


def test_alice_sets_the_schedule_with_a_token_and_reads_it_back_audited(alice, token_for, robert_plan):
    headers = token_for(alice)
    body = {"instruments": ["odi", "nprs", "odi"], "every_weeks": 2, "at_discharge": False}
    answer = put(Client(), robert_plan, body, **headers)
    assert answer.status_code == 200, answer.content
    stored = MeasureSchedule.objects.get(plan=robert_plan)
    assert stored.instruments == ["odi", "nprs"] and stored.every_weeks == 2 and stored.every_visits is None
    assert stored.at_baseline is True and stored.at_discharge is False and stored.updated_by == alice
    read = Client().get(url(robert_plan), **headers).json()
    assert read == {**answer.json(), "configured": True}
    assert read["instruments"] == ["odi", "nprs"] and read["updated_by"] == "alice"
    audits = AuditEvent.objects.filter(object_type="MeasureSchedule", patient_id=robert_plan.patient_id)
    assert audits.filter(action=AuditAction.CREATE, object_id=str(stored.pk)).count() == 1
    assert audits.filter(action=AuditAction.READ, object_id=str(stored.pk)).exists()


def test_a_second_put_replaces_the_schedule(alice, robert_plan, client_for):
    client = client_for(alice)
    put(client, robert_plan, {"instruments": ["odi"], "every_weeks": 2})
    answer = put(client, robert_plan, {"instruments": ["quickdash", "quickdash-work"], "every_visits": 4})
    assert answer.status_code == 200, answer.content
    stored = MeasureSchedule.objects.get(plan=robert_plan)
    assert stored.instruments == ["quickdash", "quickdash-work"]
    assert (stored.every_visits, stored.every_weeks) == (4, None)
    assert AuditEvent.objects.filter(object_type="MeasureSchedule", action=AuditAction.UPDATE).count() == 1


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"instruments": ["sf36"]}, "instruments", "Choose one or more of: nprs, odi"),
        ({"instruments": []}, "instruments", "Choose one or more of"),
        ({}, "instruments", "Choose one or more of"),
        (
            {"instruments": ["odi"], "every_visits": 2, "every_weeks": 2},
            "every_weeks",
            "Repeat every N visits or every N weeks, not both.",
        ),
        ({"instruments": ["odi"], "every_weeks": 0}, "every_weeks", "Use a whole number from 1 to 52."),
        ({"instruments": ["odi"], "every_visits": 53}, "every_visits", "Use a whole number from 1 to 52."),
        ({"instruments": ["odi"], "every_visits": True}, "every_visits", "valid integer"),
        ({"instruments": ["odi"], "every_weeks": "2"}, "every_weeks", "valid integer"),
        ({"instruments": ["odi"], "at_baseline": "yes"}, "at_baseline", "valid boolean"),
        ({"instruments": "odi"}, "instruments", "valid list"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
    alice, robert_plan, client_for, body, field, message
):
    client = client_for(alice)
    put(client, robert_plan, {"instruments": ["nprs"], "every_weeks": 3})
    before = list(MeasureSchedule.objects.values_list())
    found = errors(put(client, robert_plan, body))
    assert field in found and message in found[field], found
    assert list(MeasureSchedule.objects.values_list()) == before


def test_the_api_and_the_chart_form_write_the_same_schedule(alice, patient, robert_plan, client_for):
    """Both go through schedule_set: the form's "every 52 weeks" and the API's every_weeks 52 store the same
    row; one more week is refused by the service's own words."""
    client = client_for(alice)
    page = client.post(
        f"/patients/{patient.pk}/measures/schedule",
        {"plan": robert_plan.pk, "instruments": ["odi"], "at_baseline": "on", "repeat": "weeks", "every": 52},
    )
    assert page.status_code == 302
    from_form = MeasureSchedule.objects.values(
        "instruments", "at_baseline", "every_weeks", "every_visits"
    ).get()
    answer = put(client, robert_plan, {"instruments": ["odi"], "every_weeks": 52, "at_discharge": False})
    assert answer.status_code == 200, answer.content
    from_api = MeasureSchedule.objects.values(
        "instruments", "at_baseline", "every_weeks", "every_visits"
    ).get()
    assert (
        from_api
        == from_form
        == {
            "instruments": ["odi"],
            "at_baseline": True,
            "every_weeks": 52,
            "every_visits": None,
        }
    )
    refused = errors(put(client, robert_plan, {"instruments": ["odi"], "every_weeks": 53}))
    assert refused == {"every_weeks": "Use a whole number from 1 to 52."}


@pytest.mark.parametrize("who", ["dana", "outsider"])
def test_people_who_may_not_see_the_scores_get_404_and_nothing_is_written(
    who, personas, robert_plan, client_for
):
    client = client_for(personas[who])
    assert client.get(url(robert_plan)).status_code == 404
    refused = put(client, robert_plan, {"instruments": ["odi"]})
    assert refused.status_code == 404 and refused.json() == {"detail": "Not found.", "errors": []}
    assert not MeasureSchedule.objects.exists()
    due = client.get(f"/api/v1/patients/{robert_plan.patient_id}/measures/due")
    assert due.status_code == 404


def test_a_clinician_off_the_patients_team_gets_404_and_unknown_plans_too(alice, linda_plan, client_for):
    client = client_for(alice)
    assert client.get(url(linda_plan)).status_code == 404
    assert put(client, linda_plan, {"instruments": ["ndi"]}).status_code == 404
    assert not MeasureSchedule.objects.exists()
    assert client.get("/api/v1/careplans/999999/measure-schedule").status_code == 404
    assert client.get(f"/api/v1/patients/{linda_plan.patient_id}/measures/due").status_code == 404
    assert AuditEvent.objects.filter(
        actor_id=alice.pk, outcome=AuditOutcome.MINOR_FAILURE, detail="access refused"
    ).exists()


def test_anonymous_callers_are_refused(robert_plan):
    assert Client().get(url(robert_plan)).status_code == 401
    assert put(Client(), robert_plan, {"instruments": ["odi"]}).status_code == 401


def test_due_and_overdue_measures_per_instrument(alice, patient, robert_plan, client_for):
    client = client_for(alice)
    put(client, robert_plan, {"instruments": ["odi", "nprs"], "every_weeks": 2})
    start = robert_plan.period_start_on  # four weeks ago
    due_url = f"/api/v1/patients/{patient.pk}/measures/due"
    listed = client.get(due_url)
    assert listed.status_code == 200, listed.content
    found = {(d["instrument"], d["timepoint"]): d for d in listed.json()}
    assert set(found) == {
        ("odi", "baseline"),
        ("odi", "follow-up"),
        ("nprs", "baseline"),
        ("nprs", "follow-up"),
    }
    assert found[("odi", "baseline")]["due_on"] == start.isoformat()
    assert found[("odi", "follow-up")]["due_on"] == (start + datetime.timedelta(weeks=2)).isoformat()
    assert all(d["overdue"] for d in found.values())  # both due days have passed
    assert found[("odi", "baseline")]["plan"] == robert_plan.pk
    assert found[("odi", "baseline")]["plan_title"] == robert_plan.title
    assert found[("nprs", "baseline")]["instrument_name"] == "NPRS"
    services.response_record(
        actor=alice,
        patient=patient,
        instrument_code="odi",
        source="paper",
        answers=ODI_ANSWERS,
        plan=robert_plan,
        timepoint="baseline",
    )
    after = {(d["instrument"], d["timepoint"]) for d in client.get(due_url).json()}
    assert after == set(found) - {("odi", "baseline")}
    assert AuditEvent.objects.filter(
        actor_id=alice.pk, action=AuditAction.READ, object_type="MeasureSchedule", detail="api, due"
    ).exists()


def test_no_schedule_means_nothing_due(alice, patient, robert_plan, client_for):
    answer = client_for(alice).get(f"/api/v1/patients/{patient.pk}/measures/due")
    assert answer.status_code == 200 and answer.json() == []
