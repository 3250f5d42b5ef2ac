"""Every change to a visit's documentation: start and finish the encounter, start, autosave, sign and co-sign
the note, add and sign addenda, override a precaution found in a note.

Each service checks who acts, validates, writes and audits in one transaction; a refusal leaves nothing
behind. Invariant 2 (a signed note never changes) is checked here with a clear message and guaranteed below,
by the database triggers of migration 0002. Invariant 5: documenting a technique runs the safety engine again
with the patient's record of today; a contraindication is refused, a precaution needs the supervising
clinician's recorded override (tandem.safety SafetyOverride) unless the plan activity already has one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tandem.accounts.models import Discipline, Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.access import EDITING_DISCIPLINES
from tandem.careplans.models import Activity, CarePlan, CarePlanStatus
from tandem.charting.access import can_see_charting
from tandem.charting.models import (
    DOCUMENTABLE_ENCOUNTER_STATUSES,
    Addendum,
    Encounter,
    EncounterStatus,
    Note,
    NoteStatus,
)
from tandem.charting.note_fields import (
    DEFAULT_TEMPLATES_PATH,
    SOAP_KEYS,
    FieldError,
    NoteTemplate,
    Order,
    TemplateError,
    clean_body_marks,
    clean_note_data,
    clean_soap,
    documented_techniques,
    load_templates,
    prefill,
)
from tandem.charting.signing import content_digest, digest_matches
from tandem.core import clock
from tandem.core.vocabularies import BODY_SITES, label
from tandem.patients.access import on_care_team
from tandem.patients.models import CareTeamMember, CareTeamRole, Patient
from tandem.safety.engine import Finding, PlannedActivity
from tandem.safety.models import SafetyOverride
from tandem.safety.services import label_of_technique, safety_check, safety_gate
from tandem.scheduling.models import Appointment, AppointmentStatus
from tandem.scheduling.services import appointment_set_status

# A note signed more than this long after its visit ended is marked a late entry.
LATE_ENTRY_AFTER = datetime.timedelta(hours=24)
# Disciplines whose notes wait for the supervising clinician's co-signature (DESIGN.md §1.3: massage
# therapists work under the supervision of the plan's DC or PT).
SUPERVISED_DISCIPLINES: frozenset[str] = frozenset({Discipline.MASSAGE_THERAPY})
DRAFT_KEYS: tuple[str, ...] = ("data", *SOAP_KEYS, "body_marks")
MAX_ADDENDUM_LENGTH = 10000
SIGNED_MESSAGE = "This note is signed and never changes; write an addendum instead."
RETIRED_MESSAGE = "This visit did not go ahead: its draft was entered in error and never changes."


# Templates ------------------------------------------------------------------------------------------------


def templates() -> dict[str, NoteTemplate]:
    """The clinic's note templates: settings.TANDEM_NOTE_TEMPLATES if set, else the bundled YAML."""
    return load_templates(getattr(settings, "TANDEM_NOTE_TEMPLATES", None) or DEFAULT_TEMPLATES_PATH)


def template_for(discipline: str) -> NoteTemplate:
    try:
        return templates()[discipline]
    except KeyError:
        raise TemplateError([f"template {discipline}: missing"]) from None


def templates_path() -> Path:
    return Path(getattr(settings, "TANDEM_NOTE_TEMPLATES", None) or DEFAULT_TEMPLATES_PATH)


# Helpers --------------------------------------------------------------------------------------------------


