"""A process of the booking race (test_race.py), run against its own migrated database.

    python race_worker.py seed              create the clinic, alice's hours and N patients; print ids as JSON
    python race_worker.py book READY GO SPEC  connect, touch READY, wait for the file GO, then book in
                                            threads; print the results as JSON
    python race_worker.py count STARTS_AT   print how many occupying appointments start then

SPEC is JSON {"mode": "service"|"raw", "bookings": [{patient, practitioner, room, starts_at}]}: one thread per
booking, each with its own database connection. "service" books through scheduling.services.appointment_book
(which checks for overlaps first); "raw" inserts the row directly, skipping every check in Python, so only the
database's own constraint stands between the racers.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

GO_TIMEOUT_SECONDS = 120


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tandem.config.settings")
    import django

    django.setup()


def seed(patients: int) -> dict[str, Any]:
    from django.utils import timezone

    from tandem.core.personas import PERSONAS, clinic, persona_user
    from tandem.patients.services import patient_create
    from tandem.scheduling.services import working_hours_set

    organization, locations = clinic()
    users = {spec.username: persona_user(organization, spec) for spec in PERSONAS}
    alice, dana, admin = users["alice"], users["dana"], users["admin"]
    riverside = locations[0]
    for weekday in range(7):
        working_hours_set(
            actor=admin,
            practitioner=alice.practitioner,
            location=riverside,
            weekday=weekday,
            data={"starts_at": "08:00", "ends_at": "18:00"},
        )
    ids = [
        patient_create(
            actor=dana,
            data={
                "given_name": f"Racer{i}",
                "family_name": "Test",
                "birth_date": datetime.date(1980, 1, 1 + i % 28),
                "sex": "female",
            },
        ).pk
        for i in range(patients)
    ]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return {
        "patients": ids,
        "practitioner": alice.practitioner.pk,
        "room": riverside.rooms.get(name="Adjusting 1").pk,
        "starts_at": datetime.datetime.combine(tomorrow, datetime.time(10, 0)).isoformat(),
        "dana": dana.pk,
    }


def _book(mode: str, booking: dict[str, Any], dana_id: int, results: list[str], index: int) -> None:
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, OperationalError, connection

    from tandem.accounts.models import Practitioner, Room, User
    from tandem.core.db import is_deadlock
    from tandem.patients.models import Patient
    from tandem.scheduling.models import Appointment
    from tandem.scheduling.services import appointment_book, at

    try:
        dana = User.objects.get(pk=dana_id)
        patient = Patient.objects.get(pk=booking["patient"])
        if mode == "service":
            appointment_book(
                actor=dana,
                patient=patient,
                data={
                    "practitioner": booking["practitioner"],
                    "room": booking["room"],
                    "starts_at": booking["starts_at"],
                    "minutes": 30,
                },
            )
        else:
            practitioner = Practitioner.objects.get(pk=booking["practitioner"])
            room = Room.objects.select_related("location").get(pk=booking["room"])
            starts = datetime.datetime.fromisoformat(booking["starts_at"])
            starts_at = at(starts.date(), starts.time())
            Appointment.objects.create(
                organization_id=patient.organization_id,
                location=room.location,
                patient=patient,
                practitioner=practitioner,
                room=room,
                discipline=practitioner.discipline,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(minutes=30),
                created_by=dana,
            )
        results[index] = "booked"
    except ValidationError as exc:
        results[index] = "refused: " + "; ".join(exc.messages)
    except IntegrityError as exc:
        results[index] = f"refused by the database: {exc}"
    except OperationalError as exc:
        # PostgreSQL aborts one of two raw inserts that wait on each other's row in the exclusion check
        # ("deadlock detected"): the database refusing it too. Anything else is an error.
        tag = "refused by the database" if is_deadlock(exc) else f"error: {type(exc).__name__}"
        results[index] = f"{tag}: {exc}"
    except Exception as exc:  # reported, and the test fails on it
        results[index] = f"error: {type(exc).__name__}: {exc}"
    finally:
        connection.close()


def book(ready: Path, go: Path, spec: dict[str, Any]) -> list[str]:
    from django.db import connection

    from tandem.scheduling import services  # noqa: F401  (imported before the start line)

    bookings = spec["bookings"]
    connection.ensure_connection()  # warm up before the start line, like a running server would be
    connection.close()
    ready.touch()
    results = [""] * len(bookings)
    threads = [
        threading.Thread(target=_book, args=(spec["mode"], b, spec["dana"], results, i))
        for i, b in enumerate(bookings)
    ]
    deadline = time.monotonic() + GO_TIMEOUT_SECONDS
    while not go.exists():
        if time.monotonic() > deadline:
            return ["error: no start signal"] * len(bookings)
        time.sleep(0.002)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=GO_TIMEOUT_SECONDS)
    return results


def count(starts_at: str) -> int:
    from tandem.scheduling.models import OCCUPYING_STATUSES, Appointment
    from tandem.scheduling.services import at

    starts = datetime.datetime.fromisoformat(starts_at)
    return Appointment.objects.filter(
        status__in=OCCUPYING_STATUSES, starts_at=at(starts.date(), starts.time())
    ).count()


def main(argv: list[str]) -> int:
    _setup()
    if argv[1] == "seed":
        print(json.dumps(seed(int(argv[2]))))
    elif argv[1] == "book":
        print(json.dumps(book(Path(argv[2]), Path(argv[3]), json.loads(argv[4]))))
    elif argv[1] == "count":
        print(count(argv[2]))
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
