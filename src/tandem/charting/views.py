"""Visit documentation pages (issue #5 item 7): start a visit's note from its appointment, the note editor
with autosave, sign, co-sign, addenda, the co-sign queue; the supervising clinician's override of a draft's
precautions, and calling off a visit that did not go ahead.

Every object comes through an access function (404 for anybody off the care team); every change goes through
charting.services, whose refusal is shown beside the fields it names and changes nothing. A signed note has no
edit controls; an autosave that reaches it anyway answers the service's refusal (422), never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tandem.accounts.models import User
from tandem.audit.services import audit_read, audit_read_many
from tandem.careplans.access import EDITING_DISCIPLINES
from tandem.charting import field_widgets as widgets
from tandem.charting import selectors, services
from tandem.charting.access import access_addendum, access_encounter, access_note
from tandem.charting.models import Addendum, Note, NoteStatus
from tandem.charting.safety_review import note_safety_review
from tandem.core.http import request_user as _user
from tandem.scheduling.access import access_appointment

Errors = dict[str, list[str]]


def _errors_of(exc: ValidationError) -> Errors:
    if hasattr(exc, "error_dict"):
        return {
            key: [str(m) for m in ValidationError(value).messages] for key, value in exc.error_dict.items()
        }
    return {widgets.GENERAL: [str(m) for m in exc.messages]}


def _read(user: User, note: Note, detail: str) -> None:
    audit_read(actor=user, object_type="Note", object_id=note.pk, patient_id=note.patient_id, detail=detail)


def _editable(user: User, note: Note) -> bool:
    return note.status == NoteStatus.PRELIMINARY and note.author_id == user.pk


def _may_amend(user: User, note: Note) -> bool:
    """The note's author or its supervising clinician (the service decides; this only shows the form)."""
    if note.status != NoteStatus.FINAL:
        return False
    if note.author_id == user.pk:
        return True
    if not user.is_clinician:
        return False
    supervisor = services.supervisor_for(note.encounter)
    return user.practitioner.pk in {note.cosigner_id, supervisor.pk if supervisor else None}


def _note_context(
    user: User,
    note: Note,
    *,
    posted: dict[str, Any] | None = None,
    errors: Errors | None = None,
    addendum_text: str = "",
    addendum_errors: list[str] | None = None,
    override_reason: str = "",
    override_errors: list[str] | None = None,
    cancel_reason: str = "",
    cancel_kind: str = "",
    cancel_errors: list[str] | None = None,
) -> dict[str, Any]:
    """What the note page shows: the editor (the author's draft) or the signed note, its signatures and
    addenda, its safety findings and overrides, and the form calling the visit off. `posted` and the other
    texts hold what the clinician typed, shown again after a refusal."""
    template = services.template_for(note.discipline)
    errors = errors or {}
    editable = _editable(user, note)
    context: dict[str, Any] = {
        "note": note,
        "patient": note.patient,
        "encounter": note.encounter,
        "template": template,
        "editable": editable,
        "can_cosign": services.can_cosign(user, note),
        "may_amend": _may_amend(user, note),
        "addendum_text": addendum_text,
        "addendum_errors": addendum_errors or [],
        "safety": note_safety_review(user, note),
        "override_reason": override_reason,
        "override_errors": override_errors or [],
        "may_cancel": services.encounter_may_cancel(user, note.encounter),
        "cancel_kinds": list(services.CANCEL_KINDS.items()),
        "cancel_reason": cancel_reason,
        "cancel_kind": cancel_kind,
        "cancel_errors": cancel_errors or [],
        "addenda": Addendum.objects.filter(note=note)
        .filter(Q(signed_at__isnull=False) | Q(author=user))
        .select_related("author", "signed_by")
        .order_by("created_at", "pk"),
    }
    if editable:
        source = posted or {}
        data = source.get("data", note.data)
        soap = {key: source.get(key, getattr(note, key)) for key in widgets.SOAP_KEYS}
        fields = widgets.editor_widgets(template, data if isinstance(data, dict) else {}, errors)
        soap_fields = widgets.soap_widgets(template, soap, errors)
        body_errors, general = widgets.leftover_messages([*fields, *soap_fields], errors)
        marks = source.get(widgets.BODY_MARKS, note.body_marks)
        context.update(
            fields=fields,
            soap_fields=soap_fields,
            marks=marks if isinstance(marks, list) else note.body_marks,
            body_errors=body_errors,
            general_errors=general,
            missing=widgets.describe(template, selectors.note_missing_fields(note)),
        )
    else:
        context.update(
            shown=widgets.shown_fields(template, note.data),
            soap_shown=[(spec.label, getattr(note, spec.key)) for spec in template.soap],
        )
    return context


