"""A visit that does not go ahead after check-in (issue #5): the patient leaves before treatment (cancelled),
or the visit was opened on the wrong appointment (entered in error). maya calls off Nora's massage visit; its
draft is kept as entered-in-error, its appointment moves as scheduling allows, everything is audited; once a
note is signed, only an addendum may correct it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tandem.accounts.models import User
from tandem.audit.models import AuditEvent
from tandem.charting import selectors, services
from tandem.charting.models import Encounter, EncounterStatus, Note, NoteStatus
from tandem.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db

LEFT = "Patient felt faint in the waiting room and went home before treatment."


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def draft(nora, nora_massage, documented) -> Note:
    """maya's complete, unsigned note of Nora's checked-in massage visit."""
    return documented(nora, nora_massage)


def state(note: Note) -> tuple[str, str, str, str]:
    """(encounter, note, appointment) statuses and the encounter's reason, as stored."""
    encounter = Encounter.objects.select_related("appointment").get(pk=note.encounter_id)
    return (
        encounter.status,
        Note.objects.get(pk=note.pk).status,
        encounter.appointment.status,
        encounter.cancel_reason,
    )


def details(object_type: str, object_id: int) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
        .order_by("pk")
        .values_list("detail", flat=True)
    )


# Services -------------------------------------------------------------------------------------------------


def test_it_cancels_a_visit_the_patient_left_before_treatment(maya, draft):
    encounter = services.encounter_cancel(
        actor=maya, encounter=draft.encounter, reason=f"  {LEFT} ", kind="cancelled"
    )
    assert state(draft) == ("cancelled", "entered-in-error", "cancelled", LEFT)
    assert encounter.cancelled_by == maya and encounter.ended_at is not None
    appointment = Appointment.objects.get(pk=encounter.appointment_id)
    assert (appointment.cancel_reason, appointment.cancelled_by) == (LEFT, maya)
    # Scheduling has no move from checked in to cancelled: the check-in is undone first, both audited.
    assert details("Appointment", appointment.pk)[-2:] == [
        "status arrived -> booked",
        f"status booked -> cancelled: {LEFT}",
    ]
    assert details("Encounter", encounter.pk)[-1] == f"visit cancelled: {LEFT}"
    assert details("Note", draft.pk)[-1] == "draft entered in error: visit cancelled"


def test_a_visit_opened_on_the_wrong_appointment_is_entered_in_error(maya, draft):
    reason = "Opened on Nora's appointment; the patient on the table was someone else."
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=reason, kind="entered-in-error")
    assert state(draft) == ("entered-in-error", "entered-in-error", "entered-in-error", reason)
    assert details("Appointment", draft.encounter.appointment_id)[-1] == (
        f"status arrived -> entered-in-error: {reason}"
    )


def test_a_visit_without_a_note_yet_can_be_called_off(maya, nora, nora_massage, checked_in):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    encounter = services.encounter_start(actor=maya, appointment=appointment)
    services.encounter_cancel(actor=maya, encounter=encounter, reason=LEFT)
    assert Encounter.objects.get(pk=encounter.pk).status == EncounterStatus.CANCELLED
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


def test_it_is_refused_once_a_note_is_signed(maya, signed_massage_note, refused):
    note = signed_massage_note
    before = state(note)
    errors = refused(services.encounter_cancel, actor=maya, encounter=note.encounter, reason=LEFT)
    assert errors == {
        "__all__": [
            "A note of this visit is signed, so the visit took place and stays on record; "
            "write an addendum instead."
        ]
    }
    assert state(note) == before == ("in-progress", "final", "arrived", "")


