"""POST/GET /api/v1/patients/{id}/responses and POST /api/v1/patients/{id}/measure-links."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from tests.outcomes import administering
from tests.outcomes.administering import ODI_ANSWERS

from tandem.outcomes.models import MeasureRequest, Response

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan


def post(client: Client, url: str, body: object, **headers: str):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_alice_stores_a_scored_response_with_a_token(alice, token_for, patient, robert_plan):
    answer = post(
        Client(),
        f"/api/v1/patients/{patient.pk}/responses",
        {"instrument": "odi", "answers": ODI_ANSWERS, "timepoint": "baseline", "plan": robert_plan.pk},
        **token_for(alice),
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["score"]["value"] == pytest.approx(38.0) and body["score"]["valid"] is True
    assert body["score"]["band"] and body["source"] == "api" and body["entered_by"] == "alice"
    assert body["questionnaire_response"]["resourceType"] == "QuestionnaireResponse"
    assert Response.objects.get().plan == robert_plan


def test_a_questionnaire_response_is_accepted_too(alice, client_for, patient):
    client = client_for(alice)
    first = post(
        client, f"/api/v1/patients/{patient.pk}/responses", {"instrument": "odi", "answers": ODI_ANSWERS}
    )
    document = first.json()["questionnaire_response"]
    second = post(
        client,
        f"/api/v1/patients/{patient.pk}/responses",
        {"instrument": "odi", "questionnaire_response": document},
    )
    assert second.status_code == 201 and second.json()["answers"] == ODI_ANSWERS


@pytest.mark.parametrize(
    "body, field",
    [
        ({"instrument": "odi", "answers": [3, 2, 2, 1, 3, 2, 1, 2, 1, 6]}, "answers.9"),
        ({"instrument": "sf36", "answers": [1]}, "instrument"),
        ({"instrument": "odi"}, "answers"),
        ({"instrument": "odi", "answers": ODI_ANSWERS, "timepoint": "someday"}, "timepoint"),
        ({"instrument": "odi", "answers": ODI_ANSWERS, "plan": 999999}, "plan"),
        ({"instrument": "odi", "answers": ODI_ANSWERS, "replaces": 999999}, "replaces"),
        ({"instrument": "odi", "questionnaire_response": {"resourceType": "Patient"}}, "response"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(alice, client_for, patient, body, field):
    answer = post(client_for(alice), f"/api/v1/patients/{patient.pk}/responses", body)
    assert answer.status_code == 422, answer.content
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert not Response.objects.exists()


def test_the_list_gives_each_response_with_its_score(alice, client_for, patient):
    client = client_for(alice)
    post(client, f"/api/v1/patients/{patient.pk}/responses", {"instrument": "nprs", "answers": [6]})
    post(client, f"/api/v1/patients/{patient.pk}/responses", {"instrument": "nprs", "answers": [3]})
    listed = client.get(f"/api/v1/patients/{patient.pk}/responses").json()
    assert [r["score"]["value"] for r in listed] == [6, 3]


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_who_may_not_see_scores_gets_404(who, personas, client_for, patient):
    client = client_for(personas[who])
    assert client.get(f"/api/v1/patients/{patient.pk}/responses").status_code == 404
    body = {"instrument": "nprs", "answers": [3]}
    assert post(client, f"/api/v1/patients/{patient.pk}/responses", body).status_code == 404
    assert not Response.objects.exists()


def test_maya_cannot_reach_a_patient_outside_her_team(maya, client_for, other_patient):
    assert client_for(maya).get(f"/api/v1/patients/{other_patient.pk}/responses").status_code == 404


def test_dana_makes_a_link_and_the_token_is_shown_once(dana, client_for, patient):
    answer = post(
        client_for(dana), f"/api/v1/patients/{patient.pk}/measure-links", {"instrument": "odi", "days": 3}
    )
    assert answer.status_code == 201
    body = answer.json()
    link = MeasureRequest.objects.get()
    assert body["path"] == f"/m/{body['token']}" and link.digest == MeasureRequest.digest_of(body["token"])
    assert Client().get(body["path"]).status_code == 200


def test_a_link_for_an_outsider_or_with_a_bad_lifetime_is_refused(dana, outsider, client_for, patient):
    url = f"/api/v1/patients/{patient.pk}/measure-links"
    assert post(client_for(outsider), url, {"instrument": "odi"}).status_code == 404
    bad = post(client_for(dana), url, {"instrument": "odi", "days": 90})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"
    assert not MeasureRequest.objects.exists()


def test_anonymous_gets_401(patient):
    assert Client().get(f"/api/v1/patients/{patient.pk}/responses").status_code == 401
