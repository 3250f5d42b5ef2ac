"""Visit documentation through the JSON API (issue #5 item 7 and its acceptance): maya documents Nora's
massage visit, alice co-signs, the signed note refuses every change, addenda work; everybody off the care
team gets 404; bad input gets 4xx with the fields named, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditEvent
from tandem.charting import services as charting
from tandem.charting.models import Addendum, Encounter, Note
from tandem.charting.services import SIGNED_MESSAGE
from tandem.safety.models import SafetyOverride

pytestmark = pytest.mark.django_db

API = "/api/v1"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(f"{API}{url}")
    payload = json.dumps(body if body is not None else {})
    return getattr(client, method)(f"{API}{url}", data=payload, content_type="application/json")


def fields_of(response: Any) -> dict[str, list[str]]:
    """The error body as {field: [messages]}, after checking the project's error shape."""
    body = response.json()
    assert set(body) == {"detail", "errors"}, body
    found: dict[str, list[str]] = {}
    for error in body["errors"]:
        found.setdefault(error["field"], []).append(error["message"])
    return found


def stored(note: Note) -> dict[str, Any]:
    """The note's row as the database holds it, every column."""
    return Note.objects.filter(pk=note.pk).values().get()


@pytest.fixture
def appointment(maya, nora, nora_massage, checked_in) -> Any:
    """Nora's massage visit with maya, checked in."""
    return checked_in(nora, maya, "Massage 1", nora_massage)


@pytest.fixture
def api_note(maya, appointment) -> Note:
    """maya's draft note of Nora's visit, started through the API."""
    as_maya = client_for(maya)
    encounter_id = send(as_maya, "post", f"/appointments/{appointment.pk}/encounter").json()["id"]
    note_id = send(as_maya, "post", f"/encounters/{encounter_id}/note").json()["id"]
    return Note.objects.get(pk=note_id)


def test_the_acceptance_story_through_the_api(maya, alice, appointment, massage_fields, trigger_marks, soap):
    as_maya, as_alice = client_for(maya), client_for(alice)

    started = send(as_maya, "post", f"/appointments/{appointment.pk}/encounter")
    assert started.status_code == 201
    visit = started.json()
    assert (visit["status"], visit["discipline"], visit["notes"]) == ("in-progress", "massage-therapy", [])
    again = send(as_maya, "post", f"/appointments/{appointment.pk}/encounter")
    assert (again.status_code, again.json()["id"]) == (200, visit["id"])

    created = send(as_maya, "post", f"/encounters/{visit['id']}/note")
    assert created.status_code == 201
    draft = created.json()
    assert draft["status"] == "preliminary" and draft["editable"] is True
    assert [t["technique"] for t in draft["data"]["techniques"]] == [  # prefilled from the plan's order
        "massage-swedish",
        "massage-myofascial-release",
        "massage-trigger-point",
    ]
    assert {problem["field"] for problem in draft["missing"]} >= {"subjective", "data.nprs_before"}
    assert send(as_maya, "post", f"/encounters/{visit['id']}/note").status_code == 200
    note_url = f"/notes/{draft['id']}"

    saved = send(as_maya, "patch", note_url, {"data": massage_fields, "body_marks": trigger_marks, **soap})
    assert saved.status_code == 200, saved.content
    assert [(t["technique"], t["minutes"]) for t in saved.json()["data"]["techniques"]] == [
        ("massage-swedish", 20),
        ("massage-myofascial-release", 15),
        ("massage-trigger-point", 10),
    ]
    assert [m["kind"] for m in saved.json()["body_marks"]] == ["trigger-point", "trigger-point", "pain"]
    assert saved.json()["missing"] == []

    signed = send(as_maya, "post", f"{note_url}/sign")
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["status"] == "final" and body["signed_by"]["id"] == maya.pk and len(body["digest"]) == 64
    assert body["needs_cosign"] and body["awaits_cosign"] and body["cosigner"]["id"] == alice.practitioner.pk
    assert body["editable"] is False

    queue = send(as_alice, "get", "/cosign-queue").json()
    assert [(n["id"], n["patient"]["name"]) for n in queue] == [(draft["id"], "Nora Quinn")]
    cosigned = send(as_alice, "post", f"{note_url}/cosign")
    assert cosigned.status_code == 200, cosigned.content
    assert cosigned.json()["cosigned_by"]["id"] == alice.pk and not cosigned.json()["awaits_cosign"]
    assert send(as_alice, "get", "/cosign-queue").json() == []

    before = stored(Note.objects.get(pk=draft["id"]))
    for who in (as_maya, as_alice):
        refused = send(who, "patch", note_url, {"subjective": "Changed afterwards."})
        assert refused.status_code == 422
    assert fields_of(send(as_maya, "patch", note_url, {"data": {}})) == {"body": [SIGNED_MESSAGE]}
    assert stored(Note.objects.get(pk=draft["id"])) == before

    added = send(as_maya, "post", f"{note_url}/addenda", {"text": "Client reported soreness the next day."})
    assert added.status_code == 201, added.content
    addendum = added.json()
    assert addendum["signed"] is False and addendum["author"]["id"] == maya.pk
    edited = send(as_maya, "patch", f"/addenda/{addendum['id']}", {"text": "Soreness gone the next day."})
    assert edited.json()["text"] == "Soreness gone the next day."
    sealed = send(as_maya, "post", f"/addenda/{addendum['id']}/sign")
    assert sealed.status_code == 200 and sealed.json()["signed"] and len(sealed.json()["digest"]) == 64
    late = send(as_maya, "patch", f"/addenda/{addendum['id']}", {"text": "Changed"})
    assert late.status_code == 422 and "never changes" in fields_of(late)["body"][0]

    shown = send(as_alice, "get", note_url).json()
    assert [(a["text"], a["signed"]) for a in shown["addenda"]] == [("Soreness gone the next day.", True)]
    assert stored(Note.objects.get(pk=draft["id"])) == before


