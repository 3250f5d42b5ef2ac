"""Charges follow from what the visit documented (issue #5): posted from signed notes under the clinic's
rules, refused with the billing rule's message and nothing written, voided with a reason, audited."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.billing.models import BillingSettings, Charge, ChargeStatus
from tandem.billing.selectors import charge_list_for_encounter, charge_list_for_patient
from tandem.billing.services import billing_settings_for, charge_void, charges_post
from tandem.charting import services as charting

from .conftest import chiro_data, encounter_of, massage_data, pt_data

pytestmark = pytest.mark.django_db


def _lines(charges: list[Charge]) -> list[tuple[str, list[str], int, int | None, str]]:
    return [(c.code, c.modifiers, c.units, c.minutes, c.status) for c in charges]


def test_it_bills_33_and_7_minutes_as_2_plus_1_units_under_cms(ben, grace, signed_visit):
    note = signed_visit(
        grace,
        ben,
        pt_data(("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"])),
    )
    charges = charges_post(actor=ben, encounter=encounter_of(note))
    assert _lines(charges) == [("97110", [], 2, 33, "billable"), ("97140", [], 1, 7, "billable")]
    assert [c.fee for c in charges] == [Decimal("104.00"), Decimal("48.00")]
    assert all(c.note_id == note.pk and c.service_on == timezone.localdate() for c in charges)
    assert charges[0].diagnosis_codes == ["M99.03"]  # the lumbar problem points to the lumbar line
    assert charges[0].regions == ["lumbar"] and charges[0].rule == "cms"
    event = (
        AuditEvent.objects.filter(object_type="Encounter", object_id=str(note.encounter_id))
        .order_by("sequence")
        .last()
    )
    assert "charges posted" in event.detail and "97110×2" in event.detail


def test_it_bills_per_code_under_the_ama_rule(ben, grace, signed_visit):
    settings_row = billing_settings_for(grace.organization)
    BillingSettings.objects.filter(pk=settings_row.pk).update(timed_rule="ama")
    note = signed_visit(
        grace,
        ben,
        pt_data(("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"])),
    )
    charges = charges_post(actor=ben, encounter=encounter_of(note))
    # 97140 for 7 minutes bills nothing per code; it stays on record as not billable.
    assert _lines(charges) == [("97110", [], 2, 33, "billable"), ("97140", [], 0, 7, "not-billable")]
    assert charges[1].fee == Decimal("0.00")


def test_it_refuses_manual_therapy_on_the_region_the_supervisor_adjusted(alice, maya, grace, signed_visit):
    chiro = signed_visit(grace, alice, chiro_data(("lumbar", ["L4", "L5"])))
    assert _lines(charges_post(actor=alice, encounter=encounter_of(chiro))) == [
        ("98940", [], 1, None, "billable")
    ]
    massage = signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    before = list(Charge.objects.values_list("pk", "code", "modifiers", "status"))
    with pytest.raises(ValidationError) as caught:
        charges_post(actor=maya, encounter=encounter_of(massage))
    messages = " ".join(m for ms in caught.value.message_dict.values() for m in ms)
    assert "97140" in messages and "98940" in messages and "lumbar" in messages.lower()
    assert list(Charge.objects.values_list("pk", "code", "modifiers", "status")) == before
    assert not Charge.objects.filter(encounter_id=massage.encounter_id).exists()


def test_it_gives_modifier_59_to_manual_therapy_on_another_region(alice, maya, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L5"])))
    massage = signed_visit(
        grace,
        maya,
        massage_data(["thoracic"], ("massage-trigger-point", 10), ("massage-myofascial-release", 12)),
    )
    charges = charges_post(actor=maya, encounter=encounter_of(massage))
    assert _lines(charges) == [("98940", [], 1, None, "billable"), ("97140", ["59"], 1, 22, "billable")]
    manual = charges[1]
    assert manual.note_id == massage.pk and manual.regions == ["thoracic"]
    assert manual.diagnosis_codes == ["M99.02"]  # points to the thoracic problem, as payers expect


def test_it_uses_xs_when_the_clinic_wants_x_modifiers(alice, maya, grace, signed_visit):
    BillingSettings.objects.filter(pk=billing_settings_for(grace.organization).pk).update(
        distinct_modifier="XS"
    )
    signed_visit(grace, alice, chiro_data(("lumbar", [])))
    massage = signed_visit(grace, maya, massage_data(["thoracic"], ("massage-deep-tissue", 15)))
    charges = charges_post(actor=alice, encounter=encounter_of(massage))
    assert [c.code_with_modifiers for c in charges] == ["98940", "97140-XS"]


def test_another_clinicians_visit_the_same_day_is_billed_on_its_own(alice, ben, grace, signed_visit):
    # Ben bills his own PT visit: the NCCI edit pairs codes of one billing clinician, so his 97140 on the
    # lumbar region does not meet alice's 98940.
    signed_visit(grace, alice, chiro_data(("lumbar", [])))
    pt = signed_visit(grace, ben, pt_data(("pt-manual-therapy", 20, ["lumbar"])))
    charges = charges_post(actor=ben, encounter=encounter_of(pt))
    assert _lines(charges) == [("97140", [], 1, 20, "billable")]


def test_it_counts_the_spinal_regions_of_every_adjustment(alice, grace, signed_visit):
    note = signed_visit(
        grace, alice, chiro_data(("cervical", ["C5"]), ("thoracic", ["T4", "L1"]), ("shoulder-left", []))
    )
    charges = charges_post(actor=alice, encounter=encounter_of(note))
    assert [(c.code, c.regions) for c in charges] == [
        ("98941", ["cervical", "thoracic", "lumbar"]),
        ("98943", ["shoulder-left"]),
    ]


def test_it_replaces_the_visit_charges_when_posted_again(ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 40, ["lumbar"])))
    first = charges_post(actor=ben, encounter=encounter_of(note))
    second = charges_post(actor=ben, encounter=encounter_of(note))
    assert _lines(first) == _lines(second) == [("97110", [], 3, 40, "billable")]
    assert Charge.objects.count() == 1 and not Charge.objects.filter(pk=first[0].pk).exists()


def test_it_waits_for_the_supervisors_cosignature(maya, grace, signed_visit):
    note = signed_visit(grace, maya, massage_data(["thoracic"], ("massage-swedish", 30)), cosign=False)
    with pytest.raises(ValidationError, match="co-signature"):
        charges_post(actor=maya, encounter=encounter_of(note))
    assert not Charge.objects.exists()


def test_it_refuses_a_visit_without_a_signed_note(ben, grace, checked_in):
    encounter = charting.encounter_start(actor=ben, appointment=checked_in(grace, ben))
    charting.note_start(actor=ben, encounter=encounter)
    with pytest.raises(ValidationError, match="no signed note"):
        charges_post(actor=ben, encounter=encounter)
    assert not Charge.objects.exists()


@pytest.mark.parametrize("who", ["dana", "outsider"])
def test_only_the_care_team_posts_charges(who, personas, ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    with pytest.raises(ValidationError, match="care team"):
        charges_post(actor=personas[who], encounter=encounter_of(note))
    assert not Charge.objects.exists()


def test_it_refuses_a_code_without_a_fee(ben, grace, signed_visit):
    settings_row = billing_settings_for(grace.organization)
    fees = {code: price for code, price in settings_row.fees.items() if code != "97530"}
    BillingSettings.objects.filter(pk=settings_row.pk).update(fees=fees)
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-activities", 30, ["lumbar"])))
    with pytest.raises(ValidationError) as caught:
        charges_post(actor=ben, encounter=encounter_of(note))
    assert "97530" in caught.value.message_dict["fees"][0]
    assert not Charge.objects.exists()


def test_it_refuses_a_visit_with_no_diagnosis_on_record(ben, new_patient, alice, signed_visit):
    from tandem.patients.services import care_team_add

    person = new_patient(alice, "Ian", "Moss", birth_date=datetime.date(1990, 1, 2), sex="male")
    care_team_add(actor=alice, patient=person, practitioner=ben.practitioner)
    note = signed_visit(person, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    with pytest.raises(ValidationError) as caught:
        charges_post(actor=ben, encounter=encounter_of(note))
    assert "diagnosis" in caught.value.message_dict["diagnoses"][0]
    assert not Charge.objects.exists()


def test_it_refuses_to_repost_a_billed_visit(ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    charges_post(actor=ben, encounter=encounter_of(note))
    Charge.objects.update(status=ChargeStatus.BILLED)
    with pytest.raises(ValidationError, match="on a claim already"):
        charges_post(actor=ben, encounter=encounter_of(note))
    assert Charge.objects.filter(status=ChargeStatus.BILLED).count() == 1


def test_a_void_charge_needs_a_reason_and_leaves_the_lists(ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    charge = charges_post(actor=ben, encounter=encounter_of(note))[0]
    with pytest.raises(ValidationError, match="Say why"):
        charge_void(actor=ben, charge=charge, reason="  ")
    voided = charge_void(actor=ben, charge=charge, reason="Billed under the wrong date of service.")
    assert voided.status == ChargeStatus.ENTERED_IN_ERROR
    assert list(charge_list_for_encounter(encounter_of(note))) == []
    assert list(charge_list_for_encounter(encounter_of(note), include_void=True)) == [voided]
    with pytest.raises(ValidationError, match="void already"):
        charge_void(actor=ben, charge=voided, reason="again")
    assert AuditEvent.objects.filter(object_type="Charge", object_id=str(charge.pk)).exists()


def test_the_patient_list_covers_a_period(ben, grace, signed_visit):
    today = timezone.localdate()
    older = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])), days_ago=3)
    recent = signed_visit(grace, ben, pt_data(("pt-neuromuscular-reeducation", 25, ["lumbar"])))
    charges_post(actor=ben, encounter=encounter_of(older))
    charges_post(actor=ben, encounter=encounter_of(recent))
    week = charge_list_for_patient(grace, today - datetime.timedelta(days=6), today)
    assert [(c.code, c.service_on) for c in week] == [
        ("97110", today - datetime.timedelta(days=3)),
        ("97112", today),
    ]
    assert [c.code for c in charge_list_for_patient(grace, today, today)] == ["97112"]


def test_diagnoses_come_from_the_plans_problems(alice, ben, grace, signed_visit):
    from tandem.careplans import services as careplans

    spasm = grace.conditions.get(code="M62.830")
    plan = careplans.careplan_create(
        actor=alice, patient=grace, data={"title": "Back spasm", "problems": [spasm.pk]}
    )
    activity = careplans.activity_add(
        actor=alice,
        plan=plan,
        data={
            "kind": "therapeutic-exercise",
            "techniques": ["pt-therapeutic-exercise"],
            "body_sites": ["lumbar"],
            "visits_per_week": 2,
            "weeks": 6,
            "visit_minutes": 45,
            "preferred_practitioner": ben.practitioner.pk,
        },
    )
    careplans.careplan_activate(actor=alice, plan=plan)
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])), activity=activity)
    (charge,) = charges_post(actor=ben, encounter=encounter_of(note))
    # The plan lists only the spasm, so the lumbar segmental dysfunction on the problem list is not billed.
    assert charge.diagnosis_codes == ["M62.830"]


def test_without_a_plan_structural_problems_come_first(alice, ben, new_patient, signed_visit):
    from tandem.patients.services import care_team_add, condition_create

    person = new_patient(alice, "Ian", "Moss", birth_date=datetime.date(1990, 1, 2), sex="male")
    care_team_add(actor=alice, patient=person, practitioner=ben.practitioner)
    condition_create(actor=alice, patient=person, data={"code": "M62.830", "category": "soft-tissue"})
    condition_create(
        actor=alice,
        patient=person,
        data={"code": "M99.03", "body_site": "lumbar", "category": "structural", "evidence": "X-ray"},
    )
    note = signed_visit(person, ben, pt_data(("pt-therapeutic-exercise", 30, ["knee-left"])))
    (charge,) = charges_post(actor=ben, encounter=encounter_of(note))
    # No problem concerns the left knee: the line points to the principal diagnosis, the structural one,
    # although the soft-tissue problem was recorded first.
    assert charge.diagnosis_codes == ["M99.03"]
