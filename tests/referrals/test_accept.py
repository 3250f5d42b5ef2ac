"""Accepting: the recipient joins the care team; two people cannot both accept one referral."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tandem.accounts.models import Role
from tandem.core.personas import PersonaSpec, persona_user
from tandem.patients.models import CareTeamMember
from tandem.referrals import services
from tandem.referrals.models import Referral, ReferralEvent

from .conftest import massage_order_data


def test_it_puts_the_massage_therapist_on_the_care_team_when_she_accepts(ben, maya, other_patient):
    assert not CareTeamMember.objects.filter(patient=other_patient, practitioner=maya.practitioner).exists()
    referral = services.referral_create(
        actor=ben,
        patient=other_patient,
        data=massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk),
    )
    services.referral_send(actor=ben, referral=referral)
    services.referral_accept(actor=maya, referral=referral)
    member = CareTeamMember.objects.get(
        patient=other_patient, practitioner=maya.practitioner, ended_on__isnull=True
    )
    assert member.role == "member" and member.added_by == maya


def test_it_does_not_add_someone_already_on_the_team(alice, maya, order, patient):
    before = CareTeamMember.objects.filter(patient=patient).count()
    services.referral_accept(actor=maya, referral=order)
    assert CareTeamMember.objects.filter(patient=patient).count() == before


def test_it_puts_the_chiropractor_on_the_team_for_a_structural_referral(alice, maya, other_patient, ben):
    # Maya is not on Linda Park's team; put her there through a massage order first.
    order = services.referral_create(
        actor=ben,
        patient=other_patient,
        data=massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk),
    )
    services.referral_send(actor=ben, referral=order)
    services.referral_accept(actor=maya, referral=order)
    structural = services.referral_create(
        actor=maya,
        patient=other_patient,
        data={
            "kind": "structural",
            "reason": "Sharp pain on lumbar extension.",
            "findings": "Palpable step at L5; pain radiating to the left buttock. Suspect spondylolisthesis.",
            "recipient_practitioner": alice.practitioner.pk,
        },
    )
    services.referral_send(actor=maya, referral=structural)
    services.referral_accept(actor=alice, referral=structural)
    assert CareTeamMember.objects.filter(patient=other_patient, practitioner=alice.practitioner).exists()


def test_it_refuses_the_second_accept_even_from_a_stale_copy(maya, organization, make_order):
    noor = persona_user(
        organization,
        PersonaSpec("noor", "Noor", "Haddad", Role.CLINICIAN, "massage-therapy", "LMT", "MA-090001"),
    )
    referral = make_order(send=True, recipient_practitioner=None, recipient_discipline="massage-therapy")
    seen_by_maya = Referral.objects.get(pk=referral.pk)
    seen_by_noor = Referral.objects.get(pk=referral.pk)  # both pages were opened while it was "Sent"
    services.referral_accept(actor=maya, referral=seen_by_maya)
    with pytest.raises(ValidationError) as refused:
        services.referral_accept(actor=noor, referral=seen_by_noor)
    assert refused.value.message_dict == {"status": ["An accepted referral cannot be accepted."]}
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.recipient_practitioner == maya.practitioner
    assert ReferralEvent.objects.filter(referral=referral, to_status="accepted").count() == 1
