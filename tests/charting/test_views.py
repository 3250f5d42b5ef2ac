"""The note editor through its pages (issue #5 item 7): maya documents Nora's massage visit, autosaves, signs;
alice co-signs from her queue; the signed note refuses every change; addenda; everybody else gets 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.charting import field_widgets
from tandem.charting.models import Addendum, Encounter, Note, NoteStatus
from tandem.charting.note_fields import FieldError
from tandem.charting.services import SIGNED_MESSAGE, template_for

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def editor_form(fields: dict[str, Any], marks: list[dict[str, str]], soap: dict[str, str]) -> dict[str, Any]:
    """The editor's form as a browser posts it (names as charting/_widget.html writes them)."""
    form: dict[str, Any] = {"editor": "1", "body_marks": json.dumps(marks), **soap}
    for key, value in fields.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                form[f"data.{key}.{index}._row"] = "1"
                for sub, cell in row.items():
                    form[f"data.{key}.{index}.{sub}"] = str(cell)
        elif isinstance(value, list):
            form[f"data.{key}"] = value
        else:
            form[f"data.{key}"] = str(value)
    return form


@pytest.fixture
def started(maya, nora, nora_massage, checked_in) -> Note:
    """maya presses "Document this visit" on Nora's checked-in massage appointment."""
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    client = client_for(maya)
    page = client.get(f"/appointments/{appointment.pk}/")
    assert "Document this visit" in page.content.decode()
    response = client.post(f"/appointments/{appointment.pk}/document")
    note = Note.objects.get(encounter__appointment=appointment)
    assert response.status_code == 302
    assert response["Location"] == f"/notes/{note.pk}/"
    return note


def test_it_documents_autosaves_signs_and_cosigns_a_massage_visit(
    started, maya, alice, massage_fields, trigger_marks, soap
):
    note = started
    as_maya = client_for(maya)
    page = as_maya.get(f"/notes/{note.pk}/").content.decode()
    assert 'id="note-editor"' in page
    assert 'name="data.techniques.2.technique"' in page  # prefilled from the plan's three techniques
    assert 'hx-trigger="change delay:800ms' in page

    form = editor_form(massage_fields, trigger_marks, soap)
    saved = as_maya.post(f"/notes/{note.pk}/autosave", form)
    assert saved.status_code == 200
    assert "Draft saved" in saved.content.decode()
    note.refresh_from_db()
    assert [(t["technique"], t["minutes"]) for t in note.data["techniques"]] == [
        ("massage-swedish", 20),
        ("massage-myofascial-release", 15),
        ("massage-trigger-point", 10),
    ]
    assert note.body_marks == [
        {"site": "shoulder-left", "kind": "trigger-point", "view": "back", "note": "Upper trapezius"},
        {"site": "thoracic", "kind": "trigger-point", "view": "back"},
        {"site": "cervical", "kind": "pain", "view": "back"},
    ]
    assert note.subjective == soap["subjective"]
    # The reloaded editor holds what was saved.
    reloaded = as_maya.get(f"/notes/{note.pk}/").content.decode()
    assert "Upper trapezius" in reloaded and soap["plan"] in reloaded

    signed = as_maya.post(f"/notes/{note.pk}/sign", form)
    assert signed.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.FINAL and note.awaits_cosign

    as_alice = client_for(alice)
    queue = as_alice.get("/cosign/").content.decode()
    assert "Nora Quinn" in queue and f"/notes/{note.pk}/cosign" in queue
    read_only = as_alice.get(f"/notes/{note.pk}/").content.decode()
    assert 'id="cosign-note"' in read_only and "note-editor" not in read_only
    assert as_alice.post(f"/notes/{note.pk}/cosign", {"next": "queue"})["Location"] == "/cosign/"
    note.refresh_from_db()
    assert note.cosigned_by == alice
    after = as_alice.get("/cosign/").content.decode()
    assert "Co-signed Nora Quinn" in after and f"/notes/{note.pk}/cosign" not in after
    final = as_maya.get(f"/notes/{note.pk}/").content.decode()
    assert "Co-signed by" in final and "Alice" in final
    assert "note-editor" not in final and "Sign note" not in final


def test_it_keeps_a_refused_autosave_as_typed_with_messages_beside_the_fields(
    started, maya, massage_fields, trigger_marks, soap
):
    note = started
    before = Note.objects.get(pk=note.pk).data
    fields = {**massage_fields, "techniques": [{"technique": "massage-swedish", "minutes": "twenty"}]}
    answer = client_for(maya).post(f"/notes/{note.pk}/autosave", editor_form(fields, trigger_marks, soap))
    body = answer.content.decode()
    assert answer.status_code == 422
    assert "Not saved" in body and "What you typed is still here" in body
    assert 'id="err-data-techniques-0-minutes" hx-swap-oob="true"><li>Enter a whole number.</li>' in body
    assert Note.objects.get(pk=note.pk).data == before


def test_it_refuses_to_sign_an_incomplete_note_with_messages_beside_the_fields(
    started, maya, massage_fields, trigger_marks, soap
):
    note = started
    fields = {**massage_fields, "nprs_after": ""}
    form = editor_form(fields, trigger_marks, {**soap, "subjective": ""})
    answer = client_for(maya).post(f"/notes/{note.pk}/sign", form)
    page = answer.content.decode()
    assert answer.status_code == 422
    assert 'id="err-subjective"><li>Required before signing.</li>' in page
    assert 'id="err-data-nprs_after"><li>Required before signing.</li>' in page
    assert soap["plan"] in page  # kept as typed
    assert Note.objects.get(pk=note.pk).status == NoteStatus.PRELIMINARY


