"""The referral turnaround's "first visit" is the referred patient's first booked visit in the receiving
discipline after acceptance, once the scheduling app has one (the `scheduled` step otherwise)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from tests.referrals.conftest import OVERRIDE, massage_order_data

from tandem.referrals import services as referrals
from tandem.referrals.selectors import referral_turnaround
from tandem.scheduling.services import appointment_book, at


@pytest.fixture
def accepted_order(alice, maya, patient):
    data = massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk)
    referral = referrals.referral_create(actor=alice, patient=patient, data=data, override_reason=OVERRIDE)
    referrals.referral_send(actor=alice, referral=referral)
    return referrals.referral_accept(actor=maya, referral=referral)


def _massage_row(user):
    today = timezone.localdate()
    report = referral_turnaround(user, start=today - datetime.timedelta(days=1), end=today)
    return next(r for r in report.rows if r.discipline == "massage-therapy")


def test_the_first_booked_massage_is_the_first_visit(
    accepted_order, alice, dana, maya, patient, clinic_hours, next_monday
):
    accepted_at = accepted_order.events.get(to_status="accepted").at
    later = at(next_monday + datetime.timedelta(days=2), datetime.time(15, 0))
    first = at(next_monday, datetime.time(10, 0))
    for starts in (later, first):
        appointment_book(
            actor=dana,
            patient=patient,
            data={
                "practitioner": maya.practitioner.pk,
                "room": clinic_hours.rooms.get(name="Massage 1").pk,
                "starts_at": starts,
                "minutes": 45,
            },
        )
    row = _massage_row(alice)
    expected_hours = (first - accepted_at).total_seconds() / 3600
    assert row.to_schedule_hours == [pytest.approx(expected_hours)]


def test_without_a_booked_visit_the_scheduled_step_stands_in(accepted_order, alice, maya):
    referrals.referral_schedule(actor=maya, referral=accepted_order)
    row = _massage_row(alice)
    assert len(row.to_schedule_hours) == 1 and row.to_schedule_hours[0] < 1
