"""Invariant 5 while documenting: the techniques a note records go through the safety engine again, with the
patient's record of today. Robert Hale takes warfarin; his plan has light Swedish massage, approved by alice
with an override of the anticoagulant precaution."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.charting import services
from tandem.charting.models import Note
from tandem.charting.selectors import note_findings
from tandem.patients.services import medication_create
from tandem.safety.models import SafetyOverride

pytestmark = pytest.mark.django_db


def fields(technique: str = "massage-swedish", pressure: str = "light", **extra: Any) -> dict[str, Any]:
    return {
        "techniques": [{"technique": technique, "minutes": 30}],
        "body_sites": ["thoracic"],
        "pressure": pressure,
        "nprs_before": 5,
        "nprs_after": 3,
        "response": "Relaxed",
        **extra,
    }


def test_deep_tissue_for_a_patient_on_warfarin_is_refused_with_the_rules_message(
    maya, patient, robert_massage, documented, refused
):
    note = documented(patient, robert_massage, fields())
    errors = refused(
        services.note_save_draft, actor=maya, note=note, changes={"data": fields("massage-deep-tissue")}
    )
    assert list(errors) == ["safety"]
    assert errors["safety"][0].startswith(
        "Contraindicated: Deep tissue massage (any site) — No forceful or deep"
    )
    assert "anticoagulants" in errors["safety"][0]
    assert Note.objects.get(pk=note.pk).data["techniques"][0]["technique"] == "massage-swedish"


def test_firm_pressure_is_refused_even_in_swedish_massage(maya, patient, robert_massage, documented, refused):
    note = documented(patient, robert_massage, fields())
    errors = refused(
        services.note_save_draft, actor=maya, note=note, changes={"data": fields(pressure="firm")}
    )
    assert "No firm or deep pressure" in errors["safety"][0]


def test_a_contraindication_that_appeared_after_the_draft_blocks_the_signature(
    alice, maya, nora, nora_massage, documented, refused
):
    note = documented(nora, nora_massage)  # trigger point therapy at moderate pressure: fine for Nora today
    medication_create(
        actor=alice, patient=nora, data={"medication": "Apixaban 5 mg", "dosage": "twice daily"}
    )
    errors = refused(services.note_sign, actor=maya, note=note)
    assert any(m.startswith("Contraindicated: Trigger point therapy") for m in errors["safety"])
    assert Note.objects.get(pk=note.pk).status == "preliminary"


def test_the_plans_approved_override_covers_documenting_what_was_ordered(
    maya, patient, robert_massage, documented
):
    note = documented(patient, robert_massage, fields())
    assert [f.severity for f in note_findings(note)] == ["precaution"]
    signed = services.note_sign(actor=maya, note=note)
    assert signed.status == "final"
    assert not SafetyOverride.objects.filter(subject=f"charting-note:{note.pk}").exists()


def test_a_precaution_outside_the_order_needs_the_supervisors_override_to_sign(
    alice, ben, maya, patient, robert_massage, documented, refused
):
    note = documented(patient, robert_massage, fields("massage-lymphatic-drainage"))
    errors = refused(services.note_sign, actor=maya, note=note)
    assert errors["safety"][0].startswith("Precaution: Manual lymphatic drainage (any site)")
    assert "must give a reason" in errors["safety"][0]
    assert refused(services.note_override_precaution, actor=maya, note=note, reason="Fine") == {
        "override_reason": ["Only Dr Alice Moreau, DC may override a precaution in this note."]
    }
    assert "override_reason" in refused(services.note_override_precaution, actor=ben, note=note, reason="Ok")
    assert refused(services.note_override_precaution, actor=alice, note=note, reason="  ") == {
        "override_reason": ["Give the reason to go ahead despite the precaution."]
    }
    services.note_override_precaution(
        actor=alice, note=note, reason="INR 2.4 this week; light drainage is fine."
    )
    override = SafetyOverride.objects.get(subject=f"charting-note:{note.pk}")
    assert (override.technique, override.overridden_by) == ("massage-lymphatic-drainage", alice)
    assert services.note_sign(actor=maya, note=note).status == "final"


def test_an_override_for_one_note_does_not_silence_another(
    alice, maya, patient, robert_massage, documented, refused
):
    first = documented(patient, robert_massage, fields("massage-lymphatic-drainage"))
    services.note_override_precaution(actor=alice, note=first, reason="INR stable this week.")
    second = documented(patient, robert_massage, fields("massage-lymphatic-drainage"))
    assert "safety" in refused(services.note_sign, actor=maya, note=second)