def test_a_signed_note_refuses_an_autosave_and_changes_nothing(
    signed_massage_note, maya, massage_fields, trigger_marks, soap
):
    note = signed_massage_note
    before = Note.objects.filter(pk=note.pk).values().get()
    form = editor_form({**massage_fields, "response": "Changed afterwards"}, trigger_marks, soap)
    as_maya = client_for(maya)
    answer = as_maya.post(f"/notes/{note.pk}/autosave", form)
    assert answer.status_code == 422
    assert SIGNED_MESSAGE in answer.content.decode()
    assert as_maya.post(f"/notes/{note.pk}/sign", form).status_code == 302
    assert as_maya.post(f"/notes/{note.pk}/autosave", {"subjective": "x"}).status_code == 422
    assert Note.objects.filter(pk=note.pk).values().get() == before


def test_it_adds_and_signs_an_addendum(signed_massage_note, maya):
    note = signed_massage_note
    as_maya = client_for(maya)
    refused = as_maya.post(f"/notes/{note.pk}/addenda", {"text": "  ", "sign": "1"})
    assert refused.status_code == 422 and "Write the addendum." in refused.content.decode()
    assert not Addendum.objects.filter(note=note).exists()

    as_maya.post(
        f"/notes/{note.pk}/addenda", {"text": "Patient called: soreness gone next day.", "sign": "0"}
    )
    draft = Addendum.objects.get(note=note)
    assert not draft.is_signed
    assert as_maya.post(f"/addenda/{draft.pk}/sign").status_code == 302
    draft.refresh_from_db()
    assert draft.is_signed and draft.signed_by == maya
    page = as_maya.get(f"/notes/{note.pk}/").content.decode()
    assert "soreness gone next day" in page and "Signed by Maya" in page


def test_the_chart_shows_the_visit_timeline(signed_massage_note, alice, dana, nora):
    page = client_for(alice).get(f"/patients/{nora.pk}/").content.decode()
    assert f"/notes/{signed_massage_note.pk}/" in page
    assert "Awaiting co-signature" in page and "Body map over time" in page
    front_desk = client_for(dana).get(f"/patients/{nora.pk}/")
    assert front_desk.status_code == 200 and "/notes/" not in front_desk.content.decode()


@pytest.mark.parametrize("persona", ["ben", "dana", "outsider"])
def test_everyone_off_the_care_team_gets_404(signed_massage_note, personas, persona, soap):
    note = signed_massage_note
    addendum = Addendum.objects.create(note=note, author=note.author, text="Draft")
    client = client_for(personas[persona])
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    for url in ("autosave", "sign", "cosign", "addenda"):
        assert client.post(f"/notes/{note.pk}/{url}", {"editor": "1", **soap}).status_code == 404
    assert client.post(f"/addenda/{addendum.pk}/sign").status_code == 404
    assert Note.objects.get(pk=note.pk).cosigned_at is None
    assert not Addendum.objects.get(pk=addendum.pk).is_signed


def test_only_the_treating_practitioner_documents_a_visit(maya, alice, dana, nora, nora_massage, checked_in):
    appointment = checked_in(nora, maya, "Massage 1", nora_massage)
    for user in (alice, dana):
        response = client_for(user).post(f"/appointments/{appointment.pk}/document", follow=True)
        assert "Only the practitioner treating this visit may document it." in response.content.decode()
    assert not Encounter.objects.filter(appointment=appointment).exists()
    assert (
        "Document this visit"
        not in client_for(alice).get(f"/appointments/{appointment.pk}/").content.decode()
    )


def test_it_audits_the_reads(started, maya):
    client_for(maya).get(f"/notes/{started.pk}/")
    assert AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="Note", object_id=str(started.pk), actor_id=maya.pk
    ).exists()


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({}, {"techniques": [], "trigger_points": [], "body_sites": []}),
        (
            {
                "data.techniques.3._row": ["1"],
                "data.techniques.1.minutes": ["5"],
                "data.techniques.1._row": ["1"],
            },
            {"techniques": [{"minutes": "5"}, {}], "trigger_points": [], "body_sites": []},
        ),
        (
            {"data.body_sites": ["thoracic", " ", "lumbar"], "data.pressure": ["light"]},
            {
                "techniques": [],
                "trigger_points": [],
                "body_sites": ["thoracic", "lumbar"],
                "pressure": "light",
            },
        ),
    ],
)
def test_the_posted_form_becomes_note_data(form, expected):
    assert field_widgets.parse_data(template_for("massage-therapy"), form) == expected


def test_a_body_map_that_is_not_json_is_handed_to_the_service_as_is():
    changes = field_widgets.parse_changes(template_for("massage-therapy"), {"body_marks": ["[oops"]})
    assert changes["body_marks"] == "[oops"


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("techniques.0.minutes", "Techniques performed, row 1: Minutes"),
        ("pressure", "Pressure"),
        ("subjective", "Subjective"),
        ("techniques", "Techniques performed"),
    ],
)
def test_the_checklist_names_fields_in_the_clinicians_words(path, label):
    problem = FieldError(path, "Required before signing.")
    described = field_widgets.describe(template_for("massage-therapy"), [problem])
    assert described == [field_widgets.Missing(label, "Required before signing.")]
