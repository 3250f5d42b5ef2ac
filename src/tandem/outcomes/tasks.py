"""Background jobs of outcome measures (huey; `make run` starts the consumer); each is a `tandem` command."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tandem.outcomes.services import REFRESH_MINUTES


@db_periodic_task(crontab(minute="0", hour="9"))
def send_measure_reminders() -> None:
    """Once a day: e-mail a fresh link for each overdue measure, as `tandem send_measure_reminders`."""
    call_command("send_measure_reminders")


@db_periodic_task(crontab(minute="30", hour="0"))
def review_goal_status() -> None:
    """Once a day, after midnight: goals past their due date are judged again, as `tandem
    review_goal_status`."""
    call_command("review_goal_status")


@db_periodic_task(crontab(minute=f"*/{REFRESH_MINUTES}"))
def refresh_evidence() -> None:
    """Every 10 minutes: rebuild the per-plan summary behind the evidence dashboard, as `tandem
    refresh_evidence` (visits finished or cancelled since the last run count from this one)."""
    call_command("refresh_evidence")
