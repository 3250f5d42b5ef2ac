"""Who sees visit documentation: clinicians on the patient's care team (or who broke the glass). Everyone
else gets 404, never a 403 that would confirm the visit exists, and the refusal is audited."""

from __future__ import annotations

import pytest
from django.http import Http404

from tandem.audit.models import AuditEvent
from tandem.charting import services
from tandem.charting.access import access_addendum, access_encounter, access_note
from tandem.patients.models import CareTeamMember
from tandem.patients.services import break_glass_open, care_team_end

pytestmark = pytest.mark.django_db


@pytest.fixture
def linda_note(ben, other_patient, checked_in):
    """Ben's physical therapy draft for Linda Park, his patient alone."""
    encounter = services.encounter_start(actor=ben, appointment=checked_in(other_patient, ben, "Gym floor"))
    return services.note_start(actor=ben, encounter=encounter)


def test_the_care_team_sees_the_visit_the_note_and_its_addenda(alice, maya, signed_massage_note):
    addendum = services.addendum_add(actor=maya, note=signed_massage_note, text="Also: left levator.")
    for user in (alice, maya):
        assert access_note(user, signed_massage_note.pk) == signed_massage_note
        assert access_encounter(user, signed_massage_note.encounter_id).pk == signed_massage_note.encounter_id
        assert access_addendum(user, str(addendum.pk)) == addendum


@pytest.mark.parametrize("who", ["ben", "outsider", "dana", "admin"])
def test_anyone_off_the_care_team_gets_404_and_the_refusal_is_audited(personas, signed_massage_note, who):
    user = personas[who]  # ben treats other patients of the clinic, not Nora
    note = signed_massage_note
    addendum = services.addendum_add(actor=personas["maya"], note=note, text="Also: left levator.")
    for access, object_id in (
        (access_note, note.pk),
        (access_encounter, note.encounter_id),
        (access_addendum, addendum.pk),
    ):
        with pytest.raises(Http404):
            access(user, object_id)
    refusals = AuditEvent.objects.filter(actor_id=user.pk, outcome="4", detail="access refused")
    assert {e.object_type for e in refusals} == {"Note", "Encounter", "Addendum"}
    assert {e.patient_id for e in refusals} == {note.patient_id}


def test_maya_sees_only_the_notes_of_her_own_patients(maya, alice, linda_note):
    for user in (maya, alice):
        with pytest.raises(Http404):
            access_note(user, linda_note.pk)


def test_leaving_the_care_team_closes_the_chart(alice, maya, nora, signed_massage_note):
    membership = CareTeamMember.objects.get(
        patient=nora, practitioner=maya.practitioner, ended_on__isnull=True
    )
    care_team_end(actor=alice, member=membership)
    with pytest.raises(Http404):
        access_note(maya, signed_massage_note.pk)


def test_break_the_glass_opens_the_chart_to_a_clinician_of_the_clinic(alice, linda_note, other_patient):
    break_glass_open(actor=alice, patient=other_patient, reason="Ben is away; patient in acute pain today.")
    assert access_note(alice, linda_note.pk) == linda_note


@pytest.mark.parametrize("bad_id", ["abc", "0", "-3", str(2**70), None, 999999])
def test_a_malformed_or_unknown_id_is_a_404(alice, bad_id):
    for access in (access_note, access_encounter, access_addendum):
        with pytest.raises(Http404):
            access(alice, bad_id)
