"""Documents from stored charges: the superbill of a patient's visit or period, and the claim batch (837P) of
a clinic's period. They map the models to the plain dataclasses of tandem.billing.superbill and
tandem.billing.claims, which validate them.

Where the models lack what a claim needs, the clinic's BillingSettings row supplies it (group NPI, EIN,
taxonomy, ZIP+4 address, clearinghouse IDs, the taxonomy of each discipline; demo defaults in
billing_defaults.yaml) and the patient's active Coverage the insurance. A claim is one visit as billed: one
patient, one date of service, one billing clinician (the co-signing supervisor for a massage therapist's
lines, which then name the therapist as their own rendering provider).

Missing data is an ExportError naming what to fill in, never a half-written document.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tandem.accounts.models import Organization, Practitioner
from tandem.billing.catalog import load_codes
from tandem.billing.claims import (
    MAX_DIAGNOSES,
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    RenderingProvider,
    ServiceLine,
    Subscriber,
)
from tandem.billing.models import BillingSettings, Charge, Coverage, CoverageStatus
from tandem.billing.selectors import (
    CHARGED_STATUSES,
    charge_list_for_claims,
    charge_list_for_encounter,
    charge_list_for_patient,
)
from tandem.billing.services import billing_practitioner_id, billing_settings_for
from tandem.billing.superbill import (
    Diagnosis,
    Insurance,
    Superbill,
    SuperbillClinic,
    SuperbillLine,
    SuperbillPatient,
)
from tandem.charting.models import Encounter
from tandem.patients.icd10 import UnknownCode, lookup
from tandem.patients.models import Condition, Patient

SEX_CODES = {"female": "F", "male": "M"}


class ExportError(ValueError):
    """The document cannot be made; `problems` says what to fill in or fix, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def _clinic_address(settings_row: BillingSettings) -> Address:
    try:
        row = settings_row
        return Address(row.address_line, row.city, row.state, row.postal_code)
    except ValueError as exc:
        raise ExportError([f"Billing settings: {exc}"]) from None


def _group_npi(organization: Organization, settings_row: BillingSettings) -> str:
    return settings_row.billing_npi or organization.npi


def rendering_provider(practitioner: Practitioner, settings_row: BillingSettings) -> RenderingProvider:
    """The claim's view of a clinician: name, NPI, credentials and the NUCC taxonomy of their discipline."""
    user = practitioner.user
    taxonomy = (settings_row.taxonomy_by_discipline or {}).get(practitioner.discipline, "")
    try:
        return RenderingProvider(
            last_name=user.last_name or user.username,
            first_name=user.first_name or user.username,
            npi=practitioner.npi,
            taxonomy_code=taxonomy,
            credentials=practitioner.credentials,
        )
    except ValueError as exc:
        raise ExportError([f"{practitioner.display_name}: {exc}"]) from None


def _patient_address(patient: Patient) -> Address | None:
    if not (patient.address_line and patient.city and patient.state and patient.postal_code):
        return None
    try:
        return Address(patient.address_line[:55], patient.city[:30], patient.state, patient.postal_code)
    except ValueError:
        return None


def active_coverage(patient: Patient) -> Coverage | None:
    return Coverage.objects.filter(patient=patient, status=CoverageStatus.ACTIVE).order_by("-pk").first()


def _ordered_diagnoses(charges: Iterable[Charge]) -> list[str]:
    found: list[str] = []
    for charge in charges:
        for code in charge.diagnosis_codes:
            if code not in found:
                found.append(code)
    return found


def _pointers(charge: Charge, diagnoses: list[str]) -> tuple[int, ...]:
    return tuple(diagnoses.index(code) + 1 for code in charge.diagnosis_codes)[:4]


def _diagnosis_text(patient: Patient, code: str) -> str:
    condition = Condition.objects.filter(patient=patient, code=code).order_by("-pk").first()
    if condition is not None and condition.text:
        return condition.text
    try:
        return lookup(code).description
    except UnknownCode:
        return code


# Superbill ------------------------------------------------------------------------------------------------