@pytest.mark.parametrize(
    ("reason", "kind", "expected"),
    [
        ("", "cancelled", {"reason": ["Say why the visit did not go ahead."]}),
        ("   ", "entered-in-error", {"reason": ["Say why the visit did not go ahead."]}),
        (None, "cancelled", {"reason": ["Say why the visit did not go ahead."]}),
        ("x" * 301, "cancelled", {"reason": ["Keep the reason under 300 characters."]}),
        (
            LEFT,
            "finished",
            {"kind": ["Say whether the patient left before treatment or the visit was opened in error."]},
        ),
        (
            LEFT,
            "",
            {"kind": ["Say whether the patient left before treatment or the visit was opened in error."]},
        ),
    ],
    ids=["empty", "blank", "none", "too-long", "not-a-kind", "no-kind"],
)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    maya, draft, refused, reason: Any, kind: str, expected: dict[str, list[str]]
):
    before = state(draft)
    events = AuditEvent.objects.count()
    assert (
        refused(services.encounter_cancel, actor=maya, encounter=draft.encounter, reason=reason, kind=kind)
        == expected
    )
    assert state(draft) == before == ("in-progress", "preliminary", "arrived", "")
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["alice", "ben", "dana", "outsider"])
def test_only_the_treating_practitioner_calls_a_visit_off(personas, draft, refused, who: str):
    errors = refused(services.encounter_cancel, actor=personas[who], encounter=draft.encounter, reason=LEFT)
    assert errors == {"__all__": ["Only the practitioner treating this visit may document it."]}
    assert state(draft)[:3] == ("in-progress", "preliminary", "arrived")


def test_a_finished_visit_cannot_be_called_off(maya, draft, refused):
    services.encounter_finish(actor=maya, encounter=draft.encounter)
    errors = refused(services.encounter_cancel, actor=maya, encounter=draft.encounter, reason=LEFT)
    assert errors == {"__all__": ["This visit is finished; it can no longer be called off."]}
    assert state(draft)[:3] == ("finished", "preliminary", "fulfilled")


def test_asked_again_it_answers_the_same_and_a_different_kind_is_refused(maya, draft, refused):
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=LEFT)
    events = AuditEvent.objects.count()
    again = services.encounter_cancel(actor=maya, encounter=draft.encounter, reason="Pressed twice")
    assert again.cancel_reason == LEFT and AuditEvent.objects.count() == events
    errors = refused(
        services.encounter_cancel,
        actor=maya,
        encounter=draft.encounter,
        reason="Wrong appointment",
        kind="entered-in-error",
    )
    assert errors == {"__all__": ["This visit is cancelled; it can no longer be called off."]}


def test_the_retired_draft_can_no_longer_be_changed_or_signed(alice, maya, draft, soap, refused):
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=LEFT)
    retired = {"__all__": [services.RETIRED_MESSAGE]}
    assert refused(services.note_save_draft, actor=maya, note=draft, changes={"plan": "x"}) == retired
    assert refused(services.note_sign, actor=maya, note=draft) == retired
    assert refused(services.note_override_precaution, actor=alice, note=draft, reason="Fine") == retired
    # Starting the visit's note again answers the retired draft; nothing new is written.
    assert services.note_start(actor=maya, encounter=draft.encounter).pk == draft.pk
    assert Note.objects.filter(encounter=draft.encounter).count() == 1


def test_the_database_requires_the_reason_and_keeps_a_retired_draft_unsigned(maya, draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=draft.encounter_id).update(status="cancelled")
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=LEFT)
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.filter(pk=draft.pk).update(digest="0" * 64)
    assert Note.objects.get(pk=draft.pk).status == NoteStatus.ENTERED_IN_ERROR


def test_the_co_sign_queue_and_billing_never_see_a_called_off_visit(alice, maya, draft):
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=LEFT)
    assert list(selectors.cosign_queue_for(alice)) == []
    assert list(selectors.body_map_timeline(draft.patient)) == []


# Pages ----------------------------------------------------------------------------------------------------


