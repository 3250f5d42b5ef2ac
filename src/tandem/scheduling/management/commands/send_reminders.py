"""`tandem send_reminders [--hours 24] [--dry-run]`: e-mail the appointment reminders that are due.

Safe to run as often as you like (huey runs it every 15 minutes): each appointment is claimed by setting its
reminder_sent_at in the transaction that sends the message, so a reminder goes once, and a message that fails
to send leaves the appointment unclaimed for the next run. Moving a visit clears reminder_sent_at (services).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.services import local

MAX_HOURS = 24 * 14
logger = logging.getLogger(__name__)


@dataclass
class ReminderRun:
    due: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # claimed meanwhile by another run


def reminders_due(hours: int, now: datetime.datetime | None = None) -> list[Appointment]:
    """Booked appointments starting within `hours` whose patient has an e-mail address and no reminder yet."""
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            reminder_sent_at__isnull=True,
            starts_at__gt=now,
            starts_at__lte=now + datetime.timedelta(hours=hours),
        )
        .exclude(patient__email="")
        .select_related("patient", "practitioner__user", "location", "organization")
        .order_by("starts_at", "id")
    )


def reminder_message(appointment: Appointment) -> EmailMultiAlternatives:
    """Clinic, time, practitioner and place: never clinical content (no technique, site or condition)."""
    context = {
        "appointment": appointment,
        "patient": appointment.patient,
        "clinic": appointment.organization.name,
        "starts": local(appointment.starts_at),
        "ends": local(appointment.ends_at),
        "practitioner": appointment.practitioner.display_name,
        "discipline": appointment.get_discipline_display(),
        "location": appointment.location,
    }
    subject = render_to_string("scheduling/email/reminder_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=render_to_string("scheduling/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[appointment.patient.email],
    )
    message.attach_alternative(render_to_string("scheduling/email/reminder.html", context), "text/html")
    return message


def reminders_send(*, hours: int, dry_run: bool = False, now: datetime.datetime | None = None) -> ReminderRun:
    run = ReminderRun()
    now = now or timezone.now()
    for appointment in reminders_due(hours, now):
        run.due += 1
        if dry_run:
            continue
        try:
            with transaction.atomic():
                # The claim: only one run sets it, whatever runs at the same moment.
                claimed = Appointment.objects.filter(
                    pk=appointment.pk, reminder_sent_at__isnull=True, status=AppointmentStatus.BOOKED
                ).update(reminder_sent_at=timezone.now())
                if not claimed:
                    run.skipped += 1
                    continue
                reminder_message(appointment).send()
                audit_record(
                    actor=None,
                    action=AuditAction.EXECUTE,
                    object_type="Appointment",
                    object_id=appointment.pk,
                    patient_id=appointment.patient_id,
                    detail="reminder e-mailed",
                )
        except Exception as exc:  # a message that fails (SMTP down...) must not stop the others
            run.failed += 1
            logger.warning("Reminder for appointment %s failed: %s", appointment.pk, exc)
            continue
        run.sent += 1
    return run


class Command(BaseCommand):
    help = (
        "E-mail a reminder to each patient with an e-mail address whose booked visit starts within the next "
        "HOURS hours (default 24) and who has not had one for it. Safe to run repeatedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=int, default=24, help="Remind visits starting within HOURS hours."
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what is due; send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        hours: int = options["hours"]
        if not 1 <= hours <= MAX_HOURS:
            raise CommandError(f"--hours must be between 1 and {MAX_HOURS}.")
        run = reminders_send(hours=hours, dry_run=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write(
                f"{run.due} reminder{'s' * (run.due != 1)} due within {hours} h (dry run: none sent)."
            )
            return
        line = f"Sent {run.sent} of {run.due} reminder{'s' * (run.due != 1)} due within {hours} h"
        extra = [f"{run.failed} failed (kept for the next run)"] if run.failed else []
        extra += [f"{run.skipped} sent meanwhile by another run"] if run.skipped else []
        self.stdout.write(line + (": " + "; ".join(extra) if extra else "") + ".")
