"""Overdue referrals: sent and not answered within the priority's response time (stat 4 h, asap 1 day,
urgent 2 days, routine 5 days), or accepted and not scheduled within 7 days. They come first in the inbox."""

from __future__ import annotations

import datetime

import pytest

from tandem.referrals import services
from tandem.referrals.models import Referral
from tandem.referrals.selectors import referral_list_for_inbox

SENT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _sent_at(referral: Referral, when: datetime.datetime, priority: str) -> Referral:
    from tandem.referrals.models import RESPONSE_TIME

    Referral.objects.filter(pk=referral.pk).update(
        priority=priority, sent_at=when, response_due_at=when + RESPONSE_TIME[priority]
    )
    referral.refresh_from_db()
    return referral


@pytest.mark.parametrize(
    ("priority", "still_on_time", "late"),
    [
        ("stat", datetime.timedelta(hours=3, minutes=59), datetime.timedelta(hours=4, minutes=1)),
        ("asap", datetime.timedelta(hours=23), datetime.timedelta(hours=25)),
        ("urgent", datetime.timedelta(days=1, hours=23), datetime.timedelta(days=2, minutes=1)),
        ("routine", datetime.timedelta(days=4, hours=23), datetime.timedelta(days=5, minutes=1)),
    ],
)
def test_it_marks_an_unanswered_referral_overdue_after_its_response_time(
    priority, still_on_time, late, order
):
    referral = _sent_at(order, SENT, priority)
    assert not referral.is_overdue(SENT + still_on_time)
    assert referral.overdue_since(SENT + late) == referral.response_due_at


def test_it_sets_the_response_time_from_the_priority_when_sent(alice, make_order):
    referral = make_order(priority="stat", send=True)
    assert referral.response_due_at - referral.sent_at == datetime.timedelta(hours=4)


def test_it_marks_an_accepted_referral_overdue_when_not_scheduled_in_seven_days(maya, order):
    accepted = services.referral_accept(actor=maya, referral=order)
    assert accepted.scheduling_due_at - accepted.accepted_at == datetime.timedelta(days=7)
    assert not accepted.is_overdue(accepted.accepted_at + datetime.timedelta(days=6, hours=23))
    assert accepted.is_overdue(accepted.accepted_at + datetime.timedelta(days=7, minutes=1))
    scheduled = services.referral_schedule(actor=maya, referral=accepted)
    assert not scheduled.is_overdue(accepted.accepted_at + datetime.timedelta(days=30))


def test_it_puts_overdue_referrals_first_and_in_the_overdue_tab(maya, make_order):
    fresh = _sent_at(make_order(send=True), SENT + datetime.timedelta(days=4), "routine")
    late = _sent_at(make_order(send=True), SENT, "routine")
    urgent_fresh = _sent_at(make_order(send=True), SENT + datetime.timedelta(days=4), "urgent")
    now = SENT + datetime.timedelta(days=5, hours=1)
    assert [r.pk for r in referral_list_for_inbox(maya, "to-me", now=now)] == [
        late.pk,
        urgent_fresh.pk,
        fresh.pk,
    ]
    assert [r.pk for r in referral_list_for_inbox(maya, "overdue", now=now)] == [late.pk]
    earlier = SENT + datetime.timedelta(days=4, hours=1)
    assert list(referral_list_for_inbox(maya, "overdue", now=earlier)) == []
