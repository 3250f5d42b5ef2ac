"""`tandem export_claims --from 2026-11-23 --to 2026-11-29 [--output F] [--organization ID] [--test]
[--mark-billed]`: the clinic's billable charges of a period as one X12 837P file (005010X222A1).

The file is checked with pyx12's validator before anything else happens: when it finds errors the command
lists them and exits non-zero (the file is still written, for a person to inspect, unless it is stdout).
Visits that cannot be claimed (self-pay patients, a missing address ...) are listed on stderr.
--mark-billed turns the charges of a valid file into billed charges, so the next file does not repeat them.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tandem.accounts.models import Organization
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.billing.exports import ExportError, claim_batch_for
from tandem.billing.management.commands._period import organization_named, parse_period
from tandem.billing.models import Charge, ChargeStatus
from tandem.billing.services import charges_mark_billed, interchange_number_next
from tandem.billing.x12 import render_837p, validate_837p


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
        now = timezone.now()
        try:
            export = claim_batch_for(
                organization,
                first_day,
                last_day,
                interchange_control_number=interchange_number_next(organization),
                created_at=timezone.localtime(now),
                production=not options["test"],
            )
        except ExportError as exc:
            raise CommandError("Cannot make the claim file: " + "; ".join(exc.problems)) from None
        for reason in export.skipped:
            self.stderr.write(f"left out: {reason}")
        if export.batch is None:
            raise CommandError(f"No claim to send for {first_day} to {last_day}.")
        text = render_837p(export.batch)
        errors = validate_837p(text)
        output = options.get("output")
        if output:
            with open(output, "w", encoding="ascii", newline="") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
        patients = sorted({charge.patient_id for charge in export.charges})
        for patient_id in patients:
            audit_record(
                actor=None,
                action=AuditAction.EXECUTE,
                object_type="ClaimFile",
                object_id=export.batch.interchange_control_number,
                patient_id=patient_id,
                detail=f"837P {first_day} to {last_day}"
                + (f" written to {output}" if output else " written to stdout")
                + (f"; {len(errors)} validation errors" if errors else ""),
            )
        if errors:
            for error in errors:
                self.stderr.write(f"invalid: {error}")
            raise CommandError(f"pyx12 found {len(errors)} error(s) in the 837P; nothing was marked billed.")
        claims = len(export.batch.claims)
        marked = 0
        if options["mark_billed"]:
            marked = charges_mark_billed(
                actor=None, charges=list(export.charges), batch=str(export.batch.interchange_control_number)
            )
        number = export.batch.interchange_control_number
        self.stderr.write(
            f"{claims} claim(s), {len(export.charges)} line(s), interchange {number}; pyx12: valid"
            + (f"; {marked} charge(s) marked billed" if options["mark_billed"] else "")
        )