def superbill_for(
    patient: Patient,
    *,
    first_day: datetime.date | None = None,
    last_day: datetime.date | None = None,
    encounter: Encounter | None = None,
    issued_on: datetime.date | None = None,
) -> Superbill:
    """The superbill of one visit (`encounter`) or of the patient's visits from `first_day` to `last_day`:
    every billable or billed charge, the clinic from its billing settings, the insurance if any (self-pay
    otherwise). ExportError when there is nothing to bill or data are missing."""
    if encounter is not None:
        if encounter.patient_id != patient.pk:
            raise ExportError(["That visit is another patient's."])
        charges = [c for c in charge_list_for_encounter(encounter) if c.status in CHARGED_STATUSES]
    elif first_day is not None and last_day is not None:
        if first_day > last_day:
            raise ExportError([f"The period starts ({first_day}) after it ends ({last_day})."])
        charges = [
            c for c in charge_list_for_patient(patient, first_day, last_day) if c.status in CHARGED_STATUSES
        ]
    else:
        raise ExportError(["Give a visit or a period (first and last day)."])
    if not charges:
        raise ExportError([f"{patient.full_name} has no charges to bill for that visit or period."])
    settings_row = billing_settings_for(patient.organization)
    diagnoses = _ordered_diagnoses(charges)
    if len(diagnoses) > MAX_DIAGNOSES:
        raise ExportError(
            [f"The visits carry {len(diagnoses)} diagnoses, more than {MAX_DIAGNOSES}: split the period."]
        )
    catalog = load_codes()
    providers: dict[int, RenderingProvider] = {}
    lines: list[SuperbillLine] = []
    for charge in charges:
        practitioner = charge.encounter.practitioner
        if practitioner.pk not in providers:
            providers[practitioner.pk] = rendering_provider(practitioner, settings_row)
        entry = catalog.get(charge.code)
        try:
            service = ServiceLine(
                service_on=charge.service_on,
                procedure_code=charge.code,
                charge=Decimal(charge.fee),
                diagnosis_pointers=_pointers(charge, diagnoses),
                units=charge.units,
                modifiers=tuple(charge.modifiers),
                place_of_service=settings_row.place_of_service,
            )
        except ValueError as exc:
            raise ExportError([f"Charge {charge.pk}: {exc}"]) from None
        description = entry.description if entry else charge.code
        lines.append(SuperbillLine(service, description[:120], providers[practitioner.pk]))
    coverage = active_coverage(patient)
    insurance = (
        Insurance(coverage.payer_name, coverage.member_id, coverage.group_number, coverage.payer_id)
        if coverage
        else None
    )
    first = min(c.service_on for c in charges)
    last = max(c.service_on for c in charges)
    try:
        return Superbill(
            number=f"SB-{patient.pk}-{first:%Y%m%d}-{last:%Y%m%d}",
            issued_on=issued_on or datetime.date.today(),
            clinic=SuperbillClinic(
                name=patient.organization.name,
                address=_clinic_address(settings_row),
                npi=_group_npi(patient.organization, settings_row),
                tax_id=settings_row.tax_id,
                phone=patient.organization.phone or settings_row.phone,
            ),
            patient=SuperbillPatient(
                full_name=patient.full_name,
                birth_date=patient.birth_date,
                address=_patient_address(patient),
                account_number=patient.mrn,
                insurance=insurance,
            ),
            providers=tuple(providers.values()),
            diagnoses=tuple(Diagnosis(code, _diagnosis_text(patient, code)[:200]) for code in diagnoses),
            lines=tuple(lines),
        )
    except ValueError as exc:
        raise ExportError([str(exc)]) from None


# Claims ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimExport:
    """A claim file's content: the batch (None when no claim could be made), the charges it bills and the
    visits left out with the reason (self-pay, missing address ...)."""

    batch: ClaimBatch | None
    charges: tuple[Charge, ...]
    skipped: tuple[str, ...]


def _billing_provider(organization: Organization, settings_row: BillingSettings) -> BillingProvider:
    try:
        return BillingProvider(
            organization_name=organization.name[:60],
            npi=_group_npi(organization, settings_row),
            tax_id=settings_row.tax_id,
            address=_clinic_address(settings_row),
            taxonomy_code=settings_row.taxonomy_code,
        )
    except ValueError as exc:
        raise ExportError([f"Billing settings: {exc}"]) from None


def _subscriber(patient: Patient, coverage: Coverage) -> Subscriber:
    address = _patient_address(patient)
    if address is None:
        raise ValueError("no complete home address (street, city, state, ZIP)")
    return Subscriber(
        last_name=patient.family_name,
        first_name=patient.given_name,
        birth_date=patient.birth_date,
        sex=SEX_CODES.get(patient.sex, "U"),
        address=address,
        member_id=coverage.member_id,
        payer_name=coverage.payer_name,
        payer_id=coverage.payer_id,
        group_number=coverage.group_number,
        claim_filing_indicator=coverage.claim_filing_indicator,
    )


