"""The safety API: the check, the rule set, screenings and overrides."""

from __future__ import annotations

import json

import pytest
from tests.conftest import make_patient

from tandem.audit.models import AuditEvent
from tandem.safety.engine import PlannedActivity
from tandem.safety.services import safety_gate, screening_record


def _check(client, patient_id: int, activities: list[dict]) -> object:
    body = json.dumps({"patient": patient_id, "activities": activities})
    return client.post("/api/v1/safety/check", body, content_type="application/json")


def test_it_flags_deep_tissue_on_the_lumbar_spine_for_a_patient_on_warfarin(alice, patient, client_for):
    response = _check(
        client_for(alice), patient.pk, [{"technique": "massage-deep-tissue", "body_sites": ["lumbar"]}]
    )
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert findings[0]["severity"] == "contraindicated"
    assert findings[0]["rule"] == "massage-anticoagulant-deep"
    assert findings[0]["technique"] == "massage-deep-tissue"
    assert "NCCIH" in findings[0]["source"] and "NCCIH" in findings[0]["message"]
    assert "anticoagulant" in findings[0]["message"]


def test_it_finds_nothing_for_swedish_massage_of_the_neck_without_risk_factors(alice, client_for):
    healthy = make_patient(alice, "Nora", "Quinn")
    response = _check(
        client_for(alice), healthy.pk, [{"technique": "massage-swedish", "body_sites": ["cervical"]}]
    )
    assert response.status_code == 200
    assert response.json() == {"findings": []}


def test_it_answers_a_precaution_for_swedish_massage_on_warfarin(ben, patient, token_for, client):
    activity = {"technique": "massage-swedish", "body_sites": ["cervical"], "pressure": "light"}
    body = json.dumps({"patient": patient.pk, "activities": [activity]})
    response = client.post("/api/v1/safety/check", body, content_type="application/json", **token_for(ben))
    assert response.status_code == 200
    assert [(f["severity"], f["rule"]) for f in response.json()["findings"]] == [
        ("precaution", "massage-anticoagulant-light")
    ]


@pytest.mark.parametrize("pressure", ["firm", "deep", None])
def test_it_contraindicates_firm_deep_or_unstated_pressure_on_warfarin(pressure, alice, patient, client_for):
    activity = {"technique": "massage-swedish", "body_sites": ["cervical"]}
    if pressure:
        activity["pressure"] = pressure
    response = _check(client_for(alice), patient.pk, [activity])
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert (findings[0]["severity"], findings[0]["rule"]) == ("contraindicated", "massage-anticoagulant-firm")
    assert "NCCIH" in findings[0]["source"]