def test_it_refuses_a_draft_edit_by_anyone_but_the_author(alice, api_note, soap):
    refused = send(client_for(alice), "patch", f"/notes/{api_note.pk}", soap)
    assert refused.status_code == 422
    assert fields_of(refused) == {"body": ["Only the note's author may change or sign it."]}
    assert Note.objects.get(pk=api_note.pk).subjective == ""


def test_it_refuses_to_sign_an_incomplete_note_naming_the_fields(maya, api_note):
    refused = send(client_for(maya), "post", f"/notes/{api_note.pk}/sign")
    assert refused.status_code == 422
    errors = fields_of(refused)
    assert errors["data.nprs_before"] == ["Required before signing."]
    assert errors["subjective"] == ["Required before signing."]
    assert Note.objects.get(pk=api_note.pk).status == "preliminary"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"data": ["not", "a", "mapping"]}, "data", "valid dictionary"),
        (
            {"data": {"techniques": [{"technique": "massage-swedish", "minutes": "lots"}]}},
            "data.techniques.0.minutes",
            "Enter a whole number.",
        ),
        ({"data": {"no_such_field": 1}}, "data.no_such_field", "Not a field of the"),
        ({"subjective": 42}, "subjective", "valid string"),
        (
            {"body_marks": [{"site": "tail", "kind": "pain", "view": "back"}]},
            "body_marks.0.site",
            "not a body site",
        ),
        ({"body_marks": "everywhere"}, "body_marks", "valid list"),
        ({"status": "final"}, "status", "Extra inputs are not permitted"),
        ({"signed_at": "2026-01-01T00:00:00Z"}, "signed_at", "Extra inputs are not permitted"),
        ({"subjective": None}, "subjective", "Leave the field out"),
        ({"data": None}, "data", "Leave the field out"),
        (["subjective"], "body", "valid dictionary"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_changes_nothing(maya, api_note, body, field, message):
    before = stored(api_note)
    response = send(client_for(maya), "patch", f"/notes/{api_note.pk}", body)
    assert response.status_code == 422, response.content
    errors = fields_of(response)
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert stored(api_note) == before


def test_a_body_that_is_not_json_gets_400_not_500(maya, api_note):
    response = client_for(maya).patch(
        f"{API}/notes/{api_note.pk}", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "Cannot parse" in response.json()["detail"]


def test_a_contraindicated_technique_is_refused_under_safety(maya, patient, robert_massage, documented):
    note = documented(patient, robert_massage, _light_swedish("massage-swedish"))
    deep = _light_swedish("massage-deep-tissue")
    response = send(client_for(maya), "patch", f"/notes/{note.pk}", {"data": deep})
    assert response.status_code == 422
    assert fields_of(response)["safety"][0].startswith("Contraindicated: Deep tissue massage")


def _light_swedish(technique: str) -> dict[str, Any]:
    return {
        "techniques": [{"technique": technique, "minutes": 30}],
        "body_sites": ["thoracic"],
        "pressure": "light",
        "nprs_before": 5,
        "nprs_after": 3,
        "response": "Relaxed",
    }


def test_the_supervisor_overrides_a_precaution_and_the_author_then_signs(
    alice, maya, patient, robert_massage, documented
):
    note = documented(patient, robert_massage, _light_swedish("massage-lymphatic-drainage"))
    draft = send(client_for(maya), "get", f"/notes/{note.pk}").json()
    assert [f["severity"] for f in draft["findings"]] == ["precaution"]
    refused = send(client_for(maya), "post", f"/notes/{note.pk}/sign")
    assert refused.status_code == 422 and fields_of(refused)["safety"][0].startswith("Precaution:")

    by_maya = send(client_for(maya), "post", f"/notes/{note.pk}/precaution-override", {"reason": "Fine"})
    assert by_maya.status_code == 422 and "Only Dr Alice" in fields_of(by_maya)["reason"][0]
    no_reason = send(client_for(alice), "post", f"/notes/{note.pk}/precaution-override", {"reason": " "})
    assert fields_of(no_reason) == {"reason": ["Give the reason to go ahead despite the precaution."]}
    assert not SafetyOverride.objects.filter(subject=f"charting-note:{note.pk}").exists()

    reason = {"reason": "INR 2.4 this week; light drainage is fine."}
    overridden = send(client_for(alice), "post", f"/notes/{note.pk}/precaution-override", reason)
    assert overridden.status_code == 200, overridden.content
    assert [f["technique"] for f in overridden.json()["findings"]] == ["massage-lymphatic-drainage"]
    assert send(client_for(maya), "post", f"/notes/{note.pk}/sign").json()["status"] == "final"


def test_only_the_treating_practitioner_starts_and_finishes_the_visit(alice, dana, maya, appointment):
    for user in (alice, dana):
        refused = send(client_for(user), "post", f"/appointments/{appointment.pk}/encounter")
        assert refused.status_code == 422
        assert fields_of(refused) == {"body": ["Only the practitioner treating this visit may document it."]}
    assert not Encounter.objects.filter(appointment=appointment).exists()

    encounter_id = send(client_for(maya), "post", f"/appointments/{appointment.pk}/encounter").json()["id"]
    assert send(client_for(alice), "post", f"/encounters/{encounter_id}/finish").status_code == 422
    finished = send(client_for(maya), "post", f"/encounters/{encounter_id}/finish")
    assert finished.status_code == 200
    assert finished.json()["status"] == "finished" and finished.json()["ended_at"] is not None
    appointment.refresh_from_db()
    assert appointment.status == "fulfilled"


def test_a_visit_that_did_not_go_ahead_is_cancelled_with_a_reason_until_its_note_is_signed(
    maya, api_note, signed_massage_note
):
    encounter_id = api_note.encounter_id
    missing = send(client_for(maya), "post", f"/encounters/{encounter_id}/cancel", {"reason": " "})
    assert missing.status_code == 422 and "reason" in fields_of(missing)
    wrong_kind = send(
        client_for(maya), "post", f"/encounters/{encounter_id}/cancel", {"reason": "x", "kind": "gone"}
    )
    assert wrong_kind.status_code == 422 and "kind" in fields_of(wrong_kind)
    assert Encounter.objects.get(pk=encounter_id).status == "in-progress"

    cancelled = send(
        client_for(maya), "post", f"/encounters/{encounter_id}/cancel", {"reason": "Left before treatment."}
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    api_note.refresh_from_db()
    assert api_note.status == "entered-in-error"

    before = Encounter.objects.get(pk=signed_massage_note.encounter_id).status
    signed = send(
        client_for(maya),
        "post",
        f"/encounters/{signed_massage_note.encounter_id}/cancel",
        {"reason": "Wrong patient.", "kind": "entered-in-error"},
    )
    assert signed.status_code == 422 and "addendum" in str(signed.json()["errors"])
    assert Encounter.objects.get(pk=signed_massage_note.encounter_id).status == before != "cancelled"


def test_only_the_supervisor_cosigns(maya, ben, signed_massage_note):
    refused = send(client_for(maya), "post", f"/notes/{signed_massage_note.pk}/cosign")
    assert refused.status_code == 422
    assert "Only the supervising clinician" in fields_of(refused)["body"][0]
    assert Note.objects.get(pk=signed_massage_note.pk).cosigned_at is None
    assert send(client_for(maya), "get", "/cosign-queue").status_code == 404  # massage therapists have none
    assert send(client_for(ben), "get", "/cosign-queue").json() == []


@pytest.mark.parametrize("persona", ["ben", "dana", "admin", "outsider"])
def test_everyone_off_the_care_team_gets_404_and_changes_nothing(
    signed_massage_note, personas, persona, nora, soap
):
    note = signed_massage_note
    addendum = Addendum.objects.create(note=note, author=note.author, text="Draft")
    before = stored(note)
    client = client_for(personas[persona])
    answers = {
        "get note": send(client, "get", f"/notes/{note.pk}"),
        "get visit": send(client, "get", f"/encounters/{note.encounter_id}"),
        "timeline": send(client, "get", f"/patients/{nora.pk}/visits"),
        "patch": send(client, "patch", f"/notes/{note.pk}", soap),
        "cosign": send(client, "post", f"/notes/{note.pk}/cosign"),
        "override": send(client, "post", f"/notes/{note.pk}/precaution-override", {"reason": "x"}),
        "addendum": send(client, "post", f"/notes/{note.pk}/addenda", {"text": "x"}),
        "edit addendum": send(client, "patch", f"/addenda/{addendum.pk}", {"text": "x"}),
        "sign addendum": send(client, "post", f"/addenda/{addendum.pk}/sign"),
        "finish": send(client, "post", f"/encounters/{note.encounter_id}/finish"),
        "start note": send(client, "post", f"/encounters/{note.encounter_id}/note"),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert all(r.json() == {"detail": "Not found.", "errors": []} for r in answers.values())
    assert stored(note) == before
    assert Addendum.objects.get(pk=addendum.pk).text == "Draft"
    assert Addendum.objects.filter(note=note).count() == 1


def test_unknown_and_absurd_ids_get_404(maya):
    client = client_for(maya)
    for url in (
        "/notes/999999",
        "/notes/99999999999999999999999",
        "/encounters/0",
        "/patients/999999/visits",
    ):
        assert send(client, "get", url).status_code == 404, url


def test_put_and_delete_are_not_offered(maya, api_note):
    client = client_for(maya)
    assert send(client, "put", f"/notes/{api_note.pk}", {"subjective": "x"}).status_code == 405
    assert send(client, "delete", f"/notes/{api_note.pk}").status_code == 405
    assert Note.objects.filter(pk=api_note.pk).exists()


def test_the_visit_timeline_lists_visits_newest_first_with_their_notes(
    alice, maya, nora, nora_massage, documented, signed_massage_note
):
    draft = documented(nora, nora_massage)  # a second, later visit still in draft
    as_maya = send(client_for(maya), "get", f"/patients/{nora.pk}/visits").json()
    assert as_maya["count"] == 2
    assert [v["id"] for v in as_maya["items"]] == [draft.encounter_id, signed_massage_note.encounter_id]
    assert [[n["id"] for n in v["notes"]] for v in as_maya["items"]] == [[draft.pk], [signed_massage_note.pk]]

    as_alice = send(client_for(alice), "get", f"/patients/{nora.pk}/visits").json()
    assert [[n["id"] for n in v["notes"]] for v in as_alice["items"]] == [[], [signed_massage_note.pk]]
    assert as_alice["items"][1]["notes"][0]["awaits_cosign"] is True

    second = send(client_for(alice), "get", f"/patients/{nora.pk}/visits?limit=1&offset=1").json()
    assert second["count"] == 2 and [v["id"] for v in second["items"]] == [signed_massage_note.encounter_id]
    too_many = send(client_for(alice), "get", f"/patients/{nora.pk}/visits?limit=100000")
    assert too_many.status_code == 422 and "limit" in fields_of(too_many)


def test_the_timeline_costs_the_same_queries_for_one_visit_or_three(maya, nora, nora_massage, documented):
    def queries() -> int:
        client = client_for(maya)
        with CaptureQueriesContext(connection) as captured:
            assert send(client, "get", f"/patients/{nora.pk}/visits").status_code == 200
        return len(captured)

    charting.note_sign(actor=maya, note=documented(nora, nora_massage))
    one = queries()
    for _ in range(2):
        charting.note_sign(actor=maya, note=documented(nora, nora_massage))
    assert queries() == one


def test_the_visit_shows_its_notes(alice, signed_massage_note):
    visit = send(client_for(alice), "get", f"/encounters/{signed_massage_note.encounter_id}").json()
    assert visit["practitioner"]["name"].startswith("Maya")
    assert [(n["id"], n["status"], n["author"]["name"]) for n in visit["notes"]] == [
        (signed_massage_note.pk, "final", visit["practitioner"]["name"])
    ]


def test_it_audits_every_read(alice, signed_massage_note, nora):
    client = client_for(alice)
    send(client, "get", f"/notes/{signed_massage_note.pk}")
    send(client, "get", f"/encounters/{signed_massage_note.encounter_id}")
    send(client, "get", f"/patients/{nora.pk}/visits")
    send(client, "get", "/cosign-queue")
    reads = AuditEvent.objects.filter(action=AuditAction.READ, actor_id=alice.pk, patient_id=nora.pk)
    assert set(reads.values_list("object_type", "object_id")) == {
        ("Note", str(signed_massage_note.pk)),
        ("Encounter", str(signed_massage_note.encounter_id)),
        ("Encounter", "*"),
        ("Note", "cosign-queue"),
    }


def test_a_personal_api_token_works_like_the_session(maya, signed_massage_note, token_for):
    response = Client().get(f"{API}/notes/{signed_massage_note.pk}", **token_for(maya))
    assert response.status_code == 200 and response.json()["id"] == signed_massage_note.pk
    assert Client().get(f"{API}/notes/{signed_massage_note.pk}").status_code == 401
