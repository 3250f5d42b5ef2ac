"""The workflow table: every legal transition moves the referral and records who and when; every illegal one
is refused with a clear message and changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.referrals import services
from tandem.referrals.models import Referral, ReferralEvent, ReferralStatus
from tandem.referrals.workflow import (
    ACTIONS,
    BY_ACTION,
    IllegalTransition,
    Side,
    actions_from,
    next_status,
    refusal,
)

STATUSES = ReferralStatus.values
CASES = [(status, action) for status in STATUSES for action in ACTIONS]
BODY = {
    "reason": "Patient moved away.",
    "report": "Six sessions of Swedish massage, light pressure.",
    "note": "",
}


def test_it_knows_the_lifecycle_of_the_brief():
    assert next_status("draft", "send") == "requested"
    assert next_status("requested", "accept") == "accepted"
    assert next_status("requested", "decline") == "rejected"
    assert next_status("accepted", "schedule") == "ready"
    assert next_status("ready", "start") == "in-progress"
    assert next_status("in-progress", "complete") == "completed"
    for status in ("draft", "requested", "accepted", "ready", "in-progress"):
        assert next_status(status, "cancel") == "cancelled"
    for status in ("rejected", "completed", "cancelled"):
        assert actions_from(status) == ()


def test_it_says_what_is_wrong_in_the_clinics_words():
    assert refusal("rejected", "schedule") == "A declined referral cannot be scheduled."
    assert refusal("accepted", "send") == "An accepted referral cannot be sent."
    assert refusal("in-progress", "accept") == "An in-progress referral cannot be accepted."
    with pytest.raises(IllegalTransition, match="A completed referral cannot be cancelled."):
        next_status("completed", "cancel")
    with pytest.raises(IllegalTransition, match="Unknown action"):
        next_status("draft", "approve")


def test_it_labels_statuses_with_fhir_task_codes():
    assert ReferralStatus.REQUESTED.label == "Sent"
    assert ReferralStatus.REJECTED.label == "Declined"
    assert ReferralStatus.READY.label == "Scheduled"
    assert set(STATUSES) == {
        "draft",
        "requested",
        "accepted",
        "rejected",
        "ready",
        "in-progress",
        "completed",
        "cancelled",
    }


@pytest.mark.parametrize(("status", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_it_applies_the_transition_table(status, action, alice, maya, make_order):
    referral = make_order()
    Referral.objects.filter(pk=referral.pk).update(status=status)
    referral.refresh_from_db()
    transition = BY_ACTION[action]
    actor = alice if transition.side is Side.REQUESTER else maya
    events_before = ReferralEvent.objects.filter(referral=referral).count()
    audits_before = AuditEvent.objects.filter(object_type="Referral", object_id=str(referral.pk)).count()
    if status in transition.sources:
        moved = services.referral_transition(actor=actor, referral=referral, action=action, body=BODY)
        assert moved.status == transition.target
        event = ReferralEvent.objects.filter(referral=referral).latest("pk")
        assert (event.from_status, event.to_status, event.actor) == (status, transition.target, actor)
        stamp = {
            "send": "sent_at",
            "accept": "accepted_at",
            "decline": "declined_at",
            "schedule": "scheduled_at",
            "start": "started_at",
            "complete": "completed_at",
            "cancel": "cancelled_at",
        }[action]
        assert getattr(Referral.objects.get(pk=referral.pk), stamp) == event.at
        assert (
            AuditEvent.objects.filter(
                object_type="Referral", object_id=str(referral.pk), patient_id=referral.patient_id
            ).count()
            == audits_before + 1
        )
    else:
        with pytest.raises(ValidationError) as refused:
            services.referral_transition(actor=actor, referral=referral, action=action, body=BODY)
        assert refused.value.message_dict == {"status": [refusal(status, action)]}
        assert Referral.objects.get(pk=referral.pk).status == status
        assert ReferralEvent.objects.filter(referral=referral).count() == events_before


def test_it_records_every_step_of_a_whole_referral(alice, maya, order):
    services.referral_accept(actor=maya, referral=order, note="Can see him Thursday.")
    services.referral_schedule(actor=maya, referral=order)
    services.referral_start(actor=maya, referral=order)
    services.referral_complete(actor=maya, referral=order, report="Six sessions, light Swedish massage.")
    steps = list(
        ReferralEvent.objects.filter(referral=order).values_list("from_status", "to_status", "actor")
    )
    assert steps == [
        ("", "draft", alice.pk),
        ("draft", "requested", alice.pk),
        ("requested", "accepted", maya.pk),
        ("accepted", "ready", maya.pk),
        ("ready", "in-progress", maya.pk),
        ("in-progress", "completed", maya.pk),
    ]
    assert ReferralEvent.objects.get(referral=order, to_status="accepted").note == "Can see him Thursday."


def test_it_requires_a_reason_to_decline_or_cancel_and_a_report_to_complete(alice, maya, order):
    with pytest.raises(ValidationError) as refused:
        services.referral_decline(actor=maya, referral=order, reason="  ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.referral_cancel(actor=alice, referral=order, reason="")
    assert "reason" in refused.value.message_dict
    Referral.objects.filter(pk=order.pk).update(status="in-progress")
    with pytest.raises(ValidationError) as refused:
        services.referral_complete(actor=maya, referral=order, report="")
    assert "report" in refused.value.message_dict
    assert Referral.objects.get(pk=order.pk).status == "in-progress"
    declined = services.referral_cancel(actor=alice, referral=order, reason="Patient moved to Seattle.")
    assert declined.status_reason == "Patient moved to Seattle."


def test_it_edits_only_drafts(alice, maya, make_order):
    draft = make_order()
    updated = services.referral_update(actor=alice, referral=draft, data={"priority": "urgent"})
    assert updated.priority == "urgent"
    sent = services.referral_send(actor=alice, referral=draft)
    with pytest.raises(ValidationError, match="Only a draft can be edited"):
        services.referral_update(actor=alice, referral=sent, data={"priority": "routine"})
    assert Referral.objects.get(pk=draft.pk).priority == "urgent"
