from __future__ import annotations

import json

from tandem.audit.models import AuditEvent, AuditOutcome
from tandem.patients.models import Patient


def test_it_shows_maya_a_patient_on_her_team_and_hides_one_off_it(
    maya, patient, other_patient, token_for, client
):
    headers = token_for(maya)
    on_team = client.get(f"/api/v1/patients/{patient.pk}", **headers)
    off_team = client.get(f"/api/v1/patients/{other_patient.pk}", **headers)
    assert on_team.status_code == 200
    assert on_team.json()["family_name"] == "Hale"
    assert off_team.status_code == 404
    reads = AuditEvent.objects.filter(actor_id=maya.pk, action="R", object_type="Patient")
    assert set(reads.values_list("patient_id", "outcome")) == {
        (patient.pk, AuditOutcome.SUCCESS),
        (other_patient.pk, AuditOutcome.MINOR_FAILURE),
    }
    assert set(reads.values_list("channel", flat=True)) == {"api"}


def test_it_refuses_an_impossible_birth_date_and_stores_nothing(alice, token_for, client):
    before = Patient.objects.count()
    response = client.post(
        "/api/v1/patients/",
        data=json.dumps(
            {"given_name": "Ann", "family_name": "Lee", "birth_date": "2023-02-30", "sex": "female"}
        ),
        content_type="application/json",
        **token_for(alice),
    )
    assert response.status_code == 422
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["birth_date"]
    assert Patient.objects.count() == before


def test_it_refuses_a_future_birth_date_naming_the_field(dana, token_for, client):
    response = client.post(
        "/api/v1/patients/",
        data=json.dumps(
            {"given_name": "Ann", "family_name": "Lee", "birth_date": "2999-01-01", "sex": "female"}
        ),
        content_type="application/json",
        **token_for(dana),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "birth_date", "message": "The birth date is in the future."}
    ]
    assert not Patient.objects.filter(family_name="Lee").exists()


def test_it_refuses_an_unknown_icd10_code(alice, patient, token_for, client):
    response = client.post(
        f"/api/v1/patients/{patient.pk}/conditions",
        data=json.dumps({"code": "M99.999", "category": "structural"}),
        content_type="application/json",
        **token_for(alice),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "code"
    assert "not an ICD-10-CM code" in response.json()["errors"][0]["message"]
