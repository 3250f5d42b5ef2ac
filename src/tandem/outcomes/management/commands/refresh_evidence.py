"""`tandem refresh_evidence`: rebuild the per-plan summary the clinic's evidence reads
(outcomes.PlanSummary). huey runs it every 10 minutes; safe to run repeatedly."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import Organization
from tandem.outcomes.services import plan_summary_refresh


class Command(BaseCommand):
    help = "Rebuild the per-plan summary behind the evidence dashboard (every clinic, or one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", type=int, help="the id of one clinic (default: every clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = None
        if options.get("organization") is not None:
            organization = Organization.objects.filter(pk=options["organization"]).first()
            if organization is None:
                raise CommandError(f"No clinic with id {options['organization']}.")
        rows = plan_summary_refresh(organization)
        self.stdout.write(f"{rows} plan summary row(s) rebuilt.")