def _refusal(problems: Iterable[FieldError]) -> ValidationError:
    """Field-level messages, keyed by path ("techniques.1.minutes", "subjective", "body_marks.0.site")."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.path, []).append(problem.message)
    return ValidationError(errors)


def _audit(actor: User, action: str, obj: Encounter | Note | Addendum, patient_id: int, detail: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.pk,
        patient_id=patient_id,
        detail=detail,
    )


def _treats(actor: User, practitioner_id: int) -> bool:
    return actor.is_clinician and actor.practitioner.pk == practitioner_id


def _require_treating(actor: User, practitioner_id: int, patient: Patient) -> None:
    if not _treats(actor, practitioner_id) or not can_see_charting(actor, patient):
        raise ValidationError({"__all__": "Only the practitioner treating this visit may document it."})


def _require_author(actor: User, note: Note) -> None:
    if note.author_id != actor.pk or not can_see_charting(actor, note.patient):
        raise ValidationError({"__all__": "Only the note's author may change or sign it."})


def _require_draft(note: Note) -> None:
    if note.status == NoteStatus.ENTERED_IN_ERROR:
        raise ValidationError({"__all__": RETIRED_MESSAGE})
    if note.status != NoteStatus.PRELIMINARY:
        raise ValidationError({"__all__": SIGNED_MESSAGE})


def _require_documentable(encounter: Encounter) -> None:
    if encounter.status not in DOCUMENTABLE_ENCOUNTER_STATUSES:
        status = encounter.get_status_display().lower()
        raise ValidationError({"__all__": f"This visit is {status}; there is nothing to document."})


def _locked_note(note: Note) -> Note:
    # Lock the row: two autosaves, or an autosave racing the signature, apply one after the other.
    return (
        Note.objects.select_for_update(of=("self",))
        .select_related("patient", "encounter__activity__plan", "encounter__appointment", "author")
        .get(pk=note.pk)
    )


# Supervision ----------------------------------------------------------------------------------------------


def supervisor_for(encounter: Encounter) -> Practitioner | None:
    """Who supervises the visit's work: the supervising practitioner of the plan the visit carries out; for
    a visit outside a plan, the supervisor of the patient's active plan, else the care team's supervising
    (or lead) chiropractor or physical therapist."""
    if encounter.activity_id is not None:
        return encounter.activity.plan.supervising_practitioner  # type: ignore[union-attr]
    plan = (
        CarePlan.objects.filter(patient_id=encounter.patient_id, status=CarePlanStatus.ACTIVE)
        .select_related("supervising_practitioner__user")
        .order_by("-period_start_on", "-pk")
        .first()
    )
    if plan is not None:
        return plan.supervising_practitioner
    members = (
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(
            patient_id=encounter.patient_id,
            role__in=(CareTeamRole.SUPERVISING, CareTeamRole.LEAD),
            practitioner__discipline__in=EDITING_DISCIPLINES,
        )
        .select_related("practitioner__user")
    )
    ranked = sorted(members, key=lambda m: (m.role != CareTeamRole.SUPERVISING, m.pk))
    return ranked[0].practitioner if ranked else None


def _supervisors_of(note: Note) -> set[int]:
    """Practitioner ids who may co-sign: the one asked at signing, and the plan's supervisor now (after a
    hand-over of the plan)."""
    ids = {note.cosigner_id} if note.cosigner_id else set()
    current = supervisor_for(note.encounter)
    if current is not None:
        ids.add(current.pk)
    return ids


def can_cosign(user: User, note: Note) -> bool:
    """The note's supervising DC or PT, on the patient's care team."""
    return (
        note.awaits_cosign
        and user.is_clinician
        and user.practitioner.discipline in EDITING_DISCIPLINES
        and user.practitioner.pk in _supervisors_of(note)
        and on_care_team(user, note.patient)
    )


# Safety ---------------------------------------------------------------------------------------------------


def _site_text(finding: Finding) -> str:
    return label(BODY_SITES, finding.body_site) if finding.body_site else "any site"


def _activity_override_keys(activity: Activity | None) -> set[tuple[str, str, str]]:
    """(rule, technique, body site) of the precautions overridden for the plan activity the visit carries
    out: the supervisor decided on them when the activity was planned or approved."""
    if activity is None:
        return set()
    return set(
        SafetyOverride.objects.filter(
            patient_id=activity.plan.patient_id, subject=f"careplan-activity:{activity.pk}"[:100]
        ).values_list("rule", "technique", "body_site")
    )


def _documented(
    template: NoteTemplate, data: Mapping[str, Any], marks: list[dict[str, str]]
) -> list[PlannedActivity]:
    return [
        PlannedActivity(d.technique, d.body_sites, d.pressure)
        for d in documented_techniques(template, data, marks)
    ]


def _gate(
    *,
    actor: User,
    note: Note,
    template: NoteTemplate,
    data: Mapping[str, Any],
    marks: list[dict[str, str]],
    precautions: bool,
    override_reason: str = "",
) -> list[Finding]:
    """Invariant 5 for what the note documents. A contraindication is refused with the rule's message. With
    `precautions`, a precaution not overridden for the plan activity goes through tandem.safety's gate under
    the note's own subject ("charting-note:<id>"): an override on record passes, a reason from a clinician
    who may override records one, anything else is refused with the rule's message."""
    documented = _documented(template, data, marks)
    if not documented:
        return []
    try:
        findings = safety_check(patient=note.patient, activities=documented)
    except ValueError as exc:  # engine.UnknownCodes: a code the vocabulary no longer has
        raise ValidationError({"safety": [str(exc)]}) from None
    blocked = [
        f"Contraindicated: {label_of_technique(f.technique)} ({_site_text(f)}) — {f.message}"
        for f in findings
        if f.severity == "contraindicated"
    ]
    if blocked:
        raise ValidationError({"safety": blocked})
    if not precautions:
        return findings
    covered = _activity_override_keys(note.encounter.activity)
    pending = [
        f
        for f in findings
        if f.severity == "precaution" and (f.rule, f.technique, f.body_site) not in covered
    ]
    if not pending:
        return findings
    sites_of: dict[str, tuple[str, ...]] = {}
    for done in documented:
        sites_of[done.technique] = tuple(dict.fromkeys(sites_of.get(done.technique, ()) + done.body_sites))
    pressure = documented[0].pressure
    recheck: list[PlannedActivity] = []
    for finding in pending:
        sites = (finding.body_site,) if finding.body_site else sites_of[finding.technique]
        planned = PlannedActivity(finding.technique, sites, pressure)
        if planned not in recheck:
            recheck.append(planned)
    safety_gate(
        actor=actor,
        patient=note.patient,
        activities=recheck,
        override_reason=override_reason,
        subject=f"charting-note:{note.pk}",
    )
    return findings


