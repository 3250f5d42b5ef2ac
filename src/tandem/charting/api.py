"""Visit documentation under /api/v1/ (issue #5 item 7): start and finish a visit, the note (draft, autosave,
sign, co-sign, precaution override), addenda, the co-sign queue and the patient's visit timeline.

The same rules as the pages (charting/views.py): every object comes through an access function (404 for
anybody off the care team, the front desk included, never a 403), every change through charting.services,
whose refusal becomes a 422 naming the fields. A change to a signed note is such a refusal: the project
answers every state conflict (a referral already accepted, a plan already active...) with 422, so this one
does too; its message says to write an addendum. Every read of a note or a visit is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from tandem.accounts.models import User
from tandem.audit.services import audit_read, audit_read_many
from tandem.careplans.access import EDITING_DISCIPLINES
from tandem.charting import selectors, services
from tandem.charting.access import access_addendum, access_encounter, access_note
from tandem.charting.models import Addendum, Encounter, Note, NoteStatus
from tandem.charting.note_fields import SOAP_KEYS
from tandem.charting.schemas import (
    AddendumIn,
    AddendumOut,
    EncounterCancelIn,
    EncounterOut,
    NoteOut,
    NotePatch,
    OverrideIn,
    PrecautionOverrideOut,
    QueuedNoteOut,
    VisitPage,
    VisitQuery,
)
from tandem.core.http import request_user as _user
from tandem.patients.access import Purpose, access_patient, refuse_access
from tandem.safety.engine import Finding
from tandem.scheduling.access import access_appointment

router = Router(tags=["charting"])

_SUMMARY_RELATED = ("author__practitioner", "cosigned_by__practitioner")


# --- Field names --------------------------------------------------------------------------------------

# Names the services give that are the request's own; any other is a path inside the note's `data`.
_OWN_NAMES = frozenset({*SOAP_KEYS, "data", "body_marks", "safety", "__all__"})
_RENAMED = {"override_reason": "reason"}


def _request_field(path: str) -> str:
    """A field as the request names it: the services say "techniques.1.minutes" for a note field, the API
    "data.techniques.1.minutes"; SOAP texts, the body map and general messages keep their names."""
    if path in _RENAMED:
        return _RENAMED[path]
    return path if path.split(".", 1)[0] in _OWN_NAMES else f"data.{path}"


def _in_request_terms(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    errors: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        errors.setdefault(_request_field(field), []).extend(messages)
    return ValidationError(errors)


# --- Output builders ------------------------------------------------------------------------------------


def _person(user: User | None) -> dict[str, Any] | None:
    return {"id": user.pk, "name": user.display_name} if user is not None else None


def _local(value: Any) -> Any:
    return timezone.localtime(value) if value is not None else None


def _note_summary(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "encounter_id": note.encounter_id,
        "discipline": note.discipline,
        "status": note.status,
        "author": _person(note.author),
        "signed_at": _local(note.signed_at),
        "late_entry": note.late_entry,
        "needs_cosign": note.needs_cosign,
        "awaits_cosign": note.awaits_cosign,
        "cosigned_at": _local(note.cosigned_at),
        "cosigned_by": _person(note.cosigned_by),
    }


def _addendum_out(addendum: Addendum) -> dict[str, Any]:
    return {
        "id": addendum.pk,
        "note_id": addendum.note_id,
        "author": _person(addendum.author),
        "text": addendum.text,
        "signed": addendum.is_signed,
        "signed_at": _local(addendum.signed_at),
        "signed_by": _person(addendum.signed_by),
        "digest": addendum.digest,
        "created_at": _local(addendum.created_at),
    }


def _findings(findings: Iterable[Finding]) -> list[dict[str, str]]:
    return [finding.as_dict() for finding in findings]


def _note_out(user: User, note: Note) -> dict[str, Any]:
    """The note with its signatures and addenda (signed ones, and the caller's own drafts); for a draft,
    what it still lacks before signing and what the safety engine says about it today."""
    draft = note.status == NoteStatus.PRELIMINARY
    addenda = (
        Addendum.objects.filter(note=note)
        .filter(Q(signed_at__isnull=False) | Q(author=user))
        .select_related("author__practitioner", "signed_by__practitioner")
        .order_by("created_at", "pk")
    )
    missing = selectors.note_missing_fields(note) if draft else []
    cosigner = note.cosigner
    return {
        **_note_summary(note),
        "patient_id": note.patient_id,
        "template": {"code": note.template_code, "version": note.template_version},
        "data": note.data,
        **{key: getattr(note, key) for key in SOAP_KEYS},
        "body_marks": note.body_marks,
        "signed_by": _person(note.signed_by),
        "digest": note.digest,
        "cosigner": {"id": cosigner.pk, "name": cosigner.display_name} if cosigner else None,
        "created_at": _local(note.created_at),
        "updated_at": _local(note.updated_at),
        "editable": draft and note.author_id == user.pk,
        "can_cosign": services.can_cosign(user, note),
        "missing": [{"field": _request_field(p.path), "message": p.message} for p in missing],
        "findings": _findings(selectors.note_findings(note)) if draft else [],
        "addenda": [_addendum_out(a) for a in addenda],
    }


def _encounter_out(encounter: Encounter, notes: Iterable[Note]) -> dict[str, Any]:
    practitioner = encounter.practitioner
    return {
        "id": encounter.pk,
        "appointment_id": encounter.appointment_id,
        "patient_id": encounter.patient_id,
        "practitioner": {"id": practitioner.pk, "name": practitioner.display_name},
        "discipline": encounter.discipline,
        "activity_id": encounter.activity_id,
        "status": encounter.status,
        "started_at": _local(encounter.started_at),
        "ended_at": _local(encounter.ended_at),
        "notes": [_note_summary(note) for note in notes],
    }


def _shown_notes(viewer: User) -> QuerySet[Note]:
    """The notes a visit lists, as on the patient's chart: the signed ones, and the viewer's own drafts."""
    return (
        Note.objects.filter(Q(status=NoteStatus.FINAL) | Q(author=viewer))
        .select_related(*_SUMMARY_RELATED)
        .order_by("discipline", "pk")
    )


def _encounter_with_notes(user: User, encounter: Encounter) -> dict[str, Any]:
    return _encounter_out(encounter, _shown_notes(user).filter(encounter=encounter))


def _fresh_note(user: User, note: Note) -> dict[str, Any]:
    """The note as stored now (after a service changed it), with everything the detail shows."""
    return _note_out(user, access_note(user, note.pk))


# --- Reads -------------------------------------------------------------------------------------------


def _read(user: User, object_type: str, object_id: object, patient_id: int, detail: str) -> None:
    audit_read(actor=user, object_type=object_type, object_id=object_id, patient_id=patient_id, detail=detail)


@router.get("/encounters/{encounter_id}", response=EncounterOut)
def encounter_read(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    """The visit and its notes (signed ones, and the caller's own drafts)."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    _read(user, "Encounter", encounter.pk, encounter.patient_id, "api visit")
    return _encounter_with_notes(user, encounter)


@router.get("/notes/{note_id}", response=NoteOut)
def note_read(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """The note: its discipline's fields, SOAP, body map, signatures, addenda."""
    user = _user(request)
    note = access_note(user, note_id)
    _read(user, "Note", note.pk, note.patient_id, "api note")
    return _note_out(user, note)


@router.get("/patients/{patient_id}/visits", response=VisitPage)
def patient_visits(request: HttpRequest, patient_id: int, query: Query[VisitQuery]) -> dict[str, Any]:
    """The patient's visit timeline, every discipline, newest first: each visit with its notes (signed
    ones, and the caller's own drafts). Paged with `limit` and `offset`; `count` is the whole number."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    if not user.is_clinician:  # an administrator on the team sees the chart, not the notes (access.py)
        raise refuse_access(user, "Encounter", "*", patient.pk, "No such patient.")
    encounters = (
        Encounter.objects.filter(patient=patient)
        .select_related("practitioner__user")
        .prefetch_related(Prefetch("notes", queryset=_shown_notes(user), to_attr="shown_notes"))
        .order_by("-started_at", "-pk")
    )
    page = list(encounters[query.offset : query.offset + query.limit])
    _read(user, "Encounter", "*", patient.pk, f"api visit timeline offset {query.offset}")
    return {
        "count": encounters.count(),
        "items": [_encounter_out(e, e.shown_notes) for e in page],  # type: ignore[attr-defined]
    }


@router.get("/cosign-queue", response=list[QueuedNoteOut])
def cosign_queue(request: HttpRequest) -> list[dict[str, Any]]:
    """Signed notes waiting for the caller's co-signature (a supervising DC or PT), oldest first."""
    user = _user(request)
    if not user.is_clinician or user.practitioner.discipline not in EDITING_DISCIPLINES:
        raise Http404("No co-sign queue.")
    notes = list(selectors.cosign_queue_for(user).select_related(*_SUMMARY_RELATED, "encounter", "patient"))
    if notes:
        audit_read_many(
            actor=user,
            object_type="Note",
            object_id="cosign-queue",
            patient_ids=sorted({n.patient_id for n in notes}),
            detail="api co-sign queue",
        )
    return [
        {
            **_note_summary(note),
            "patient": {"id": note.patient_id, "name": note.patient.full_name},
            "visited_at": _local(note.encounter.started_at),
        }
        for note in notes
    ]


# --- Visits ------------------------------------------------------------------------------------------


@router.post("/appointments/{appointment_id}/encounter", response={200: EncounterOut, 201: EncounterOut})
def encounter_start(request: HttpRequest, appointment_id: int) -> Status[dict[str, Any]]:
    """The treating practitioner starts the visit of a checked-in appointment: 201 with the new encounter,
    or 200 with the one already started."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    existed = Encounter.objects.filter(appointment=appointment).exists()
    encounter = services.encounter_start(actor=user, appointment=appointment)
    encounter = access_encounter(user, encounter.pk)
    return Status(200 if existed else 201, _encounter_with_notes(user, encounter))


@router.post("/encounters/{encounter_id}/finish", response=EncounterOut)
def encounter_finish(request: HttpRequest, encounter_id: int) -> dict[str, Any]:
    """Close the visit; its appointment becomes fulfilled. The note may be signed afterwards."""
    user = _user(request)
    encounter = services.encounter_finish(actor=user, encounter=access_encounter(user, encounter_id))
    return _encounter_with_notes(user, access_encounter(user, encounter.pk))


@router.post("/encounters/{encounter_id}/cancel", response=EncounterOut)
def encounter_cancel(request: HttpRequest, encounter_id: int, payload: EncounterCancelIn) -> dict[str, Any]:
    """The visit did not go ahead (kind "cancelled": the patient left before treatment; "entered-in-error":
    opened on the wrong appointment), with a reason. Refused once a note is signed: write an addendum."""
    user = _user(request)
    encounter = services.encounter_cancel(
        actor=user, encounter=access_encounter(user, encounter_id), reason=payload.reason, kind=payload.kind
    )
    return _encounter_with_notes(user, access_encounter(user, encounter.pk))


# --- Notes -------------------------------------------------------------------------------------------


@router.post("/encounters/{encounter_id}/note", response={200: NoteOut, 201: NoteOut})
def note_start(request: HttpRequest, encounter_id: int) -> Status[dict[str, Any]]:
    """The visit's note, started as a draft from the plan's orders and the last note of the discipline
    (201); the note already started answers 200."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    existed = Note.objects.filter(encounter=encounter, discipline=encounter.discipline).exists()
    note = services.note_start(actor=user, encounter=encounter)
    return Status(200 if existed else 201, _fresh_note(user, note))


@router.patch("/notes/{note_id}", response=NoteOut)
def note_update(request: HttpRequest, note_id: int, payload: NotePatch) -> dict[str, Any]:
    """Autosave the author's draft with the keys sent. A signed note refuses every change (422, "write an
    addendum instead") and stays as it was."""
    user = _user(request)
    note = access_note(user, note_id)
    changes = payload.dict(exclude_unset=True)
    nulls = sorted(key for key, value in changes.items() if value is None)
    if nulls:
        raise ValidationError({key: "Leave the field out, or send an empty value." for key in nulls})
    try:
        note = services.note_save_draft(actor=user, note=note, changes=changes)
    except ValidationError as exc:
        raise _in_request_terms(exc) from None
    return _fresh_note(user, note)


@router.post("/notes/{note_id}/sign", response=NoteOut)
def note_sign(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """The author signs: the note must be complete and pass the safety checks; it then never changes, and a
    massage therapist's note waits for the supervising clinician's co-signature."""
    user = _user(request)
    note = access_note(user, note_id)
    try:
        note = services.note_sign(actor=user, note=note)
    except ValidationError as exc:
        raise _in_request_terms(exc) from None
    return _fresh_note(user, note)


@router.post("/notes/{note_id}/cosign", response=NoteOut)
def note_cosign(request: HttpRequest, note_id: int) -> dict[str, Any]:
    """The supervising DC or PT co-signs a signed massage therapist's note."""
    user = _user(request)
    note = services.note_cosign(actor=user, note=access_note(user, note_id))
    return _fresh_note(user, note)


@router.post("/notes/{note_id}/precaution-override", response=PrecautionOverrideOut)
def note_precaution_override(request: HttpRequest, note_id: int, payload: OverrideIn) -> dict[str, Any]:
    """The supervising clinician records why the precautions a draft documents may go ahead; the author can
    then sign. A contraindication cannot be overridden."""
    user = _user(request)
    note = access_note(user, note_id)
    try:
        findings = services.note_override_precaution(actor=user, note=note, reason=payload.reason)
    except ValidationError as exc:
        raise _in_request_terms(exc) from None
    return {"findings": _findings(findings)}


# --- Addenda -----------------------------------------------------------------------------------------


def _fresh_addendum(addendum: Addendum) -> dict[str, Any]:
    fresh = Addendum.objects.select_related("author__practitioner", "signed_by__practitioner").get(
        pk=addendum.pk
    )
    return _addendum_out(fresh)


@router.post("/notes/{note_id}/addenda", response={201: AddendumOut})
def addendum_add(request: HttpRequest, note_id: int, payload: AddendumIn) -> Status[dict[str, Any]]:
    """A draft addendum to a signed note, by its author or supervising clinician; sign it with
    POST /addenda/{id}/sign."""
    user = _user(request)
    addendum = services.addendum_add(actor=user, note=access_note(user, note_id), text=payload.text)
    return Status(201, _fresh_addendum(addendum))


@router.patch("/addenda/{addendum_id}", response=AddendumOut)
def addendum_update(request: HttpRequest, addendum_id: int, payload: AddendumIn) -> dict[str, Any]:
    """Change a draft addendum's text (its author only); a signed addendum never changes."""
    user = _user(request)
    addendum = access_addendum(user, addendum_id)
    return _fresh_addendum(services.addendum_update(actor=user, addendum=addendum, text=payload.text))


@router.post("/addenda/{addendum_id}/sign", response=AddendumOut)
def addendum_sign(request: HttpRequest, addendum_id: int) -> dict[str, Any]:
    """The author signs the addendum; it then never changes either."""
    user = _user(request)
    addendum = access_addendum(user, addendum_id)
    return _fresh_addendum(services.addendum_sign(actor=user, addendum=addendum))
