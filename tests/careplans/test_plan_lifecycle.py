"""A plan starts as a draft; one active plan per episode, by the service and by the database."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from tests.careplans.conftest import EPISODE, adjustment

from tandem.careplans import services
from tandem.careplans.models import CarePlan, CarePlanStatus


def test_a_new_plan_is_a_draft_supervised_by_its_author_with_the_patients_problems(alice, patient, plan):
    assert plan.status == CarePlanStatus.DRAFT
    assert plan.supervising_practitioner == alice.practitioner
    assert list(plan.problems.all()) == list(patient.conditions.all())
    assert plan.organization_id == patient.organization_id


def test_activating_a_second_plan_for_the_same_episode_is_refused(alice, patient, plan):
    services.careplan_activate(actor=alice, plan=plan)
    second = services.careplan_create(actor=alice, patient=patient, data={"title": EPISODE.upper()})
    with pytest.raises(ValidationError) as refused:
        services.careplan_activate(actor=alice, plan=second)
    assert "already has an active plan" in refused.value.message_dict["status"][0]
    second.refresh_from_db()
    assert second.status == CarePlanStatus.DRAFT
    other_episode = services.careplan_create(actor=alice, patient=patient, data={"title": "Neck pain, 2027"})
    assert services.careplan_activate(actor=alice, plan=other_episode).status == CarePlanStatus.ACTIVE


def test_the_database_allows_one_active_plan_per_episode(alice, patient, plan):
    services.careplan_activate(actor=alice, plan=plan)
    second = services.careplan_create(actor=alice, patient=patient, data={"title": EPISODE})
    with pytest.raises(IntegrityError), transaction.atomic():
        CarePlan.objects.filter(pk=second.pk).update(status=CarePlanStatus.ACTIVE)


def test_a_completed_episode_can_start_again(alice, patient, plan):
    services.careplan_activate(actor=alice, plan=plan)
    services.careplan_update(actor=alice, plan=plan, data={"status": "completed"})
    second = services.careplan_create(actor=alice, patient=patient, data={"title": EPISODE})
    assert services.careplan_activate(actor=alice, plan=second).status == CarePlanStatus.ACTIVE


def test_a_closed_plan_does_not_change(alice, plan, add_activity):
    services.careplan_update(actor=alice, plan=plan, data={"status": "revoked"})
    with pytest.raises(ValidationError):
        add_activity(plan, adjustment())
    with pytest.raises(ValidationError):
        services.careplan_update(actor=alice, plan=plan, data={"title": "Something else"})
    with pytest.raises(ValidationError):
        services.careplan_activate(actor=alice, plan=plan)
    services.careplan_update(actor=alice, plan=plan, data={"status": "entered-in-error"})
    plan.refresh_from_db()
    assert plan.status == CarePlanStatus.ENTERED_IN_ERROR


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"status": "active"}, "status"),
        (
            {"period_start_on": datetime.date(2026, 11, 2), "period_end_on": datetime.date(2026, 10, 1)},
            "period_end_on",
        ),
    ],
)
def test_it_refuses_bad_plan_fields(alice, patient, data, field):
    with pytest.raises(ValidationError) as refused:
        services.careplan_create(actor=alice, patient=patient, data={"title": "Episode", **data})
    assert field in refused.value.message_dict
    assert not CarePlan.objects.exists()


def test_the_supervisor_is_a_dc_or_pt_on_the_care_team(alice, maya, outsider, patient, other_patient):
    with pytest.raises(ValidationError) as refused:
        services.careplan_create(
            actor=alice,
            patient=patient,
            data={"title": "E", "supervising_practitioner": maya.practitioner.pk},
        )
    assert "supervising_practitioner" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.careplan_create(
            actor=alice,
            patient=patient,
            data={"title": "E", "supervising_practitioner": outsider.practitioner.pk},
        )


def test_problems_must_be_the_patients_own(alice, patient, other_patient, ben):
    from tandem.patients import services as patient_services

    linda_condition = patient_services.condition_create(
        actor=ben,
        patient=other_patient,
        data={"code": "M54.2", "body_site": "cervical", "category": "soft-tissue"},
    )
    with pytest.raises(ValidationError) as refused:
        services.careplan_create(
            actor=alice, patient=patient, data={"title": "E", "problems": [linda_condition.pk]}
        )
    assert "problems" in refused.value.message_dict


def test_maya_and_dana_cannot_start_a_plan(maya, dana, patient):
    for person in (maya, dana):
        with pytest.raises(ValidationError):
            services.careplan_create(actor=person, patient=patient, data={"title": "E"})


def test_removing_an_activity_keeps_the_row_and_drops_its_rules(alice, plan, add_activity):
    first, second = add_activity(plan, adjustment()), add_activity(plan, adjustment(body_sites=["cervical"]))
    rule = services.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={"first_activity": first.pk, "second_activity": second.pk, "relation": "same-day"},
    )
    services.activity_remove(actor=alice, activity=second, status="entered-in-error")
    second.refresh_from_db()
    rule.refresh_from_db()
    assert second.status == "entered-in-error"
    assert rule.removed_at is not None
    with pytest.raises(ValidationError):
        services.activity_remove(actor=alice, activity=second)
    with pytest.raises(ValidationError):
        services.activity_remove(actor=alice, activity=first, status="completed")


def test_a_plan_can_rest_on_a_referral_of_the_same_patient(alice, ben, maya, patient, other_patient, plan):
    from tandem.referrals import services as referrals

    referral = referrals.referral_create(
        actor=maya,
        patient=patient,
        data={
            "kind": "structural",
            "reason": "Sharp pain on lumbar extension.",
            "findings": "Palpable step at L5. Suspect spondylolisthesis.",
            "recipient_practitioner": alice.practitioner.pk,
        },
    )
    services.careplan_update(actor=alice, plan=plan, data={"based_on_referral": referral.pk})
    plan.refresh_from_db()
    assert plan.based_on_referral == referral
    assert plan.versions.order_by("-number").first().snapshot["plan"]["based_on_referral"] == referral.pk
    other = referrals.referral_create(
        actor=ben,
        patient=other_patient,
        data={
            "kind": "massage-order",
            "reason": "Neck guarding.",
            "recipient_discipline": "massage-therapy",
            "techniques": ["massage-swedish"],
            "body_sites": ["cervical"],
            "pressure_limit": "light",
            "session_count": 4,
            "sessions_per_week": 1,
        },
    )
    with pytest.raises(ValidationError) as refused:
        services.careplan_update(actor=alice, plan=plan, data={"based_on_referral": other.pk})
    assert "based_on_referral" in refused.value.message_dict


def test_activating_from_a_stale_page_twice_versions_once(alice, plan):
    stale = CarePlan.objects.get(pk=plan.pk)
    services.careplan_activate(actor=alice, plan=plan)
    with pytest.raises(ValidationError):
        services.careplan_activate(actor=alice, plan=stale)
    assert plan.versions.filter(change_summary__startswith="Activated").count() == 1


def test_renaming_an_active_plan_onto_another_active_episode_is_refused(alice, patient, plan):
    services.careplan_activate(actor=alice, plan=plan)
    neck = services.careplan_create(actor=alice, patient=patient, data={"title": "Neck pain, 2027"})
    services.careplan_activate(actor=alice, plan=neck)
    with pytest.raises(ValidationError) as refused:
        services.careplan_update(actor=alice, plan=neck, data={"title": EPISODE.lower()})
    assert "title" in refused.value.message_dict
    neck.refresh_from_db()
    assert neck.title == "Neck pain, 2027"
