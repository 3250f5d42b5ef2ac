"""Two bookings that wait on each other in PostgreSQL's exclusion check: the one aborted is saved again.

A real deadlock, built step by step on the suite's PostgreSQL with two connections (committed data, so the
test is transactional). Connection A (this thread) inserts X, holding it uncommitted; the booking service in
another thread (B) inserts Y, which overlaps X on the patient, and waits for A. A then inserts Z, which
overlaps Y on the practitioner, and waits for B: a cycle. B began waiting first, so its deadlock check runs
first and aborts B's statement; Z goes in. The service saves Y again and waits for A once more; A then
commits (B is refused in plain words) or rolls back (B books). Without the retry B's booking raised
"deadlock detected" to the caller, a server error on the booking page.

The exclusion constraints are checked index by index as the row goes in (practitioner, room, patient), so
Y's practitioner entry is in place while B waits on the patient one, which is what lets Z wait on B.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tandem.scheduling import services
from tandem.scheduling.models import Appointment, AppointmentStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="a PostgreSQL deadlock; SQLite writes one transaction at a time",
    ),
]

WAIT_SECONDS = 30


class Rollback(Exception):
    """Leaves connection A's transaction undone."""


def _waiting_on_a_lock() -> int:
    """Other sessions of this database waiting for a lock, read afresh (the view is cached per transaction)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return int(cursor.fetchone()[0])


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


def _raw(patient: Any, who: Any, room: Any, starts_at: datetime.datetime, dana: Any) -> Appointment:
    return Appointment.objects.create(
        organization_id=patient.organization_id,
        location=room.location,
        patient=patient,
        practitioner=who.practitioner,
        room=room,
        discipline=who.practitioner.discipline,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=30),
        created_by=dana,
    )


@pytest.mark.parametrize("a_ends", ["commit", "rollback"])
def test_a_booking_aborted_by_a_deadlock_is_saved_again(
    a_ends: str, patient, alice, ben, dana, new_patient, clinic_hours, next_monday
) -> None:
    other = new_patient(dana, "Nora", "Quill")
    rooms = {room.name: room for room in clinic_hours.rooms.all()}
    ten = services.at(next_monday, datetime.time(10, 0))
    outcome: dict[str, Any] = {}

    def book_y() -> None:  # B: the service, on a connection of its own
        try:
            outcome["booked"] = services.appointment_book(
                actor=dana,
                patient=patient,
                data={
                    "practitioner": alice.practitioner.pk,
                    "room": rooms["Adjusting 2"].pk,
                    "starts_at": ten.isoformat(),
                    "minutes": 30,
                },
            )
        except ValidationError as exc:
            outcome["refused"] = exc.message_dict
        except Exception as exc:  # the failure this test is about: reported below
            outcome["error"] = exc
        finally:
            connection.close()

    b = threading.Thread(target=book_y)
    try:
        with transaction.atomic():
            _raw(patient, ben, rooms["Gym floor"], ten, dana)  # X: the patient at 10:00, with ben
            b.start()
            _until(lambda: _waiting_on_a_lock() == 1, "B waiting for A's X")
            # Z: alice at 10:00 for someone else; waits for B's Y, which B's abort removes.
            z = _raw(other, alice, rooms["Adjusting 1"], ten, dana)
            _until(lambda: _waiting_on_a_lock() == 1 or not b.is_alive(), "B's second try waiting for A")
            assert b.is_alive() and not outcome, f"B did not try again: {outcome!r}"
            if a_ends == "rollback":
                raise Rollback
    except Rollback:
        pass
    finally:
        b.join(WAIT_SECONDS)
    assert not b.is_alive()

    assert "error" not in outcome, repr(outcome.get("error"))
    if a_ends == "commit":
        assert outcome["refused"] == {"starts_at": [services.JUST_BOOKED]}
        assert Appointment.objects.filter(patient=patient).get().practitioner_id == ben.practitioner.pk
        assert Appointment.objects.filter(pk=z.pk).exists()
    else:
        booked = outcome["booked"]
        assert (booked.practitioner_id, booked.room_id, booked.status) == (
            alice.practitioner.pk,
            rooms["Adjusting 2"].pk,
            AppointmentStatus.BOOKED,
        )
        assert list(Appointment.objects.values_list("pk", flat=True)) == [booked.pk]
