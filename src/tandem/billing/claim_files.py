"""The clinic's 837P claim files (005010X222A1): what a period would claim, and making the file.

claim_file_preview answers, writing nothing but the audit trail, what a file of the period would hold: the
claims (one per patient, date of service and billing clinician), and the visits left out with the reason
(self-pay, no address, a clinician without NPI ...). claim_file_make makes the file in one transaction: the
next interchange control number, the batch, the X12 text, pyx12's verdict, the stored ClaimFile, one audit
entry per patient and, only when pyx12 accepts the file and it was asked, the charges marked billed. The
`tandem export_claims` command, the Claims page and POST /api/v1/billing/claim-files all go through it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import Organization, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_read_many, audit_record
from tandem.billing.access import can_export_claims
from tandem.billing.exports import ExportError, claim_batch_for
from tandem.billing.models import ClaimFile
from tandem.billing.periods import Period, PeriodError, period_parse
from tandem.billing.selectors import charge_list_for_claims
from tandem.billing.services import charges_mark_billed, interchange_number_next, service_day
from tandem.billing.x12 import render_837p, validate_837p
from tandem.charting.models import Encounter

# A preview builds the batch but sends nothing: any number the batch accepts will do.
PREVIEW_INTERCHANGE_NUMBER = 1


def period_or_refusal(first: object, last: object) -> Period:
    """The period, or a ValidationError naming the field ("from", "to") that is wrong."""
    try:
        return period_parse(first, last)
    except PeriodError as exc:
        raise ValidationError({field: [message] for field, message in exc.errors.items()}) from None


@dataclass(frozen=True)
class ClaimSummary:
    """One claim of a preview: whose visit, which day, who bills it, its lines and total."""

    patient: str
    service_on: datetime.date
    billing_clinician: str
    codes: tuple[str, ...]
    total: Decimal


@dataclass(frozen=True)
class ClaimPreview:
    period: Period
    claims: tuple[ClaimSummary, ...]
    line_count: int
    total: Decimal
    skipped: tuple[str, ...]
    # Problems of the clinic itself (its billing settings): no file can be made until they are fixed.
    problems: tuple[str, ...]


def _require_exporter(actor: User, organization: Organization) -> None:
    if not can_export_claims(actor) or actor.organization_id != organization.pk:
        raise ValidationError(
            {"__all__": "Only a chiropractor or physical therapist of the clinic may export its claims."}
        )


def claim_file_preview(*, actor: User, organization: Organization, period: Period) -> ClaimPreview:
    """What a claim file of `period` would hold now, writing nothing but the audit of the patients named."""
    _require_exporter(actor, organization)
    patient_ids = sorted(
        set(
            charge_list_for_claims(organization, period.first_day, period.last_day).values_list(
                "patient_id", flat=True
            )
        )
    )
    try:
        export = claim_batch_for(
            organization,
            period.first_day,
            period.last_day,
            interchange_control_number=PREVIEW_INTERCHANGE_NUMBER,
            created_at=timezone.localtime(),
        )
    except ExportError as exc:
        return ClaimPreview(period, (), 0, Decimal("0.00"), (), exc.problems)
    if patient_ids:
        audit_read_many(
            actor=actor,
            object_type="Charge",
            object_id="*",
            patient_ids=patient_ids,
            detail=f"claim preview {period.first_day} to {period.last_day}",
        )
    claims = tuple(
        ClaimSummary(
            patient=f"{claim.subscriber.first_name} {claim.subscriber.last_name}",
            service_on=claim.lines[0].service_on,
            billing_clinician=f"{claim.rendering_provider.first_name} {claim.rendering_provider.last_name}",
            codes=tuple(line.code_with_modifiers for line in claim.lines),
            total=claim.total_charge,
        )
        for claim in (export.batch.claims if export.batch else ())
    )
    return ClaimPreview(
        period=period,
        claims=claims,
        line_count=len(export.charges),
        total=sum((claim.total for claim in claims), start=Decimal("0.00")),
        skipped=export.skipped,
        problems=(),
    )


def claim_file_make(
    *,
    actor: User | None,
    organization: Organization,
    first_day: object,
    last_day: object,
    production: bool = True,
    mark_billed: bool = False,
    encounter: Encounter | None = None,
) -> ClaimFile:
    """Make, validate and keep the 837P of the clinic's billable charges from `first_day` to `last_day`.

    `actor` None is the `tandem export_claims` command (the operator of the machine). Refused with a
    ValidationError, nothing written: a bad period, a problem of the clinic's billing settings, no claim to
    send (the reasons of the visits left out under "skipped"). A file pyx12 refuses is kept with its errors
    and nothing is marked billed; a valid one marks its charges billed when `mark_billed`.
    """
    if actor is not None:
        _require_exporter(actor, organization)
    patient_id = None
    if encounter is not None:  # the claim of one visit: the patient's charges of its date of service
        if encounter.organization_id != organization.pk:
            raise ValidationError({"encounter": "No such visit."})
        first_day = last_day = service_day(encounter)
        patient_id = encounter.patient_id
    period = period_or_refusal(first_day, last_day)
    if not isinstance(production, bool) or not isinstance(mark_billed, bool):
        raise ValidationError({"__all__": "production and mark_billed are true or false."})
    with transaction.atomic():
        # interchange_number_next locks the clinic's billing settings until this transaction ends, so two
        # exports of one clinic run one after the other and never put the same charges on two files.
        number = interchange_number_next(organization)
        try:
            export = claim_batch_for(
                organization,
                period.first_day,
                period.last_day,
                interchange_control_number=number,
                created_at=timezone.localtime(),
                production=production,
                patient_id=patient_id,
            )
        except ExportError as exc:
            raise ValidationError({"__all__": list(exc.problems)}) from None
        if export.batch is None:
            errors: dict[str, list[str]] = {
                "__all__": [f"No claim to send from {period.first_day} to {period.last_day}."]
            }
            if export.skipped:
                errors["skipped"] = list(export.skipped)
            raise ValidationError(errors)
        named = set(
            charge_list_for_claims(
                organization, period.first_day, period.last_day, patient_id=patient_id
            ).values_list("patient_id", flat=True)
        )
        text = render_837p(export.batch)
        problems = validate_837p(text)
        claim_file = ClaimFile.objects.create(
            organization=organization,
            interchange_number=number,
            first_service_on=period.first_day,
            last_service_on=period.last_day,
            production=production,
            text=text,
            valid=not problems,
            errors=problems,
            skipped=list(export.skipped),
            patient_ids=sorted(named),
            claim_count=len(export.batch.claims),
            line_count=len(export.charges),
            total_charge=sum((claim.total_charge for claim in export.batch.claims), start=Decimal("0.00")),
            created_by=actor,
        )
        claim_file.charges.set(export.charges)
        for patient_id in sorted({charge.patient_id for charge in export.charges}):
            audit_record(
                actor=actor,
                action=AuditAction.EXECUTE,
                object_type="ClaimFile",
                object_id=claim_file.pk,
                patient_id=patient_id,
                detail=f"837P {period.first_day} to {period.last_day}, interchange {number}"
                + (f"; {len(problems)} validation errors" if problems else "; pyx12: valid"),
            )
        if mark_billed and not problems:
            charges_mark_billed(actor=actor, charges=list(export.charges), batch=str(number))
            claim_file.marked_billed = True
            claim_file.save(update_fields=["marked_billed", "updated_at"])
    return claim_file


def claim_file_list_for_organization(organization: Organization) -> QuerySet[ClaimFile]:
    """The clinic's claim files, newest first (the text deferred: a list never needs it)."""
    return (
        ClaimFile.objects.filter(organization=organization)
        .select_related("created_by__practitioner")
        .defer("text")
        .order_by("-created_at", "-pk")
    )


def claim_file_read(*, actor: User, claim_file: ClaimFile, detail: str) -> None:
    """Audit that `actor` read a claim file: one entry per patient it names (claimed or left out)."""
    claimed = set(claim_file.charges.values_list("patient_id", flat=True))
    patient_ids = sorted(set(claim_file.patient_ids) | claimed)
    audit_read_many(
        actor=actor,
        object_type="ClaimFile",
        object_id=claim_file.pk,
        patient_ids=patient_ids or [None],
        detail=detail,
    )
