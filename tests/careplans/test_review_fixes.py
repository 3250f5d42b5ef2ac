"""Review of issue #3: the safety gate on every step that commits a massage (approve, activate, pressure),
overrides bound to their activity, the supervisor's hand-over, legal status moves and bounded ids."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import EPISODE, adjustment, massage
from tests.conftest import make_patient

from tandem.careplans import services
from tandem.careplans.models import PLAN_STATUS_MOVES, Activity, CarePlan, CarePlanStatus
from tandem.patients import services as patient_services
from tandem.patients.models import CareTeamRole
from tandem.safety.engine import PlannedActivity
from tandem.safety.models import SafetyOverride
from tandem.safety.services import safety_gate

BIG = 10**30
REASON = "INR 2.2 and stable; light Swedish only."


@pytest.fixture
def clean_plan(alice, ben, maya) -> CarePlan:
    """A patient without risks (no warfarin yet), team alice + ben + maya, with a draft plan."""
    person = make_patient(alice, "Clean", "Person")
    for who in (ben, maya):
        patient_services.care_team_add(
            actor=alice, patient=person, practitioner=who.practitioner, role=CareTeamRole.MEMBER
        )
    return services.careplan_create(actor=alice, patient=person, data={"title": "Neck pain"})


def _start_warfarin(alice, plan: CarePlan) -> None:
    patient_services.medication_create(
        actor=alice, patient=plan.patient, data={"medication": "Warfarin 5 mg", "dosage": "daily"}
    )


# 1. The gate runs again on approval and activation ---------------------------------------------------------


def test_approving_deep_tissue_after_warfarin_is_refused(alice, clean_plan):
    order = services.activity_add(
        actor=alice,
        plan=clean_plan,
        data=massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="firm"),
    )
    _start_warfarin(alice, clean_plan)
    with pytest.raises(ValidationError) as refused:
        services.activity_approve(actor=alice, activity=order)
    assert "Contraindicated" in " ".join(refused.value.message_dict["safety"])
    assert Activity.objects.get(pk=order.pk).approval == "pending"


def test_activating_a_plan_with_deep_tissue_after_warfarin_is_refused(alice, clean_plan):
    services.activity_add(
        actor=alice,
        plan=clean_plan,
        data=massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="firm"),
    )
    _start_warfarin(alice, clean_plan)
    versions = clean_plan.versions.count()
    with pytest.raises(ValidationError) as refused:
        services.careplan_activate(actor=alice, plan=clean_plan)
    assert "Contraindicated" in " ".join(refused.value.message_dict["safety"])
    assert CarePlan.objects.get(pk=clean_plan.pk).status == "draft"
    assert clean_plan.versions.count() == versions


def test_a_new_precaution_blocks_approval_until_the_supervisor_gives_a_reason(alice, clean_plan):
    order = services.activity_add(actor=alice, plan=clean_plan, data=massage())
    _start_warfarin(alice, clean_plan)
    with pytest.raises(ValidationError) as refused:
        services.activity_approve(actor=alice, activity=order)
    assert "Precaution" in " ".join(refused.value.message_dict["safety"])
    # The supervisor records the reason on the activity (nothing else changes), then approval passes.
    services.activity_update(actor=alice, activity=order, data={}, override_reason=REASON)
    override = SafetyOverride.objects.get()
    assert override.subject == f"careplan-activity:{order.pk}" and override.reason == REASON
    approved = services.activity_approve(actor=alice, activity=Activity.objects.get(pk=order.pk))
    assert approved.approval == "approved"
    assert services.careplan_activate(actor=alice, plan=clean_plan).status == "active"


def test_activating_a_plan_without_findings_still_works(alice, clean_plan):
    services.activity_add(actor=alice, plan=clean_plan, data=adjustment())
    assert services.careplan_activate(actor=alice, plan=clean_plan).status == "active"


# 2. Pressure is a safety field ------------------------------------------------------------------------------


def test_raising_the_pressure_on_warfarin_is_refused(alice, ben, plan, add_activity):
    order = add_activity(plan, massage(), override_reason=REASON)
    with pytest.raises(ValidationError) as refused:
        services.activity_update(actor=ben, activity=order, data={"massage_pressure": "deep"})
    assert "Contraindicated" in " ".join(refused.value.message_dict["safety"])
    assert Activity.objects.get(pk=order.pk).massage_pressure == "light"


def test_a_firm_swedish_massage_on_warfarin_cannot_be_added(plan, add_activity):
    with pytest.raises(ValidationError) as refused:
        add_activity(plan, massage(massage_pressure="firm"), override_reason=REASON)
    assert "firm" in " ".join(refused.value.message_dict["safety"]).lower()
    assert not Activity.objects.exists()


def test_moderate_pressure_change_runs_the_gate_and_sends_back_to_approval(alice, plan, add_activity):
    order = add_activity(plan, massage(), override_reason=REASON)
    order = services.activity_approve(actor=alice, activity=order)
    changed = services.activity_update(actor=alice, activity=order, data={"massage_pressure": "moderate"})
    assert changed.approval == "pending"
    # Same activity, so the override on record still counts: no new reason was needed.
    assert SafetyOverride.objects.count() == 1


# 3. Overrides are bound to their activity ------------------------------------------------------------------


def test_an_override_on_one_subject_does_not_silence_another_activity(alice, ben, plan, add_activity):
    safety_gate(
        actor=alice,
        patient=plan.patient,
        activities=[PlannedActivity("massage-swedish", (), "light")],
        override_reason="For a cancelled draft referral.",
        subject="referral:99",
    )
    with pytest.raises(ValidationError) as refused:
        add_activity(plan, massage(), actor=ben)
    assert "Precaution" in " ".join(refused.value.message_dict["safety"])
    assert not Activity.objects.exists()


def test_an_override_on_one_activity_does_not_silence_a_second(alice, ben, plan, add_activity):
    add_activity(plan, massage(), override_reason=REASON)
    with pytest.raises(ValidationError):
        add_activity(plan, massage(body_sites=["cervical"]), actor=ben)
    assert Activity.objects.count() == 1
    assert SafetyOverride.objects.get().subject.startswith("careplan-activity:")


def test_a_refused_activity_leaves_no_row_and_no_override(plan, add_activity):
    with pytest.raises(ValidationError):
        add_activity(plan, massage(techniques=["massage-deep-tissue"]), override_reason=REASON)
    assert not Activity.objects.exists() and not SafetyOverride.objects.exists()


# 4. Only the supervisor hands the plan over ----------------------------------------------------------------


def test_ben_cannot_make_himself_supervisor_of_alices_plan(ben, plan):
    with pytest.raises(ValidationError) as refused:
        services.careplan_update(actor=ben, plan=plan, data={"supervising_practitioner": ben.practitioner.pk})
    assert "supervising_practitioner" in refused.value.message_dict
    assert (
        CarePlan.objects.get(pk=plan.pk).supervising_practitioner.user == plan.supervising_practitioner.user
    )


def test_the_supervisor_may_hand_the_plan_to_ben(alice, ben, plan):
    changed = services.careplan_update(
        actor=alice, plan=plan, data={"supervising_practitioner": ben.practitioner.pk}
    )
    assert changed.supervising_practitioner_id == ben.practitioner.pk


def test_ben_may_still_edit_other_fields_and_name_the_same_supervisor(alice, ben, plan):
    changed = services.careplan_update(
        actor=ben, plan=plan, data={"description": "x", "supervising_practitioner": alice.practitioner.pk}
    )
    assert changed.description == "x"


# 5. Status moves ---------------------------------------------------------------------------------------


def test_a_draft_cannot_be_completed_by_a_patch(alice, plan):
    with pytest.raises(ValidationError) as refused:
        services.careplan_update(actor=alice, plan=plan, data={"status": "completed"})
    assert "draft plan cannot become completed" in refused.value.message_dict["status"][0]
    assert CarePlan.objects.get(pk=plan.pk).status == "draft"


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "revoked", True),
        ("draft", "entered-in-error", True),
        ("draft", "on-hold", False),
        ("draft", "completed", False),
        ("active", "on-hold", True),
        ("active", "completed", True),
        ("active", "draft", False),
        ("on-hold", "completed", False),
        ("on-hold", "revoked", True),
        ("completed", "entered-in-error", True),
        ("completed", "revoked", False),
        ("revoked", "active", False),
    ],
)
def test_status_moves_follow_the_table(start, target, allowed, alice, plan):
    assert (target in PLAN_STATUS_MOVES[start]) is allowed
    CarePlan.objects.filter(pk=plan.pk).update(status=start)
    plan.refresh_from_db()
    if allowed:
        assert services.careplan_update(actor=alice, plan=plan, data={"status": target}).status == target
    else:
        with pytest.raises(ValidationError):
            services.careplan_update(actor=alice, plan=plan, data={"status": target})
        assert CarePlan.objects.get(pk=plan.pk).status == start


def test_every_status_has_a_row_in_the_table():
    assert set(PLAN_STATUS_MOVES) == set(CarePlanStatus.values)
    assert all(moves <= set(CarePlanStatus.values) for moves in PLAN_STATUS_MOVES.values())


def test_the_api_refuses_draft_to_completed_with_a_422(alice, plan, client_for):
    response = client_for(alice).patch(
        f"/api/v1/careplans/{plan.pk}", json.dumps({"status": "completed"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


# 6. Ids and version numbers too big for the database -----------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"title": "T", "problems": [BIG]},
        {"title": "T", "problems": [-1]},
        {"title": "T", "supervising_practitioner": BIG},
        {"title": "T", "based_on_referral": BIG},
    ],
)
def test_the_api_answers_422_for_ids_too_big(data, alice, patient, client_for):
    response = client_for(alice).post(
        f"/api/v1/patients/{patient.pk}/careplans", json.dumps(data), content_type="application/json"
    )
    assert response.status_code == 422
    assert not CarePlan.objects.exists()


def test_the_plan_form_refuses_a_problem_id_too_big(alice, patient, client_for):
    response = client_for(alice).post(
        f"/patients/{patient.pk}/careplans/new",
        {"title": "T", "problems": [str(BIG)], "supervising_practitioner": str(alice.practitioner.pk)},
    )
    assert response.status_code == 200
    assert "problems" in response.content.decode() and not CarePlan.objects.exists()


@pytest.mark.parametrize("query", [f"a={BIG}&b=1", f"a=1&b={BIG}", "a=0&b=1", "a=-3&b=1", "a=x&b=1"])
def test_the_compare_page_answers_404_for_an_impossible_version(query, alice, plan, client_for):
    response = client_for(alice).get(f"/careplans/{plan.pk}/versions/compare?{query}")
    assert response.status_code == 404


def test_the_compare_api_answers_4xx_for_an_impossible_version(alice, plan, client_for):
    client = client_for(alice)
    assert client.get(f"/api/v1/careplans/{plan.pk}/versions/compare?a={BIG}&b=1").status_code == 422
    assert client.get(f"/api/v1/careplans/{plan.pk}/versions/{BIG}").status_code == 404
    assert client.get(f"/api/v1/careplans/{plan.pk}/versions/{2**40}").status_code == 404
    assert client.get(f"/api/v1/careplans/{BIG}").status_code == 404


def test_sequence_rules_and_activities_refuse_ids_too_big(alice, plan, add_activity):
    first = add_activity(plan, adjustment())
    with pytest.raises(ValidationError) as refused:
        services.sequence_rule_add(
            actor=alice,
            plan=plan,
            data={"first_activity": first.pk, "second_activity": BIG, "relation": "same-day"},
        )
    assert "second_activity" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.activity_add(actor=alice, plan=plan, data=adjustment(preferred_practitioner=BIG))
    assert EPISODE == plan.title