# Encounters -----------------------------------------------------------------------------------------------


@transaction.atomic
def encounter_start(*, actor: User, appointment: Appointment) -> Encounter:
    """Open the visit's encounter (in progress) when the treating practitioner starts with a checked-in
    patient. Idempotent: asked again, it answers the same encounter."""
    # Lock the appointment: two devices starting the same visit get one encounter.
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "activity")
        .get(pk=appointment.pk)
    )
    _require_treating(actor, appointment.practitioner_id, appointment.patient)
    existing = Encounter.objects.filter(appointment=appointment).first()
    if existing is not None:
        return existing
    if appointment.status != AppointmentStatus.ARRIVED:
        status = appointment.get_status_display().lower()
        raise ValidationError(
            {"appointment": f"Start a visit once the patient is checked in; this one is {status}."}
        )
    encounter = Encounter(
        organization_id=appointment.organization_id,
        appointment=appointment,
        patient=appointment.patient,
        practitioner_id=appointment.practitioner_id,
        discipline=appointment.discipline,
        activity=appointment.activity,
        status=EncounterStatus.IN_PROGRESS,
        started_at=clock.now(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            encounter.save()
    except IntegrityError:  # started a moment ago elsewhere
        return Encounter.objects.get(appointment=appointment)
    _audit(
        actor,
        AuditAction.CREATE,
        encounter,
        encounter.patient_id,
        f"started visit of appointment {appointment.pk}"
        + (f" for plan activity {appointment.activity_id}" if appointment.activity_id else ""),
    )
    return encounter


@transaction.atomic
def encounter_finish(*, actor: User, encounter: Encounter) -> Encounter:
    """Close the visit (finished, period end now) and mark its appointment fulfilled. The note may be
    signed later; signed more than LATE_ENTRY_AFTER after this moment, it is a late entry."""
    encounter = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("patient", "appointment")
        .get(pk=encounter.pk)
    )
    _require_treating(actor, encounter.practitioner_id, encounter.patient)
    if encounter.status == EncounterStatus.FINISHED:
        return encounter
    if encounter.status not in (EncounterStatus.ARRIVED, EncounterStatus.IN_PROGRESS):
        status = encounter.get_status_display().lower()
        raise ValidationError({"status": f"This visit is {status}; it cannot be finished."})
    encounter.status = EncounterStatus.FINISHED
    encounter.ended_at = max(clock.now(), encounter.started_at)
    encounter.save(update_fields=["status", "ended_at", "updated_at"])
    if encounter.appointment.status == AppointmentStatus.ARRIVED:
        appointment_set_status(actor=actor, appointment=encounter.appointment, to=AppointmentStatus.FULFILLED)
    _audit(actor, AuditAction.UPDATE, encounter, encounter.patient_id, "finished visit")
    return encounter


# Notes ----------------------------------------------------------------------------------------------------


def _order_of(activity: Activity | None) -> Order | None:
    if activity is None:
        return None
    return Order(
        techniques=tuple(activity.techniques or ()),
        body_sites=tuple(activity.body_sites or ()),
        pressure=activity.massage_pressure or "",
        exercises=tuple(e for e in activity.exercises or () if isinstance(e, Mapping)),
    )


def _last_signed(patient_id: int, discipline: str) -> Note | None:
    return (
        Note.objects.filter(patient_id=patient_id, discipline=discipline, status=NoteStatus.FINAL)
        .order_by("-encounter__started_at", "-signed_at", "-pk")
        .first()
    )


@transaction.atomic
def note_start(*, actor: User, encounter: Encounter) -> Note:
    """The visit's note for the practitioner's discipline, as a draft started from the plan activity's
    orders (techniques, body sites, pressure, exercises) and the carry-forward fields (home care, home
    exercises) of the patient's last signed note of the same discipline, so nothing is typed twice.
    Idempotent: the note already started is answered as it is."""
    encounter = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("patient", "activity__plan")
        .get(pk=encounter.pk)
    )
    _require_treating(actor, encounter.practitioner_id, encounter.patient)
    existing = Note.objects.filter(encounter=encounter, discipline=encounter.discipline).first()
    if existing is not None:
        return existing
    _require_documentable(encounter)
    template = template_for(encounter.discipline)
    last = _last_signed(encounter.patient_id, encounter.discipline)
    note = Note.objects.create(
        encounter=encounter,
        patient=encounter.patient,
        discipline=encounter.discipline,
        author=actor,
        template_code=template.code,
        template_version=template.version,
        data=prefill(template, _order_of(encounter.activity), last.data if last else None),
    )
    sources = [f"plan activity {encounter.activity_id}"] if encounter.activity_id else []
    sources += [f"note {last.pk}"] if last else []
    _audit(
        actor,
        AuditAction.CREATE,
        note,
        note.patient_id,
        f"started {template.code} v{template.version} draft"
        + (f" from {', '.join(sources)}" if sources else ""),
    )
    return note


