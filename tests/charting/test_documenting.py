"""Documenting a visit through the services: encounter, note started from the plan, autosave, sign, co-sign,
addenda, late entries (issue #5 items 1, 2 and 4; the acceptance story at service level)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.charting import services
from tandem.charting.models import Addendum, Encounter, EncounterStatus, Note, NoteStatus
from tandem.charting.selectors import (
    body_map_timeline,
    cosign_queue_for,
    last_signed_note,
    note_missing_fields,
    notes_for_patient_timeline,
)
from tandem.charting.signing import content_digest
from tandem.scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db


# The acceptance story -------------------------------------------------------------------------------------


def test_maya_documents_a_massage_alice_co_signs_it_and_then_it_never_changes(
    alice, ben, maya, nora, nora_massage, checked_in, massage_fields, trigger_marks, refused, soap
):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    encounter = services.encounter_start(actor=maya, appointment=appointment)
    assert (encounter.status, encounter.activity, encounter.discipline) == (
        EncounterStatus.IN_PROGRESS,
        nora_massage,
        "massage-therapy",
    )

    # The note starts from the plan's order: nothing typed twice.
    note = services.note_start(actor=maya, encounter=encounter)
    assert note.data["techniques"] == [
        {"technique": "massage-swedish"},
        {"technique": "massage-myofascial-release"},
        {"technique": "massage-trigger-point"},
    ]
    assert (note.data["body_sites"], note.data["pressure"]) == (["thoracic", "shoulder-left"], "moderate")
    assert (note.template_code, note.template_version, note.status) == (
        "massage-soap",
        "2026.1",
        "preliminary",
    )

    note = services.note_save_draft(
        actor=maya, note=note, changes={"data": massage_fields, "body_marks": trigger_marks, **soap}
    )
    assert [(t["technique"], t["minutes"]) for t in note.data["techniques"]] == [
        ("massage-swedish", 20),
        ("massage-myofascial-release", 15),
        ("massage-trigger-point", 10),
    ]
    assert [m["kind"] for m in note.body_marks] == ["trigger-point", "trigger-point", "pain"]
    services.encounter_finish(actor=maya, encounter=encounter)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.FULFILLED

    note = services.note_sign(actor=maya, note=note)
    assert note.status == NoteStatus.FINAL and note.signed_by == maya and note.signed_at is not None
    assert note.needs_cosign and note.cosigner == alice.practitioner and note.cosigned_at is None
    assert note.digest == content_digest(note.signed_content()) and len(note.digest) == 64
    assert not note.late_entry

    # It waits in alice's co-sign queue, nobody else's.
    assert list(cosign_queue_for(alice)) == [note]
    assert list(cosign_queue_for(ben)) == [] and list(cosign_queue_for(maya)) == []

    services.note_cosign(actor=alice, note=note)
    note.refresh_from_db()
    assert note.cosigned_by == alice and note.cosigned_at is not None
    assert list(cosign_queue_for(alice)) == []

    # Editing afterwards through a service is refused with a message, and nothing changes.
    errors = refused(services.note_save_draft, actor=maya, note=note, changes={"subjective": "Changed"})
    assert errors == {"__all__": [services.SIGNED_MESSAGE]}
    assert refused(services.note_sign, actor=maya, note=note) == {"__all__": [services.SIGNED_MESSAGE]}
    note.refresh_from_db()
    assert note.subjective == soap["subjective"] and note.digest == content_digest(note.signed_content())

    # A correction is an addendum, signed in turn.
    addendum = services.addendum_add(actor=maya, note=note, text="Trigger point in rhomboid also released.")
    addendum = services.addendum_sign(actor=maya, addendum=addendum)
    assert addendum.is_signed and addendum.signed_by == maya
    assert addendum.digest == content_digest(addendum.signed_content(note.digest))
    assert list(note.addenda.all()) == [addendum]

    trail = AuditEvent.objects.filter(patient_id=nora.pk, object_type__in=["Encounter", "Note", "Addendum"])
    details = " | ".join(trail.order_by("sequence").values_list("detail", flat=True))
    for step in ("started visit", "started massage-soap", "draft saved", "signed massage-soap", "co-signed"):
        assert step in details
    assert "awaiting co-signature by practitioner" in details and "signed addendum" in details


# Encounters -----------------------------------------------------------------------------------------------


def test_it_starts_an_encounter_once_and_only_for_the_treating_practitioner(
    alice, maya, nora, nora_massage, checked_in, refused
):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    errors = refused(services.encounter_start, actor=alice, appointment=appointment)
    assert errors == {"__all__": ["Only the practitioner treating this visit may document it."]}
    first = services.encounter_start(actor=maya, appointment=appointment)
    again = services.encounter_start(actor=maya, appointment=appointment)
    assert first.pk == again.pk and Encounter.objects.filter(appointment=appointment).count() == 1
    assert AuditEvent.objects.filter(object_type="Encounter", action="C").count() == 1


def test_it_refuses_to_start_a_visit_before_check_in(maya, dana, nora, nora_massage, checked_in, refused):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    from tandem.scheduling.services import appointment_set_status

    appointment_set_status(actor=dana, appointment=appointment, to="booked")  # check-in undone
    errors = refused(services.encounter_start, actor=maya, appointment=appointment)
    assert errors == {"appointment": ["Start a visit once the patient is checked in; this one is booked."]}
    assert not Encounter.objects.exists()


def test_finishing_is_for_the_treating_practitioner_and_idempotent(
    alice, maya, nora, nora_massage, checked_in, refused
):
    encounter = services.encounter_start(
        actor=maya, appointment=checked_in(nora, maya, "Massage 1", nora_massage)
    )
    refused(services.encounter_finish, actor=alice, encounter=encounter)
    finished = services.encounter_finish(actor=maya, encounter=encounter)
    assert finished.status == EncounterStatus.FINISHED and finished.ended_at >= finished.started_at
    assert services.encounter_finish(actor=maya, encounter=encounter).ended_at == finished.ended_at


# Notes ----------------------------------------------------------------------------------------------------


def test_only_the_treating_practitioner_starts_the_note_and_only_once(
    alice, maya, nora, nora_massage, checked_in, refused
):
    encounter = services.encounter_start(
        actor=maya, appointment=checked_in(nora, maya, "Massage 1", nora_massage)
    )
    refused(services.note_start, actor=alice, encounter=encounter)
    note = services.note_start(actor=maya, encounter=encounter)
    assert services.note_start(actor=maya, encounter=encounter).pk == note.pk
    assert Note.objects.count() == 1


def test_autosave_keeps_an_incomplete_draft_but_refuses_wrong_types_field_by_field(
    maya, nora, nora_massage, checked_in, refused
):
    encounter = services.encounter_start(
        actor=maya, appointment=checked_in(nora, maya, "Massage 1", nora_massage)
    )
    note = services.note_start(actor=maya, encounter=encounter)
    partial = services.note_save_draft(
        actor=maya, note=note, changes={"data": {"nprs_before": "7"}, "subjective": "  Sore neck  "}
    )
    assert partial.data == {"nprs_before": 7} and partial.subjective == "Sore neck"
    errors = refused(
        services.note_save_draft,
        actor=maya,
        note=note,
        changes={
            "data": {
                "techniques": [
                    {"technique": "massage-swedish", "minutes": "twenty"},
                    {"technique": "chiro-hvla", "minutes": 500},
                ],
                "nprs_after": 11,
                "pressure": "crushing",
                "colour": "blue",
            },
            "body_marks": [{"site": "tail", "kind": "pain", "view": "side"}],
        },
    )
    assert errors == {
        "colour": ["Not a field of the medical massage visit template."],
        "techniques.0.minutes": ["Enter a whole number."],
        "techniques.1.technique": ["“chiro-hvla” is not one of the choices for technique."],
        "techniques.1.minutes": ["Enter a whole number from 1 to 120 min."],
        "pressure": ["“crushing” is not one of the choices for pressure."],
        "nprs_after": ["Pain (NPRS) is a whole number from 0 to 10."],
        "body_marks.0.site": ["“tail” is not a body site of the map."],
        "body_marks.0.view": ["Mark the front or the back of the figure."],
    }
    note.refresh_from_db()
    assert note.data == {"nprs_before": 7} and note.body_marks == []
    assert refused(services.note_save_draft, actor=maya, note=note, changes={"author": 1}) == {
        "author": ["This field cannot be set here."]
    }


def test_signing_wants_every_required_field_and_names_each_missing_one(
    maya, nora, nora_massage, checked_in, refused
):
    encounter = services.encounter_start(
        actor=maya, appointment=checked_in(nora, maya, "Massage 1", nora_massage)
    )
    note = services.note_start(actor=maya, encounter=encounter)
    note = services.note_save_draft(
        actor=maya, note=note, changes={"data": {**note.data, "nprs_before": 5}, "subjective": "Better"}
    )
    errors = refused(services.note_sign, actor=maya, note=note)
    assert errors == {
        "techniques.0.minutes": ["Required before signing."],
        "techniques.1.minutes": ["Required before signing."],
        "techniques.2.minutes": ["Required before signing."],
        "nprs_after": ["Required before signing."],
        "response": ["Required before signing."],
        "objective": ["Required before signing."],
        "assessment": ["Required before signing."],
        "plan": ["Required before signing."],
    }
    assert {(p.path, p.message) for p in note_missing_fields(note)} == {
        (path, messages[0]) for path, messages in errors.items()
    }
    note.refresh_from_db()
    assert note.status == NoteStatus.PRELIMINARY and note.digest == ""


def test_only_the_author_saves_or_signs_a_draft(alice, maya, nora, nora_massage, documented, refused):
    note = documented(nora, nora_massage)
    message = {"__all__": ["Only the note's author may change or sign it."]}
    assert refused(services.note_save_draft, actor=alice, note=note, changes={"plan": "x"}) == message
    assert refused(services.note_sign, actor=alice, note=note) == message


def test_a_new_note_carries_forward_home_care_from_the_last_signed_note(
    maya, nora, nora_massage, documented, checked_in
):
    first = services.note_sign(actor=maya, note=documented(nora, nora_massage))
    encounter = services.encounter_start(
        actor=maya, appointment=checked_in(nora, maya, "Massage 2", nora_massage)
    )
    second = services.note_start(actor=maya, encounter=encounter)
    assert second.data["home_care"] == first.data["home_care"]
    assert [t["technique"] for t in second.data["techniques"]] == nora_massage.techniques  # from the order
    assert "nprs_before" not in second.data and second.subjective == ""  # visit findings are not copied
    assert last_signed_note(nora, "massage-therapy") == first
    event = AuditEvent.objects.filter(object_type="Note", object_id=str(second.pk), action="C").get()
    assert f"plan activity {nora_massage.pk}" in event.detail and f"note {first.pk}" in event.detail


def test_a_physical_therapy_note_carries_forward_the_exercises_and_needs_no_co_signature(
    ben, other_patient, checked_in, refused, soap
):
    def visit() -> Note:
        encounter = services.encounter_start(
            actor=ben, appointment=checked_in(other_patient, ben, "Gym floor")
        )
        return services.note_start(actor=ben, encounter=encounter)

    note = visit()
    assert note.data == {}  # no plan activity, no earlier note
    fields = {
        "techniques": [
            {"technique": "pt-therapeutic-exercise", "minutes": 33, "body_sites": ["lumbar"]},
            {"technique": "pt-manual-therapy", "minutes": 7},
        ],
        "exercises": [{"name": "Bird dog", "sets": 3, "repetitions": 10, "load": 0}],
        "rom": [{"site": "hip-left", "movement": "flexion", "degrees": 105}],
        "strength": [{"muscle_group": "Gluteus medius", "side": "left", "grade": 4}],
        "home_exercise_changes": "Add side plank 3 x 20 s.",
    }
    note = services.note_save_draft(actor=ben, note=note, changes={"data": fields, **soap})
    bad = refused(
        services.note_save_draft,
        actor=ben,
        note=note,
        changes={"data": {**fields, "strength": [{"muscle_group": "Quadriceps", "grade": 6}]}},
    )
    assert bad == {"strength.0.grade": ["Enter a whole number from 0 to 5."]}
    signed = services.note_sign(actor=ben, note=note)
    assert not signed.needs_cosign and signed.cosigner is None
    assert list(cosign_queue_for(ben)) == []
    later = visit()
    assert later.data == {
        "exercises": fields["exercises"],
        "home_exercise_changes": fields["home_exercise_changes"],
    }


# Co-signature ---------------------------------------------------------------------------------------------


def test_only_the_plans_supervising_clinician_co_signs(
    alice, ben, maya, patient, robert_massage, documented, refused
):
    light = {
        "techniques": [{"technique": "massage-swedish", "minutes": 40}],
        "body_sites": ["thoracic"],
        "pressure": "light",
        "nprs_before": 5,
        "nprs_after": 3,
        "response": "Relaxed",
    }
    note = services.note_sign(actor=maya, note=documented(patient, robert_massage, light))
    message = {"__all__": ["Only the supervising clinician (Dr Alice Moreau, DC) may co-sign this note."]}
    assert refused(services.note_cosign, actor=ben, note=note) == message  # on the team, not the supervisor
    assert refused(services.note_cosign, actor=maya, note=note) == message
    services.note_cosign(actor=alice, note=note)
    assert refused(services.note_cosign, actor=alice, note=note) == {
        "__all__": ["This note is already co-signed."]
    }


def test_a_draft_cannot_be_co_signed_or_amended(alice, maya, nora, nora_massage, documented, refused):
    note = documented(nora, nora_massage)
    assert "author signs it first" in refused(services.note_cosign, actor=alice, note=note)["__all__"][0]
    assert "still a draft" in refused(services.addendum_add, actor=maya, note=note, text="x")["__all__"][0]


# Addenda --------------------------------------------------------------------------------------------------


def test_addenda_come_from_the_author_or_the_supervisor_and_are_sealed_when_signed(
    alice, ben, maya, patient, robert_massage, documented, refused
):
    light = {
        "techniques": [{"technique": "massage-swedish", "minutes": 30}],
        "body_sites": ["thoracic"],
        "pressure": "light",
        "nprs_before": 4,
        "nprs_after": 2,
        "response": "Good",
    }
    note = services.note_sign(actor=maya, note=documented(patient, robert_massage, light))
    assert (
        "author or supervising"
        in refused(services.addendum_add, actor=ben, note=note, text="x")["__all__"][0]
    )
    assert refused(services.addendum_add, actor=maya, note=note, text="   ") == {
        "text": ["Write the addendum."]
    }
    by_alice = services.addendum_add(actor=alice, note=note, text="Reviewed: pressure appropriate.")
    assert (
        "Only the addendum's author"
        in refused(services.addendum_sign, actor=maya, addendum=by_alice)["__all__"][0]
    )
    by_alice = services.addendum_update(
        actor=alice, addendum=by_alice, text="Reviewed: light pressure right."
    )
    signed = services.addendum_sign(actor=alice, addendum=by_alice)
    errors = refused(services.addendum_update, actor=alice, addendum=signed, text="Changed")
    assert errors == {"__all__": ["This addendum is signed and never changes; add another one."]}
    assert Addendum.objects.get(pk=signed.pk).text == "Reviewed: light pressure right."


# Late entries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours_ago", "late"), [(1, False), (23, False), (25, True), (72, True)], ids=["1h", "23h", "25h", "3d"]
)
def test_a_note_signed_more_than_a_day_after_the_visit_is_a_late_entry(
    maya, nora, nora_massage, documented, hours_ago, late
):
    assert services.LATE_ENTRY_AFTER == datetime.timedelta(hours=24)
    note = documented(nora, nora_massage)
    ended = timezone.now() - datetime.timedelta(hours=hours_ago)
    Encounter.objects.filter(pk=note.encounter_id).update(
        status=EncounterStatus.FINISHED, started_at=ended - datetime.timedelta(hours=1), ended_at=ended
    )
    signed = services.note_sign(actor=maya, note=note)
    assert signed.late_entry is late
    detail = AuditEvent.objects.get(
        object_type="Note", object_id=str(note.pk), detail__startswith="signed"
    ).detail
    assert ("late entry" in detail) is late


def test_an_unfinished_visit_counts_from_its_appointments_end(maya, nora, nora_massage, documented):
    note = documented(nora, nora_massage)
    encounter = Encounter.objects.select_related("appointment").get(pk=note.encounter_id)
    assert encounter.ended_at is None
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    type(encounter.appointment).objects.filter(pk=encounter.appointment_id).update(
        starts_at=two_days_ago - datetime.timedelta(minutes=45), ends_at=two_days_ago
    )
    assert services.note_sign(actor=maya, note=note).late_entry


# Selectors ------------------------------------------------------------------------------------------------


def test_the_timeline_shows_signed_notes_of_every_discipline_and_only_the_viewers_drafts(
    alice, ben, maya, patient, robert_massage, documented, checked_in
):
    light = {
        "techniques": [{"technique": "massage-swedish", "minutes": 30}],
        "body_sites": ["thoracic"],
        "pressure": "light",
        "nprs_before": 4,
        "nprs_after": 2,
        "response": "Good",
    }
    massage = services.note_sign(actor=maya, note=documented(patient, robert_massage, light))
    encounter = services.encounter_start(actor=ben, appointment=checked_in(patient, ben, "Gym floor"))
    draft = services.note_save_draft(
        actor=ben,
        note=services.note_start(actor=ben, encounter=encounter),
        changes={"body_marks": [{"site": "lumbar", "kind": "pain", "view": "back"}]},
    )
    assert list(notes_for_patient_timeline(patient, viewer=alice)) == [massage]
    assert list(notes_for_patient_timeline(patient, viewer=ben)) == [draft, massage]
    timeline = body_map_timeline(patient)
    assert [(entry.note, entry.discipline) for entry in timeline] == [(massage, "massage-therapy")]
    assert [m["site"] for m in timeline[0].marks] == ["shoulder-left", "thoracic", "cervical"]
