from __future__ import annotations

import json

from tandem.audit.models import AuditEvent
from tandem.patients.models import CareTeamMember, Condition, Patient


def _post(client, url, payload, headers):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def _patch(client, url, payload, headers):
    return client.patch(url, data=json.dumps(payload), content_type="application/json", **headers)


def test_it_lists_patients_in_pages_and_searches_them(dana, new_patient, token_for, client):
    for index in range(7):
        new_patient(dana, f"Given{index}", "Ashby" if index % 2 else "Brook")
    headers = token_for(dana)
    page = client.get("/api/v1/patients/?limit=3&offset=0", **headers).json()
    assert page["count"] == 7 and len(page["items"]) == 3
    found = client.get("/api/v1/patients/?q=ashby", **headers).json()
    assert found["count"] == 3
    assert {p["family_name"] for p in found["items"]} == {"Ashby"}
    assert AuditEvent.objects.filter(actor_id=dana.pk, action="E", detail="search: ashby").exists()


def test_a_clinician_lists_only_her_care_team_patients(maya, patient, other_patient, token_for, client):
    listed = client.get("/api/v1/patients/", **token_for(maya)).json()
    assert [p["id"] for p in listed["items"]] == [patient.pk]


def test_it_updates_demographics_and_refuses_unknown_values(dana, patient, token_for, client):
    headers = token_for(dana)
    ok = _patch(
        client, f"/api/v1/patients/{patient.pk}", {"preferred_language": "es", "city": "Salem"}, headers
    )
    assert ok.status_code == 200 and ok.json()["preferred_language"] == "es"
    bad = _patch(
        client, f"/api/v1/patients/{patient.pk}", {"preferred_language": "xx", "sex": "robot"}, headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"preferred_language", "sex"}
    assert Patient.objects.get(pk=patient.pk).preferred_language == "es"


def test_front_desk_cannot_read_or_add_clinical_records(dana, patient, token_for, client):
    headers = token_for(dana)
    assert client.get(f"/api/v1/patients/{patient.pk}/conditions", **headers).status_code == 404
    response = _post(
        client,
        f"/api/v1/patients/{patient.pk}/conditions",
        {"code": "M54.2", "category": "soft-tissue"},
        headers,
    )
    assert response.status_code == 404
    assert Condition.objects.filter(patient=patient).count() == 1


def test_a_clinician_on_the_team_keeps_the_chart(ben, patient, token_for, client):
    headers = token_for(ben)
    created = _post(
        client,
        f"/api/v1/patients/{patient.pk}/conditions",
        {"code": "M54.2", "body_site": "cervical", "category": "soft-tissue", "onset_on": "2026-10-01"},
        headers,
    )
    assert created.status_code == 201
    condition_id = created.json()["id"]
    updated = _patch(client, f"/api/v1/conditions/{condition_id}", {"clinical_status": "resolved"}, headers)
    assert updated.json()["clinical_status"] == "resolved"
    medication = _post(
        client, f"/api/v1/patients/{patient.pk}/medications", {"medication": "Clopidogrel 75 mg"}, headers
    )
    assert medication.json()["risk_flags"] == ["antiplatelet"]
    allergy = _post(
        client,
        f"/api/v1/patients/{patient.pk}/allergies",
        {"substance": "arnica", "category": "environment", "criticality": "high"},
        headers,
    )
    assert allergy.status_code == 201
    listed = client.get(f"/api/v1/patients/{patient.pk}/medications", **headers).json()
    assert {m["medication"] for m in listed} == {"Warfarin 5 mg", "Clopidogrel 75 mg"}


def test_a_bad_condition_update_changes_nothing(alice, patient, token_for, client):
    condition = Condition.objects.get(patient=patient)
    response = _patch(
        client, f"/api/v1/conditions/{condition.pk}", {"code": "M51.36", "evidence": "new"}, token_for(alice)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
    condition.refresh_from_db()
    assert (condition.code, condition.evidence) == (
        "M51.362",
        "MRI 2026-03-02: advanced L4-L5 disc degeneration",
    )


def test_the_lead_manages_the_care_team_and_members_cannot(alice, maya, ben, patient, token_for, client):
    member = CareTeamMember.objects.get(patient=patient, practitioner=maya.practitioner)
    refused = _post(client, f"/api/v1/care-team/{member.pk}/end", {}, token_for(ben))
    assert refused.status_code == 404
    ended = _post(client, f"/api/v1/care-team/{member.pk}/end", {}, token_for(alice))
    assert ended.status_code == 200 and ended.json()["ended_on"]
    assert client.get(f"/api/v1/patients/{patient.pk}", **token_for(maya)).status_code == 404
    again = _post(
        client,
        f"/api/v1/patients/{patient.pk}/care-team",
        {"practitioner": maya.practitioner.pk, "role": "member"},
        token_for(alice),
    )
    assert again.status_code == 201
    assert client.get(f"/api/v1/patients/{patient.pk}", **token_for(maya)).status_code == 200


def test_the_icd10_picker_finds_codes_by_words_and_prefix(alice, token_for, client):
    by_words = client.get("/api/v1/icd10?q=plantar fascial", **token_for(alice)).json()
    assert {"code": "M72.2", "description": "Plantar fascial fibromatosis"} in by_words
    by_prefix = client.get("/api/v1/icd10?q=M51.36", **token_for(alice)).json()
    assert [c["code"] for c in by_prefix] == ["M51.360", "M51.361", "M51.362", "M51.369"]


def test_the_openapi_document_describes_the_api(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/patients/{patient_id}" in document["paths"]
    assert "/api/v1/patients/{patient_id}/conditions" in document["paths"]