@transaction.atomic
def note_save_draft(*, actor: User, note: Note, changes: Mapping[str, Any]) -> Note:
    """Autosave: the author's draft takes `changes` (any of data, subjective, objective, assessment, plan,
    body_marks; `data` replaces the discipline fields as a whole). Types are checked, required fields may
    still be missing. A contraindicated technique is refused even in a draft (invariant 5); precautions are
    settled at signing."""
    note = _locked_note(note)
    _require_author(actor, note)
    _require_draft(note)
    unknown = sorted(set(changes) - set(DRAFT_KEYS), key=str)
    if unknown:
        raise ValidationError({str(key): "This field cannot be set here." for key in unknown})
    template = template_for(note.discipline)
    problems: list[FieldError] = []
    data = note.data
    if "data" in changes:
        data, found = clean_note_data(template, changes["data"], complete=False)
        problems += found
    soap_values = {key: changes.get(key, getattr(note, key)) for key in SOAP_KEYS}
    soap, found = clean_soap(template, soap_values, complete=False)
    problems += found
    marks = note.body_marks
    if "body_marks" in changes:
        marks, found = clean_body_marks(changes["body_marks"])
        problems += found
    if problems:
        raise _refusal(problems)
    _gate(actor=actor, note=note, template=template, data=data, marks=marks, precautions=False)
    changed = [key for key in SOAP_KEYS if getattr(note, key) != soap[key]]
    changed += ["data"] if data != note.data else []
    changed += ["body_marks"] if marks != note.body_marks else []
    changed += ["template_version"] if note.template_version != template.version else []
    if not changed:
        return note
    for key in SOAP_KEYS:
        setattr(note, key, soap[key])
    note.data, note.body_marks = data, marks
    note.template_code, note.template_version = template.code, template.version
    note.save()
    _audit(actor, AuditAction.UPDATE, note, note.patient_id, "draft saved: " + ", ".join(changed))
    return note


