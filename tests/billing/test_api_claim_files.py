"""Claim files and period superbills over the API: POST /billing/claim-files (metadata, pyx12's verdict, the
visits left out), GET one and its X12 text, the list; GET /patients/{id}/superbill.pdf. Bad periods answer
422 naming the field with nothing written; 404 for anyone who may not see them."""

from __future__ import annotations

import json

import pytest

from tandem.billing import claim_files
from tandem.billing.models import BillingSettings, Charge, ChargeStatus, ClaimFile
from tandem.billing.x12 import render_837p, validate_837p

from .test_exports import week  # noqa: F401  (the insured week of Grace Tran's visits)

pytestmark = pytest.mark.django_db
URL = "/api/v1/billing/claim-files"


def _post(client, body: dict):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_ben_makes_a_claim_file_reads_and_downloads_it(client_for, ben, grace, week):  # noqa: F811
    client = client_for(ben)
    body = {"from": week[0].isoformat(), "to": week[1].isoformat(), "test": True, "mark_billed": True}
    made = _post(client, body)
    assert made.status_code == 201, made.content
    answer = made.json()
    claim_file = ClaimFile.objects.get()
    assert answer == {
        "id": claim_file.pk,
        "interchange_number": claim_file.interchange_number,
        "from": week[0].isoformat(),
        "to": week[1].isoformat(),
        "test": True,
        "valid": True,
        "errors": [],
        "skipped": [],
        "claim_count": 4,
        "line_count": 6,
        "total_charge": "466.00",
        "marked_billed": True,
        "created_at": claim_file.created_at.isoformat(),
        "created_by": "ben",
        "filename": f"claims-{claim_file.interchange_number:09d}.837",
    }
    assert client.get(f"{URL}/{claim_file.pk}").json() == answer
    assert [f["id"] for f in client.get(URL).json()] == [claim_file.pk]
    text = client.get(f"{URL}/{claim_file.pk}/x12")
    assert text.status_code == 200 and text["Content-Type"].startswith("application/edi-x12")
    assert validate_837p(text.content.decode()) == [] and "*T*:~" in text.content.decode()
    assert not Charge.objects.filter(status=ChargeStatus.BILLABLE).exists()


def test_an_invalid_file_answers_its_errors_and_marks_nothing(client_for, alice, grace, week, monkeypatch):  # noqa: F811
    monkeypatch.setattr(
        claim_files, "render_837p", lambda batch: render_837p(batch).replace("CLM*", "CLX*", 1)
    )
    made = _post(
        client_for(alice), {"from": week[0].isoformat(), "to": week[1].isoformat(), "mark_billed": True}
    )
    assert made.status_code == 201
    assert made.json()["valid"] is False and made.json()["errors"] and made.json()["marked_billed"] is False
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"from": "2026-11-30", "to": "2026-11-01"},
            [{"field": "to", "message": "The period ends (2026-11-01) before it starts (2026-11-30)."}],
        ),
        (
            {"from": "2025-01-01", "to": "2026-01-02"},
            [
                {
                    "field": "to",
                    "message": "The period is 367 days long; keep it to 366 days at most (a year).",
                }
            ],
        ),
        (
            {"from": "Nov 1", "to": "2026-11-31"},
            [
                {"field": "from", "message": "The first day must be a date such as 2026-11-30, got 'Nov 1'."},
                {
                    "field": "to",
                    "message": "The last day must be a date such as 2026-11-30, got '2026-11-31'.",
                },
            ],
        ),
        (
            {"from": "2000-01-03", "to": "2000-01-09"},
            [{"field": "body", "message": "No claim to send from 2000-01-03 to 2000-01-09."}],
        ),
    ],
)
def test_a_refused_file_answers_422_and_writes_nothing(body, errors, client_for, alice, grace):
    answer = _post(client_for(alice), body)
    assert answer.status_code == 422
    assert answer.json() == {"detail": "The request is not valid.", "errors": errors}
    assert not ClaimFile.objects.exists()
    assert not BillingSettings.objects.filter(last_interchange_number__gt=0).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"to": "2026-11-01"},
        {"from": "2026-11-01", "to": "2026-11-02", "test": "yes"},
        {"from": 20261101, "to": "x"},
    ],
)
def test_a_malformed_body_answers_422(body, client_for, alice):
    answer = _post(client_for(alice), body)
    assert answer.status_code == 422 and answer.json()["errors"]
    assert not ClaimFile.objects.exists()


@pytest.mark.parametrize("who", ["maya", "dana", "admin", "outsider"])
def test_others_get_404(who, personas, client_for, alice, grace, week):  # noqa: F811
    made = claim_files.claim_file_make(
        actor=alice, organization=alice.organization, first_day=week[0], last_day=week[1]
    )
    client = client_for(personas[who])
    for url in (f"{URL}/{made.pk}", f"{URL}/{made.pk}/x12", f"{URL}/999999"):
        assert client.get(url).status_code == 404, url
    if who != "outsider":
        assert client.get(URL).status_code == 404
        assert _post(client, {"from": week[0].isoformat(), "to": week[1].isoformat()}).status_code == 404
    else:  # another clinic's biller: their own (empty) list, nothing of this clinic's to claim
        assert client.get(URL).json() == []
        assert _post(client, {"from": week[0].isoformat(), "to": week[1].isoformat()}).status_code == 422
    assert ClaimFile.objects.count() == 1


def test_the_period_superbill_pdf(client_for, maya, grace, week):  # noqa: F811
    client = client_for(maya)
    url = f"/api/v1/patients/{grace.pk}/superbill.pdf"
    answer = client.get(url, {"from": week[0].isoformat(), "to": week[1].isoformat()})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    refused = client.get(url, {"from": week[1].isoformat(), "to": week[0].isoformat()})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"
    missing = client.get(url)
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["from", "to"]
    nothing = client.get(url, {"from": "2000-01-01", "to": "2000-01-31"})
    assert nothing.json()["errors"] == [
        {"field": "body", "message": "Grace Tran has no charges to bill for that visit or period."}
    ]


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_the_period_superbill_is_404_for_others(who, personas, client_for, grace, week):  # noqa: F811
    url = f"/api/v1/patients/{grace.pk}/superbill.pdf"
    answer = client_for(personas[who]).get(url, {"from": week[0].isoformat(), "to": week[1].isoformat()})
    assert answer.status_code == 404
