"""Administering measures: responses with scores, single-use links, schedules and due measures."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from tests.outcomes import administering
from tests.outcomes.administering import ODI_ANSWERS

from tandem.audit.models import AuditEvent
from tandem.careplans.models import CarePlan, CarePlanStatus
from tandem.outcomes import services
from tandem.outcomes.models import MeasureRequest, Response, Score
from tandem.outcomes.questionnaires import answers_from_response
from tandem.outcomes.scoring import INSTRUMENTS, score
from tandem.outcomes.selectors import measure_summaries, measures_due_for_patient, measures_overdue

pytestmark = pytest.mark.django_db
robert_plan = administering.robert_plan
finished_visit = administering.finished_visit


def paper(actor, patient, answers, **extra) -> Response:
    return services.response_record(
        actor=actor, patient=patient, instrument_code="odi", source="paper", answers=answers, **extra
    )


# Responses ----------------------------------------------------------------------------------------------


def test_it_stores_a_paper_odi_with_its_score_at_full_precision(alice, patient):
    answers = [3, 2, 2, None, 3, 2, 1, 2, 1, 2]  # one section missing: 18 / 45 x 100
    response = paper(alice, patient, answers, timepoint="baseline")
    stored = Score.objects.get(response=response)
    expected = score("odi", answers)
    assert stored.value == expected.score
    assert Fraction(stored.exact) == Fraction(18, 45) * 100
    assert stored.band == expected.band and stored.items_answered == 9 and stored.valid
    assert stored.loinc_code == INSTRUMENTS["odi"].loinc_score
    assert stored.mcid_key == INSTRUMENTS["odi"].default_mcid
    assert response.entered_by == alice and response.source == "paper"


def test_the_stored_questionnaire_response_reads_back_to_the_same_answers(alice, patient):
    answers = [3, 2, 2, None, 3, 2, 1, 2, 1, 2]
    response = paper(alice, patient, answers)
    document = response.questionnaire_response
    assert document["resourceType"] == "QuestionnaireResponse"
    assert document["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert answers_from_response("odi", document) == answers


def test_a_psfs_keeps_the_patients_activity_names(alice, patient):
    response = services.response_record(
        actor=alice,
        patient=patient,
        instrument_code="psfs",
        source="paper",
        answers=[3, 5, 4],
        activity_names=["Gardening", "Lifting my grandson", "Walking to the shop"],
    )
    assert response.score.value == pytest.approx(4.0)
    groups = response.questionnaire_response["item"]
    assert [g["item"][0]["answer"][0]["valueString"] for g in groups][0] == "Gardening"
    assert answers_from_response("psfs", response.questionnaire_response) == [3, 5, 4]


@pytest.mark.parametrize(
    "answers, field",
    [
        ([3, 2, 2, 1, 3, 2, 1, 2, 1, 6], "answers.9"),
        ([3, 2, 2], "answers"),
        ([3, 2, 2, 1, 3, 2, 1, 2, 1, "two"], "answers.9"),
        ([3, 2, 2, 1, 3, 2, 1, 2, 1, True], "answers.9"),
    ],
)
def test_malformed_answers_are_refused_naming_the_field_and_nothing_is_written(
    alice, patient, answers, field
):
    before = (Response.objects.count(), Score.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as caught:
        paper(alice, patient, answers)
    assert field in caught.value.message_dict
    assert (Response.objects.count(), Score.objects.count(), AuditEvent.objects.count()) == before


def test_an_unscorable_incomplete_form_is_stored_as_not_valid(alice, patient):
    response = services.response_record(
        actor=alice,
        patient=patient,
        instrument_code="quickdash",
        source="paper",
        answers=[2, 3, None, None, 2, 2, 3, 2, 2, 1, 1],  # two missing: the DASH manual allows one
    )
    assert response.score.valid is False and response.score.value is None
    assert response.score.reason


def test_an_unknown_instrument_is_refused(alice, patient):
    with pytest.raises(ValidationError) as caught:
        services.response_record(
            actor=alice, patient=patient, instrument_code="sf36", source="paper", answers=[1]
        )
    assert "instrument" in caught.value.message_dict


def test_the_front_desk_and_outsiders_cannot_record_scores(dana, outsider, maya, patient, other_patient):
    for actor, person in ((dana, patient), (outsider, patient), (maya, other_patient)):
        with pytest.raises(ValidationError):
            paper(actor, person, ODI_ANSWERS)
    assert not Response.objects.exists()


def test_a_patient_source_needs_a_link(alice, patient):
    with pytest.raises(ValidationError) as caught:
        services.response_record(
            actor=None, patient=patient, instrument_code="odi", source="patient-link", answers=ODI_ANSWERS
        )
    assert "request" in caught.value.message_dict


def test_a_future_form_is_refused(alice, patient):
    with pytest.raises(ValidationError) as caught:
        paper(alice, patient, ODI_ANSWERS, authored_at=timezone.now() + datetime.timedelta(days=1))
    assert "authored_at" in caught.value.message_dict


def test_a_plan_of_another_patient_is_refused(alice, ben, patient, other_patient):
    from tandem.careplans import services as careplans

    plan = careplans.careplan_create(actor=ben, patient=other_patient, data={"title": "Neck"})
    CarePlan.objects.filter(pk=plan.pk).update(status=CarePlanStatus.ACTIVE)
    plan.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        paper(alice, patient, ODI_ANSWERS, plan=plan)
    assert "plan" in caught.value.message_dict


def test_a_correction_is_a_new_response_and_the_old_one_stays(alice, patient):
    first = paper(alice, patient, ODI_ANSWERS)
    corrected = paper(alice, patient, [2, 2, 2, 1, 3, 2, 1, 2, 1, 2], replaces=first)
    first.refresh_from_db()
    assert first.replaced_by == corrected and first.score.value == pytest.approx(38.0)
    assert corrected.score.value == pytest.approx(36.0)
    with pytest.raises(ValidationError):
        paper(alice, patient, ODI_ANSWERS, replaces=first)  # correct the newer one instead
    [summary] = measure_summaries(patient)
    assert summary.latest == corrected.score and summary.count == 1


def test_every_response_is_audited(alice, patient):
    response = paper(alice, patient, ODI_ANSWERS)
    event = AuditEvent.objects.filter(object_type="QuestionnaireResponse", object_id=str(response.pk)).get()
    assert event.actor_id == alice.pk and event.patient_id == patient.pk


def test_summaries_give_change_from_baseline_and_the_mcid(alice, patient):
    earlier = timezone.now() - datetime.timedelta(days=30)
    paper(alice, patient, ODI_ANSWERS, timepoint="baseline", authored_at=earlier)  # 38 %
    paper(alice, patient, [1, 1, 1, 0, 1, 1, 0, 1, 1, 1])  # 16 %
    [summary] = measure_summaries(patient)
    assert summary.baseline.value == pytest.approx(38.0) and summary.latest.value == pytest.approx(16.0)
    assert summary.change == 22
    assert summary.mcid is not None and summary.mcid.reached


# Links --------------------------------------------------------------------------------------------------


def test_a_link_stores_only_the_digest_and_works_once(dana, patient):
    link, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="odi")
    assert token not in (link.digest, link.prefix) and link.digest == MeasureRequest.digest_of(token)
    assert not MeasureRequest.objects.filter(digest=token).exists()
    response = services.measure_link_use(token=token, answers=ODI_ANSWERS)
    assert response.source == "patient-link" and response.entered_by is None and response.request == link
    link.refresh_from_db()
    assert link.used_at is not None
    with pytest.raises(services.LinkUnavailable) as caught:
        services.measure_link_use(token=token, answers=ODI_ANSWERS)
    assert caught.value.status == 410
    assert Response.objects.count() == 1


def test_an_expired_or_unknown_link_cannot_be_used(dana, patient):
    link, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="nprs")
    past = timezone.now() - datetime.timedelta(days=8)
    MeasureRequest.objects.filter(pk=link.pk).update(
        created_at=past, expires_at=past + datetime.timedelta(days=7)
    )
    with pytest.raises(services.LinkUnavailable) as expired:
        services.measure_link_use(token=token, answers=[4])
    assert expired.value.status == 410
    for unknown in ("m_nothing", "", "x" * 500, None):
        with pytest.raises(services.LinkUnavailable) as caught:
            services.measure_link_find(unknown)
        assert caught.value.status == 404
    assert not Response.objects.exists()


def test_bad_answers_through_a_link_leave_it_open(dana, patient):
    _, token = services.measure_link_create(actor=dana, patient=patient, instrument_code="nprs")
    with pytest.raises(ValidationError):
        services.measure_link_use(token=token, answers=[11])
    assert services.measure_link_find(token).used_at is None
    assert services.measure_link_use(token=token, answers=[4]).score.value == 4


def test_a_tablet_link_is_short_lived_and_recorded_as_tablet(alice, patient):
    link, token = services.measure_link_create(
        actor=alice, patient=patient, instrument_code="nprs", channel="tablet"
    )
    assert link.expires_at - timezone.now() <= services.TABLET_LIFETIME
    assert services.measure_link_use(token=token, answers=[2]).source == "tablet"


def test_outsiders_cannot_make_links_and_bad_lifetimes_are_refused(outsider, dana, patient):
    with pytest.raises(ValidationError):
        services.measure_link_create(actor=outsider, patient=patient, instrument_code="odi")
    for days in (0, 31, True):
        with pytest.raises(ValidationError) as caught:
            services.measure_link_create(actor=dana, patient=patient, instrument_code="odi", days=days)
        assert "days" in caught.value.message_dict
    assert not MeasureRequest.objects.exists()


def test_the_database_refuses_a_link_response_without_its_link(alice, patient):
    response = paper(alice, patient, ODI_ANSWERS)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=response.pk).update(source="patient-link")


# Schedules and due measures -----------------------------------------------------------------------------


def test_baseline_is_due_when_the_plan_starts_and_overdue_after(alice, robert_plan):
    services.schedule_set(actor=alice, plan=robert_plan, instruments=["odi", "nprs"])
    due = measures_due_for_patient(robert_plan.patient)
    assert {(d.instrument, d.timepoint) for d in due} == {("odi", "baseline"), ("nprs", "baseline")}
    assert all(d.overdue and d.due_on == robert_plan.period_start_on for d in due)
    assert len(measures_overdue(robert_plan.organization_id)) == 2
    paper(alice, robert_plan.patient, ODI_ANSWERS, plan=robert_plan, timepoint="baseline")
    assert [d.instrument for d in measures_due_for_patient(robert_plan.patient)] == ["nprs"]


def test_every_n_weeks_asks_for_one_follow_up_per_period(alice, robert_plan):
    services.schedule_set(
        actor=alice, plan=robert_plan, instruments=["odi"], at_baseline=False, every_weeks=2
    )
    [due] = measures_due_for_patient(robert_plan.patient)
    assert due.timepoint == "follow-up" and due.due_on == robert_plan.period_start_on + datetime.timedelta(
        weeks=2
    )
    paper(alice, robert_plan.patient, ODI_ANSWERS, plan=robert_plan)
    [again] = measures_due_for_patient(robert_plan.patient)  # four weeks in: the second one
    assert again.due_on == robert_plan.period_start_on + datetime.timedelta(weeks=4) and not again.overdue
    paper(alice, robert_plan.patient, ODI_ANSWERS, plan=robert_plan)
    assert measures_due_for_patient(robert_plan.patient) == []


def test_every_n_visits_counts_finished_visits_of_the_plan(alice, robert_plan, finished_visit):
    services.schedule_set(
        actor=alice, plan=robert_plan, instruments=["nprs"], at_baseline=False, every_visits=2
    )
    finished_visit(0)
    assert measures_due_for_patient(robert_plan.patient) == []
    finished_visit(1)
    [due] = measures_due_for_patient(robert_plan.patient)
    assert due.instrument == "nprs" and due.timepoint == "follow-up" and due.due_on == timezone.localdate()


def test_discharge_is_due_when_the_plan_completes(alice, robert_plan):
    services.schedule_set(
        actor=alice, plan=robert_plan, instruments=["odi"], at_baseline=False, every_weeks=1
    )
    CarePlan.objects.filter(pk=robert_plan.pk).update(
        status=CarePlanStatus.COMPLETED, period_end_on=timezone.localdate()
    )
    robert_plan.refresh_from_db()
    [due] = measures_due_for_patient(robert_plan.patient)
    assert (due.timepoint, due.due_on, due.overdue) == ("discharge", timezone.localdate(), False)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"instruments": []}, "instruments"),
        ({"instruments": ["sf36"]}, "instruments"),
        ({"every_visits": 2, "every_weeks": 2}, "every_weeks"),
        ({"every_visits": 0}, "every_visits"),
        ({"every_weeks": 99}, "every_weeks"),
    ],
)
def test_a_bad_schedule_is_refused(alice, robert_plan, changes, field):
    data = {"instruments": ["odi"], **changes}
    with pytest.raises(ValidationError) as caught:
        services.schedule_set(actor=alice, plan=robert_plan, **data)
    assert field in caught.value.message_dict


def test_the_front_desk_cannot_set_a_schedule(dana, robert_plan):
    with pytest.raises(ValidationError):
        services.schedule_set(actor=dana, plan=robert_plan, instruments=["odi"])