def _claim(
    key: tuple[int, datetime.date, int],
    charges: list[Charge],
    provider: BillingProvider,
    subscriber: Subscriber,
    settings_row: BillingSettings,
    practitioners: dict[int, Practitioner],
) -> Claim:
    patient_id, day, biller_id = key
    biller = rendering_provider(practitioners[biller_id], settings_row)
    diagnoses = _ordered_diagnoses(charges)
    lines = []
    for charge in charges:
        performer = charge.encounter.practitioner
        lines.append(
            ServiceLine(
                service_on=charge.service_on,
                procedure_code=charge.code,
                charge=Decimal(charge.fee),
                diagnosis_pointers=_pointers(charge, diagnoses),
                units=charge.units,
                modifiers=tuple(charge.modifiers),
                place_of_service=settings_row.place_of_service,
                rendering_provider=None
                if performer.pk == biller_id
                else rendering_provider(performer, settings_row),
            )
        )
    return Claim(
        claim_id=f"T{patient_id}-{day:%y%m%d}-{biller_id}",
        billing_provider=provider,
        rendering_provider=biller,
        subscriber=subscriber,
        diagnoses=tuple(diagnoses),
        lines=tuple(lines),
    )


def claim_batch_for(
    organization: Organization,
    first_day: datetime.date,
    last_day: datetime.date,
    *,
    interchange_control_number: int,
    created_at: datetime.datetime,
    production: bool = True,
    patient_id: int | None = None,
) -> ClaimExport:
    """The clinic's billable charges dated from `first_day` to `last_day` as one 837P batch: one claim per
    patient, date of service and billing clinician. A self-pay patient's visits, or a visit whose claim
    cannot be made (no address, a clinician without NPI ...), are left out and named in `skipped`; a problem
    of the clinic itself (its billing settings) is an ExportError."""
    if first_day > last_day:
        raise ExportError([f"The period starts ({first_day}) after it ends ({last_day})."])
    settings_row = billing_settings_for(organization)
    provider = _billing_provider(organization, settings_row)
    groups: dict[tuple[int, datetime.date, int], list[Charge]] = {}
    practitioners: dict[int, Practitioner] = {}
    for charge in charge_list_for_claims(organization, first_day, last_day, patient_id=patient_id):
        biller = billing_practitioner_id(charge.note)
        if charge.note.cosigner_id == biller and charge.note.cosigner is not None:
            practitioners[biller] = charge.note.cosigner
        else:
            practitioners[biller] = charge.encounter.practitioner
        groups.setdefault((charge.patient_id, charge.service_on, biller), []).append(charge)
    claims: list[Claim] = []
    billed: list[Charge] = []
    skipped: list[str] = []
    coverages: dict[int, Coverage | None] = {}
    for key, charges in groups.items():
        patient = charges[0].patient
        where = f"{patient.full_name} ({patient.mrn}) on {key[1].isoformat()}"
        if patient.pk not in coverages:
            coverages[patient.pk] = active_coverage(patient)
        coverage = coverages[patient.pk]
        if coverage is None:
            skipped.append(f"{where}: self-pay (no insurance on record); give the patient a superbill.")
            continue
        try:
            subscriber = _subscriber(patient, coverage)
            claims.append(_claim(key, charges, provider, subscriber, settings_row, practitioners))
        except (ValueError, ExportError) as exc:
            skipped.append(f"{where}: {exc}")
            continue
        billed += charges
    if not claims:
        return ClaimExport(None, (), tuple(skipped))
    try:
        batch = ClaimBatch(
            submitter_name=organization.name[:60],
            submitter_id=settings_row.submitter_id,
            submitter_contact_name=settings_row.submitter_contact_name,
            submitter_contact_phone=settings_row.phone,
            receiver_name=settings_row.receiver_name,
            receiver_id=settings_row.receiver_id,
            interchange_control_number=interchange_control_number,
            created_at=created_at,
            claims=tuple(claims),
            production=production,
        )
    except ValueError as exc:
        raise ExportError([f"Claim batch: {exc}"]) from None
    return ClaimExport(batch, tuple(billed), tuple(skipped))
