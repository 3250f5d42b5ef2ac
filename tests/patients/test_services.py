from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from tandem.audit.models import AuditEvent
from tandem.patients import services
from tandem.patients.access import Purpose, access_patient, can_see_patient
from tandem.patients.drug_classes import risk_flags_for
from tandem.patients.models import CareTeamMember, Condition, MedicationStatement, Patient


def test_a_clinician_who_registers_a_patient_leads_the_care_team(alice, new_patient):
    patient = new_patient(alice, "Nora", "Quinn")
    lead = CareTeamMember.objects.get(patient=patient)
    assert (lead.practitioner, lead.role, lead.ended_on) == (alice.practitioner, "lead", None)
    assert patient.mrn == f"T{patient.pk:07d}"


def test_front_desk_registration_starts_without_a_care_team(dana, new_patient):
    patient = new_patient(dana, "Nora", "Quinn")
    assert not CareTeamMember.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(
    ("birth_date", "message"),
    [(datetime.date(2999, 1, 1), "future"), (datetime.date(1850, 1, 1), "before 1900")],
)
def test_it_refuses_an_implausible_birth_date(dana, new_patient, birth_date, message):
    with pytest.raises(ValidationError) as caught:
        new_patient(dana, birth_date=birth_date)
    assert message in caught.value.message_dict["birth_date"][0]
    assert not Patient.objects.exists()


def test_it_refuses_an_unknown_sex_code_and_a_bad_email(dana, new_patient):
    with pytest.raises(ValidationError) as caught:
        new_patient(dana, sex="m", email="not-an-email")
    assert set(caught.value.message_dict) == {"sex", "email"}


def test_it_refuses_a_duplicate_mrn_without_storing_anything(dana):
    data = {"given_name": "A", "family_name": "B", "birth_date": datetime.date(1990, 1, 1), "sex": "female"}
    services.patient_create(actor=dana, data=data, mrn="X100")
    with pytest.raises(ValidationError) as caught:
        services.patient_create(actor=dana, data=data, mrn="X100")
    assert "already in use" in caught.value.message_dict["mrn"][0]
    assert Patient.objects.count() == 1


def test_it_records_a_condition_with_the_official_description(alice, patient):
    condition = services.condition_create(
        actor=alice,
        patient=patient,
        data={"code": "m722", "body_site": "ankle-foot", "laterality": "left", "category": "soft-tissue"},
    )
    assert (condition.code, condition.text) == ("M72.2", "Plantar fascial fibromatosis")
    assert condition.body_site_codes == ["ankle-foot-left"]


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"code": "M51.36", "category": "structural"}, "code", "M51.362"),
        ({"code": "Q00.0X", "category": "structural"}, "code", "not an ICD-10-CM code"),
        ({"code": "M75.101", "body_site": "shoulder", "category": "soft-tissue"}, "laterality", "which side"),
        (
            {"code": "M54.50", "body_site": "lumbar", "laterality": "left", "category": "soft-tissue"},
            "laterality",
            "no side",
        ),
        ({"code": "M54.50", "category": "bone"}, "category", "not a valid choice"),
    ],
)
def test_it_refuses_a_condition_with_a_message_on_the_field(alice, patient, data, field, fragment):
    before = Condition.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.condition_create(actor=alice, patient=patient, data=data)
    assert fragment in " ".join(caught.value.message_dict[field])
    assert Condition.objects.count() == before


def test_a_bilateral_limb_condition_covers_both_sides(alice, patient):
    condition = services.condition_create(
        actor=alice,
        patient=patient,
        data={"code": "M17.0", "body_site": "knee", "laterality": "bilateral", "category": "structural"},
    )
    assert condition.body_site_codes == ["knee-left", "knee-right"]


@pytest.mark.parametrize(
    ("name", "flags"),
    [
        ("Warfarin sodium 5 mg", ["anticoagulant"]),
        ("Eliquis", ["anticoagulant"]),
        ("aspirin 81 mg", ["antiplatelet"]),
        ("Prednisone", ["corticosteroid"]),
        ("alendronate 70 mg weekly", ["bisphosphonate"]),
        ("Aggrenox (aspirin/dipyridamole)", ["antiplatelet"]),
        ("ibuprofen", []),
    ],
)
def test_it_derives_medication_risk_flags_from_the_drug_class_table(name, flags):
    assert risk_flags_for(name) == flags


def test_a_medication_carries_its_risk_flags(alice, patient):
    medication = services.medication_create(actor=alice, patient=patient, data={"medication": "rivaroxaban"})
    assert medication.risk_flags == ["anticoagulant"]
    updated = services.medication_update(actor=alice, medication=medication, data={"medication": "naproxen"})
    assert MedicationStatement.objects.get(pk=updated.pk).risk_flags == []


def test_a_care_team_has_one_lead_and_one_open_membership_each(alice, ben, patient):
    with pytest.raises(ValidationError) as caught:
        services.care_team_add(actor=alice, patient=patient, practitioner=ben.practitioner, role="lead")
    assert "already on this care team" in " ".join(caught.value.message_dict["practitioner"])
    assert "already has a lead" in " ".join(caught.value.message_dict["role"])


def test_ending_a_membership_ends_access(alice, maya, patient):
    member = CareTeamMember.objects.get(patient=patient, practitioner=maya.practitioner)
    assert can_see_patient(maya, patient, Purpose.CLINICAL)
    services.care_team_end(actor=alice, member=member)
    assert not can_see_patient(maya, patient, Purpose.CLINICAL)


def test_a_practitioner_of_another_clinic_cannot_join_the_team(alice, outsider, patient):
    with pytest.raises(ValidationError):
        services.care_team_add(actor=alice, patient=patient, practitioner=outsider.practitioner)


def test_front_desk_sees_demographics_but_never_the_clinical_record(dana, patient):
    assert access_patient(dana, patient.pk, Purpose.DEMOGRAPHICS) == patient
    with pytest.raises(Exception) as caught:
        access_patient(dana, patient.pk, Purpose.CLINICAL)
    assert caught.type.__name__ == "Http404"


def test_break_the_glass_needs_a_reason_and_is_audited(alice, other_patient):
    with pytest.raises(ValidationError):
        services.break_glass_open(actor=alice, patient=other_patient, reason="urgent")
    assert not can_see_patient(alice, other_patient, Purpose.CLINICAL)
    services.break_glass_open(
        actor=alice, patient=other_patient, reason="Patient collapsed in the waiting room"
    )
    assert can_see_patient(alice, other_patient, Purpose.CLINICAL)
    entry = AuditEvent.objects.get(object_type="BreakGlassAccess")
    assert entry.patient_id == other_patient.pk and "collapsed" in entry.detail


def test_break_the_glass_never_opens_another_clinics_patient(outsider, patient, client, token_for):
    response = client.post(
        f"/api/v1/patients/{patient.pk}/break-glass",
        data={"reason": "I am curious about this one"},
        content_type="application/json",
        **token_for(outsider),
    )
    assert response.status_code == 404
    assert not can_see_patient(outsider, patient, Purpose.CLINICAL)


def test_every_change_writes_an_audit_entry_with_the_changed_fields(alice, patient):
    services.patient_update(actor=alice, patient=patient, data={"phone": "503-555-0199"})
    entry = AuditEvent.objects.order_by("-sequence").first()
    assert (entry.action, entry.object_type, entry.patient_id) == ("U", "Patient", patient.pk)
    assert entry.detail == "changed: phone"
