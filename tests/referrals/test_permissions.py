"""Who sees a referral and who may move it: the requester sends and cancels, the recipient answers; everyone
else gets 404 (DESIGN.md §2)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from tandem.accounts.models import Role
from tandem.audit.models import AuditEvent, AuditOutcome
from tandem.core.personas import PersonaSpec, persona_user
from tandem.patients.access import access_patient
from tandem.referrals import services
from tandem.referrals.access import access_referral
from tandem.referrals.models import Referral

from .conftest import massage_order_data


def _api(client, method, url, body=None):
    return getattr(client, method)(url, data=body or {}, content_type="application/json")


@pytest.mark.parametrize("persona", ["outsider", "dana", "admin"])
def test_it_answers_404_to_people_who_may_not_see_the_referral(persona, personas, order, token_for, client):
    user = personas[persona]
    headers = token_for(user)
    assert client.get(f"/api/v1/referrals/{order.pk}", **headers).status_code == 404
    assert client.get(f"/api/v1/patients/{order.patient_id}/referrals", **headers).status_code == 404
    response = client.post(
        f"/api/v1/referrals/{order.pk}/accept", data={}, content_type="application/json", **headers
    )
    assert response.status_code == 404
    assert Referral.objects.get(pk=order.pk).status == "requested"
    with pytest.raises(Http404):
        access_referral(user, order.pk)
    assert AuditEvent.objects.filter(
        object_type="Referral", object_id=str(order.pk), outcome=AuditOutcome.MINOR_FAILURE
    ).exists()


def test_it_hides_linda_parks_referrals_from_maya(ben, maya, other_patient, contact, client_for):
    referral = services.referral_create(
        actor=ben,
        patient=other_patient,
        data={
            "kind": "external-out",
            "reason": "Persistent night pain; please assess.",
            "recipient_contact": contact.pk,
        },
    )
    services.referral_send(actor=ben, referral=referral)
    client = client_for(maya)
    assert client.get(f"/api/v1/referrals/{referral.pk}").status_code == 404
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert client.get(f"/api/v1/patients/{other_patient.pk}/referrals").status_code == 404
    assert client.get(f"/patients/{other_patient.pk}/referrals/new").status_code == 404
    assert (
        _api(client, "post", f"/api/v1/referrals/{referral.pk}/cancel", {"reason": "no"}).status_code == 404
    )
    assert client_for(ben).get(f"/api/v1/referrals/{referral.pk}").status_code == 200


def test_it_lets_only_the_recipient_accept(alice, ben, maya, order):
    for someone in (alice, ben):
        with pytest.raises(ValidationError) as refused:
            services.referral_accept(actor=someone, referral=order)
        assert "actor" in refused.value.message_dict
    assert Referral.objects.get(pk=order.pk).status == "requested"
    assert services.referral_accept(actor=maya, referral=order).status == "accepted"


def test_it_lets_only_the_requester_send_and_cancel(alice, ben, maya, make_order):
    draft = make_order()
    for someone in (ben, maya):
        with pytest.raises(ValidationError, match="who made the referral"):
            services.referral_send(actor=someone, referral=draft)
        with pytest.raises(ValidationError):
            services.referral_cancel(actor=someone, referral=draft, reason="Not needed")
    assert services.referral_send(actor=alice, referral=draft).status == "requested"
    assert (
        services.referral_cancel(actor=alice, referral=draft, reason="Surgery planned").status == "cancelled"
    )


def test_it_gives_the_api_caller_a_clear_422_when_it_is_not_their_move(alice, order, client_for):
    response = _api(client_for(alice), "post", f"/api/v1/referrals/{order.pk}/accept")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "actor", "message": "Only the practitioner it is addressed to can accept it."}
    ]


def test_it_shows_a_referral_to_its_addressee_but_not_the_rest_of_the_chart(
    ben, maya, other_patient, client_for
):
    referral = services.referral_create(
        actor=ben,
        patient=other_patient,
        data=massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk),
    )
    client = client_for(maya)
    # A draft has not been disclosed to anyone yet.
    assert client.get(f"/api/v1/referrals/{referral.pk}").status_code == 404
    services.referral_send(actor=ben, referral=referral)
    assert client.get(f"/api/v1/referrals/{referral.pk}").status_code == 200
    page = client.get(f"/referrals/{referral.pk}/")
    assert page.status_code == 200 and "Linda Park" in page.content.decode()
    assert client.get(f"/patients/{other_patient.pk}/").status_code == 404
    assert client.get(f"/api/v1/patients/{other_patient.pk}/conditions").status_code == 404
    with pytest.raises(Http404):
        access_patient(maya, other_patient.pk)


def test_it_opens_a_discipline_referral_to_every_clinician_of_that_discipline(
    alice, maya, organization, make_order
):
    second_lmt = persona_user(
        organization,
        PersonaSpec("noor", "Noor", "Haddad", Role.CLINICIAN, "massage-therapy", "LMT", "MA-090001"),
    )
    referral = make_order(send=True, recipient_practitioner=None, recipient_discipline="massage-therapy")
    assert access_referral(second_lmt, referral.pk) == referral
    accepted = services.referral_accept(actor=second_lmt, referral=referral)
    assert accepted.recipient_practitioner == second_lmt.practitioner
    # Once someone took it, it is theirs: the other massage therapist can no longer move it on.
    with pytest.raises(ValidationError):
        services.referral_schedule(actor=maya, referral=referral)


def test_it_keeps_a_discipline_referral_from_other_disciplines(alice, ben, make_order):
    referral = make_order(send=True, recipient_practitioner=None, recipient_discipline="massage-therapy")
    with pytest.raises(ValidationError):
        services.referral_accept(actor=ben, referral=referral)  # ben is a PT
