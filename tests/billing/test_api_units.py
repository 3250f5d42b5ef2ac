"""The billing calculators through the API: POST /api/v1/billing/units and /api/v1/billing/code."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tandem.audit.models import AuditEvent

UNITS = "/api/v1/billing/units"
CODE = "/api/v1/billing/code"


def _post(client: Client, url: str, body: object, **headers: str) -> object:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def _fields(response) -> dict[str, str]:
    body = response.json()
    assert body["detail"]
    return {error["field"]: error["message"] for error in body["errors"]}


def test_anonymous_callers_are_refused(db):
    response = _post(Client(), UNITS, {"rule": "cms", "timed_minutes": {"97110": 33}})
    assert response.status_code == 401
    assert response.json()["errors"] == []
    assert _post(Client(), CODE, {"services": [], "diagnoses": []}).status_code == 401


def test_it_answers_the_cms_units_and_stores_nothing(ben, client_for):
    before = AuditEvent.objects.count()
    response = _post(client_for(ben), UNITS, {"rule": "cms", "timed_minutes": {"97110": 33, "97140": 7}})
    assert response.status_code == 200
    assert response.json() == {
        "rule": "cms",
        "total_minutes": 40,
        "total_units": 3,
        "units": {"97110": 2, "97140": 1},
    }
    assert AuditEvent.objects.count() == before


def test_it_answers_the_ama_units_to_a_token_and_to_the_front_desk(dana, token_for, client, client_for):
    body = {"rule": "ama", "timed_minutes": {"97110": 33, "97140": 7}}
    for response in (_post(client, UNITS, body, **token_for(dana)), _post(client_for(dana), UNITS, body)):
        assert response.status_code == 200
        assert response.json()["units"] == {"97110": 2, "97140": 0}
        assert response.json()["total_units"] == 2


@pytest.mark.parametrize(
    ("minutes", "field", "message"),
    [
        ({"97110": 20, "99999": 10}, "timed_minutes.99999", "not one of Tandem's billing codes"),
        ({"97161": 30}, "timed_minutes.97161", "not a timed code"),
        ({"97110": -4}, "timed_minutes.97110", "cannot be negative"),
        ({"97110": 12.5}, "timed_minutes.97110", "integer"),
        ({"97110": "twelve"}, "timed_minutes.97110", "integer"),
    ],
)
def test_it_refuses_bad_minutes_naming_the_code(minutes, field, message, alice, client_for):
    response = _post(client_for(alice), UNITS, {"rule": "cms", "timed_minutes": minutes})
    assert response.status_code == 422
    fields = _fields(response)
    assert list(fields) == [field]
    assert message in fields[field]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "medicare", "timed_minutes": {"97110": 10}}, "rule"),
        ({"timed_minutes": {"97110": 10}}, "rule"),
        ({"rule": "cms"}, "timed_minutes"),
        ({"rule": "cms", "timed_minutes": [10]}, "timed_minutes"),
    ],
)
def test_it_refuses_a_wrong_rule_or_shape(body, field, alice, client_for):
    response = _post(client_for(alice), UNITS, body)
    assert response.status_code == 422
    assert field in _fields(response)


def test_it_refuses_a_body_that_is_not_json(alice, client_for):
    response = client_for(alice).post(UNITS, "rule=cms", content_type="application/json")
    assert 400 <= response.status_code < 500


def test_get_on_the_calculators_is_not_allowed(alice, client_for):
    for url in (UNITS, CODE):
        assert client_for(alice).get(url).status_code == 405


# POST /billing/code ---------------------------------------------------------------------------------------

VISIT = {
    "payer": {"timed_rule": "cms", "distinct_modifier": "XS"},
    "services": [
        {"code": "97110", "minutes": 33, "regions": ["lumbar"]},
        {"code": "97140", "minutes": 7, "regions": ["thoracic"]},
        {"code": "98940", "regions": ["lumbar"]},
    ],
    "diagnoses": [{"code": "M51.362", "body_site": "lumbar"}, {"code": "M54.6", "body_site": "thoracic"}],
}


def test_it_codes_a_visit_with_modifiers_and_pointers(alice, client_for):
    response = _post(client_for(alice), CODE, VISIT)
    assert response.status_code == 200
    body = response.json()
    assert (body["total_timed_minutes"], body["total_timed_units"], body["timed_rule"]) == (40, 3, "cms")
    lines = {line["code"]: line for line in body["lines"]}
    assert (lines["97110"]["units"], lines["97110"]["modifiers"], lines["97110"]["diagnosis_pointers"]) == (
        2,
        [],
        [1],
    )
    assert (lines["97140"]["units"], lines["97140"]["modifiers"], lines["97140"]["diagnosis_pointers"]) == (
        1,
        ["XS"],
        [2],
    )
    assert lines["97140"]["edits"] == ["therapy-with-cmt"]
    assert (lines["98940"]["units"], lines["98940"]["modifiers"]) == (1, [])
    assert body["diagnoses"] == ["M51.362", "M54.6"]
    assert body["warnings"] == []


def test_it_refuses_manual_therapy_on_the_manipulated_region(alice, client_for):
    therapy = {"code": "97140", "minutes": 15, "regions": ["lumbar"]}
    visit = {**VISIT, "services": [therapy, VISIT["services"][2]]}
    response = _post(client_for(alice), CODE, visit)
    assert response.status_code == 422
    message = _fields(response)["services.0.regions"]
    assert "97140" in message and "98940" in message and "lumbar" in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"services": [{"code": "99999", "minutes": 10}]}, "services.0.code"),
        ({"services": [{"code": "97161", "minutes": 30}]}, "services.0.minutes"),
        ({"services": [{"code": "97110", "minutes": 10, "regions": ["back"]}]}, "services.0.regions.0"),
        ({"diagnoses": [{"code": "M51"}]}, "diagnoses.0.code"),
        ({"payer": {"distinct_modifier": "XX"}}, "payer.distinct_modifier"),
        ({"payer": {"waived_rules": ["therapy-with-cmt"]}}, "payer.waived_rules"),
    ],
)
def test_it_refuses_a_bad_visit_naming_the_field(change, field, ben, client_for):
    response = _post(client_for(ben), CODE, {**VISIT, **change})
    assert response.status_code == 422
    assert field in _fields(response)


def test_without_payer_settings_it_uses_the_cms_rule_and_modifier_59(ben, client_for):
    visit = {key: value for key, value in VISIT.items() if key != "payer"}
    response = _post(client_for(ben), CODE, visit)
    assert response.status_code == 200
    lines = {line["code"]: line for line in response.json()["lines"]}
    assert (response.json()["timed_rule"], lines["97140"]["modifiers"]) == ("cms", ["59"])
