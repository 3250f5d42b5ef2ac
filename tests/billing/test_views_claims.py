"""The Claims page (a period's claims before export, export downloads the 837P, earlier files listed and
downloadable again, pyx12's errors shown with nothing marked billed) and a patient's period superbill from
the chart; 404 for everyone else."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tandem.billing import claim_files
from tandem.billing.models import Charge, ChargeStatus, ClaimFile
from tandem.billing.periods import last_week
from tandem.billing.x12 import render_837p, validate_837p

from .test_exports import week  # noqa: F401  (the insured week of Grace Tran's visits)

pytestmark = pytest.mark.django_db


def test_the_page_defaults_to_last_week_and_links_from_the_menu(client_for, alice):
    page = client_for(alice).get("/billing/claims")
    assert page.status_code == 200
    html = page.content.decode()
    default = last_week(timezone.localdate())
    assert f'name="from" value="{default.first_day.isoformat()}"' in html
    assert f'name="to" value="{default.last_day.isoformat()}"' in html
    assert 'href="/billing/claims"' in html and "No claim file yet." in html


def test_alice_previews_exports_and_downloads_again(client_for, alice, grace, week):  # noqa: F811
    client = client_for(alice)
    first, last = (day.isoformat() for day in week)
    preview = client.get("/billing/claims", {"from": first, "to": last}).content.decode()
    assert (
        "<strong>4</strong> claims (visits) · <strong>6</strong> charges · <strong>$466.00</strong>"
        in preview
    )
    assert "Grace Tran" in preview and "97140-59" in preview and 'id="claim-export-button"' in preview

    answer = client.post("/billing/claims", {"from": first, "to": last, "mark_billed": "on"})
    claim_file = ClaimFile.objects.get()
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/edi-x12")
    assert (
        answer["Content-Disposition"]
        == f'attachment; filename="claims-{claim_file.interchange_number:09d}.837"'
    )
    assert validate_837p(answer.content.decode()) == []
    assert claim_file.marked_billed and not Charge.objects.filter(status=ChargeStatus.BILLABLE).exists()

    listed = client.get("/billing/claims", {"from": first, "to": last}).content.decode()
    assert (
        f'href="/billing/claims/{claim_file.pk}/x12"' in listed
        and "No billable charges in this period." in listed
    )
    detail = client.get(f"/billing/claims/{claim_file.pk}").content.decode()
    assert 'id="claim-file-verdict">valid' in detail and "marked billed" in detail
    again = client.get(f"/billing/claims/{claim_file.pk}/x12")
    assert again.content == answer.content


def test_an_invalid_file_shows_the_errors_and_marks_nothing(client_for, ben, grace, week, monkeypatch):  # noqa: F811
    monkeypatch.setattr(
        claim_files, "render_837p", lambda batch: render_837p(batch).replace("CLM*", "CLX*", 1)
    )
    client = client_for(ben)
    answer = client.post(
        "/billing/claims",
        {"from": week[0].isoformat(), "to": week[1].isoformat(), "mark_billed": "on"},
        follow=True,
    )
    page = answer.content.decode()
    claim_file = ClaimFile.objects.get()
    assert answer.redirect_chain == [(f"/billing/claims/{claim_file.pk}", 302)]
    assert "it must not be sent, and nothing was marked billed" in page
    assert 'id="claim-file-errors"' in page and claim_file.errors[0] in page
    assert "not marked billed (still billable)" in page
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"from": "2026-11-30", "to": "2026-11-01"},
            "The period ends (2026-11-01) before it starts (2026-11-30).",
        ),
        (
            {"from": "yesterday", "to": "2026-11-01"},
            "The first day must be a date such as 2026-11-30, got &#x27;yesterday&#x27;.",
        ),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "keep it to 366 days at most"),
        ({"from": "2000-01-03", "to": "2000-01-09"}, "No claim to send from 2000-01-03 to 2000-01-09."),
    ],
)
def test_a_refused_export_says_why_keeps_the_input_and_writes_nothing(
    data, message, client_for, alice, grace
):
    answer = client_for(alice).post("/billing/claims", data)
    page = answer.content.decode()
    assert answer.status_code == 422 and message in page
    assert f'value="{data["from"]}"' in page
    assert not ClaimFile.objects.exists()


def test_a_bad_period_in_the_preview_is_shown_beside_the_field(client_for, alice):
    answer = client_for(alice).get("/billing/claims", {"from": "2026-12-02", "to": "2026-12-01"})
    assert answer.status_code == 422
    assert 'id="err-to"' in answer.content.decode() and 'id="claim-preview"' not in answer.content.decode()


@pytest.mark.parametrize("who", ["maya", "dana", "admin"])
def test_others_get_404_and_no_menu_link(who, personas, client_for, alice, grace, week):  # noqa: F811
    made = claim_files.claim_file_make(
        actor=alice, organization=alice.organization, first_day=week[0], last_day=week[1]
    )
    client = client_for(personas[who])
    for url in ("/billing/claims", f"/billing/claims/{made.pk}", f"/billing/claims/{made.pk}/x12"):
        assert client.get(url).status_code == 404, url
    assert client.post("/billing/claims", {"from": week[0], "to": week[1]}).status_code == 404
    assert ClaimFile.objects.count() == 1
    assert 'href="/billing/claims"' not in client.get("/patients/").content.decode()


def test_another_clinics_biller_sees_only_their_own_files(client_for, outsider, alice, grace, week):  # noqa: F811
    made = claim_files.claim_file_make(
        actor=alice, organization=alice.organization, first_day=week[0], last_day=week[1]
    )
    client = client_for(outsider)
    page = client.get("/billing/claims", {"from": week[0].isoformat(), "to": week[1].isoformat()})
    html = page.content.decode()
    assert page.status_code == 200 and "No claim file yet." in html and "Grace Tran" not in html
    assert "No billable charges in this period." in html
    for url in (f"/billing/claims/{made.pk}", f"/billing/claims/{made.pk}/x12"):
        assert client.get(url).status_code == 404, url
    refused = client.post("/billing/claims", {"from": week[0], "to": week[1], "mark_billed": "on"})
    assert refused.status_code == 422 and ClaimFile.objects.count() == 1
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()


# A patient's superbill of a period ---------------------------------------------------------------------


def test_the_chart_offers_a_period_superbill_that_downloads(client_for, alice, grace, week):  # noqa: F811
    client = client_for(alice)
    chart = client.get(f"/patients/{grace.pk}/").content.decode()
    assert f'action="/patients/{grace.pk}/superbill"' in chart and 'id="superbill-button"' in chart
    answer = client.get(
        f"/patients/{grace.pk}/superbill", {"from": week[0].isoformat(), "to": week[1].isoformat()}
    )
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert (
        f"superbill-{grace.mrn}-{week[0].isoformat()}-{week[1].isoformat()}.pdf"
        in answer["Content-Disposition"]
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert "Grace Tran" in text and "466.00" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-11-30", "to": "2026-11-01"}, "before it starts"),
        ({"from": "1 Nov", "to": "2026-11-30"}, "must be a date such as"),
        (
            {"from": "2026-01-01", "to": "2026-01-31"},
            "Grace Tran has no charges to bill for that visit or period.",
        ),
    ],
)
def test_a_bad_superbill_period_shows_the_form_again(query, message, client_for, alice, grace):
    answer = client_for(alice).get(f"/patients/{grace.pk}/superbill", query)
    page = answer.content.decode()
    assert answer.status_code == 422 and message in page and 'id="superbill-form"' in page


def test_the_superbill_form_page(client_for, ben, grace):
    page = client_for(ben).get(f"/patients/{grace.pk}/superbill")
    assert page.status_code == 200 and "Superbill of a period" in page.content.decode()


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_the_period_superbill_is_404_for_others(who, personas, client_for, grace, week):  # noqa: F811
    client = client_for(personas[who])
    query = {"from": week[0].isoformat(), "to": week[1].isoformat()}
    assert client.get(f"/patients/{grace.pk}/superbill", query).status_code == 404