def test_it_names_an_unknown_pressure_in_a_422(alice, patient, client_for):
    response = _check(
        client_for(alice),
        patient.pk,
        [
            {"technique": "massage-swedish", "body_sites": ["cervical"], "pressure": "light"},
            {"technique": "massage-swedish", "body_sites": ["lumbar"], "pressure": "crushing"},
        ],
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert list(errors) == ["activities.1.pressure"] and "crushing" in errors["activities.1.pressure"]
    assert not AuditEvent.objects.filter(object_type="SafetyCheck").exists()


def test_it_names_each_unknown_code_in_a_422(alice, patient, client_for):
    response = _check(
        client_for(alice),
        patient.pk,
        [
            {"technique": "massage-swedish", "body_sites": ["cervical"]},
            {"technique": "reiki", "body_sites": ["lumbar", "aura"]},
        ],
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert "reiki" in errors["activities.1.technique"]
    assert "aura" in errors["activities.1.body_sites.1"]
    assert len(errors) == 2


def test_it_refuses_an_empty_activity_list(alice, patient, client_for):
    assert _check(client_for(alice), patient.pk, []).status_code == 422


def test_it_audits_the_check(alice, patient, client_for):
    _check(client_for(alice), patient.pk, [{"technique": "massage-swedish", "body_sites": ["cervical"]}])
    event = AuditEvent.objects.filter(object_type="SafetyCheck").get()
    assert event.patient_id == patient.pk and event.actor_id == alice.pk and event.action == "R"


@pytest.mark.parametrize("persona", ["outsider", "dana", "admin"])
def test_it_answers_404_for_a_patient_the_caller_may_not_see(persona, personas, patient, client_for):
    response = _check(
        client_for(personas[persona]), patient.pk, [{"technique": "massage-swedish", "body_sites": []}]
    )
    assert response.status_code == 404


def test_it_answers_404_to_maya_for_linda_park(maya, other_patient, client_for):
    client = client_for(maya)
    response = _check(client, other_patient.pk, [{"technique": "massage-swedish", "body_sites": []}])
    assert response.status_code == 404
    assert client.get(f"/api/v1/patients/{other_patient.pk}/screenings").status_code == 404
    assert client.get(f"/api/v1/patients/{other_patient.pk}/safety-overrides").status_code == 404
    created = client.post(
        f"/api/v1/patients/{other_patient.pk}/screenings", "{}", content_type="application/json"
    )
    assert created.status_code == 404


def test_it_answers_404_for_a_patient_that_does_not_exist(alice, client_for):
    assert (
        _check(client_for(alice), 999999, [{"technique": "massage-swedish", "body_sites": []}]).status_code
        == 404
    )


def test_it_publishes_the_rule_set_with_sources(alice, client_for):
    response = client_for(alice).get("/api/v1/safety/rules")
    assert response.status_code == 200
    body = response.json()
    rules = {rule["id"]: rule for rule in body["rules"]}
    assert "NCCIH" in rules["massage-anticoagulant-deep"]["source"]
    assert "massage-deep-tissue" in rules["massage-anticoagulant-deep"]["techniques"]
    assert {"code": "saddle-anaesthesia"}.items() <= next(
        flag for flag in body["red_flags"] if flag["code"] == "saddle-anaesthesia"
    ).items()


def test_it_records_and_lists_screenings(alice, patient, client_for):
    client = client_for(alice)
    body = {
        "red_flags": ["saddle-anaesthesia"],
        "factors": [{"factor": "open-wound", "body_site": "knee-left"}],
        "notes": "Numbness since Tuesday",
    }
    created = client.post(
        f"/api/v1/patients/{patient.pk}/screenings", json.dumps(body), content_type="application/json"
    )
    assert created.status_code == 201
    screening = created.json()
    assert screening["urgent_referral_recommended"] is True
    assert screening["factors"] == [{"factor": "open-wound", "body_site": "knee-left"}]
    assert screening["screened_by"] == "alice"
    listed = client.get(f"/api/v1/patients/{patient.pk}/screenings").json()
    assert [s["id"] for s in listed] == [screening["id"]]
    assert client.get(f"/api/v1/screenings/{screening['id']}").json()["notes"] == "Numbness since Tuesday"


def test_it_refuses_unknown_screening_codes_and_saves_nothing(alice, patient, client_for):
    body = {"red_flags": ["itchy-ears"], "factors": [{"factor": "open-wound", "body_site": "elbow"}]}
    response = client_for(alice).post(
        f"/api/v1/patients/{patient.pk}/screenings", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"red_flags", "factors"}
    assert not patient.screenings.exists()


def test_it_hides_screenings_from_the_front_desk_and_outsiders(alice, dana, outsider, patient, client_for):
    screening = screening_record(actor=alice, patient=patient, data={})
    for person in (dana, outsider):
        client = client_for(person)
        assert client.get(f"/api/v1/screenings/{screening.pk}").status_code == 404
        assert client.get(f"/api/v1/patients/{patient.pk}/screenings").status_code == 404
        posted = client.post(
            f"/api/v1/patients/{patient.pk}/screenings", "{}", content_type="application/json"
        )
        assert posted.status_code == 404
    assert patient.screenings.count() == 1


def test_it_lists_the_overrides_on_record(alice, ben, patient, client_for):
    safety_gate(
        actor=alice,
        patient=patient,
        activities=[PlannedActivity("massage-swedish", ("cervical",), "light")],
        override_reason="INR stable; light pressure only",
        subject="referral:7",
    )
    response = client_for(ben).get(f"/api/v1/patients/{patient.pk}/safety-overrides")
    assert response.status_code == 200
    [override] = response.json()
    assert override["rule"] == "massage-anticoagulant-light"
    assert override["overridden_by"] == "alice"
    assert override["subject"] == "referral:7"
    assert client_for(alice).get(f"/api/v1/patients/{patient.pk}/safety-overrides").status_code == 200