@login_required
@require_POST
def appointment_document(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """The treating practitioner starts (or reopens) the visit's encounter and note."""
    user = _user(request)
    appointment = access_appointment(user, appointment_id)
    try:
        encounter = services.encounter_start(actor=user, appointment=appointment)
        note = services.note_start(actor=user, encounter=encounter)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("appointment_detail", appointment.pk)
    return redirect("note_detail", note.pk)


@login_required
@require_GET
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    user = _user(request)
    note = access_note(user, note_id)
    _read(user, note, "editor" if _editable(user, note) else "note")
    return render(request, "charting/note_detail.html", _note_context(user, note))


def _posted(request: HttpRequest, note: Note) -> dict[str, Any] | None:
    """The editor's form as note changes, or None when the request is not the editor's form."""
    if request.POST.get("editor") != "1":
        return None
    template = services.template_for(note.discipline)
    return widgets.parse_changes(template, dict(request.POST.lists()))


def _autosave_answer(
    request: HttpRequest, note: Note, changes: dict[str, Any] | None, errors: Errors, status: int
) -> HttpResponse:
    template = services.template_for(note.discipline)
    source = changes or {}
    data = source.get("data")
    fields = widgets.editor_widgets(template, data if isinstance(data, dict) else {}, errors)
    soap_fields = widgets.soap_widgets(template, source, errors)
    body_errors, general = widgets.leftover_messages([*fields, *soap_fields], errors)
    context = {
        "saved": status == 200,
        "saved_at": timezone.localtime(),
        "general": general,
        "body_errors": body_errors,
        "widgets": widgets.all_widgets([*fields, *soap_fields]) if changes is not None else [],
        "oob": changes is not None,
        "missing": widgets.describe(template, selectors.note_missing_fields(note)) if status == 200 else None,
        # The safety panel follows what the saved draft documents.
        "note": note,
        "safety": note_safety_review(_user(request), note) if status == 200 and changes is not None else None,
    }
    return render(request, "charting/_autosave.html", context, status=status)


@login_required
@require_POST
def note_autosave(request: HttpRequest, note_id: int) -> HttpResponse:
    """The editor's autosave (htmx): a status line, and the messages beside the fields (out of band)."""
    user = _user(request)
    note = access_note(user, note_id)
    changes = _posted(request, note)
    try:
        if changes is None:
            services.note_save_draft(actor=user, note=note, changes={})  # the author and draft checks
            raise ValidationError(
                {"__all__": "This form could not be read: reload the page, nothing was saved."}
            )
        note = services.note_save_draft(actor=user, note=note, changes=changes)
    except ValidationError as exc:
        return _autosave_answer(request, note, changes, _errors_of(exc), 422)
    return _autosave_answer(request, note, changes, {}, 200)


@login_required
@require_POST
def note_sign(request: HttpRequest, note_id: int) -> HttpResponse:
    """Save what the editor holds, then sign with the full checks; a refusal shows the editor again with the
    messages beside the fields and everything as typed."""
    user = _user(request)
    note = access_note(user, note_id)
    changes = _posted(request, note)
    try:
        if changes is not None:
            services.note_save_draft(actor=user, note=note, changes=changes)
        services.note_sign(actor=user, note=note)
    except ValidationError as exc:
        note = access_note(user, note_id)
        context = _note_context(user, note, posted=changes, errors=_errors_of(exc))
        if not context["editable"]:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("note_detail", note.pk)
        return render(request, "charting/note_detail.html", context, status=422)
    messages.success(
        request, "Note signed." + (" It now waits for the co-signature." if note.needs_cosign else "")
    )
    return redirect("note_detail", note.pk)


@login_required
@require_POST
def note_cosign(request: HttpRequest, note_id: int) -> HttpResponse:
    user = _user(request)
    note = access_note(user, note_id)
    try:
        services.note_cosign(actor=user, note=note)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, f"Co-signed {note.patient.full_name}'s {note.get_discipline_display()} note."
        )
    if request.POST.get("next") == "queue":
        return redirect("cosign_queue")
    return redirect("note_detail", note.pk)


