"""Charge capture: charges posted once a visit's notes are final, and the worklist of visits not charged.

Charting's sign and co-sign views cannot call billing (imports flow billing -> charting, and STYLE.md keeps
domain rules out of signals), so billing looks for the work itself: `charges_capture` runs every 10 minutes
(tandem.billing.tasks, also `tandem post_charges`) and from the Claims page's "Post all ready" button.

A visit to charge is a visit (services.visit_notes: one patient, date of service and billing clinician) with
a signed note that bills (final and not awaiting its co-signature) in an encounter that took place, on which
no charge was ever posted, void ones included: a voided charge is a person's decision and capture leaves the
visit alone. A visit is also charged when a charge of it was posted after the note became final: posting codes
the whole visit, and a note that documented nothing billable of its own carries no charge. Each visit is
posted with services.charges_post under its billing clinician, in its own transaction; a refusal (an NCCI
edit, a code without a fee, no diagnosis on record ...) is collected with its messages and writes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from tandem.accounts.models import Organization, Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_read_many, audit_record
from tandem.billing.access import can_export_claims
from tandem.billing.coding import BillingError
from tandem.billing.models import BillingSettings, Charge, ChargeStatus
from tandem.billing.services import (
    billed_refusal,
    billing_practitioner_id,
    billing_settings_for,
    charges_post,
    code_encounter_visit,
    may_bill,
    missing_fee_refusals,
)
from tandem.charting.models import DOCUMENTABLE_ENCOUNTER_STATUSES, Encounter, Note, NoteStatus
from tandem.patients.models import Patient

# The worklist shows this many visits (most recent first); "Post all ready" posts every ready one.
WORKLIST_LIMIT = 100
READY, REFUSED, WAITING = "ready", "refused", "waiting"
# A visit: patient, date of service, billing clinician (services.visit_notes).
VisitKey = tuple[int, datetime.date, int]


@dataclass
class UnchargedVisit:
    """A visit with signed notes and no charge: the notes not charged yet, in the order the visits started."""

    patient: Patient
    service_on: datetime.date
    biller: Practitioner
    notes: list[Note] = field(default_factory=list)

    @property
    def encounter(self) -> Encounter:
        return self.notes[0].encounter

    @property
    def encounter_ids(self) -> list[int]:
        return sorted({note.encounter_id for note in self.notes})

    @property
    def label(self) -> str:
        return f"{self.patient.full_name}, {self.service_on.isoformat()}, {self.biller.display_name}"


@dataclass(frozen=True)
class Captured:
    visit: UnchargedVisit
    codes: tuple[str, ...]  # the billable charges posted, code with modifiers × units


@dataclass(frozen=True)
class Refused:
    visit: UnchargedVisit
    messages: tuple[str, ...]


@dataclass(frozen=True)
class CaptureResult:
    posted: tuple[Captured, ...]
    refused: tuple[Refused, ...]


@dataclass(frozen=True)
class WorklistRow:
    visit: UnchargedVisit
    state: str  # READY, REFUSED or WAITING (for the supervisor's co-signature)
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Worklist:
    rows: tuple[WorklistRow, ...]
    more: int  # visits beyond WORKLIST_LIMIT, not shown

    @property
    def ready_count(self) -> int:
        return sum(1 for row in self.rows if row.state == READY)


# Finding the visits ---------------------------------------------------------------------------------------


def _billable_since(note: Note) -> datetime.datetime:
    """When the note started to bill: its co-signature for a supervised note, else its signature."""
    moment = note.cosigned_at if note.needs_cosign else note.signed_at
    assert moment is not None  # a final note is signed; a billable supervised one is co-signed
    return moment


def _signed_notes_without_charges(organization: Organization) -> list[Note]:
    """Final notes of the clinic's encounters that took place and carry no charge at all (void included):
    one query, with what grouping and posting read."""
    charged = Charge.objects.filter(encounter_id=OuterRef("encounter_id"))
    return list(
        Note.objects.filter(
            encounter__organization=organization,
            status=NoteStatus.FINAL,
            encounter__status__in=DOCUMENTABLE_ENCOUNTER_STATUSES,
        )
        .exclude(Exists(charged))
        .select_related(
            "encounter__organization", "encounter__patient", "encounter__practitioner__user", "cosigner__user"
        )
        .order_by("encounter__started_at", "encounter_id", "pk")
    )


def _biller(note: Note) -> Practitioner:
    if billing_practitioner_id(note) == note.encounter.practitioner_id:
        return note.encounter.practitioner
    assert note.cosigner is not None
    return note.cosigner


def _group(notes: Iterable[Note]) -> list[UnchargedVisit]:
    visits: dict[VisitKey, UnchargedVisit] = {}
    for note in notes:
        day = timezone.localdate(note.encounter.started_at)
        key = (note.encounter.patient_id, day, billing_practitioner_id(note))
        if key not in visits:
            visits[key] = UnchargedVisit(note.encounter.patient, day, _biller(note))
        visits[key].notes.append(note)
    return list(visits.values())


def _posted_at(organization: Organization, notes: list[Note]) -> dict[VisitKey, datetime.datetime]:
    """The latest charge posting of each visit the notes belong to (one query)."""
    if not notes:
        return {}
    charges = Charge.objects.filter(
        organization=organization,
        patient_id__in={note.patient_id for note in notes},
        service_on__in={timezone.localdate(note.encounter.started_at) for note in notes},
    ).select_related("note__encounter")
    latest: dict[VisitKey, datetime.datetime] = {}
    for charge in charges:
        key = (charge.patient_id, charge.service_on, billing_practitioner_id(charge.note))
        latest[key] = max(latest.get(key, charge.created_at), charge.created_at)
    return latest


def _not_coded_since(note: Note, posted: dict[VisitKey, datetime.datetime]) -> bool:
    key = (note.patient_id, timezone.localdate(note.encounter.started_at), billing_practitioner_id(note))
    return key not in posted or posted[key] < _billable_since(note)


def visits_to_charge(organization: Organization) -> tuple[list[UnchargedVisit], list[UnchargedVisit]]:
    """The clinic's visits to charge (billable signed notes, no charge) and the visits whose notes wait for
    the supervisor's co-signature, oldest first. Two queries, whatever the number of notes."""
    notes = _signed_notes_without_charges(organization)
    billable = [note for note in notes if not note.awaits_cosign]
    waiting = [note for note in notes if note.awaits_cosign]
    posted = _posted_at(organization, billable)
    return _group(note for note in billable if _not_coded_since(note, posted)), _group(waiting)


