"""`tandem export_claims --from 2026-11-23 --to 2026-11-29 [--output F] [--organization ID] [--test]
[--mark-billed]`: the clinic's billable charges of a period as one X12 837P file (005010X222A1).

The file is checked with pyx12's validator before anything else happens: when it finds errors the command
lists them and exits non-zero (the file is still written, for a person to inspect, unless it is stdout).
Visits that cannot be claimed (self-pay patients, a missing address ...) are listed on stderr.
--mark-billed turns the charges of a valid file into billed charges, so the next file does not repeat them.
The file is made by tandem.billing.claim_files.claim_file_make and kept as a ClaimFile (the Claims page lists
it), as the browser and the API make theirs.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.accounts.models import Organization
from tandem.billing.claim_files import claim_file_make
from tandem.billing.management.commands._period import organization_named, parse_period
from tandem.billing.models import Charge, ChargeStatus


class Command(BaseCommand):
    help = "Write the 837P claim file of a period's billable charges and validate it with pyx12."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", required=True, help="First date of service (YYYY-MM-DD).")
        parser.add_argument("--to", dest="last", required=True, help="Last date of service (YYYY-MM-DD).")
        parser.add_argument("--output", help="File to write (default: standard output).")
        parser.add_argument("--organization", help="Organization id or name (needed when several bill).")
        parser.add_argument("--test", action="store_true", help="Mark the file as a test (ISA15 = T).")
        parser.add_argument(
            "--mark-billed", action="store_true", help="Mark the charges billed once the file is valid."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        first_day, last_day = parse_period(options["first"], options["last"])
        billing = Charge.objects.filter(
            status=ChargeStatus.BILLABLE, service_on__gte=first_day, service_on__lte=last_day
        ).values_list("organization_id", flat=True)
        candidates = list(Organization.objects.filter(pk__in=billing).order_by("pk"))
        if not candidates and not options.get("organization"):
            raise CommandError(f"No claim to send: no billable charges from {first_day} to {last_day}.")
        organization = organization_named(options.get("organization"), candidates)
        try:
            claim_file = claim_file_make(
                actor=None,
                organization=organization,
                first_day=first_day,
                last_day=last_day,
                production=not options["test"],
                mark_billed=options["mark_billed"],
            )
        except ValidationError as exc:
            found = exc.message_dict
            for reason in found.get("skipped", []):
                self.stderr.write(f"left out: {reason}")
            problems = [m for field, messages in found.items() if field != "skipped" for m in messages]
            raise CommandError("Cannot make the claim file: " + " ".join(problems)) from None
        for reason in claim_file.skipped:
            self.stderr.write(f"left out: {reason}")
        output = options.get("output")
        if output:
            with open(output, "w", encoding="ascii", newline="") as handle:
                handle.write(claim_file.text)
        else:
            self.stdout.write(claim_file.text, ending="")
        if claim_file.errors:
            for error in claim_file.errors:
                self.stderr.write(f"invalid: {error}")
            raise CommandError(
                f"pyx12 found {len(claim_file.errors)} error(s) in the 837P (claim file {claim_file.pk}); "
                "nothing was marked billed."
            )
        marked = claim_file.charges.count() if claim_file.marked_billed else 0
        self.stderr.write(
            f"{claim_file.claim_count} claim(s), {claim_file.line_count} line(s), "
            f"interchange {claim_file.interchange_number}; pyx12: valid"
            + (f"; {marked} charge(s) marked billed" if options["mark_billed"] else "")
            + f"; kept as claim file {claim_file.pk}"
        )
