"""`tandem superbill PATIENT_MRN --from 2026-11-01 --to 2026-11-30 --output F.pdf [--organization ID]`: the
patient's superbill PDF for a period (every billable or billed charge of it)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.billing.exports import ExportError, superbill_for
from tandem.billing.management.commands._period import organization_named, parse_period
from tandem.billing.superbill import render_superbill_pdf
from tandem.patients.models import Patient


class Command(BaseCommand):
    help = "Write a patient's superbill PDF for a period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("mrn", help="The patient's MRN.")
        parser.add_argument("--from", dest="first", required=True, help="First date of service (YYYY-MM-DD).")
        parser.add_argument("--to", dest="last", required=True, help="Last date of service (YYYY-MM-DD).")
        parser.add_argument("--output", required=True, help="PDF file to write.")
        parser.add_argument("--organization", help="Organization id or name (when several use the MRN).")

    def handle(self, *args: Any, **options: Any) -> None:
        first_day, last_day = parse_period(options["first"], options["last"])
        patients = list(Patient.objects.filter(mrn=options["mrn"]).select_related("organization"))
        if not patients:
            raise CommandError(f"No patient with MRN {options['mrn']!r}.")
        organization = organization_named(
            options.get("organization"), sorted({p.organization for p in patients}, key=lambda o: o.pk)
        )
        patient = next((p for p in patients if p.organization_id == organization.pk), None)
        if patient is None:
            raise CommandError(f"No patient with MRN {options['mrn']!r} in {organization.name}.")
        try:
            superbill = superbill_for(patient, first_day=first_day, last_day=last_day)
        except ExportError as exc:
            raise CommandError("Cannot make the superbill: " + "; ".join(exc.problems)) from None
        pdf = render_superbill_pdf(superbill)
        with open(options["output"], "wb") as handle:
            handle.write(pdf)
        audit_record(
            actor=None,
            action=AuditAction.EXECUTE,
            object_type="Superbill",
            object_id=superbill.number,
            patient_id=patient.pk,
            detail=f"superbill {first_day} to {last_day} written to {options['output']}",
        )
        self.stderr.write(
            f"superbill {superbill.number}: {len(superbill.lines)} line(s), total {superbill.total_charge}"
        )
