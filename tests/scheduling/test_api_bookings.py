"""The plan-booking API: propose, read, confirm, discard; front desk sees disciplines and lengths only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.careplans.conftest import adjustment, exercise

from tandem.audit.models import AuditEvent
from tandem.careplans import services as careplans
from tandem.scheduling.models import Appointment, PlanBooking

pytestmark = pytest.mark.django_db

pytest.importorskip("tandem.scheduling.planning", reason="the optimizer (planning.py) has not landed yet")

API = "/api/v1"


def post(client, url: str, payload: dict[str, Any], headers: dict[str, str]):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def make_plan(lead, person, **extra: Any):
    plan = careplans.careplan_create(actor=lead, patient=person, data={"title": "Back, 2026"})
    if lead.practitioner.discipline == "chiropractic":
        careplans.activity_add(actor=lead, plan=plan, data=adjustment(weeks=2, **extra))
    careplans.activity_add(actor=lead, plan=plan, data=exercise(weeks=2))
    return careplans.careplan_activate(actor=lead, plan=plan)


@pytest.fixture
def robert_plan(alice, patient):
    return make_plan(alice, patient)


def test_front_desk_proposes_sees_no_technique_and_confirms(
    client, token_for, dana, alice, robert_plan, clinic_hours, next_monday
):
    body = {"location": clinic_hours.pk, "starts_on": next_monday.isoformat(), "method": "greedy"}
    response = post(client, f"{API}/careplans/{robert_plan.pk}/bookings", body, token_for(dana))
    assert response.status_code == 201, response.json()
    proposal = response.json()
    assert (proposal["status"], proposal["requested"], proposal["placed"]) == ("proposed", 8, 8)
    assert proposal["unplaced"] == [] and proposal["method"] == "greedy"
    labels = {v["label"] for v in proposal["appointments"]}
    assert labels == {"Chiropractic, 20 min", "Physical therapy, 30 min"}
    text = json.dumps(proposal)
    assert "activator" not in text and "Therapeutic exercise" not in text
    assert all(v["status"] == "proposed" and v["starts_at"][-6] in "+-" for v in proposal["appointments"])
    as_alice = client.get(f"{API}/bookings/{proposal['id']}", **token_for(alice)).json()
    assert "Chiropractic adjustment (activator (instrument-assisted), thoracic)" in {
        v["label"] for v in as_alice["appointments"]
    }
    assert AuditEvent.objects.filter(actor_id=alice.pk, action="R", object_type="PlanBooking").exists()
    confirmed = post(client, f"{API}/bookings/{proposal['id']}/confirm", {}, token_for(dana))
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert {v["status"] for v in confirmed.json()["appointments"]} == {"booked"}
    again = post(client, f"{API}/bookings/{proposal['id']}/confirm", {}, token_for(dana))
    assert again.status_code == 422
    assert again.json()["errors"] == [{"field": "status", "message": "This proposal is already confirmed."}]


def test_discarding_through_the_api(client, token_for, dana, robert_plan, clinic_hours, next_monday):
    body = {"location": clinic_hours.pk, "starts_on": next_monday.isoformat(), "method": "greedy"}
    proposal = post(client, f"{API}/careplans/{robert_plan.pk}/bookings", body, token_for(dana)).json()
    response = post(client, f"{API}/bookings/{proposal['id']}/discard", {}, token_for(dana))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["appointments"]) == ("discarded", [])
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"location": None}, "location"),
        ({"location": 99999999}, "location"),
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"method": "magic"}, "method"),
    ],
)
def test_bad_proposals_answer_422_naming_the_field(
    client, token_for, dana, robert_plan, clinic_hours, body, field
):
    payload = {"location": clinic_hours.pk, "method": "greedy", **body}
    response = post(client, f"{API}/careplans/{robert_plan.pk}/bookings", payload, token_for(dana))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not PlanBooking.objects.exists()


def test_maya_gets_404_for_lindas_plan_and_booking(
    client, token_for, ben, maya, dana, other_patient, clinic_hours, next_monday
):
    plan = make_plan(ben, other_patient)
    headers = token_for(maya)
    body = {"location": clinic_hours.pk, "method": "greedy"}
    assert post(client, f"{API}/careplans/{plan.pk}/bookings", body, headers).status_code == 404
    proposal = post(client, f"{API}/careplans/{plan.pk}/bookings", body, token_for(dana)).json()
    assert client.get(f"{API}/bookings/{proposal['id']}", **headers).status_code == 404
    for action in ("confirm", "discard"):
        assert post(client, f"{API}/bookings/{proposal['id']}/{action}", {}, headers).status_code == 404
    assert PlanBooking.objects.get().status == "proposed"
