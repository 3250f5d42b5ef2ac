"""The outcome score calculator through the API: POST /api/v1/outcomes/score scores, storing nothing."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tandem.audit.models import AuditEvent

SCORE = "/api/v1/outcomes/score"


def _post(client: Client, body: object, **headers: str) -> object:
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(SCORE, raw, content_type="application/json", **headers)


def _fields(response) -> dict[str, str]:
    body = response.json()
    assert body["detail"]
    return {error["field"]: error["message"] for error in body["errors"]}


def test_anonymous_callers_are_refused(db):
    response = _post(Client(), {"instrument": "nprs", "answers": [3]})
    assert response.status_code == 401
    assert response.json()["errors"] == []


def test_it_scores_the_odi_sheet_example_and_stores_nothing(ben, client_for):
    before = AuditEvent.objects.count()
    response = _post(client_for(ben), {"instrument": "odi", "answers": [2, 2, 1, 2, 1, 2, 2, 1, 3, None]})
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == 320 / 9  # full precision: the sheet prints 35.5
    assert body["valid"] is True and body["reason"] is None
    assert body["band"] == "moderate" and "policy" in body["band_basis"]
    assert body["range"] == [0, 100] and body["direction"] == "higher-is-worse" and body["unit"] == "%"
    assert body["items_answered"] == 9 and body["items_total"] == 10 and body["raw_sum"] == 16
    assert body["mcid"]["key"] == "ostelo-2008" and body["mcid"]["points"] == 10
    assert body["mcid"]["relative_pct"] == 30 and "Ostelo" in body["mcid"]["source"]
    assert AuditEvent.objects.count() == before


def test_it_answers_an_invalid_score_with_its_reason(dana, client_for):
    response = _post(client_for(dana), {"instrument": "quickdash", "answers": [2] * 9 + [None, None]})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False and body["score"] is None and body["band"] is None
    assert "more than one" in body["reason"] and body["items_answered"] == 9


def test_it_scores_for_a_token_holder(alice, client, token_for):
    response = _post(
        client, {"instrument": "ndi", "answers": [2, 2, 1, 2, 1, 2, 2, None, 3, 1]}, **token_for(alice)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["score"] == pytest.approx(17.777777) and body["percent"] == pytest.approx(35.555555)
    assert body["band"] == "moderate" and body["range"] == [0, 50]


def test_the_rmdq_missing_item_policy_can_be_chosen(ben, client_for):
    answers = [1] * 6 + [0] * 16 + [None, None]
    client = client_for(ben)
    rejected = _post(client, {"instrument": "rmdq", "answers": answers}).json()
    assert rejected["valid"] is False and rejected["policy"] == {"missing": "reject"}
    prorated = _post(
        client, {"instrument": "rmdq", "answers": answers, "policy": {"rmdq_missing": "prorate"}}
    )
    assert prorated.status_code == 200
    assert prorated.json()["score"] == pytest.approx(6 * 24 / 22) and prorated.json()["valid"] is True
    capped = _post(
        client, {"instrument": "odi", "answers": [1] * 8 + [None] * 2, "policy": {"odi_max_missing": 1}}
    )
    assert capped.json()["valid"] is False and "at most 1 missing" in capped.json()["reason"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"instrument": "sf-36", "answers": [1]}, "instrument", "Unknown instrument 'sf-36'"),
        ({"instrument": "odi", "answers": [0] * 9}, "answers", "ODI takes 10 answers"),
        ({"instrument": "odi", "answers": [0, 0, 0, 6, 0, 0, 0, 0, 0, 0]}, "answers.3", "out of range 0-5"),
        ({"instrument": "nprs", "answers": [True]}, "answers.0", "True is not a whole number"),
        ({"instrument": "nprs", "answers": [4.5]}, "answers.0", "4.5 is not a whole number"),
        ({"instrument": "nprs", "answers": ["4"]}, "answers.0", "'4' is not a whole number"),
        ({"instrument": "psfs", "answers": [3, 4, {"x": 1}]}, "answers.2", "not a whole number"),
        ({"instrument": "nprs", "answers": "4"}, "answers", "list"),
        ({"instrument": "nprs"}, "answers", "required"),
        ({"answers": [1]}, "instrument", "required"),
        ({"instrument": "nprs", "answers": [1] * 51}, "answers", "at most 50"),
        (
            {"instrument": "rmdq", "answers": [0] * 24, "policy": {"rmdq_missing": "guess"}},
            "policy.rmdq_missing",
            "",
        ),
        (
            {"instrument": "odi", "answers": [0] * 10, "policy": {"odi_max_missing": 12}},
            "policy.odi_max_missing",
            "",
        ),
    ],
)
def test_it_refuses_bad_input_naming_the_field(ben, client_for, body, field, words):
    before = AuditEvent.objects.count()
    response = _post(client_for(ben), body)
    assert response.status_code == 422
    fields = _fields(response)
    assert field in fields, fields
    assert words in fields[field]
    assert AuditEvent.objects.count() == before


def test_nan_in_the_body_is_refused_not_scored(ben, client_for):
    response = _post(client_for(ben), '{"instrument": "nprs", "answers": [NaN]}')
    assert response.status_code == 422
    assert "NaN is not a whole number" in _fields(response)["answers.0"]


def test_the_route_is_in_the_openapi_schema(ben, client_for):
    schema = client_for(ben).get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/outcomes/score"]
