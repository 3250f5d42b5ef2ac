"""The patient pages: list and search, the chart per persona, registration and demographics."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from tandem.audit.models import AuditEvent, AuditOutcome
from tandem.patients.models import CareTeamMember, CareTeamRole, Patient
from tandem.patients.services import patient_create


def make_patient(actor, given: str, family: str) -> Patient:
    data = {
        "given_name": given,
        "family_name": family,
        "birth_date": datetime.date(1990, 1, 1),
        "sex": "female",
    }
    return patient_create(actor=actor, data=data)


CLINICAL_WORDS = ["M51.362", "disc degeneration", "MRI 2026-03-02", "Warfarin", "anticoagulant"]


def _chart(client, patient: Patient):
    return client.get(reverse("patient_chart", args=[patient.pk]))


# List and search ----------------------------------------------------------------------------------


def test_it_lists_a_clinicians_care_team_patients_only(alice, ben, patient, other_patient, client_for):
    alice_page = client_for(alice).get(reverse("patient_list")).content.decode()
    ben_page = client_for(ben).get(reverse("patient_list")).content.decode()
    assert "Hale, Robert" in alice_page and "Park, Linda" not in alice_page
    assert "Hale, Robert" in ben_page and "Park, Linda" in ben_page


def test_it_lists_the_whole_clinic_for_front_desk_and_nothing_for_an_outsider(
    dana, outsider, patient, other_patient, client_for
):
    dana_page = client_for(dana).get(reverse("patient_list")).content.decode()
    assert "Hale, Robert" in dana_page and "Park, Linda" in dana_page
    outsider_page = client_for(outsider).get(reverse("patient_list")).content.decode()
    assert "Hale" not in outsider_page and "Park" not in outsider_page


def test_it_shows_name_mrn_birth_date_age_and_phone(dana, patient, client_for):
    page = client_for(dana).get(reverse("patient_list")).content.decode()
    age = patient.age_on(datetime.date.today())
    for text in (
        patient.mrn,
        "Apr 12, 1968",
        f"{age} y",
        "503-555-0142",
        reverse("patient_chart", args=[patient.pk]),
    ):
        assert text in page


def test_it_searches_and_audits_the_search(alice, patient, client_for):
    make_patient(alice, "Anna", "Lindgren")
    response = client_for(alice).get(reverse("patient_list"), {"q": "Hale"})
    page = response.content.decode()
    assert "Hale, Robert" in page and "Lindgren" not in page
    event = AuditEvent.objects.filter(actor_id=alice.pk, object_type="Patient", action="E").latest("sequence")
    assert event.detail == "search: Hale" and event.channel == "ui"


def test_it_answers_the_live_search_with_rows_only(alice, patient, client_for):
    response = client_for(alice).get(reverse("patient_list"), {"q": "hal"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "Hale, Robert" in page
    assert "<html" not in page and "<table" in page
    assert "HX-Request" in response.headers["Vary"]


def test_it_pages_25_patients_at_a_time(dana, client_for):
    for number in range(30):
        make_patient(dana, "Pat", f"Person{number:02d}")
    client = client_for(dana)
    first = client.get(reverse("patient_list")).content.decode()
    second = client.get(reverse("patient_list"), {"page": 2}).content.decode()
    assert first.count("Person") == 25 and "Page 1 of 2" in first
    assert second.count("Person") == 5 and "Page 2 of 2" in second


# The chart ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "ben", "maya"])
def test_it_shows_the_care_team_the_clinical_chart(personas, patient, client_for, persona):
    response = _chart(client_for(personas[persona]), patient)
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("M51.362", "MRI 2026-03-02", "Warfarin", "badge-risk", "anticoagulant", "Lumbar spine"):
        assert text in page
    assert "Dr Alice Moreau, DC" in page and "Lead clinician" in page


@pytest.mark.parametrize("persona", ["dana", "admin"])
def test_it_shows_front_desk_and_admin_demographics_and_care_team_only(
    personas, patient, client_for, persona
):
    response = _chart(client_for(personas[persona]), patient)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Robert Hale" in page and patient.mrn in page and "Dr Alice Moreau, DC" in page
    for word in CLINICAL_WORDS:
        assert word not in page
    reads = AuditEvent.objects.filter(actor_id=personas[persona].pk, action="R", patient_id=patient.pk)
    assert sorted(reads.values_list("object_type", "detail")) == [
        ("Appointment", "chart panel"),
        ("Patient", "demographics"),
    ]


@pytest.mark.parametrize(
    ("persona", "expected"), [("alice", 404), ("maya", 404), ("ben", 200), ("outsider", 404)]
)
def test_it_answers_404_to_clinicians_off_the_team(personas, other_patient, client_for, persona, expected):
    assert _chart(client_for(personas[persona]), other_patient).status_code == expected


def test_an_outsider_gets_the_same_404_for_a_real_and_a_missing_patient(outsider, patient, client_for):
    client = client_for(outsider)
    real = client.get(reverse("patient_chart", args=[patient.pk]))
    missing = client.get(reverse("patient_chart", args=[patient.pk + 1000]))
    assert real.status_code == missing.status_code == 404
    # Identical but for the per-response CSRF mask.
    unmasked = [
        re.sub(r'(X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+', "", r.content.decode())
        for r in (real, missing)
    ]
    assert unmasked[0] == unmasked[1]
    assert "Hale" not in real.content.decode()
    refused = AuditEvent.objects.filter(actor_id=outsider.pk, outcome=AuditOutcome.MINOR_FAILURE)
    assert refused.filter(patient_id=patient.pk).exists()


def test_front_desk_never_sees_clinical_content_on_any_page(dana, patient, client_for):
    client = client_for(dana)
    condition = patient.conditions.get()
    urls = [
        reverse("patient_list"),
        reverse("patient_list") + "?q=Hale",
        reverse("patient_chart", args=[patient.pk]),
        reverse("patient_update", args=[patient.pk]),
        reverse("care_team_add", args=[patient.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        for word in CLINICAL_WORDS:
            assert word not in response.content.decode(), (url, word)
    clinical_urls = [
        reverse("condition_create", args=[patient.pk]),
        reverse("condition_update", args=[condition.pk]),
        reverse("medication_create", args=[patient.pk]),
        reverse("medication_update", args=[patient.medications.get().pk]),
        reverse("allergy_create", args=[patient.pk]),
    ]
    for url in clinical_urls:
        assert client.get(url).status_code == 404, url


def test_the_lead_sees_who_broke_the_glass(ben, alice, other_patient, client_for):
    CareTeamMember.objects.filter(patient=other_patient).update(role=CareTeamRole.LEAD)
    client_for(alice).post(
        reverse("break_glass_open"),
        {"mrn": other_patient.mrn, "reason": "Patient collapsed in the waiting room"},
    )
    page = _chart(client_for(ben), other_patient).content.decode()
    assert "Patient collapsed in the waiting room" in page and "Dr Alice Moreau, DC" in page


# Registration and demographics --------------------------------------------------------------------


PATIENT_FORM = {
    "given_name": "Nora",
    "family_name": "Quist",
    "preferred_name": "",
    "birth_date": "1985-06-30",
    "sex": "female",
    "phone": "503-555-0199",
    "email": "",
    "address_line": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "preferred_language": "en",
    "emergency_contact_name": "",
    "emergency_contact_relationship": "",
    "emergency_contact_phone": "",
    "mrn": "",
}


@pytest.mark.parametrize("persona", ["dana", "admin", "alice"])
def test_it_registers_a_patient(personas, client_for, persona):
    response = client_for(personas[persona]).post(reverse("patient_create"), PATIENT_FORM)
    nora = Patient.objects.get(family_name="Quist")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient_chart", args=[nora.pk])
    assert nora.mrn.startswith("T") and nora.organization_id == personas[persona].organization_id


def test_a_clinician_who_registers_a_patient_leads_the_care_team(alice, client_for):
    client_for(alice).post(reverse("patient_create"), PATIENT_FORM)
    nora = Patient.objects.get(family_name="Quist")
    assert nora.care_team.get().practitioner == alice.practitioner
    assert _chart(client_for(alice), nora).status_code == 200


def test_it_refuses_a_future_birth_date_beside_the_field_and_stores_nothing(dana, client_for):
    response = client_for(dana).post(reverse("patient_create"), {**PATIENT_FORM, "birth_date": "2999-01-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_birth_date-errors"' in html and "The birth date is in the future." in html
    assert 'value="Quist"' in html and 'value="2999-01-01"' in html
    assert not Patient.objects.filter(family_name="Quist").exists()


def test_it_refuses_an_impossible_date_and_a_missing_name(dana, client_for):
    data = {**PATIENT_FORM, "birth_date": "2023-02-30", "family_name": ""}
    html = client_for(dana).post(reverse("patient_create"), data).content.decode()
    assert 'id="id_birth_date-errors"' in html and 'id="id_family_name-errors"' in html
    assert 'aria-invalid="true"' in html
    assert not Patient.objects.filter(given_name="Nora").exists()


def test_it_refuses_an_mrn_already_in_use(dana, patient, client_for):
    html = (
        client_for(dana)
        .post(reverse("patient_create"), {**PATIENT_FORM, "mrn": patient.mrn})
        .content.decode()
    )
    assert 'id="id_mrn-errors"' in html and "already in use" in html
    assert not Patient.objects.filter(family_name="Quist").exists()


def test_it_edits_demographics_and_keeps_the_record_on_bad_input(ben, patient, client_for):
    client = client_for(ben)
    form = client.get(reverse("patient_update", args=[patient.pk]))
    assert 'value="Hale"' in form.content.decode()
    data = {
        **PATIENT_FORM,
        "given_name": "Robert",
        "family_name": "Hale",
        "birth_date": "1968-04-12",
        "sex": "male",
    }
    data.pop("mrn")
    bad = client.post(
        reverse("patient_update", args=[patient.pk]), {**data, "family_name": "", "active": "on"}
    )
    assert bad.status_code == 200 and 'id="id_family_name-errors"' in bad.content.decode()
    patient.refresh_from_db()
    assert patient.family_name == "Hale"
    good = client.post(
        reverse("patient_update", args=[patient.pk]), {**data, "phone": "503-555-0100", "active": "on"}
    )
    assert good.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "503-555-0100"


@pytest.mark.parametrize(
    ("persona", "expected"), [("alice", 404), ("outsider", 404), ("dana", 200), ("ben", 200)]
)
def test_who_may_edit_demographics(personas, other_patient, client_for, persona, expected):
    url = reverse("patient_update", args=[other_patient.pk])
    assert client_for(personas[persona]).get(url).status_code == expected


def test_the_404_page_is_plain(alice, client_for):
    response = client_for(alice).get("/patients/999999/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()


def test_the_chart_and_its_forms_carry_no_inline_script_or_style(alice, patient, client_for):
    client = client_for(alice)
    urls = [
        reverse("patient_chart", args=[patient.pk]),
        reverse("patient_create"),
        reverse("patient_update", args=[patient.pk]),
        reverse("condition_create", args=[patient.pk]),
        reverse("medication_create", args=[patient.pk]),
        reverse("allergy_create", args=[patient.pk]),
        reverse("care_team_add", args=[patient.pk]),
        reverse("break_glass_open"),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