# Posting --------------------------------------------------------------------------------------------------


def _require_capturer(actor: User, organization: Organization) -> None:
    if actor.organization_id != organization.pk or not can_export_claims(actor):
        raise ValidationError({"__all__": "Only a clinician who bills for the clinic may post its charges."})


def _post(visit: UnchargedVisit) -> list[Charge] | None:
    """Post the visit under its billing clinician; None when someone posted it since it was found."""
    with transaction.atomic():
        # The lock charges_post takes, taken first so the check below and the posting see the same visit.
        Patient.objects.select_for_update().filter(pk=visit.patient.pk).first()
        if Charge.objects.filter(encounter_id__in=visit.encounter_ids).exists():
            return None
        posted = _posted_at(visit.encounter.organization, visit.notes)
        if not any(_not_coded_since(note, posted) for note in visit.notes):
            return None
        return charges_post(actor=visit.biller.user, encounter=visit.encounter)


def charges_capture(*, organization: Organization, actor: User | None = None) -> CaptureResult:
    """Post the charges of every visit of the clinic that has billable signed notes and no charge yet.

    Each visit in its own transaction, under its billing clinician (the co-signing supervisor of a massage
    note); a refusal is collected with its messages and writes nothing; visits posted meanwhile by a person
    are left alone, so running it again posts nothing new. `actor`, when a person asks (the Claims page),
    must be a clinician who may export the clinic's claims; the run is then audited in their name.
    """
    if actor is not None:
        _require_capturer(actor, organization)
    to_charge, _waiting = visits_to_charge(organization)
    posted: list[Captured] = []
    refused: list[Refused] = []
    for visit in to_charge:
        try:
            charges = _post(visit)
        except ValidationError as exc:
            refused.append(Refused(visit, tuple(exc.messages)))
            continue
        if charges is not None:
            codes = tuple(
                f"{c.code_with_modifiers}×{c.units}" for c in charges if c.status == ChargeStatus.BILLABLE
            )
            posted.append(Captured(visit, codes))
    if actor is not None and (posted or refused):
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="Charge",
            object_id="*",
            detail=(
                f"charge capture: posted visits of encounters {[c.visit.encounter_ids for c in posted]}, "
                f"refused {[r.visit.encounter_ids for r in refused]}"
            ),
        )
    return CaptureResult(tuple(posted), tuple(refused))


