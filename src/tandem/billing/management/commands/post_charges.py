"""`tandem post_charges [--organization ID-or-name]`: post the charges of every visit whose notes are signed
(and co-signed where needed) and that has no charge yet, as the periodic job does every 10 minutes
(tandem.billing.tasks). Prints each visit posted and each visit the billing rules refuse, with the reasons;
a refusal writes nothing and is not an error of the command (the Claims page lists it for a person to fix).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tandem.accounts.models import Organization
from tandem.billing.capture import charges_capture
from tandem.billing.management.commands._period import organization_named


class Command(BaseCommand):
    help = "Post the charges of signed visits not charged yet; list the visits the billing rules refuse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Organization id or name (default: every organization).")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options.get("organization")
        organizations = (
            [organization_named(value, [])] if value else list(Organization.objects.order_by("pk"))
        )
        posted = refused = 0
        for organization in organizations:
            result = charges_capture(organization=organization)
            for captured in result.posted:
                codes = ", ".join(captured.codes) or "nothing billable"
                self.stdout.write(f"posted: {captured.visit.label}: {codes}")
            for refusal in result.refused:
                self.stdout.write(f"refused: {refusal.visit.label}: {' '.join(refusal.messages)}")
            posted += len(result.posted)
            refused += len(result.refused)
        self.stdout.write(f"{posted} visit(s) posted, {refused} refused.")
