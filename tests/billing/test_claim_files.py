"""The clinic's claim files (tandem.billing.claim_files): the preview of a period, making the file (kept,
validated with pyx12, audited per patient, charges marked billed only when valid), and every refusal writing
nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.billing import claim_files
from tandem.billing.claim_files import claim_file_make, claim_file_preview, period_or_refusal
from tandem.billing.models import BillingSettings, Charge, ChargeStatus, ClaimFile
from tandem.billing.services import billing_settings_for
from tandem.billing.x12 import render_837p, validate_837p

from .test_exports import week  # noqa: F401  (the insured week of Grace Tran's visits)

pytestmark = pytest.mark.django_db


def _make(actor, week_days, **options):
    first, last = week_days
    return claim_file_make(
        actor=actor, organization=actor.organization, first_day=first, last_day=last, **options
    )


def _last_number(organization) -> int:
    return BillingSettings.objects.get(organization=organization).last_interchange_number


def test_it_keeps_a_valid_file_and_marks_its_charges_billed(alice, grace, week):  # noqa: F811
    claim_file = _make(alice, week, mark_billed=True)
    claim_file.refresh_from_db()
    assert claim_file.valid and claim_file.errors == [] and claim_file.marked_billed
    assert validate_837p(claim_file.text) == []
    assert (claim_file.claim_count, claim_file.line_count, str(claim_file.total_charge)) == (4, 6, "466.00")
    assert claim_file.interchange_number == _last_number(grace.organization)
    assert f"*{claim_file.interchange_number:09d}*" in claim_file.text and "*P*:~" in claim_file.text
    assert (claim_file.first_service_on, claim_file.last_service_on) == week
    assert claim_file.created_by == alice and claim_file.skipped == []
    assert set(claim_file.charges.values_list("status", flat=True)) == {ChargeStatus.BILLED}
    assert claim_file.charges.count() == 6
    audit = AuditEvent.objects.filter(object_type="ClaimFile", object_id=str(claim_file.pk))
    assert list(audit.values_list("patient_id", "actor_id")) == [(grace.pk, alice.pk)]


def test_a_test_file_without_marking_leaves_the_charges_billable(alice, grace, week):  # noqa: F811
    claim_file = _make(alice, week, production=False)
    assert claim_file.valid and not claim_file.marked_billed and not claim_file.production
    assert "*T*:~" in claim_file.text
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()
    # The charges are still billable: the next file carries them again, under the next number.
    again = _make(alice, week, mark_billed=True)
    assert again.interchange_number == claim_file.interchange_number + 1 and again.line_count == 6


def test_an_invalid_file_is_kept_with_the_errors_and_marks_nothing_billed(
    alice,
    grace,
    week,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(
        claim_files, "render_837p", lambda batch: render_837p(batch).replace("CLM*", "CLX*", 1)
    )
    claim_file = _make(alice, week, mark_billed=True)
    claim_file.refresh_from_db()
    assert not claim_file.valid and not claim_file.marked_billed
    assert claim_file.errors and all(isinstance(error, str) for error in claim_file.errors)
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()
    detail = AuditEvent.objects.get(object_type="ClaimFile").detail
    assert f"{len(claim_file.errors)} validation errors" in detail


def test_billed_charges_are_not_sent_twice_and_nothing_to_send_writes_nothing(
    alice,
    grace,
    week,  # noqa: F811
):
    _make(alice, week, mark_billed=True)
    number, files, audit = (
        _last_number(grace.organization),
        ClaimFile.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ValidationError) as caught:
        _make(alice, week, mark_billed=True)
    assert caught.value.message_dict == {"__all__": [f"No claim to send from {week[0]} to {week[1]}."]}
    # The refused file took no interchange number, kept no file, audited nothing.
    assert _last_number(grace.organization) == number
    assert (ClaimFile.objects.count(), AuditEvent.objects.count()) == (files, audit)


def test_when_every_visit_is_left_out_the_refusal_says_why(alice, grace, week):  # noqa: F811
    type(grace).objects.filter(pk=grace.pk).update(postal_code="")
    with pytest.raises(ValidationError) as caught:
        _make(alice, week)
    skipped = caught.value.message_dict["skipped"]
    assert len(skipped) == 4 and all("no complete home address" in reason for reason in skipped)
    assert not ClaimFile.objects.exists()


def test_a_file_names_the_visits_left_out(alice, ben, grace, week, new_patient, signed_visit):  # noqa: F811
    from tandem.billing.services import charges_post
    from tandem.patients.services import care_team_add, condition_create

    from .conftest import encounter_of, pt_data

    person = new_patient(alice, "Ian", "Moss", birth_date=datetime.date(1990, 1, 2), sex="male")
    care_team_add(actor=alice, patient=person, practitioner=ben.practitioner)
    condition_create(actor=alice, patient=person, data={"code": "M54.50", "category": "soft-tissue"})
    charges_post(
        actor=ben,
        encounter=encounter_of(
            signed_visit(person, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
        ),
    )
    claim_file = _make(alice, week)
    assert claim_file.valid and claim_file.claim_count == 4
    assert claim_file.skipped == [
        f"Ian Moss ({person.mrn}) on {timezone.localdate().isoformat()}: self-pay (no insurance on record); "
        "give the patient a superbill."
    ]
    # Reading the file is audited for every patient it names, the one left out too.
    assert claim_file.patient_ids == sorted([grace.pk, person.pk])
    claim_files.claim_file_read(actor=alice, claim_file=claim_file, detail="claim file details")
    read = AuditEvent.objects.filter(object_type="ClaimFile", action="R", object_id=str(claim_file.pk))
    assert sorted(read.values_list("patient_id", flat=True)) == sorted([grace.pk, person.pk])


def test_incomplete_billing_settings_refuse_the_file(alice, grace, week):  # noqa: F811
    settings_row = billing_settings_for(grace.organization)
    BillingSettings.objects.filter(pk=settings_row.pk).update(tax_id="")
    with pytest.raises(ValidationError) as caught:
        _make(alice, week)
    [message] = caught.value.message_dict["__all__"]
    assert message.startswith("Billing settings: Billing provider EIN")
    assert not ClaimFile.objects.exists() and _last_number(grace.organization) == 0


@pytest.mark.parametrize(
    ("first", "last", "field", "message"),
    [
        ("2026-11-30", "2026-11-01", "to", "before it starts"),
        ("2025-01-01", "2026-06-30", "to", "keep it to 366 days"),
        ("30/11/2026", "2026-12-01", "from", "must be a date such as"),
        ("", "", "from", "Give the first day"),
    ],
)
def test_a_bad_period_is_refused_before_anything_is_written(alice, grace, first, last, field, message):
    with pytest.raises(ValidationError) as caught:
        claim_file_make(actor=alice, organization=alice.organization, first_day=first, last_day=last)
    assert message in caught.value.message_dict[field][0]
    assert not ClaimFile.objects.exists() and not BillingSettings.objects.exists()


@pytest.mark.parametrize("persona", ["maya", "dana", "admin", "outsider"])
def test_only_a_dc_or_pt_of_the_clinic_may_export(persona, personas, grace, week):  # noqa: F811
    with pytest.raises(ValidationError, match="chiropractor or physical therapist"):
        claim_file_make(
            actor=personas[persona], organization=grace.organization, first_day=week[0], last_day=week[1]
        )
    assert not ClaimFile.objects.exists()
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()


def test_the_preview_counts_the_claims_and_writes_only_the_audit(ben, grace, week):  # noqa: F811
    preview = claim_file_preview(actor=ben, organization=grace.organization, period=period_or_refusal(*week))
    assert preview.problems == () and preview.skipped == ()
    assert [claim.codes for claim in preview.claims] == [
        ("98940",),
        ("97110", "97140"),
        ("98940", "97140-59"),
        ("97112",),
    ]
    assert [claim.billing_clinician for claim in preview.claims] == [
        "Alice Moreau",
        "Ben Okafor",
        "Alice Moreau",
        "Ben Okafor",
    ]
    assert {claim.patient for claim in preview.claims} == {"Grace Tran"}
    assert (preview.line_count, str(preview.total)) == (6, "466.00")
    assert not ClaimFile.objects.exists() and _last_number(grace.organization) == 0
    read = AuditEvent.objects.filter(object_type="Charge", detail__startswith="claim preview")
    assert list(read.values_list("patient_id", "actor_id")) == [(grace.pk, ben.pk)]


def test_the_preview_names_the_billing_settings_to_fix(alice, grace, week):  # noqa: F811
    settings_row = billing_settings_for(grace.organization)
    BillingSettings.objects.filter(pk=settings_row.pk).update(postal_code="")
    preview = claim_file_preview(
        actor=alice, organization=grace.organization, period=period_or_refusal(*week)
    )
    assert preview.claims == () and preview.problems and "Billing settings" in preview.problems[0]


def test_the_command_keeps_its_file_too(grace, week, tmp_path):  # noqa: F811
    import io

    from django.core.management import call_command

    call_command(
        "export_claims",
        "--from",
        week[0].isoformat(),
        "--to",
        week[1].isoformat(),
        "--output",
        str(tmp_path / "w.837"),
        stderr=io.StringIO(),
    )
    claim_file = ClaimFile.objects.get()
    assert claim_file.created_by is None and claim_file.text == (tmp_path / "w.837").read_text()
    assert not claim_file.marked_billed and claim_file.valid


def test_the_claim_of_one_visit_carries_that_patient_and_day_only(alice, grace, week):  # noqa: F811
    from django.test import Client

    charge = Charge.objects.filter(patient=grace).order_by("service_on", "pk").last()
    day = charge.service_on
    claim_file = claim_file_make(
        actor=alice,
        organization=alice.organization,
        first_day=None,
        last_day=None,
        encounter=charge.encounter,
    )
    assert claim_file.valid and validate_837p(claim_file.text) == []
    assert (claim_file.first_service_on, claim_file.last_service_on) == (day, day)
    assert set(claim_file.charges.values_list("patient_id", "service_on")) == {(grace.pk, day)}
    assert claim_file.charges.count() == Charge.objects.filter(patient=grace, service_on=day).count()
    assert claim_file.line_count < 6  # the week holds more

    # From the visit's charges page, in the browser's way.
    client = Client()
    client.force_login(alice)
    response = client.post(f"/encounters/{charge.encounter_id}/claim-file")
    newest = ClaimFile.objects.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == f"/billing/claims/{newest.pk}"
    assert newest.pk != claim_file.pk and newest.first_service_on == day