def _is_late(encounter: Encounter, signed_at: datetime.datetime) -> bool:
    # A visit never finished in Tandem ended, for this rule, when its appointment was due to end.
    ended_at = encounter.ended_at or encounter.appointment.ends_at
    return signed_at - ended_at > LATE_ENTRY_AFTER


@transaction.atomic
def note_sign(*, actor: User, note: Note) -> Note:
    """The author signs: the note must be complete for its template, pass the safety checks (a precaution
    needs an override on record), and is then sealed: status final, digest of its content, late-entry mark.
    A supervised discipline's note (massage therapy) then waits for the supervising clinician's co-signature.
    """
    note = _locked_note(note)
    _require_author(actor, note)
    _require_draft(note)
    _require_documentable(note.encounter)
    template = template_for(note.discipline)
    data, problems = clean_note_data(template, note.data, complete=True)
    soap, found = clean_soap(template, {key: getattr(note, key) for key in SOAP_KEYS}, complete=True)
    problems += found
    marks, found = clean_body_marks(note.body_marks)
    problems += found
    if problems:
        raise _refusal(problems)
    _gate(actor=actor, note=note, template=template, data=data, marks=marks, precautions=True)
    cosigner = None
    if note.discipline in SUPERVISED_DISCIPLINES:
        cosigner = supervisor_for(note.encounter)
        if cosigner is None:
            raise ValidationError(
                {
                    "__all__": "A massage therapist's note is co-signed by the supervising chiropractor or "
                    "physical therapist, and this patient has none: ask the care team's lead to take it on."
                }
            )
    now = clock.now()
    note.data, note.body_marks = data, marks
    for key in SOAP_KEYS:
        setattr(note, key, soap[key])
    note.template_code, note.template_version = template.code, template.version
    note.status, note.signed_at, note.signed_by = NoteStatus.FINAL, now, actor
    note.late_entry = _is_late(note.encounter, now)
    note.needs_cosign, note.cosigner = cosigner is not None, cosigner
    note.digest = content_digest(note.signed_content())
    note.save()
    detail = f"signed {note.template_code} v{note.template_version} sha256={note.digest}"
    detail += "; late entry" if note.late_entry else ""
    detail += f"; awaiting co-signature by practitioner {cosigner.pk}" if cosigner else ""
    _audit(actor, AuditAction.UPDATE, note, note.patient_id, detail)
    return note


@transaction.atomic
def note_override_precaution(*, actor: User, note: Note, reason: str) -> list[Finding]:
    """The supervising clinician records why the precautions found in a draft note may go ahead (one
    SafetyOverride per precaution, for this note only); the author can then sign. Contraindications cannot
    be overridden. Answers the findings."""
    note = _locked_note(note)
    _require_draft(note)
    supervisor = supervisor_for(note.encounter)
    if supervisor is None or not _treats(actor, supervisor.pk) or not can_see_charting(actor, note.patient):
        name = supervisor.display_name if supervisor else "the supervising clinician"
        raise ValidationError({"override_reason": f"Only {name} may override a precaution in this note."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"override_reason": "Give the reason to go ahead despite the precaution."})
    template = template_for(note.discipline)
    data, problems = clean_note_data(template, note.data, complete=False)
    marks, found = clean_body_marks(note.body_marks)
    if problems or found:
        raise _refusal(problems + found)
    return _gate(
        actor=actor,
        note=note,
        template=template,
        data=data,
        marks=marks,
        precautions=True,
        override_reason=reason,
    )


@transaction.atomic
def note_cosign(*, actor: User, note: Note) -> Note:
    """The supervising DC or PT co-signs a supervised note, attesting the content its author signed (the
    digest is checked first). Only the two co-signature columns change; the database allows nothing else."""
    note = _locked_note(note)
    if note.status != NoteStatus.FINAL:
        raise ValidationError({"__all__": "Only a signed note can be co-signed; the author signs it first."})
    if not note.needs_cosign:
        raise ValidationError({"__all__": "This note does not need a co-signature."})
    if note.cosigned_at is not None:
        raise ValidationError({"__all__": "This note is already co-signed."})
    if not can_cosign(actor, note):
        supervisor = supervisor_for(note.encounter) or note.cosigner
        name = supervisor.display_name if supervisor else "the supervising clinician"
        raise ValidationError({"__all__": f"Only the supervising clinician ({name}) may co-sign this note."})
    if not digest_matches(note.signed_content(), note.digest):
        raise ValidationError(
            {
                "__all__": "This note no longer matches what its author signed; it cannot be co-signed. "
                "Tell the clinic administrator."
            }
        )
    now = clock.now()
    updated = Note.objects.filter(pk=note.pk, cosigned_at__isnull=True).update(
        cosigned_at=now, cosigned_by=actor, updated_at=now
    )
    if not updated:
        raise ValidationError({"__all__": "This note is already co-signed."})
    note.cosigned_at, note.cosigned_by, note.updated_at = now, actor, now
    _audit(actor, AuditAction.UPDATE, note, note.patient_id, f"co-signed sha256={note.digest}")
    return note