def test_the_editor_offers_to_call_the_visit_off_and_the_page_then_says_why(maya, draft):
    as_maya = client_for(maya)
    editor = as_maya.get(f"/notes/{draft.pk}/").content.decode()
    assert 'id="cancel-visit-form"' in editor
    assert f'action="/encounters/{draft.encounter_id}/cancel"' in editor
    assert "The patient left before treatment" in editor and "The visit was opened on the wrong" in editor

    response = as_maya.post(
        f"/encounters/{draft.encounter_id}/cancel", {"kind": "cancelled", "reason": LEFT}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain == [(f"/notes/{draft.pk}/", 302)]
    assert "Visit cancelled; its appointment was updated." in page
    assert 'id="visit-called-off"' in page and "This visit was cancelled" in page
    assert "went home before treatment" in page and "Entered in error" in page
    assert 'id="note-editor"' not in page and 'id="cancel-visit-form"' not in page
    assert "Sign note" not in page
    assert state(draft)[:3] == ("cancelled", "entered-in-error", "cancelled")


def test_a_refused_cancellation_shows_the_message_beside_the_reason(maya, draft):
    response = client_for(maya).post(
        f"/encounters/{draft.encounter_id}/cancel", {"kind": "entered-in-error", "reason": " "}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert '<ul class="field-errors" id="cancel-errors"><li>Say why the visit did not go ahead.</li>' in page
    assert '<details class="card note-section note-cancel" id="cancel-visit" open>' in page
    assert 'value="entered-in-error" checked' in page
    assert 'id="note-editor"' in page  # the editor is still there
    assert state(draft)[:3] == ("in-progress", "preliminary", "arrived")


def test_a_signed_note_has_no_cancel_form_and_a_post_is_refused(maya, signed_massage_note):
    note = signed_massage_note
    as_maya = client_for(maya)
    assert 'id="cancel-visit-form"' not in as_maya.get(f"/notes/{note.pk}/").content.decode()
    response = as_maya.post(
        f"/encounters/{note.encounter_id}/cancel", {"kind": "cancelled", "reason": LEFT}, follow=True
    )
    assert response.redirect_chain == [(f"/notes/{note.pk}/", 302)]
    assert "write an addendum instead" in response.content.decode()
    assert state(note)[:3] == ("in-progress", "final", "arrived")


def test_only_the_treating_practitioner_sees_the_form(alice, draft):
    page = client_for(alice).get(f"/notes/{draft.pk}/").content.decode()
    assert "A draft by" in page and 'id="cancel-visit-form"' not in page
    response = client_for(alice).post(
        f"/encounters/{draft.encounter_id}/cancel", {"kind": "cancelled", "reason": LEFT}, follow=True
    )
    assert response.redirect_chain == [(f"/notes/{draft.pk}/", 302)]
    assert "Only the practitioner treating this visit may document it." in response.content.decode()
    assert state(draft)[0] == "in-progress"


@pytest.mark.parametrize("persona", ["ben", "dana", "outsider"])
def test_everyone_off_the_care_team_gets_404(personas, draft, persona: str):
    response = client_for(personas[persona]).post(
        f"/encounters/{draft.encounter_id}/cancel", {"kind": "cancelled", "reason": LEFT}
    )
    assert response.status_code == 404
    assert state(draft)[:3] == ("in-progress", "preliminary", "arrived")


def test_the_chart_marks_a_called_off_visit(maya, draft, nora):
    services.encounter_cancel(actor=maya, encounter=draft.encounter, reason=LEFT)
    page = client_for(maya).get(f"/patients/{nora.pk}/").content.decode()
    assert f"/notes/{draft.pk}/" in page
    assert '<span class="pill note-status note-status-entered-in-error">Visit cancelled</span>' in page


def test_a_visit_without_a_note_goes_back_to_its_appointment(
    maya, nora, nora_massage, checked_in: Callable[..., Appointment]
):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    encounter = services.encounter_start(actor=maya, appointment=appointment)
    response = client_for(maya).post(
        f"/encounters/{encounter.pk}/cancel", {"kind": "entered-in-error", "reason": "Wrong appointment"}
    )
    assert response.status_code == 302 and response["Location"] == f"/appointments/{appointment.pk}/"
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.ENTERED_IN_ERROR