# What the rules say before posting ------------------------------------------------------------------------


def posting_refusals(
    encounter: Encounter, biller: Practitioner, settings_row: BillingSettings | None = None
) -> tuple[str, ...]:
    """Why charges_post would refuse the visit of `encounter` posted by `biller`, writing nothing; () when it
    would post. The checks of charges_post after the signature: the biller on the care team, the billing
    rules (services.code_encounter_visit), no charge of the visit on a claim, a fee for every code."""
    refusals: list[str] = []
    if not may_bill(biller.user, encounter.patient):
        refusals.append(f"{biller.display_name} may not bill this patient (not on the care team).")
    try:
        notes, coded = code_encounter_visit(encounter)
    except BillingError as exc:
        return (*refusals, *(message for messages in exc.as_dict().values() for message in messages))
    on_claim = billed_refusal(note.encounter_id for note in notes)
    if on_claim:
        refusals.append(on_claim)
    settings_row = settings_row or billing_settings_for(encounter.organization)
    refusals += missing_fee_refusals(settings_row, (item.line.code for item in coded.charges))
    return tuple(refusals)


def encounter_posting_refusals(encounter: Encounter) -> tuple[str, ...] | None:
    """For a visit's charges page: None when the encounter has no note that bills yet, else what
    posting_refusals says under the note's billing clinician."""
    notes = [
        note
        for note in encounter.notes.select_related("encounter__practitioner__user", "cosigner__user")
        if note.status == NoteStatus.FINAL and not note.awaits_cosign
    ]
    if not notes or encounter.status not in DOCUMENTABLE_ENCOUNTER_STATUSES:
        return None
    return posting_refusals(encounter, _biller(notes[0]))


def charge_worklist(*, actor: User, organization: Organization) -> Worklist:
    """The Claims page's "Visits to charge": every visit to charge with what the rules say ("ready" or their
    refusal, computed now and writing nothing) and the visits waiting for a co-signature, most recent
    first, at most WORKLIST_LIMIT. For clinicians who may export claims; the patients named are audited."""
    _require_capturer(actor, organization)
    to_charge, waiting = visits_to_charge(organization)
    visits = sorted(
        [(visit, False) for visit in to_charge] + [(visit, True) for visit in waiting],
        key=lambda pair: (pair[0].service_on, pair[0].encounter.started_at),
        reverse=True,
    )
    shown = visits[:WORKLIST_LIMIT]
    settings_row = billing_settings_for(organization) if to_charge else None
    rows: list[WorklistRow] = []
    for visit, awaits in shown:
        if awaits:
            rows.append(WorklistRow(visit, WAITING))
            continue
        refusals = posting_refusals(visit.encounter, visit.biller, settings_row)
        rows.append(WorklistRow(visit, REFUSED if refusals else READY, refusals))
    if rows:
        audit_read_many(
            actor=actor,
            object_type="Note",
            object_id="*",
            patient_ids=sorted({row.visit.patient.pk for row in rows}),
            detail="visits to charge",
        )
    return Worklist(tuple(rows), len(visits) - len(shown))
