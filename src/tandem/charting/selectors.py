"""Reads of visit documentation, scoped to the person asking; related rows fetched here so pages make no N+1.

The caller has checked access to the patient (access.py) where a selector takes a patient.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.careplans.access import EDITING_DISCIPLINES
from tandem.charting.models import Addendum, Note, NoteStatus
from tandem.charting.note_fields import (
    SOAP_KEYS,
    FieldError,
    clean_note_data,
    clean_soap,
    documented_techniques,
)
from tandem.charting.services import template_for
from tandem.patients.models import CareTeamMember, Patient
from tandem.safety.engine import Finding, PlannedActivity
from tandem.safety.services import safety_check

_NOTE_RELATED = (
    "patient",
    "author",
    "signed_by",
    "cosigned_by",
    "cosigner__user",
    "encounter__practitioner__user",
    "encounter__activity__plan",
)


def cosign_queue_for(user: User) -> QuerySet[Note]:
    """Signed notes waiting for `user`'s co-signature, oldest first: those it was asked to co-sign, and
    those of plans it supervises now, of patients on its care teams today."""
    if not user.is_clinician or user.practitioner.discipline not in EDITING_DISCIPLINES:
        return Note.objects.none()
    practitioner = user.practitioner
    team = CareTeamMember.objects.active_on(timezone.localdate()).filter(practitioner=practitioner)
    return (
        Note.objects.filter(status=NoteStatus.FINAL, needs_cosign=True, cosigned_at__isnull=True)
        .filter(
            Q(cosigner=practitioner) | Q(encounter__activity__plan__supervising_practitioner=practitioner)
        )
        .filter(patient_id__in=team.values("patient_id"), patient__organization_id=user.organization_id)
        .select_related(*_NOTE_RELATED)
        .order_by("signed_at", "pk")
    )


def notes_for_patient_timeline(patient: Patient, *, viewer: User | None = None) -> QuerySet[Note]:
    """The patient's notes of every discipline, newest visit first: the signed ones, and the viewer's own
    drafts; each with its addenda (signed ones, and the viewer's own drafts) oldest first."""
    mine = Q(author=viewer) if viewer is not None else Q(pk__in=[])
    addenda = Addendum.objects.filter(Q(signed_at__isnull=False) | mine).select_related("author", "signed_by")
    return (
        Note.objects.filter(patient=patient)
        .filter(Q(status=NoteStatus.FINAL) | mine)
        .select_related(*_NOTE_RELATED)
        .prefetch_related(Prefetch("addenda", queryset=addenda.order_by("created_at", "pk")))
        .order_by("-encounter__started_at", "-pk")
    )


def last_signed_note(patient: Patient, discipline: str) -> Note | None:
    """The signed note of the patient's most recent visit of `discipline`, if any."""
    return (
        Note.objects.filter(patient=patient, discipline=discipline, status=NoteStatus.FINAL)
        .select_related(*_NOTE_RELATED)
        .order_by("-encounter__started_at", "-signed_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class BodyMapEntry:
    """One signed note's marks on the body map, for the patient's timeline across disciplines."""

    note: Note
    discipline: str
    visited_at: object
    marks: list[dict[str, str]]


def body_map_timeline(patient: Patient) -> list[BodyMapEntry]:
    """The body-map marks of the patient's signed notes, all disciplines, oldest visit first."""
    notes = (
        Note.objects.filter(patient=patient, status=NoteStatus.FINAL)
        .exclude(body_marks=[])
        .select_related("encounter", "author")
        .order_by("encounter__started_at", "pk")
    )
    return [BodyMapEntry(n, n.discipline, n.encounter.started_at, list(n.body_marks)) for n in notes]


def note_findings(note: Note) -> list[Finding]:
    """What the safety engine says today about what the note documents (for display beside the editor)."""
    template = template_for(note.discipline)
    data, _ = clean_note_data(template, note.data, complete=False)
    documented = [
        PlannedActivity(d.technique, d.body_sites, d.pressure)
        for d in documented_techniques(template, data, note.body_marks or [])
    ]
    if not documented:
        return []
    try:
        return safety_check(patient=note.patient, activities=documented)
    except ValueError:  # a code the engine no longer knows: nothing to show rather than a broken page
        return []


def note_missing_fields(note: Note) -> list[FieldError]:
    """What the draft still lacks before it can be signed (for the editor's checklist)."""
    template = template_for(note.discipline)
    _, problems = clean_note_data(template, note.data, complete=True)
    soap = {key: getattr(note, key) for key in SOAP_KEYS}
    _, soap_problems = clean_soap(template, soap, complete=True)
    return problems + soap_problems
