"""`tandem send_measure_reminders [--base-url URL] [--dry-run]`: e-mail a fresh questionnaire link to each
patient with an overdue measure (at most once a week per measure). huey runs it daily."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import Organization
from tandem.outcomes.reminders import measure_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each patient with an e-mail address a fresh single-use link for every overdue outcome "
        "measure of their plan of care (once a week at most per measure). Safe to run repeatedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.PUBLIC_URL,
            help="The clinic's address the links start with (default: TANDEM_PUBLIC_URL, else "
            "http://127.0.0.1:8000).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count what is overdue; send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url: str = options["base_url"]
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise CommandError(f"--base-url must be an http(s) address, not {base_url!r}.")
        organizations = list(Organization.objects.values_list("pk", flat=True))
        run = measure_reminders_send(
            base_url=base_url, organization_ids=organizations, dry_run=options["dry_run"]
        )
        if options["dry_run"]:
            self.stdout.write(
                f"{run.overdue} overdue measure(s); {run.skipped} skipped (dry run: none sent)."
            )
            return
        line = f"Sent {run.sent} reminder(s) for {run.overdue} overdue measure(s)"
        extra = [f"{run.failed} failed (kept for the next run)"] if run.failed else []
        extra += [f"{run.skipped} skipped (no e-mail or reminded this week)"] if run.skipped else []
        self.stdout.write(line + (": " + "; ".join(extra) if extra else "") + ".")
