"""Massage orders go through the safety gate when written, when their techniques or regions change, and when
sent (DESIGN.md invariant 5). Robert Hale is on warfarin: deep work is contraindicated, light work needs a
supervising clinician's reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tandem.referrals import services
from tandem.referrals.models import Referral
from tandem.safety.models import SafetyOverride

from .conftest import OVERRIDE, massage_order_data


def test_it_refuses_deep_tissue_massage_for_a_patient_on_warfarin_and_stores_nothing(alice, maya, patient):
    data = massage_order_data(techniques=["massage-deep-tissue"])
    with pytest.raises(ValidationError) as refused:
        services.referral_create(actor=alice, patient=patient, data=data, override_reason=OVERRIDE)
    assert "safety" in refused.value.message_dict
    assert "Contraindicated" in refused.value.message_dict["safety"][0]
    assert not Referral.objects.exists()


def test_it_asks_for_a_reason_before_light_massage_and_keeps_the_findings(alice, patient):
    with pytest.raises(ValidationError) as refused:
        services.referral_create(actor=alice, patient=patient, data=massage_order_data())
    assert "safety" in refused.value.message_dict and not Referral.objects.exists()
    referral = services.referral_create(
        actor=alice, patient=patient, data=massage_order_data(), override_reason=OVERRIDE
    )
    assert {f["rule"] for f in referral.safety_findings} == {"massage-anticoagulant-light"}
    assert referral.safety_override_reason == OVERRIDE
    assert SafetyOverride.objects.filter(patient=patient, subject=f"referral:{referral.pk}").exists()


def test_it_checks_changed_regions_again(alice, make_order):
    draft = make_order()
    with pytest.raises(ValidationError) as refused:
        services.referral_update(actor=alice, referral=draft, data={"techniques": ["massage-trigger-point"]})
    assert "safety" in refused.value.message_dict
    assert Referral.objects.get(pk=draft.pk).techniques == ["massage-swedish"]


def test_it_checks_again_when_sent(alice, make_order, patient):
    draft = make_order()
    # A new problem since the draft was written: now the order is contraindicated.
    from tandem.patients import services as patient_services

    patient_services.condition_create(
        actor=alice,
        patient=patient,
        data={"code": "I82.401", "body_site": "lower-leg", "laterality": "right", "category": "soft-tissue"},
    )
    with pytest.raises(ValidationError) as refused:
        services.referral_send(actor=alice, referral=draft)
    assert "safety" in refused.value.message_dict
    assert Referral.objects.get(pk=draft.pk).status == "draft"


def test_it_shows_the_findings_on_the_referral_page(alice, order, client_for):
    html = client_for(alice).get(f"/referrals/{order.pk}/").content.decode()
    assert "Safety check" in html and "precaution" in html and OVERRIDE in html


def test_it_does_not_gate_referrals_without_techniques(maya, alice, patient):
    referral = services.referral_create(
        actor=maya,
        patient=patient,
        data={
            "kind": "structural",
            "reason": "Sharp pain on extension",
            "findings": "Suspect facet irritation at L5.",
            "recipient_discipline": "chiropractic",
        },
    )
    assert referral.safety_findings == []


# The gate again before the order is carried out -----------------------------------------------------------


def _clean_patient(alice, ben, maya):
    """A patient with nothing on record yet: alice leads, ben and maya are on the team."""
    from tandem.patients import services as patient_services
    from tandem.patients.models import CareTeamRole

    from ..conftest import make_patient

    person = make_patient(alice, "Nora", "Quinn")
    for member in (ben, maya):
        patient_services.care_team_add(
            actor=alice, patient=person, practitioner=member.practitioner, role=CareTeamRole.MEMBER
        )
    return person


def _start_warfarin(alice, person) -> None:
    from tandem.patients import services as patient_services

    patient_services.medication_create(
        actor=alice, patient=person, data={"medication": "Warfarin 5 mg", "dosage": "daily"}
    )


STEPS_BEFORE = {"accept": (), "schedule": ("accept",), "start": ("accept", "schedule")}


@pytest.mark.parametrize("step", ["accept", "schedule", "start"])
def test_it_refuses_to_carry_out_an_order_made_contraindicated_since_it_was_sent(alice, ben, maya, step):
    person = _clean_patient(alice, ben, maya)
    data = massage_order_data(
        recipient_discipline="",
        recipient_practitioner=maya.practitioner.pk,
        techniques=["massage-deep-tissue"],
        body_sites=["lumbar"],
        pressure_limit="deep",
    )
    order = services.referral_create(actor=alice, patient=person, data=data)
    assert order.safety_findings == []
    order = services.referral_send(actor=alice, referral=order)
    for earlier in STEPS_BEFORE[step]:
        order = services.referral_transition(actor=maya, referral=order, action=earlier, body={})
    status = order.status
    _start_warfarin(alice, person)
    with pytest.raises(ValidationError) as refused:
        services.referral_transition(actor=maya, referral=order, action=step, body={})
    problems = refused.value.message_dict["safety"]
    assert any(p.startswith("Contraindicated") for p in problems)
    assert Referral.objects.get(pk=order.pk).status == status


def test_it_refuses_to_accept_a_new_precaution_without_the_supervisors_reason(alice, ben, maya):
    person = _clean_patient(alice, ben, maya)
    data = massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk)
    order = services.referral_send(
        actor=alice, referral=services.referral_create(actor=alice, patient=person, data=data)
    )
    _start_warfarin(alice, person)
    with pytest.raises(ValidationError) as refused:
        services.referral_accept(actor=maya, referral=order)
    assert any("Precaution" in p for p in refused.value.message_dict["safety"])
    assert Referral.objects.get(pk=order.pk).status == "requested"
    assert not SafetyOverride.objects.exists()


def test_it_accepts_an_order_whose_precaution_was_overridden_for_it_and_keeps_fresh_findings(
    alice, order, maya
):
    from tandem.safety.services import screening_record

    screening_record(actor=alice, patient=order.patient, data={"red_flags": ["unexplained-weight-loss"]})
    accepted = services.referral_accept(actor=maya, referral=order)
    stored = Referral.objects.get(pk=accepted.pk)
    assert stored.status == "accepted"
    assert {f["rule"] for f in stored.safety_findings} == {"massage-anticoagulant-light", "red-flag-refer"}
    assert stored.safety_override_reason == OVERRIDE


# Pressure ------------------------------------------------------------------------------------------------


def test_it_refuses_a_firm_pressure_limit_for_a_patient_on_warfarin(alice, maya, patient):
    data = massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk)
    for pressure in ("firm", "deep"):
        with pytest.raises(ValidationError) as refused:
            services.referral_create(
                actor=alice,
                patient=patient,
                data={**data, "pressure_limit": pressure},
                override_reason=OVERRIDE,
            )
        assert any(p.startswith("Contraindicated") for p in refused.value.message_dict["safety"]), pressure
    assert not Referral.objects.exists()


def test_it_checks_a_changed_pressure_limit_again(alice, make_order):
    draft = make_order()
    with pytest.raises(ValidationError) as refused:
        services.referral_update(actor=alice, referral=draft, data={"pressure_limit": "firm"})
    assert "safety" in refused.value.message_dict
    assert Referral.objects.get(pk=draft.pk).pressure_limit == "light"


# Who supervises and overrides -----------------------------------------------------------------------------


def test_only_the_orders_supervising_clinician_may_override(alice, ben, maya, patient):
    data = massage_order_data(
        recipient_discipline="",
        recipient_practitioner=maya.practitioner.pk,
        supervising_practitioner=alice.practitioner.pk,
    )
    with pytest.raises(ValidationError) as refused:
        services.referral_create(actor=ben, patient=patient, data=data, override_reason="ben says fine")
    assert "Alice Moreau" in refused.value.message_dict["override_reason"][0]
    assert not Referral.objects.exists() and not SafetyOverride.objects.exists()
    # Naming himself, ben supervises and may give the reason.
    mine = services.referral_create(
        actor=ben,
        patient=patient,
        data={**data, "supervising_practitioner": None},
        override_reason=OVERRIDE,
    )
    assert mine.supervising_practitioner == ben.practitioner
    assert SafetyOverride.objects.get().overridden_by == ben


def test_the_supervising_clinician_is_on_the_patients_care_team(alice, ben, maya, other_patient):
    # Linda Park's team is ben alone: alice, a DC of the clinic, cannot supervise her massage.
    data = massage_order_data(
        recipient_discipline="",
        recipient_practitioner=maya.practitioner.pk,
        supervising_practitioner=alice.practitioner.pk,
    )
    with pytest.raises(ValidationError) as refused:
        services.referral_create(actor=ben, patient=other_patient, data=data)
    assert "care team" in refused.value.message_dict["supervising_practitioner"][0]
    assert not Referral.objects.exists()
    order = services.referral_create(
        actor=ben, patient=other_patient, data={**data, "supervising_practitioner": ben.practitioner.pk}
    )
    assert order.supervising_practitioner == ben.practitioner
