"""A visit's charges page: post from the signed notes (a bundling edit is refused and changes nothing), void
with a reason, download the superbill; 404 for anyone off the care team."""

from __future__ import annotations

import pytest
from tests.billing.conftest import chiro_data, massage_data, pt_data

from tandem.billing.models import Charge

pytestmark = pytest.mark.django_db


def test_ben_posts_voids_and_prints_a_visits_charges(client_for, ben, grace, signed_visit):
    note = signed_visit(
        grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"]))
    )
    client = client_for(ben)
    url = f"/encounters/{note.encounter_id}/charges"
    assert f'href="{url}"' in client.get(f"/notes/{note.pk}/").content.decode()
    before = client.get(url).content.decode()
    assert "Post charges from the notes" in before and "Nothing posted yet." in before

    posted = client.post(url, follow=True)
    page = posted.content.decode()
    assert "Posted 2 billable charges." in page
    assert "97110" in page and "97140" in page and 'id="charges-total">$152.00' in page

    manual = Charge.objects.get(encounter_id=note.encounter_id, code="97140")
    refused = client.post(f"/charges/{manual.pk}/void", {"reason": " "}, follow=True)
    assert "Say why the charge is void." in refused.content.decode()
    assert Charge.objects.get(pk=manual.pk).status == "billable"
    voided = client.post(f"/charges/{manual.pk}/void", {"reason": "Not performed"}, follow=True)
    page = voided.content.decode()
    assert "Voided 97140." in page and 'id="charges-total">$104.00' in page

    pdf = client.get(f"/encounters/{note.encounter_id}/superbill.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and grace.mrn in pdf["Content-Disposition"]


def test_a_bundling_edit_is_shown_and_nothing_is_posted(client_for, alice, maya, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L4"])))
    massage = signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    answer = client_for(maya).post(f"/encounters/{massage.encounter_id}/charges", follow=True)
    page = answer.content.decode()
    assert answer.status_code == 200 and "97140" in page and "98940" in page
    assert not Charge.objects.filter(encounter_id=massage.encounter_id).exists()


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_others_get_404(who, personas, client_for, ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    client = client_for(personas[who])
    for url in (f"/encounters/{note.encounter_id}/charges", f"/encounters/{note.encounter_id}/superbill.pdf"):
        assert client.get(url).status_code == 404
    assert client.post(f"/encounters/{note.encounter_id}/charges").status_code == 404
    assert not Charge.objects.exists()
