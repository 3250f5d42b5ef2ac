"""Intake red-flag screening and the facts the engine reads from the stored record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.patients import services as patient_services
from tandem.safety.engine import PlannedActivity
from tandem.safety.services import patient_facts, safety_check, screening_record


def test_it_recommends_an_urgent_referral_for_a_positive_red_flag(alice, patient):
    screening = screening_record(
        actor=alice, patient=patient, data={"red_flags": ["saddle-anaesthesia", "bladder-bowel-dysfunction"]}
    )
    assert screening.urgent_referral_recommended is True
    assert screening.red_flags == ["saddle-anaesthesia", "bladder-bowel-dysfunction"]
    event = AuditEvent.objects.get(object_type="IntakeScreening", object_id=str(screening.pk))
    assert event.action == "C" and event.patient_id == patient.pk and "saddle-anaesthesia" in event.detail


def test_it_recommends_no_referral_without_red_flags(ben, patient):
    screening = screening_record(
        actor=ben, patient=patient, data={"factors": [{"factor": "pregnancy", "body_site": ""}]}
    )
    assert screening.urgent_referral_recommended is False
    assert screening.factors == [{"factor": "pregnancy", "body_site": ""}]


def test_it_refuses_unknown_codes_and_saves_nothing(alice, patient):
    with pytest.raises(ValidationError) as caught:
        screening_record(
            actor=alice,
            patient=patient,
            data={"red_flags": ["sneezing"], "factors": [{"factor": "open-wound", "body_site": "toe"}]},
        )
    assert set(caught.value.message_dict) == {"red_flags", "factors"}
    assert not patient.screenings.exists()


@pytest.mark.parametrize("persona", ["dana", "admin", "outsider"])
def test_it_lets_only_clinicians_caring_for_the_patient_screen(persona, personas, patient):
    with pytest.raises(ValidationError):
        screening_record(actor=personas[persona], patient=patient, data={})
    assert not patient.screenings.exists()


def test_it_refuses_maya_for_linda_park(maya, other_patient):
    with pytest.raises(ValidationError):
        screening_record(actor=maya, patient=other_patient, data={})


def test_it_reads_the_facts_from_the_stored_record(alice, patient):
    screening_record(
        actor=alice,
        patient=patient,
        data={"red_flags": ["night-pain"], "factors": [{"factor": "open-wound", "body_site": "knee-left"}]},
    )
    facts = patient_facts(patient)
    [condition] = facts.conditions
    assert (condition.code, condition.body_sites, condition.category) == (
        "M51.362",
        ("lumbar",),
        "structural",
    )
    assert facts.medication_flags == {"anticoagulant"}
    assert [(f.factor, f.body_site) for f in facts.factors] == [("open-wound", "knee-left")]
    assert facts.red_flags == {"night-pain"}
    assert facts.age is not None and facts.age >= 58


def test_it_uses_only_the_latest_screening(alice, patient):
    screening_record(actor=alice, patient=patient, data={"factors": [{"factor": "fever"}]})
    assert safety_check(patient=patient, activities=[PlannedActivity("massage-swedish", ("head",), "light")])[
        0
    ].rule == ("massage-fever")
    screening_record(actor=alice, patient=patient, data={})
    rules = {
        f.rule for f in safety_check(patient=patient, activities=[PlannedActivity("massage-swedish", ())])
    }
    assert "massage-fever" not in rules


def test_it_ignores_resolved_conditions_and_stopped_medications(alice, patient):
    warfarin = patient.medications.get()
    patient_services.medication_update(actor=alice, medication=warfarin, data={"status": "stopped"})
    condition = patient.conditions.get()
    patient_services.condition_update(actor=alice, condition=condition, data={"clinical_status": "resolved"})
    facts = patient_facts(patient)
    assert facts.conditions == () and facts.medication_flags == frozenset()
    assert (
        safety_check(patient=patient, activities=[PlannedActivity("massage-deep-tissue", ("lumbar",))]) == []
    )


def test_it_ignores_refuted_conditions(alice, patient):
    patient_services.condition_create(
        actor=alice,
        patient=patient,
        data={"code": "G45.0", "category": "structural", "verification_status": "refuted"},
    )
    assert [c.code for c in patient_facts(patient).conditions] == ["M51.362"]
