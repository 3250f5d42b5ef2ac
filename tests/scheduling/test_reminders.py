"""`tandem send_reminders`: one e-mail per due visit, never twice, never clinical content."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from tandem.scheduling import services
from tandem.scheduling.management.commands.send_reminders import reminders_send
from tandem.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def visit(dana, alice, patient, clinic_hours, next_monday):
    patient.email = "robert.hale@example.org"
    patient.save()
    return services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": clinic_hours.rooms.get(name="Adjusting 1").pk,
            "starts_at": datetime.datetime.combine(next_monday, datetime.time(9)).isoformat(),
            "minutes": 30,
        },
    )


def _hours_until(appointment: Appointment) -> int:
    return int((appointment.starts_at - timezone.now()).total_seconds() // 3600) + 1


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_it_emails_a_due_visit_once_with_time_practitioner_and_place(visit):
    hours = str(_hours_until(visit))
    assert _run("--hours", hours).startswith("Sent 1 of 1 reminder due")
    (message,) = mail.outbox
    assert message.to == ["robert.hale@example.org"]
    assert "Riverside Spine & Wellness" in message.subject
    assert "09:00" in message.body and "Dr Alice" in message.body and "Riverside Main" in message.body
    html = message.alternatives[0][0]
    assert "09:00" in html and "Riverside Main" in html
    for clinical in ("M51", "Warfarin", "disc", "lumbar"):
        assert clinical not in message.body and clinical not in html
    visit.refresh_from_db()
    assert visit.reminder_sent_at is not None
    assert _run("--hours", hours).startswith("Sent 0 of 0")
    assert len(mail.outbox) == 1


def test_a_visit_beyond_the_window_is_not_reminded_yet(visit):
    _run("--hours", str(max(1, _hours_until(visit) - 2)))
    assert not mail.outbox


def test_a_dry_run_sends_nothing_and_marks_nothing(visit):
    assert _run("--hours", str(_hours_until(visit)), "--dry-run").startswith("1 reminder due")
    assert not mail.outbox
    visit.refresh_from_db()
    assert visit.reminder_sent_at is None


def test_patients_without_an_address_and_cancelled_visits_get_nothing(visit, dana):
    services.appointment_cancel(actor=dana, appointment=visit, reason="Patient called")
    _run("--hours", str(_hours_until(visit)))
    assert not mail.outbox


def test_moving_a_visit_sends_a_new_reminder(visit, dana, next_monday):
    hours = str(_hours_until(visit) + 2)
    _run("--hours", hours)
    services.appointment_move(
        actor=dana,
        appointment=visit,
        data={"starts_at": datetime.datetime.combine(next_monday, datetime.time(10)).isoformat()},
    )
    _run("--hours", hours)
    assert len(mail.outbox) == 2 and "10:00" in mail.outbox[1].body


def test_a_failed_send_leaves_the_visit_for_the_next_run(visit, monkeypatch):
    def broken(self, fail_silently=False):
        raise OSError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    run = reminders_send(hours=_hours_until(visit))
    assert (run.sent, run.failed) == (0, 1)
    visit.refresh_from_db()
    assert visit.reminder_sent_at is None


def test_it_refuses_a_silly_window():
    with pytest.raises(CommandError, match="--hours must be between"):
        _run("--hours", "0")
