"""Invariant 5: a contraindicated technique is never planned; a precaution needs the supervisor's reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, massage

from tandem.careplans import services
from tandem.careplans.models import Activity
from tandem.safety.models import SafetyOverride


def test_deep_tissue_on_the_lumbar_spine_of_a_patient_on_warfarin_is_refused(plan, add_activity):
    with pytest.raises(ValidationError) as refused:
        add_activity(
            plan,
            massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="deep"),
            override_reason="The patient insists.",
        )
    assert "Contraindicated" in " ".join(refused.value.message_dict["safety"])
    assert not Activity.objects.exists()
    assert not SafetyOverride.objects.exists()
    assert plan.versions.count() == 1


def test_a_contraindicated_technique_cannot_come_in_by_an_update(alice, plan, add_activity):
    order = add_activity(plan, massage(), override_reason="Light only.")
    with pytest.raises(ValidationError) as refused:
        services.activity_update(
            actor=alice,
            activity=order,
            data={"techniques": ["massage-swedish", "massage-trigger-point"]},
            override_reason="Light only.",
        )
    assert "safety" in refused.value.message_dict
    order.refresh_from_db()
    assert order.techniques == ["massage-swedish"]


def test_a_precaution_without_a_reason_is_refused(plan, add_activity):
    with pytest.raises(ValidationError) as refused:
        add_activity(plan, adjustment(techniques=["chiro-hvla"], body_sites=["lumbar"]))
    assert "Precaution" in " ".join(refused.value.message_dict["safety"])
    assert not Activity.objects.exists()


def test_a_precaution_with_the_supervisors_reason_is_saved_and_the_override_recorded(
    alice, plan, add_activity
):
    reason = "INR 2.1 and stable; low-force HVLA at L4-L5 only."
    activity = add_activity(
        plan, adjustment(techniques=["chiro-hvla"], body_sites=["lumbar"]), override_reason=reason
    )
    assert activity.override_reason == reason
    override = SafetyOverride.objects.get()
    assert override.subject == f"careplan-activity:{activity.pk}"
    assert override.overridden_by == alice and override.reason == reason


def test_only_the_supervisor_may_give_the_reason(ben, plan, add_activity):
    with pytest.raises(ValidationError) as refused:
        add_activity(
            plan,
            adjustment(techniques=["chiro-hvla"], body_sites=["lumbar"]),
            actor=ben,
            override_reason="Fine.",
        )
    assert "override_reason" in refused.value.message_dict
    assert not SafetyOverride.objects.exists()


def test_a_clean_technique_passes_without_a_reason(plan, add_activity):
    assert add_activity(plan, adjustment()).override_reason == ""
