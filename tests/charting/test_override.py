"""Settling a precaution from the note editor (invariant 5). Robert Hale takes warfarin; his plan orders light
Swedish massage, approved by alice with an override. maya documents manual lymphatic drainage, which the plan
did not order and which raises the anticoagulant precaution: she cannot sign until alice, who supervises the
plan, records an override with a reason on the draft. A contraindication is never overridable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tandem.accounts.models import User
from tandem.charting import services
from tandem.charting.models import Note, NoteStatus
from tandem.charting.safety_review import note_safety_review
from tandem.patients.services import medication_create
from tandem.safety.models import SafetyOverride

pytestmark = pytest.mark.django_db

RULE = "massage-anticoagulant-light"
REASON = "INR 2.4 on Monday; light drainage of the thoracic area is fine."


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fields(technique: str = "massage-lymphatic-drainage") -> dict[str, Any]:
    return {
        "techniques": [{"technique": technique, "minutes": 30}],
        "body_sites": ["thoracic"],
        "pressure": "light",
        "nprs_before": 5,
        "nprs_after": 3,
        "response": "Relaxed",
    }


@pytest.fixture
def drainage(patient, robert_massage, documented) -> Note:
    """maya's complete draft for Robert documenting lymphatic drainage (a precaution not yet overridden)."""
    return documented(patient, robert_massage, fields())


def overrides_of(note: Note) -> list[tuple[str, str, str]]:
    return list(
        SafetyOverride.objects.filter(subject=f"charting-note:{note.pk}").values_list(
            "rule", "technique", "reason"
        )
    )


# The review behind the page -------------------------------------------------------------------------------


def test_the_review_tells_the_precaution_plainly_and_who_may_override_it(alice, ben, maya, drainage):
    review = note_safety_review(maya, drainage)
    [finding] = review.findings
    assert (finding.severity, finding.rule, finding.technique_label, finding.site_label) == (
        "precaution",
        RULE,
        "Manual lymphatic drainage",
        "any site",
    )
    assert finding.message.startswith("Light pressure only") and "Source:" not in finding.message
    assert finding.source.startswith("NCCIH")
    assert finding.pending and review.pending == [finding] and review.contraindicated == []
    assert review.supervisor == alice.practitioner
    assert not review.may_override
    assert note_safety_review(alice, drainage).may_override
    assert not note_safety_review(ben, drainage).may_override  # on the team, but not the supervisor


def test_after_the_override_the_finding_names_it_and_nothing_is_pending(alice, maya, drainage):
    services.note_override_precaution(actor=alice, note=drainage, reason=REASON)
    [finding] = note_safety_review(maya, drainage).findings
    assert not finding.pending and finding.override_scope == "note"
    assert (finding.override.reason, finding.override.overridden_by) == (REASON, alice)
    assert not note_safety_review(alice, drainage).may_override


def test_what_the_plan_ordered_is_covered_by_the_plan_activitys_override(
    maya, patient, robert_massage, documented
):
    note = documented(patient, robert_massage, fields("massage-swedish"))
    [finding] = note_safety_review(maya, note).findings
    assert finding.override_scope == "plan activity" and not finding.pending
    assert finding.override.reason.startswith("INR stable")


def test_a_signed_note_lists_the_overrides_that_applied(alice, maya, drainage):
    services.note_override_precaution(actor=alice, note=drainage, reason=REASON)
    signed = services.note_sign(actor=maya, note=drainage)
    review = note_safety_review(maya, signed)
    assert review.findings == []
    assert [(a.rule, a.technique_label, a.override_scope, a.override.reason) for a in review.applied] == [
        (RULE, "Manual lymphatic drainage", "note", REASON)
    ]


def test_a_retired_draft_has_nothing_to_review(alice, maya, drainage):
    services.encounter_cancel(actor=maya, encounter=drainage.encounter, reason="Patient left.")
    review = note_safety_review(alice, Note.objects.get(pk=drainage.pk))
    assert (review.findings, review.applied, review.may_override) == ([], [], False)


# Pages ----------------------------------------------------------------------------------------------------


