"""The referral pages: inbox tabs, writing a referral (prefilled from a screening), the referral's page with
the buttons this person may press, contacts, and the chart panel."""

from __future__ import annotations

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from tandem.referrals import services
from tandem.referrals.models import ExternalProvider, Referral

from .conftest import OVERRIDE


def _form(maya, **extra):
    data = {
        "kind": "massage-order",
        "priority": "routine",
        "needed_by_on": "",
        "requester_contact": "",
        "recipient": f"practitioner:{maya.practitioner.pk}",
        "recipient_contact": "",
        "reason": "Paraspinal guarding around L4-L5.",
        "techniques": ["massage-swedish"],
        "body_sites": ["lumbar"],
        "pressure_limit": "light",
        "session_count": "6",
        "sessions_per_week": "1",
        "precautions": "",
        "goals": "",
        "supervising_practitioner": "",
        "findings": "",
        "override_reason": OVERRIDE,
    }
    data.update(extra)
    return data


def test_it_prefills_the_form_from_a_red_flag_screening(alice, patient, client_for):
    url = reverse("referral_create", args=[patient.pk]) + "?urgency=urgent&reason=Saddle+anaesthesia+reported"
    html = client_for(alice).get(url).content.decode()
    assert '<option value="urgent" selected>' in html
    assert "Saddle anaesthesia reported</textarea>" in html
    assert 'class="fieldset kind-section for-massage-order"' in html
    assert "M51.362" in html  # the patient's conditions can be linked


def test_it_saves_a_draft_from_the_form_and_shows_it(alice, maya, patient, client_for):
    client = client_for(alice)
    response = client.post(reverse("referral_create", args=[patient.pk]), _form(maya))
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "referral_detail", args=[referral.pk]
    )
    assert referral.recipient_practitioner == maya.practitioner
    assert referral.supervising_practitioner == alice.practitioner
    html = client.get(response["Location"]).content.decode()
    assert "Swedish massage" in html and "Lumbar spine" in html
    assert f'action="/referrals/{referral.pk}/send"' in html
    assert f'action="/referrals/{referral.pk}/cancel"' in html
    assert f'action="/referrals/{referral.pk}/accept"' not in html