@login_required
@require_POST
def note_addendum_add(request: HttpRequest, note_id: int) -> HttpResponse:
    """Add an addendum to a signed note; "Add and sign" signs it in the same step."""
    user = _user(request)
    note = access_note(user, note_id)
    text = request.POST.get("text", "")
    try:
        addendum = services.addendum_add(actor=user, note=note, text=text)
        if request.POST.get("sign") == "1":
            services.addendum_sign(actor=user, addendum=addendum)
    except ValidationError as exc:
        context = _note_context(user, note, addendum_text=text, addendum_errors=exc.messages)
        return render(request, "charting/note_detail.html", context, status=422)
    messages.success(request, "Addendum signed." if addendum.is_signed else "Addendum saved as a draft.")
    return redirect("note_detail", note.pk)


@login_required
@require_POST
def addendum_sign(request: HttpRequest, addendum_id: int) -> HttpResponse:
    user = _user(request)
    addendum = access_addendum(user, addendum_id)
    try:
        services.addendum_sign(actor=user, addendum=addendum)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Addendum signed.")
    return redirect("note_detail", addendum.note_id)


def _flashed(request: HttpRequest, exc: ValidationError, response: HttpResponse) -> HttpResponse:
    for message in exc.messages:
        messages.error(request, message)
    return response


@login_required
@require_POST
def note_override(request: HttpRequest, note_id: int) -> HttpResponse:
    """The supervising clinician records, with a reason, the override of the precautions a draft raises; its
    author can then sign. A refusal (not the supervisor, no reason, a contraindication) shows the note again
    with the message beside the reason, as typed."""
    user = _user(request)
    note = access_note(user, note_id)
    reason = request.POST.get("reason", "")
    try:
        services.note_override_precaution(actor=user, note=note, reason=reason)
    except ValidationError as exc:
        context = _note_context(user, note, override_reason=reason, override_errors=exc.messages)
        if not context["safety"].may_override:  # no form to show the message beside
            return _flashed(request, exc, redirect("note_detail", note.pk))
        return render(request, "charting/note_detail.html", context, status=422)
    who = "You" if note.author_id == user.pk else note.author.display_name
    messages.success(request, f"Override recorded. {who} can now sign the note.")
    return redirect("note_detail", note.pk)


@login_required
@require_POST
def encounter_cancel(request: HttpRequest, encounter_id: int) -> HttpResponse:
    """The treating practitioner calls off a visit that did not go ahead (cancelled, or entered in error),
    with a reason; refused once a note of it is signed."""
    user = _user(request)
    encounter = access_encounter(user, encounter_id)
    reason, kind = request.POST.get("reason", ""), request.POST.get("kind", "")
    note = encounter.notes.order_by("pk").filter(author=user).first()
    note = note or encounter.notes.order_by("pk").first()
    try:
        services.encounter_cancel(actor=user, encounter=encounter, reason=reason, kind=kind)
    except ValidationError as exc:
        if note is None:
            return _flashed(request, exc, redirect("appointment_detail", encounter.appointment_id))
        note = access_note(user, note.pk)
        context = _note_context(
            user, note, cancel_reason=reason, cancel_kind=kind, cancel_errors=exc.messages
        )
        if not context["may_cancel"]:  # no form to show the message beside
            return _flashed(request, exc, redirect("note_detail", note.pk))
        return render(request, "charting/note_detail.html", context, status=422)
    done = "cancelled" if kind == "cancelled" else "entered in error"
    messages.success(request, f"Visit {done}; its appointment was updated.")
    if note is None:
        return redirect("appointment_detail", encounter.appointment_id)
    return redirect("note_detail", note.pk)


@login_required
@require_GET
def cosign_queue(request: HttpRequest) -> HttpResponse:
    """Notes waiting for the signed-in DC's or PT's co-signature."""
    user = _user(request)
    if not user.is_clinician or user.practitioner.discipline not in EDITING_DISCIPLINES:
        raise Http404("No co-sign queue.")
    notes = list(selectors.cosign_queue_for(user))
    if notes:
        audit_read_many(
            actor=user,
            object_type="Note",
            object_id="cosign-queue",
            patient_ids=sorted({n.patient_id for n in notes}),
            detail="co-sign queue",
        )
    return render(request, "charting/cosign_queue.html", {"notes": notes})
