"""Charge capture in the browser: the Claims page's "Visits to charge" (ready, refused with the reason,
waiting for a co-signature), its "Post all ready" button, and a visit's charges page saying before anyone
presses "Post" whether the rules allow it; 404 for everyone who may not export claims."""

from __future__ import annotations

import re

import pytest

from tandem.audit.models import AuditEvent
from tandem.billing.models import Charge

from .conftest import chiro_data, massage_data, pt_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(alice, ben, maya, grace, signed_visit) -> dict[str, int]:
    """Grace's visits today: ben's PT (ready), alice's adjustment with maya's manual therapy on the same
    region (refused: NCCI), and maya's massage of yesterday waiting for alice's co-signature."""
    pt = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    chiro = signed_visit(grace, alice, chiro_data(("lumbar", ["L4", "L5"])))
    massage = signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    waiting = signed_visit(
        grace, maya, massage_data(["thoracic"], ("massage-swedish", 30)), days_ago=1, cosign=False
    )
    return {
        "pt": pt.encounter_id,
        "chiro": chiro.encounter_id,
        "massage": massage.encounter_id,
        "waiting": waiting.encounter_id,
    }


def _rows(html: str) -> dict[str, str]:
    """The worklist's rows by state: the row's text, tags removed."""
    table = html.split('id="to-charge-rows"', 1)[1].split("</table>", 1)[0]
    found: dict[str, str] = {}
    for state, row in re.findall(r'data-state="(\w+)">(.*?)</tr>', table, re.S):
        found[state] = found.get(state, "") + " ".join(re.sub(r"<[^>]+>", " ", row).split())
    return found


def test_the_claims_page_lists_the_visits_to_charge(client_for, alice, ben, grace, visits):
    html = client_for(alice).get("/billing/claims").content.decode()

    rows = _rows(html)
    assert set(rows) == {"ready", "refused", "waiting"}
    assert "Grace Tran" in rows["ready"] and ben.practitioner.display_name in rows["ready"]
    assert "Physical therapy" in rows["ready"]
    assert "refused" in rows["refused"] and "97140" in rows["refused"] and "98940" in rows["refused"]
    assert alice.practitioner.display_name in rows["waiting"]
    assert "waiting for co-signature" in rows["waiting"]
    for encounter_id in (visits["pt"], visits["chiro"], visits["waiting"]):
        assert f'href="/encounters/{encounter_id}/charges"' in html
    assert 'id="capture-button"' in html
    event = AuditEvent.objects.filter(detail="visits to charge").get()
    assert event.actor_id == alice.pk and event.patient_id == grace.pk
    assert not Charge.objects.exists()  # looking posts nothing


def test_post_all_ready_posts_the_ready_and_keeps_the_refused(client_for, alice, ben, visits):
    client = client_for(alice)

    answer = client.post("/billing/claims/capture", follow=True)

    assert answer.redirect_chain == [("/billing/claims#visits-to-charge", 302)]
    page = answer.content.decode()
    assert "Posted the charges of 1 visit." in page and "1 visit not posted" in page
    assert [(c.encounter_id, c.code, c.created_by) for c in Charge.objects.all()] == [
        (visits["pt"], "97110", ben)
    ]
    assert set(_rows(page)) == {"refused", "waiting"} and 'id="capture-button"' not in page


def test_a_clinic_with_every_visit_charged_says_so(client_for, alice, ben, grace, signed_visit):
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    client = client_for(ben)
    client.post("/billing/claims/capture")
    html = client.get("/billing/claims").content.decode()
    assert 'id="to-charge-empty"' in html and 'id="capture-button"' not in html
    assert Charge.objects.count() == 1


@pytest.mark.parametrize("who", ["maya", "dana", "admin"])
def test_only_a_clinician_who_exports_claims_may_post_all(who, personas, client_for, visits):
    client = client_for(personas[who])
    assert client.post("/billing/claims/capture").status_code == 404
    assert client.get("/billing/claims").status_code == 404
    assert not Charge.objects.exists()


def test_another_clinics_clinician_posts_only_their_own_clinics_visits(client_for, outsider, visits):
    client = client_for(outsider)
    page = client.post("/billing/claims/capture", follow=True).content.decode()
    assert "No visit was ready to post." in page and "Grace Tran" not in page
    assert not Charge.objects.exists()


def test_the_capture_route_takes_only_a_post(client_for, alice):
    assert client_for(alice).get("/billing/claims/capture").status_code == 405


def test_a_visits_charges_page_says_whether_the_rules_allow_posting(client_for, alice, maya, visits):
    client = client_for(alice)

    ready = client.get(f"/encounters/{visits['pt']}/charges").content.decode()
    assert "The billing rules allow posting this visit" in ready

    refused = client.get(f"/encounters/{visits['massage']}/charges").content.decode()
    verdict = refused.split('id="posting-verdict"', 1)[1].split("</div>", 1)[0]
    assert "The billing rules refuse this visit as documented" in verdict
    assert "97140" in verdict and "98940" in verdict

    waiting = client_for(maya).get(f"/encounters/{visits['waiting']}/charges").content.decode()
    assert "Charges follow the supervisor's co-signature." in waiting
    assert not Charge.objects.exists()


def test_a_posted_visit_shows_its_charges_not_a_verdict(client_for, ben, visits):
    client = client_for(ben)
    client.post(f"/encounters/{visits['pt']}/charges")
    html = client.get(f"/encounters/{visits['pt']}/charges").content.decode()
    assert 'id="charges"' in html and 'id="posting-verdict"' not in html