def test_it_keeps_what_was_typed_and_shows_errors_beside_the_fields(alice, maya, patient, client_for):
    data = _form(maya, techniques=[], reason="Typed reason stays", session_count="")
    response = client_for(alice).post(reverse("referral_create", args=[patient.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_techniques-errors"' in html and "Choose at least one massage technique." in html
    assert 'id="id_session_count-errors"' in html
    assert "Typed reason stays" in html
    assert not Referral.objects.exists()


def test_it_shows_the_safety_refusal_on_the_form(alice, maya, patient, client_for):
    data = _form(maya, techniques=["massage-deep-tissue"])
    html = client_for(alice).post(reverse("referral_create", args=[patient.pk]), data).content.decode()
    assert "Contraindicated" in html and not Referral.objects.exists()


def test_it_offers_the_recipient_the_buttons_for_this_state(maya, order, client_for):
    client = client_for(maya)
    html = client.get(reverse("referral_detail", args=[order.pk])).content.decode()
    assert (
        f'action="/referrals/{order.pk}/accept"' in html and f'action="/referrals/{order.pk}/decline"' in html
    )
    assert f'action="/referrals/{order.pk}/cancel"' not in html
    response = client.post(reverse("referral_decline", args=[order.pk]), {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "Say why you decline the referral." in html
    assert 'id="id_decline_reason-errors"' in html
    assert Referral.objects.get(pk=order.pk).status == "requested"
    response = client.post(reverse("referral_accept", args=[order.pk]), {"note": "Thursday works"})
    assert response.status_code == 302
    html = client.get(reverse("referral_detail", args=[order.pk])).content.decode()
    assert "Thursday works" in html and f'action="/referrals/{order.pk}/schedule"' in html


def test_it_walks_a_referral_to_completion_through_the_pages(maya, order, client_for):
    client = client_for(maya)
    for action in ("accept", "schedule", "start"):
        assert client.post(reverse(f"referral_{action}", args=[order.pk]), {"note": ""}).status_code == 302
    response = client.post(
        reverse("referral_complete", args=[order.pk]),
        {"report": "Six sessions, light Swedish.", "outcome": "", "recommendations": ""},
    )
    assert response.status_code == 302
    html = client.get(reverse("referral_detail", args=[order.pk])).content.decode()
    assert reverse("referral_letter", args=[order.pk]) in html and "Six sessions, light Swedish." in html


def test_it_refuses_a_step_that_is_not_this_persons_to_take(alice, order, client_for):
    response = client_for(alice).post(reverse("referral_accept", args=[order.pk]), {"note": ""})
    assert response.status_code == 200 and "Only the practitioner it is addressed to can accept it." in (
        response.content.decode()
    )
    assert Referral.objects.get(pk=order.pk).status == "requested"


def test_it_shows_the_inbox_tabs_with_overdue_first(alice, maya, make_order, client_for):
    late = make_order(send=True)
    Referral.objects.filter(pk=late.pk).update(response_due_at=late.sent_at.replace(year=2020))
    fresh = make_order(send=True)
    client = client_for(maya)
    html = client.get(reverse("referral_inbox")).content.decode()
    assert html.index(f"/referrals/{late.pk}/") < html.index(f"/referrals/{fresh.pk}/")
    assert "badge-overdue" in html and "Robert Hale" in html
    fragment = client.get(reverse("referral_inbox") + "?box=overdue", HTTP_HX_REQUEST="true").content.decode()
    assert (
        "<html" not in fragment
        and f"/referrals/{late.pk}/" in fragment
        and f"/referrals/{fresh.pk}/" not in fragment
    )
    sent = client_for(alice).get(reverse("referral_inbox") + "?box=sent").content.decode()
    assert f"/referrals/{late.pk}/" in sent


def test_it_shows_the_front_desk_no_referrals(dana, order, client_for):
    html = client_for(dana).get(reverse("referral_inbox")).content.decode()
    assert "Robert Hale" not in html
    assert client_for(dana).get(reverse("referral_detail", args=[order.pk])).status_code == 404
    assert client_for(dana).get(reverse("referral_create", args=[order.patient_id])).status_code == 404


def test_it_edits_a_draft_only(alice, maya, make_order, client_for):
    draft = make_order()
    client = client_for(alice)
    response = client.post(reverse("referral_update", args=[draft.pk]), _form(maya, priority="asap"))
    assert response.status_code == 302 and Referral.objects.get(pk=draft.pk).priority == "asap"
    services.referral_send(actor=alice, referral=draft)
    assert client.get(reverse("referral_update", args=[draft.pk])).status_code == 404
    assert client_for(maya).get(reverse("referral_update", args=[draft.pk])).status_code == 404


def test_it_keeps_the_contacts_through_the_pages(alice, dana, client_for):
    client = client_for(alice)
    data = {
        "name": "Dr Raj Patel",
        "credentials": "MD",
        "specialty": "Orthopedic surgeon",
        "npi": "",
        "practice_name": "",
        "phone": "",
        "fax": "",
        "email": "",
        "address": "",
    }
    assert client.post(reverse("contact_create"), data).status_code == 302
    contact = ExternalProvider.objects.get()
    assert "Dr Raj Patel" in client_for(dana).get(reverse("contact_list")).content.decode()
    assert client_for(dana).get(reverse("contact_create")).status_code == 404
    bad = client.post(reverse("contact_update", args=[contact.pk]), {**data, "npi": "12", "active": "on"})
    assert 'id="id_npi-errors"' in bad.content.decode()
    ok = client.post(reverse("contact_update", args=[contact.pk]), {**data, "fax": "503-555-0100"})
    assert ok.status_code == 302
    contact.refresh_from_db()
    assert contact.fax == "503-555-0100" and contact.active is False  # unchecked box retires the contact


def test_it_renders_the_chart_panel_for_the_care_team_only(ben, dana, order):
    template = Template("{% load referral_tags %}{% referral_chart_panel patient %}")
    request = RequestFactory().get("/")
    request.user = ben
    html = template.render(Context({"request": request, "patient": order.patient}))
    assert "Massage order" in html and f"/referrals/{order.pk}/" in html
    request.user = dana
    assert "Massage order" not in template.render(Context({"request": request, "patient": order.patient}))


def test_it_offers_only_care_team_dcs_and_pts_as_supervisors(ben, alice, other_patient, patient, client_for):
    linda = client_for(ben).get(f"/patients/{other_patient.pk}/referrals/new").content.decode()
    robert = client_for(ben).get(f"/patients/{patient.pk}/referrals/new").content.decode()
    supervising = 'name="supervising_practitioner"'
    assert supervising in linda and supervising in robert
    option = f'<option value="{alice.practitioner.pk}">{alice.practitioner.display_name}</option>'
    assert option not in linda.split(supervising, 1)[1].split("</select>", 1)[0]
    assert option in robert.split(supervising, 1)[1].split("</select>", 1)[0]


def test_it_shows_why_an_order_cannot_be_accepted_any_more(alice, maya, make_order, patient, client_for):
    from tandem.patients import services as patient_services

    order = make_order(send=True)
    patient_services.condition_create(
        actor=alice,
        patient=patient,
        data={"code": "I82.401", "body_site": "lower-leg", "laterality": "right", "category": "soft-tissue"},
    )
    response = client_for(maya).post(f"/referrals/{order.pk}/accept", {"note": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Contraindicated" in html and "record has changed since this order was written" in html
    assert Referral.objects.get(pk=order.pk).status == "requested"