# Addenda --------------------------------------------------------------------------------------------------


def _addendum_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Write the addendum."})
    if len(text.strip()) > MAX_ADDENDUM_LENGTH:
        raise ValidationError({"text": f"Keep an addendum under {MAX_ADDENDUM_LENGTH} characters."})
    return text.strip()


@transaction.atomic
def addendum_add(*, actor: User, note: Note, text: str) -> Addendum:
    """A draft addendum to a signed note, by its author or its supervising clinician; sign it with
    addendum_sign. The note itself never changes."""
    note = Note.objects.select_related("patient", "encounter__activity__plan").get(pk=note.pk)
    if note.status != NoteStatus.FINAL:
        raise ValidationError({"__all__": "This note is still a draft: change the draft itself."})
    may_amend = actor.pk == note.author_id or (
        actor.is_clinician and actor.practitioner.pk in _supervisors_of(note)
    )
    if not may_amend or not can_see_charting(actor, note.patient):
        raise ValidationError({"__all__": "Only the note's author or supervising clinician may amend it."})
    addendum = Addendum.objects.create(note=note, author=actor, text=_addendum_text(text))
    _audit(actor, AuditAction.CREATE, addendum, note.patient_id, f"addendum to note {note.pk}")
    return addendum


def _locked_addendum(addendum: Addendum, actor: User) -> Addendum:
    addendum = (
        Addendum.objects.select_for_update(of=("self",)).select_related("note__patient").get(pk=addendum.pk)
    )
    if addendum.author_id != actor.pk or not can_see_charting(actor, addendum.note.patient):
        raise ValidationError({"__all__": "Only the addendum's author may change or sign it."})
    if addendum.is_signed:
        raise ValidationError({"__all__": "This addendum is signed and never changes; add another one."})
    return addendum


@transaction.atomic
def addendum_update(*, actor: User, addendum: Addendum, text: str) -> Addendum:
    """Autosave of a draft addendum, by its author."""
    addendum = _locked_addendum(addendum, actor)
    text = _addendum_text(text)
    if text != addendum.text:
        addendum.text = text
        addendum.save(update_fields=["text", "updated_at"])
        _audit(actor, AuditAction.UPDATE, addendum, addendum.note.patient_id, "draft addendum saved")
    return addendum


@transaction.atomic
def addendum_sign(*, actor: User, addendum: Addendum) -> Addendum:
    """The author signs the addendum; its digest chains to the signed note's digest."""
    addendum = _locked_addendum(addendum, actor)
    addendum.text = _addendum_text(addendum.text)
    addendum.signed_at, addendum.signed_by = clock.now(), actor
    addendum.digest = content_digest(addendum.signed_content(addendum.note.digest))
    addendum.save()
    _audit(
        actor,
        AuditAction.UPDATE,
        addendum,
        addendum.note.patient_id,
        f"signed addendum to note {addendum.note_id} sha256={addendum.digest}",
    )
    return addendum


# Visits that do not go ahead ------------------------------------------------------------------------------

# What the clinician says happened, as FHIR encounter-status codes (both need a reason).
CANCEL_KINDS: dict[str, str] = {
    EncounterStatus.CANCELLED: "the patient left before treatment",
    EncounterStatus.ENTERED_IN_ERROR: "the visit was opened on the wrong appointment",
}
MAX_CANCEL_REASON_LENGTH = 300  # what the appointment's cancel_reason holds


