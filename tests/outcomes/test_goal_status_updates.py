"""Goal status follows the scores: recording a score sets the achievement status (FHIR goal-achievement) of
the plan's goals measured by that instrument, audited on the goal; a passed due date is judged daily."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from tests.outcomes import administering

from tandem.audit.models import AuditEvent
from tandem.careplans import services as careplans
from tandem.careplans.models import Goal
from tandem.outcomes import services
from tandem.outcomes.goals import goal_statuses_review, goal_statuses_update
from tandem.outcomes.models import Response
from tandem.outcomes.scoring import score

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan


def odi_answers(percent: int) -> list[int]:
    """Ten ODI sections (0-5 each) whose index is `percent` (sum x 2)."""
    total = percent // 2
    assert percent % 2 == 0 and 0 <= total <= 50
    return [min(5, max(0, total - 5 * i)) for i in range(10)]


def record(actor, patient, percent: int, days_ago: int, plan=None, **extra) -> Response:
    return services.response_record(
        actor=actor,
        patient=patient,
        instrument_code="odi",
        source="paper",
        answers=odi_answers(percent),
        plan=plan,
        authored_at=timezone.now() - datetime.timedelta(days=days_ago),
        **extra,
    )


def odi_goal(alice, plan, **data) -> Goal:
    fields = {
        "description": "Manage daily activities",
        "measure": "odi",
        "baseline_value": 42,
        "target_value": 30,
        "due_on": timezone.localdate() + datetime.timedelta(weeks=2),
        **data,
    }
    return careplans.goal_add(actor=alice, plan=plan, data=fields)


def goal_audits(goal: Goal) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            object_type="Goal", object_id=str(goal.pk), detail__startswith="achievement"
        )
        .order_by("id")
        .values_list("detail", flat=True)
    )


def test_the_helper_scores_odi_as_asked(alice, patient):
    assert score("odi", odi_answers(42)).score == 42 and score("odi", odi_answers(28)).score == 28


def test_the_goal_follows_each_score_of_its_plan(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan)
    assert goal.achievement_status == ""
    record(alice, patient, 42, 20, robert_plan, timepoint="baseline")
    goal.refresh_from_db()
    assert goal.achievement_status == "no-change"  # 42 against its recorded baseline of 42
    record(alice, patient, 36, 10, robert_plan)
    goal.refresh_from_db()
    assert goal.achievement_status == "no-change"  # 6 points better: less than the MCID of 10
    record(alice, patient, 30, 3, robert_plan)
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"  # at the target of <= 30
    record(alice, patient, 48, 1, robert_plan)
    goal.refresh_from_db()
    assert goal.achievement_status == "no-change"  # the latest score decides; 6 worse is below the MCID
    record(alice, patient, 56, 0, robert_plan)
    goal.refresh_from_db()
    assert goal.achievement_status == "worsening"
    assert goal_audits(goal) == [
        "achievement none -> no-change (odi score recorded)",
        "achievement no-change -> achieved (odi score recorded)",
        "achievement achieved -> no-change (odi score recorded)",
        "achievement no-change -> worsening (odi score recorded)",
    ]


def test_an_improvement_of_one_mcid_is_improving(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan, target_value=20)
    record(alice, patient, 32, 2, robert_plan)  # 10 points (and 24 %) better than 42: the MCID's points
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"


def test_a_patient_answering_through_a_link_moves_the_goal_without_an_actor(
    alice, dana, patient, robert_plan
):
    goal = odi_goal(alice, robert_plan)
    _, token = services.measure_link_create(
        actor=dana, patient=patient, instrument_code="odi", plan=robert_plan
    )
    services.measure_link_use(token=token, answers=odi_answers(28))
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"
    event = AuditEvent.objects.get(
        object_type="Goal", object_id=str(goal.pk), detail__startswith="achievement"
    )
    assert event.actor_id is None and event.patient_id == patient.pk


def test_a_correction_replaces_the_score_the_goal_is_judged_on(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan)
    wrong = record(alice, patient, 30, 2, robert_plan)
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"
    record(alice, patient, 40, 2, robert_plan, replaces=wrong)
    goal.refresh_from_db()
    assert goal.achievement_status == "no-change"


def test_scores_without_a_plan_count_during_the_plan_but_not_before_it(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan)
    record(alice, patient, 20, 40, None)  # before the plan started (four weeks ago): not this plan's
    goal.refresh_from_db()
    assert goal.achievement_status == "in-progress"  # judged, with no score of its plan to go on
    record(alice, patient, 28, 1, None)
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"


def test_other_goals_are_left_alone(alice, patient, robert_plan):
    odi = odi_goal(alice, robert_plan)
    pain = careplans.goal_add(
        actor=alice,
        plan=robert_plan,
        data={"description": "Less pain", "measure": "nprs", "baseline_value": 7, "target_value": 3},
    )
    free = careplans.goal_add(
        actor=alice,
        plan=robert_plan,
        data={"description": "Walk", "measure": "walking", "direction": "increase"},
    )
    untargeted = careplans.goal_add(
        actor=alice, plan=robert_plan, data={"description": "Less disability", "measure": "odi"}
    )
    record(alice, patient, 24, 1, robert_plan)
    statuses = {g.pk: g.achievement_status for g in Goal.objects.filter(plan=robert_plan)}
    assert statuses == {odi.pk: "achieved", pain.pk: "", free.pk: "", untargeted.pk: ""}


def test_an_unchanged_status_writes_no_audit_row(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan)
    record(alice, patient, 28, 3, robert_plan)
    record(alice, patient, 26, 2, robert_plan)
    assert goal_audits(goal) == ["achievement none -> achieved (odi score recorded)"]
    assert goal_statuses_update(actor=alice, patient=patient, code="odi", plan=robert_plan) == []


def test_refused_answers_change_no_goal(alice, patient, robert_plan):
    goal = odi_goal(alice, robert_plan)
    with pytest.raises(ValidationError):
        services.response_record(
            actor=alice,
            patient=patient,
            instrument_code="odi",
            source="paper",
            answers=[9] * 10,
            plan=robert_plan,
        )
    goal.refresh_from_db()
    assert goal.achievement_status == "" and goal_audits(goal) == []


def test_a_passed_due_date_makes_a_missed_goal_not_achieved(alice, patient, robert_plan):
    due = timezone.localdate() - datetime.timedelta(days=1)
    missed = odi_goal(alice, robert_plan, due_on=due)
    met = odi_goal(alice, robert_plan, description="Sit for an hour", target_value=40, due_on=due)
    later = odi_goal(alice, robert_plan, description="Run again", target_value=10)
    record(alice, patient, 38, 3, robert_plan)  # scored before the review: the due date has passed already
    missed.refresh_from_db()
    assert missed.achievement_status == "not-achieved"
    Goal.objects.filter(pk=missed.pk).update(achievement_status="in-progress")  # as if judged before the date
    changed = goal_statuses_review()
    assert [g.pk for g in changed] == [missed.pk]
    statuses = {g.pk: g.achievement_status for g in Goal.objects.filter(plan=robert_plan)}
    assert statuses == {missed.pk: "not-achieved", met.pk: "achieved", later.pk: "no-change"}
    assert (
        goal_audits(missed)[-1] == f"achievement in-progress -> not-achieved (due {due.isoformat()} passed)"
    )


def test_a_goal_without_any_score_is_not_achieved_once_due(alice, robert_plan):
    goal = odi_goal(alice, robert_plan, due_on=timezone.localdate() + datetime.timedelta(days=3))
    assert goal_statuses_review() == []
    assert goal_statuses_review(today=timezone.localdate() + datetime.timedelta(days=4)) == [goal]
    goal.refresh_from_db()
    assert goal.achievement_status == "not-achieved"


def test_the_daily_command_reviews_due_goals(alice, robert_plan, capsys):
    goal = odi_goal(alice, robert_plan, due_on=timezone.localdate() - datetime.timedelta(days=2))
    call_command("review_goal_status")
    assert "1 goal status(es) changed." in capsys.readouterr().out
    goal.refresh_from_db()
    assert goal.achievement_status == "not-achieved"
    call_command("review_goal_status")
    assert "0 goal status(es) changed." in capsys.readouterr().out


def test_the_plan_page_shows_the_achievement_status(alice, patient, robert_plan, client_for):
    odi_goal(alice, robert_plan)
    record(alice, patient, 26, 1, robert_plan)
    page = client_for(alice).get(f"/careplans/{robert_plan.pk}/")
    assert page.status_code == 200
    assert b'goal-achievement" title="Achievement, from the outcome scores">Achieved</span>' in page.content


# NDI: goals in percent (as clinicians write them), scores raw 0-50 -----------------------------------------


def ndi_answers(raw: int) -> list[int]:
    """Ten NDI items (0-5 each) summing to `raw` (the NDI percent is raw x 2)."""
    assert 0 <= raw <= 50
    return [min(5, max(0, raw - 5 * i)) for i in range(10)]


def record_ndi(actor, patient, raw: int, days_ago: int, plan, **extra) -> Response:
    return services.response_record(
        actor=actor,
        patient=patient,
        instrument_code="ndi",
        source="paper",
        answers=ndi_answers(raw),
        plan=plan,
        authored_at=timezone.now() - datetime.timedelta(days=days_ago),
        **extra,
    )


def ndi_goal(alice, plan, **data) -> Goal:
    fields = {
        "description": "Turn the head to drive",
        "measure": "ndi",
        "baseline_value": 24,  # percent
        "target_value": 20,  # percent: raw 10
        "due_on": timezone.localdate() + datetime.timedelta(weeks=2),
        **data,
    }
    return careplans.goal_add(actor=alice, plan=plan, data=fields)


def test_the_ndi_helper_scores_raw_as_asked(alice, patient):
    assert score("ndi", ndi_answers(12)).score == 12 and score("ndi", ndi_answers(12)).percent == 24
    assert score("ndi", ndi_answers(9)).score == 9


def test_an_ndi_goal_in_percent_is_judged_on_the_raw_scores(alice, patient, robert_plan):
    goal = ndi_goal(alice, robert_plan)
    record_ndi(alice, patient, 12, 20, robert_plan, timepoint="baseline")  # 24 %: above the 20 % target
    goal.refresh_from_db()
    assert goal.achievement_status == "no-change"  # raw 12 against the baseline 24 % = raw 12; not 12 <= 20
    record_ndi(alice, patient, 9, 1, robert_plan)  # 18 %: at or below 20 %
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"


def test_an_ndi_score_just_above_the_percent_target_is_not_achieved(alice, patient, robert_plan):
    goal = ndi_goal(alice, robert_plan, baseline_value=40)  # raw 20
    record_ndi(alice, patient, 11, 1, robert_plan)  # 22 % > 20 %; 9 raw better than 20: past the MCID of 5
    goal.refresh_from_db()
    assert goal.achievement_status == "improving"
    record_ndi(alice, patient, 10, 0, robert_plan)  # exactly 20 %
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"