def test_maya_cannot_sign_alice_records_the_override_and_maya_signs(alice, maya, drainage):
    as_maya, as_alice = client_for(maya), client_for(alice)
    refused = as_maya.post(f"/notes/{drainage.pk}/sign")
    page = refused.content.decode()
    assert refused.status_code == 422
    assert "Precaution: Manual lymphatic drainage (any site)" in page  # the service's refusal
    assert 'id="safety-findings"' in page and f"<code>{RULE}</code>" in page
    assert "Source: NCCIH" in page and "Needs an override" in page
    assert 'id="override-needed">Dr Alice Moreau, DC, the supervising clinician, must record' in page
    assert 'id="override-form"' not in page
    assert Note.objects.get(pk=drainage.pk).status == NoteStatus.PRELIMINARY

    draft_page = as_alice.get(f"/notes/{drainage.pk}/").content.decode()
    assert "A draft by" in draft_page and 'id="override-form"' in draft_page
    assert 'id="record-override">Record override</button>' in draft_page
    assert f'action="/notes/{drainage.pk}/override"' in draft_page

    recorded = as_alice.post(f"/notes/{drainage.pk}/override", {"reason": REASON}, follow=True)
    assert recorded.redirect_chain == [(f"/notes/{drainage.pk}/", 302)]
    after = recorded.content.decode()
    assert "Override recorded. Maya" in after and "can now sign the note." in after
    assert "Overridden for this note by Dr Alice Moreau" in after and 'id="override-form"' not in after
    assert overrides_of(drainage) == [(RULE, "massage-lymphatic-drainage", REASON)]

    signed = as_maya.post(f"/notes/{drainage.pk}/sign")
    assert signed.status_code == 302
    assert Note.objects.get(pk=drainage.pk).status == NoteStatus.FINAL
    final = as_maya.get(f"/notes/{drainage.pk}/").content.decode()
    assert 'id="overrides-applied"' in final and "Overrides applied" in final and REASON in final


def test_an_override_without_a_reason_is_refused_beside_the_field(alice, drainage):
    response = client_for(alice).post(f"/notes/{drainage.pk}/override", {"reason": "   "})
    page = response.content.decode()
    assert response.status_code == 422
    assert '<ul class="field-errors" id="override-errors"><li>Give the reason to go ahead' in page
    assert overrides_of(drainage) == []


@pytest.mark.parametrize("who", ["maya", "ben"])
def test_only_the_supervising_clinician_may_record_it(personas, drainage, who: str):
    response = client_for(personas[who]).post(
        f"/notes/{drainage.pk}/override", {"reason": REASON}, follow=True
    )
    assert response.redirect_chain == [(f"/notes/{drainage.pk}/", 302)]
    assert "Only Dr Alice Moreau, DC may override a precaution in this note." in response.content.decode()
    assert overrides_of(drainage) == []


@pytest.mark.parametrize("persona", ["dana", "outsider"])
def test_everyone_off_the_care_team_gets_404(personas, drainage, persona: str):
    response = client_for(personas[persona]).post(f"/notes/{drainage.pk}/override", {"reason": REASON})
    assert response.status_code == 404
    assert overrides_of(drainage) == []


def test_a_contraindication_is_never_overridable(alice, maya, nora, nora_massage, documented):
    note = documented(nora, nora_massage)  # trigger point therapy at moderate pressure: fine for Nora today
    medication_create(
        actor=alice, patient=nora, data={"medication": "Apixaban 5 mg", "dosage": "twice daily"}
    )
    page = client_for(alice).get(f"/notes/{note.pk}/").content.decode()
    assert "Never overridable." in page and 'id="contraindicated-note"' in page
    # Apixaban also raises a precaution for the Swedish massage; the override waits for the contraindications
    # to be taken out, and a post anyway is refused.
    assert 'id="override-form"' not in page
    response = client_for(alice).post(
        f"/notes/{note.pk}/override", {"reason": "I accept the risk."}, follow=True
    )
    assert response.redirect_chain == [(f"/notes/{note.pk}/", 302)]
    assert "Contraindicated: Trigger point therapy" in response.content.decode()
    assert not SafetyOverride.objects.filter(subject=f"charting-note:{note.pk}").exists()


def test_the_autosave_brings_the_safety_panel_up_to_date(maya, patient, robert_massage, documented, soap):
    note = documented(patient, robert_massage, fields("massage-swedish"))
    form: dict[str, Any] = {"editor": "1", "body_marks": "[]", **soap}
    for key, value in fields().items():
        if key == "techniques":
            form.update(
                {
                    "data.techniques.0._row": "1",
                    "data.techniques.0.technique": value[0]["technique"],
                    "data.techniques.0.minutes": "30",
                }
            )
        else:
            form[f"data.{key}"] = value if isinstance(value, list) else str(value)
    answer = client_for(maya).post(f"/notes/{note.pk}/autosave", form)
    body = answer.content.decode()
    assert answer.status_code == 200 and "Draft saved" in body
    assert 'id="note-safety" aria-labelledby="safety-title" hx-swap-oob="true"' in body
    assert "Manual lymphatic drainage" in body and "Needs an override" in body
