"""Working hours, time off and patient availability (services.py)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.scheduling import services
from tandem.scheduling.models import PatientAvailability, TimeOff, WorkingHours

pytestmark = pytest.mark.django_db


def test_working_blocks_are_the_hours_minus_the_break_and_time_off(alice, clinic_hours, next_monday):
    services.time_off_add(
        actor=alice,
        practitioner=alice.practitioner,
        starts_at=services.at(next_monday, datetime.time(15)).isoformat(),
        ends_at=services.at(next_monday + datetime.timedelta(days=1), datetime.time(10)).isoformat(),
    )
    blocks = services.working_blocks(
        alice.practitioner, clinic_hours, next_monday, next_monday + datetime.timedelta(days=1)
    )
    tuesday = next_monday + datetime.timedelta(days=1)
    assert [
        (services.local(b.starts_at).date(), services.hhmm(b.starts_at), services.hhmm(b.ends_at))
        for b in blocks
    ] == [
        (next_monday, "08:00", "12:00"),
        (next_monday, "13:00", "15:00"),
        (tuesday, "10:00", "12:00"),
        (tuesday, "13:00", "18:00"),
    ]


def test_setting_hours_replaces_the_weekday_and_clearing_removes_it(admin, alice, clinic_hours):
    hours = services.working_hours_set(
        actor=admin,
        practitioner=alice.practitioner,
        location=clinic_hours,
        weekday=2,
        data={"starts_at": "07:00", "ends_at": "15:00"},
    )
    assert hours is not None and (hours.starts_at, hours.break_starts_at) == (datetime.time(7), None)
    assert WorkingHours.objects.filter(practitioner=alice.practitioner, weekday=2).count() == 1
    assert (
        services.working_hours_set(
            actor=admin, practitioner=alice.practitioner, location=clinic_hours, weekday=2, data={}
        )
        is None
    )
    assert not WorkingHours.objects.filter(practitioner=alice.practitioner, weekday=2).exists()
    assert AuditEvent.objects.filter(object_type="WorkingHours", action="D").exists()


@pytest.mark.parametrize(
    ("weekday", "data", "field"),
    [
        (7, {"starts_at": "08:00", "ends_at": "12:00"}, "weekday"),
        (1, {"starts_at": "8h", "ends_at": "12:00"}, "starts_at"),
        (1, {"starts_at": "12:00", "ends_at": "08:00"}, "ends_at"),
        (1, {"starts_at": "08:00"}, "ends_at"),
        (1, {"starts_at": "08:00", "ends_at": "12:00", "break_starts_at": "11:00"}, "break_ends_at"),
        (
            1,
            {"starts_at": "08:00", "ends_at": "12:00", "break_starts_at": "11:30", "break_ends_at": "12:30"},
            "break_starts_at",
        ),
    ],
)
def test_bad_hours_are_refused_and_leave_the_day(admin, alice, clinic_hours, weekday, data, field):
    with pytest.raises(ValidationError) as refused:
        services.working_hours_set(
            actor=admin, practitioner=alice.practitioner, location=clinic_hours, weekday=weekday, data=data
        )
    assert field in refused.value.message_dict
    tuesday = WorkingHours.objects.get(practitioner=alice.practitioner, weekday=1)
    assert (tuesday.starts_at, tuesday.ends_at) == (datetime.time(8), datetime.time(18))


def test_a_clinician_cannot_change_a_colleagues_hours(ben, alice, clinic_hours):
    with pytest.raises(ValidationError) as refused:
        services.working_hours_set(
            actor=ben, practitioner=alice.practitioner, location=clinic_hours, weekday=1, data={}
        )
    assert refused.value.message_dict == {"practitioner": ["You may not change this practitioner's hours."]}
    assert WorkingHours.objects.filter(practitioner=alice.practitioner, weekday=1).exists()


def test_time_off_lists_the_visits_to_move_and_is_audited(dana, alice, patient, clinic_hours, next_monday):
    visit = services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": services.at(next_monday, datetime.time(9)).isoformat(),
            "minutes": 30,
        },
    )
    away = services.time_off_add(
        actor=dana,
        practitioner=alice.practitioner,
        starts_at=f"{next_monday}T08:00",
        ends_at=f"{next_monday}T12:00",
        reason="Course",
    )
    assert away.starts_at == services.at(next_monday, datetime.time(8))  # naive text is clinic time
    assert services.appointments_in_time_off(away) == [visit]
    assert AuditEvent.objects.filter(object_type="TimeOff", object_id=str(away.pk), action="C").exists()
    services.time_off_remove(actor=dana, time_off=away)
    assert not TimeOff.objects.exists()


def test_bad_time_off_is_refused(alice):
    with pytest.raises(ValidationError) as refused:
        services.time_off_add(
            actor=alice, practitioner=alice.practitioner, starts_at="2026-02-30T10:00", ends_at="soon"
        )
    assert set(refused.value.message_dict) == {"starts_at", "ends_at"}
    with pytest.raises(ValidationError) as backwards:
        services.time_off_add(
            actor=alice,
            practitioner=alice.practitioner,
            starts_at="2026-12-02T10:00",
            ends_at="2026-12-01T10:00",
        )
    assert backwards.value.message_dict == {"ends_at": ["Time off ends after it starts."]}
    assert not TimeOff.objects.exists()


def test_patient_windows_replace_the_old_ones_and_bad_ones_change_nothing(dana, patient):
    services.patient_availability_set(
        actor=dana, patient=patient, windows=[{"weekday": 0, "starts_at": "16:00", "ends_at": "18:00"}]
    )
    with pytest.raises(ValidationError) as refused:
        services.patient_availability_set(
            actor=dana,
            patient=patient,
            windows=[
                {"weekday": 1, "starts_at": "09:00", "ends_at": "10:00"},
                {"weekday": 9, "starts_at": "10:00", "ends_at": "09:00"},
            ],
        )
    assert "windows.1.weekday" in refused.value.message_dict
    assert list(PatientAvailability.objects.values_list("weekday", flat=True)) == [0]
    services.patient_availability_set(actor=dana, patient=patient, windows=[])
    assert not PatientAvailability.objects.exists()
    assert AuditEvent.objects.filter(object_type="PatientAvailability", detail="any time").exists()
