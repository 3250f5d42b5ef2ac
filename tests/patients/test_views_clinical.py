"""The chart's forms: conditions (ICD-10-CM picker), medications, allergies, care team, emergency access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEvent
from tandem.patients.models import (
    AllergyIntolerance,
    BreakGlassAccess,
    CareTeamMember,
    Condition,
    MedicationStatement,
)

CONDITION = {
    "code": "M54.2",
    "text": "",
    "category": "soft-tissue",
    "body_site": "cervical",
    "laterality": "",
    "clinical_status": "active",
    "verification_status": "confirmed",
    "onset_on": "",
    "evidence": "",
    "note": "",
}


# Conditions ---------------------------------------------------------------------------------------


def test_it_adds_a_condition_with_the_codes_description(alice, patient, client_for):
    response = client_for(alice).post(reverse("condition_create", args=[patient.pk]), CONDITION)
    assert response.status_code == 302 and response["Location"] == reverse("patient_chart", args=[patient.pk])
    condition = Condition.objects.get(patient=patient, code="M54.2")
    assert condition.text == "Cervicalgia" and condition.recorded_by == alice


def test_it_refuses_an_unknown_icd10_code_beside_the_field_and_stores_nothing(alice, patient, client_for):
    before = Condition.objects.count()
    data = {**CONDITION, "code": "M99.999", "evidence": "typed by hand"}
    response = client_for(alice).post(reverse("condition_create", args=[patient.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_code-errors"' in html and "M99.999 is not an ICD-10-CM code." in html
    assert "typed by hand" in html  # what was typed stays on the page
    assert Condition.objects.count() == before


def test_it_asks_for_a_side_for_a_limb(ben, patient, client_for):
    data = {**CONDITION, "code": "M25.561", "body_site": "knee"}
    html = client_for(ben).post(reverse("condition_create", args=[patient.pk]), data).content.decode()
    assert 'id="id_laterality-errors"' in html and "Say which side" in html
    assert not Condition.objects.filter(code="M25.561").exists()


def test_it_edits_a_condition_and_leaves_it_alone_on_bad_input(maya, patient, client_for):
    condition = patient.conditions.get()
    client = client_for(maya)
    url = reverse("condition_update", args=[condition.pk])
    assert "M51.362" in client.get(url).content.decode()
    data = {**CONDITION, "code": "M51.362", "category": "structural", "body_site": "lumbar"}
    bad = client.post(url, {**data, "onset_on": "2999-01-01"})
    assert bad.status_code == 200 and 'id="id_onset_on-errors"' in bad.content.decode()
    condition.refresh_from_db()
    assert condition.onset_on is None
    assert client.post(url, {**data, "clinical_status": "remission"}).status_code == 302
    condition.refresh_from_db()
    assert condition.clinical_status == "remission"


@pytest.mark.parametrize(
    ("persona", "expected"), [("alice", 404), ("maya", 404), ("dana", 404), ("outsider", 404)]
)
def test_only_the_care_team_adds_conditions(personas, other_patient, client_for, persona, expected):
    response = client_for(personas[persona]).post(
        reverse("condition_create", args=[other_patient.pk]), CONDITION
    )
    assert response.status_code == expected
    assert not Condition.objects.filter(patient=other_patient).exists()


def test_it_suggests_billable_icd10_codes(alice, client_for):
    client = client_for(alice)
    by_code = client.get(reverse("icd10_search"), {"code": "M51.36"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-code="M51.362"' in by_code and "<html" not in by_code
    by_words = client.get(reverse("icd10_search"), {"q": "cervicalgia"}).content.decode()
    assert 'data-code="M54.2"' in by_words
    nothing = client.get(reverse("icd10_search"), {"q": "zzzz qqqq"}).content.decode()
    assert "No billable ICD-10-CM code matches" in nothing


def test_the_condition_form_has_the_picker_wired_to_htmx(alice, patient, client_for):
    html = client_for(alice).get(reverse("condition_create", args=[patient.pk])).content.decode()
    assert f'hx-get="{reverse("icd10_search")}"' in html and 'id="id_code-suggestions"' in html


# Medications and allergies ------------------------------------------------------------------------


def test_it_shows_the_risk_flags_of_a_saved_medication(ben, patient, client_for):
    client = client_for(ben)
    data = {
        "medication": "Prednisone",
        "dosage": "10 mg daily",
        "status": "active",
        "started_on": "",
        "note": "",
    }
    response = client.post(reverse("medication_create", args=[patient.pk]), data, follow=True)
    html = response.content.decode()
    assert "risk flags: corticosteroid" in html
    assert '<span class="badge badge-risk">corticosteroid</span>' in html


def test_it_refuses_a_future_start_and_an_empty_name(ben, patient, client_for):
    before = MedicationStatement.objects.count()
    data = {"medication": "", "dosage": "", "status": "active", "started_on": "2999-01-01", "note": ""}
    html = client_for(ben).post(reverse("medication_create", args=[patient.pk]), data).content.decode()
    assert 'id="id_medication-errors"' in html
    assert MedicationStatement.objects.count() == before


def test_it_edits_a_medication(alice, patient, client_for):
    medication = patient.medications.get()
    data = {
        "medication": "Warfarin 5 mg",
        "dosage": "daily",
        "status": "stopped",
        "started_on": "",
        "note": "",
    }
    assert client_for(alice).post(reverse("medication_update", args=[medication.pk]), data).status_code == 302
    medication.refresh_from_db()
    assert medication.status == "stopped"


def test_it_adds_and_edits_an_allergy(maya, patient, client_for):
    client = client_for(maya)
    data = {
        "substance": "Arnica",
        "category": "environment",
        "criticality": "high",
        "clinical_status": "active",
        "reaction": "rash",
    }
    assert client.post(reverse("allergy_create", args=[patient.pk]), data).status_code == 302
    allergy = AllergyIntolerance.objects.get(patient=patient)
    chart = client.get(reverse("patient_chart", args=[patient.pk])).content.decode()
    assert "allergy: Arnica" in chart
    bad = client.post(reverse("allergy_update", args=[allergy.pk]), {**data, "category": "plants"})
    assert 'id="id_category-errors"' in bad.content.decode()
    allergy.refresh_from_db()
    assert allergy.category == "environment"


# Care team ----------------------------------------------------------------------------------------


def test_the_lead_adds_and_ends_a_member(alice, patient, personas, client_for):
    admin_practitioner = personas["ben"].practitioner
    client = client_for(alice)
    member = CareTeamMember.objects.get(patient=patient, practitioner=admin_practitioner)
    response = client.post(reverse("care_team_end", args=[member.pk]), {"ended_on": ""})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.ended_on is not None
    again = client.post(
        reverse("care_team_add", args=[patient.pk]),
        {"practitioner": admin_practitioner.pk, "role": "member", "started_on": ""},
    )
    assert again.status_code == 302
    assert CareTeamMember.objects.filter(
        patient=patient, practitioner=admin_practitioner, ended_on=None
    ).exists()


def test_it_refuses_a_second_lead_beside_the_role(dana, ben, patient, client_for):
    CareTeamMember.objects.filter(patient=patient, practitioner=ben.practitioner).update(
        ended_on=CareTeamMember.objects.get(patient=patient, practitioner=ben.practitioner).started_on
    )
    response = client_for(dana).post(
        reverse("care_team_add", args=[patient.pk]), {"practitioner": ben.practitioner.pk, "role": "lead"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_role-errors"' in html and "already has a lead" in html


def test_it_offers_only_practitioners_of_the_clinic(dana, outsider, patient, client_for):
    html = client_for(dana).get(reverse("care_team_add", args=[patient.pk])).content.decode()
    assert "Dr Alice Moreau, DC" in html and "Olga" not in html
    response = client_for(dana).post(
        reverse("care_team_add", args=[patient.pk]),
        {"practitioner": outsider.practitioner.pk, "role": "member"},
    )
    assert 'id="id_practitioner-errors"' in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"), [("maya", 404), ("ben", 404), ("outsider", 404), ("dana", 200)]
)
def test_who_manages_the_care_team(personas, patient, client_for, persona, expected):
    assert (
        client_for(personas[persona]).get(reverse("care_team_add", args=[patient.pk])).status_code == expected
    )


# Emergency access ---------------------------------------------------------------------------------


def test_a_clinician_breaks_the_glass_with_a_reason(alice, other_patient, client_for):
    client = client_for(alice)
    assert client.get(reverse("patient_chart", args=[other_patient.pk])).status_code == 404
    response = client.post(
        reverse("break_glass_open"),
        {"mrn": other_patient.mrn, "reason": "Acute neck pain, Ben is away today"},
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "patient_chart", args=[other_patient.pk]
    )
    chart = client.get(reverse("patient_chart", args=[other_patient.pk]))
    assert chart.status_code == 200 and "Emergency access" in chart.content.decode()
    assert AuditEvent.objects.filter(actor_id=alice.pk, detail__startswith="break-the-glass").exists()


def test_it_needs_a_real_reason_before_it_looks_up_the_mrn(alice, other_patient, client_for):
    html = (
        client_for(alice).post(reverse("break_glass_open"), {"mrn": "NOPE", "reason": "x"}).content.decode()
    )
    assert 'id="id_reason-errors"' in html and 'id="id_mrn-errors"' not in html
    assert not BreakGlassAccess.objects.exists()


def test_it_finds_no_patient_of_another_clinic(outsider, patient, client_for):
    data = {"mrn": patient.mrn, "reason": "I would like to look at this"}
    html = client_for(outsider).post(reverse("break_glass_open"), data).content.decode()
    assert 'id="id_mrn-errors"' in html
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.parametrize("persona", ["dana", "admin"])
def test_emergency_access_is_for_clinicians_only(personas, client_for, persona):
    assert client_for(personas[persona]).get(reverse("break_glass_open")).status_code == 404


def test_the_lead_is_told_on_the_patient_list_who_broke_the_glass(ben, alice, other_patient, client_for):
    CareTeamMember.objects.filter(patient=other_patient).update(role="lead")
    reason = "Acute neck pain, Ben is away today"
    client_for(alice).post(reverse("break_glass_open"), {"mrn": other_patient.mrn, "reason": reason})
    page = client_for(ben).get(reverse("patient_list")).content.decode()
    assert "Emergency access to your patients" in page and reason in page
    assert reason not in client_for(alice).get(reverse("patient_list")).content.decode()


def test_opening_an_edit_form_is_a_read_in_the_audit_trail(maya, patient, client_for):
    condition = patient.conditions.get()
    client_for(maya).get(reverse("condition_update", args=[condition.pk]))
    read = AuditEvent.objects.filter(actor_id=maya.pk, action="R").latest("sequence")
    assert (read.object_type, read.object_id, read.patient_id) == ("Condition", str(condition.pk), patient.pk)
