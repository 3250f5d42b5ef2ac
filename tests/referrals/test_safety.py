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
