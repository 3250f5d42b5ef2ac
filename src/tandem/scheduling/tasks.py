"""Background jobs of the schedule (huey; `make run` starts the consumer). Each is also a `tandem` command."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

REMINDER_EVERY_MINUTES = 15


@db_periodic_task(crontab(minute=f"*/{REMINDER_EVERY_MINUTES}"))
def send_appointment_reminders() -> None:
    """E-mail the reminders that are due: the same as `tandem send_reminders`."""
    call_command("send_reminders")
