"""Background jobs of billing (huey; `make run` starts the consumer). Each is also a `tandem` command."""

from __future__ import annotations

from django.core.management import call_command
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

CAPTURE_EVERY_MINUTES = 10


@db_periodic_task(crontab(minute=f"*/{CAPTURE_EVERY_MINUTES}"))
def post_charges() -> None:
    """Post the charges of the visits signed since the last run: the same as `tandem post_charges`."""
    call_command("post_charges")
