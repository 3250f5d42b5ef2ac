"""safety_gate: what referrals and care plans call before saving a massage order or a plan activity."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from tandem.audit.models import AuditEvent
from tandem.safety.engine import PlannedActivity
from tandem.safety.models import SafetyOverride
from tandem.safety.services import can_override, overrides_for_patient, safety_gate

DEEP_LUMBAR = PlannedActivity("massage-deep-tissue", ("lumbar",))
SWEDISH_NECK = PlannedActivity("massage-swedish", ("cervical",), "light")


def test_it_blocks_a_contraindicated_technique_even_with_a_reason(alice, patient):
    with pytest.raises(ValidationError) as caught:
        safety_gate(
            actor=alice,
            patient=patient,
            activities=[DEEP_LUMBAR],
            override_reason="Patient insists",
            subject="careplan-activity:1",
        )
    messages = caught.value.message_dict["safety"]
    assert any("Contraindicated" in m and "NCCIH" in m for m in messages)
    assert not SafetyOverride.objects.exists()


def test_it_blocks_a_precaution_without_a_reason(alice, patient):
    with pytest.raises(ValidationError) as caught:
        safety_gate(actor=alice, patient=patient, activities=[SWEDISH_NECK], subject="referral:1")
    assert "Precaution" in caught.value.message_dict["safety"][0]
    assert not SafetyOverride.objects.exists()


def test_it_refuses_an_override_from_the_massage_therapist(maya, patient):
    assert not can_override(maya, patient)
    with pytest.raises(ValidationError) as caught:
        safety_gate(
            actor=maya,
            patient=patient,
            activities=[SWEDISH_NECK],
            override_reason="Light pressure only, INR stable",
            subject="referral:1",
        )
    assert "only a chiropractor or physical therapist" in caught.value.message_dict["safety"][0]
    assert not SafetyOverride.objects.exists()


def test_it_records_and_audits_an_override_by_the_supervising_chiropractor(alice, maya, patient):
    findings = safety_gate(
        actor=alice,
        patient=patient,
        activities=[SWEDISH_NECK],
        override_reason="INR stable at 2.3; light pressure only",
        subject="careplan-activity:12",
    )
    assert [(f.severity, f.rule) for f in findings] == [("precaution", "massage-anticoagulant-light")]
    override = overrides_for_patient(patient).get()
    assert (override.rule, override.technique, override.body_site) == (
        "massage-anticoagulant-light",
        "massage-swedish",
        "",
    )
    assert override.overridden_by == alice
    assert override.subject == "careplan-activity:12"
    assert override.reason == "INR stable at 2.3; light pressure only"
    event = AuditEvent.objects.filter(object_type="SafetyOverride", object_id=str(override.pk)).get()
    assert event.patient_id == patient.pk and event.actor_id == alice.pk

    # The override is on record for this activity: its next change passes without a reason, records nothing.
    again = safety_gate(
        actor=maya, patient=patient, activities=[SWEDISH_NECK], subject="careplan-activity:12"
    )
    assert [f.rule for f in again] == ["massage-anticoagulant-light"]
    assert SafetyOverride.objects.count() == 1


@pytest.mark.parametrize("other", ["careplan-activity:13", "referral:12", "referral:7"])
def test_it_counts_an_override_only_for_its_own_subject(other, alice, ben, patient):
    safety_gate(
        actor=alice,
        patient=patient,
        activities=[SWEDISH_NECK],
        override_reason="INR stable at 2.3; light pressure only",
        subject="careplan-activity:12",
    )
    with pytest.raises(ValidationError) as caught:
        safety_gate(actor=ben, patient=patient, activities=[SWEDISH_NECK], subject=other)
    assert "must give a reason" in caught.value.message_dict["safety"][0]
    assert SafetyOverride.objects.count() == 1


def test_it_needs_a_subject(alice, patient):
    with pytest.raises(ValueError):
        safety_gate(actor=alice, patient=patient, activities=[SWEDISH_NECK], subject=" ")


def test_it_lets_ben_the_physical_therapist_override(ben, patient):
    assert can_override(ben, patient)


def test_it_passes_without_findings_for_a_patient_without_risks(alice, new_patient):
    healthy = new_patient(alice, "Nora", "Quinn")
    assert safety_gate(actor=alice, patient=healthy, activities=[SWEDISH_NECK], subject="referral:2") == []


def test_it_refuses_unknown_codes(alice, patient):
    with pytest.raises(ValidationError) as caught:
        safety_gate(
            actor=alice, patient=patient, activities=[PlannedActivity("reiki", ("aura",))], subject="x:1"
        )
    assert "reiki" in caught.value.message_dict["safety"][0]


def test_it_keeps_overrides_append_only_in_the_database(alice, patient):
    safety_gate(
        actor=alice,
        patient=patient,
        activities=[SWEDISH_NECK],
        override_reason="INR stable; light pressure only",
        subject="referral:1",
    )
    override = SafetyOverride.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        SafetyOverride.objects.filter(pk=override.pk).update(reason="Never mind")
    with pytest.raises(DatabaseError), transaction.atomic():
        SafetyOverride.objects.filter(pk=override.pk).delete()
    assert SafetyOverride.objects.get().reason == "INR stable; light pressure only"