def _cancel_reason(reason: object) -> str:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationError({"reason": "Say why the visit did not go ahead."})
    if len(text) > MAX_CANCEL_REASON_LENGTH:
        raise ValidationError({"reason": f"Keep the reason under {MAX_CANCEL_REASON_LENGTH} characters."})
    return text


def _release_appointment(actor: User, appointment: Appointment, kind: str, reason: str) -> None:
    """Move the appointment the way scheduling allows: a cancelled visit undoes the check-in and cancels
    (scheduling has no move from checked in to cancelled); a visit opened in error marks its appointment
    entered in error. An appointment already moved elsewhere (cancelled by the desk meanwhile) stays."""
    if kind == EncounterStatus.CANCELLED:
        if appointment.status == AppointmentStatus.ARRIVED:
            appointment = appointment_set_status(
                actor=actor, appointment=appointment, to=AppointmentStatus.BOOKED
            )
        if appointment.status == AppointmentStatus.BOOKED:
            appointment_set_status(
                actor=actor, appointment=appointment, to=AppointmentStatus.CANCELLED, reason=reason
            )
    elif appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.BOOKED):
        appointment_set_status(
            actor=actor, appointment=appointment, to=AppointmentStatus.ENTERED_IN_ERROR, reason=reason
        )


def encounter_may_cancel(user: User, encounter: Encounter) -> bool:
    """Whether to offer "this visit did not go ahead" (encounter_cancel decides)."""
    return (
        user.is_clinician
        and encounter.practitioner_id == user.practitioner.pk
        and encounter.status in (EncounterStatus.ARRIVED, EncounterStatus.IN_PROGRESS)
        and not encounter.notes.filter(status=NoteStatus.FINAL).exists()
    )


@transaction.atomic
def encounter_cancel(
    *, actor: User, encounter: Encounter, reason: str, kind: str = EncounterStatus.CANCELLED
) -> Encounter:
    """A visit that does not go ahead after check-in, by its treating practitioner, with a reason: `kind`
    cancelled (the patient left before treatment) or entered-in-error (opened on the wrong appointment).

    Allowed while no note of the visit is signed and the visit is not finished; a signed note means the
    visit took place (write an addendum instead). The encounter takes `kind` and the reason; its draft notes
    become entered-in-error (kept, never signed); its appointment moves as scheduling allows. Audited.
    Asked again with the same kind, it answers the encounter as it is."""
    if kind not in CANCEL_KINDS:
        raise ValidationError(
            {"kind": "Say whether the patient left before treatment or the visit was opened in error."}
        )
    encounter = (
        Encounter.objects.select_for_update(of=("self",))
        .select_related("patient", "appointment")
        .get(pk=encounter.pk)
    )
    _require_treating(actor, encounter.practitioner_id, encounter.patient)
    reason = _cancel_reason(reason)
    # Lock the notes too: a signature racing the cancellation waits, then finds the visit cancelled.
    notes = list(Note.objects.select_for_update().filter(encounter=encounter).order_by("pk"))
    if any(note.status == NoteStatus.FINAL for note in notes):
        raise ValidationError(
            {
                "__all__": "A note of this visit is signed, so the visit took place and stays on record; "
                "write an addendum instead."
            }
        )
    if encounter.status == kind:
        return encounter
    if encounter.status not in (EncounterStatus.ARRIVED, EncounterStatus.IN_PROGRESS):
        status = encounter.get_status_display().lower()
        raise ValidationError({"__all__": f"This visit is {status}; it can no longer be called off."})
    now = clock.now()
    encounter.status = kind
    encounter.cancel_reason, encounter.cancelled_at, encounter.cancelled_by = reason, now, actor
    encounter.ended_at = max(now, encounter.started_at)
    encounter.save(
        update_fields=["status", "cancel_reason", "cancelled_at", "cancelled_by", "ended_at", "updated_at"]
    )
    for note in notes:
        if note.status != NoteStatus.PRELIMINARY:
            continue
        note.status = NoteStatus.ENTERED_IN_ERROR
        note.save(update_fields=["status", "updated_at"])
        _audit(actor, AuditAction.UPDATE, note, note.patient_id, f"draft entered in error: visit {kind}")
    _release_appointment(actor, encounter.appointment, kind, reason)
    _audit(actor, AuditAction.UPDATE, encounter, encounter.patient_id, f"visit {kind}: {reason}")
    return encounter
