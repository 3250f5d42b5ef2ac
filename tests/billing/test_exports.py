"""Documents from stored charges: the 837P of a week of visits passes pyx12, the superbill PDF renders, and
the two commands write them (issue #5 acceptance)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from tandem.billing.exports import ExportError, claim_batch_for, superbill_for
from tandem.billing.models import Charge, ChargeStatus
from tandem.billing.services import charges_post, coverage_set
from tandem.billing.superbill import render_superbill_pdf
from tandem.billing.x12 import render_837p, validate_837p

from .conftest import chiro_data, encounter_of, massage_data, pt_data

pytestmark = pytest.mark.django_db
INSURANCE = {
    "payer_name": "Cascade Health Plan",
    "payer_id": "CHP01",
    "member_id": "XJH123456789",
    "group_number": "GRP4410",
    "claim_filing_indicator": "CI",
}


@pytest.fixture
def week(alice, ben, maya, grace, signed_visit) -> tuple[datetime.date, datetime.date]:
    """Grace's week: alice adjusts (6 days ago), ben's PT (4 days ago), alice and maya the same day (2 days
    ago: maya's thoracic massage is billed under alice with 59), ben's PT today. Charges posted."""
    coverage_set(actor=alice, patient=grace, data=INSURANCE)
    notes = [
        signed_visit(grace, alice, chiro_data(("lumbar", ["L4"])), days_ago=6),
        signed_visit(
            grace,
            ben,
            pt_data(("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"])),
            days_ago=4,
        ),
        signed_visit(grace, alice, chiro_data(("lumbar", []), ("cervical", ["C5"])), days_ago=2),
        signed_visit(grace, maya, massage_data(["thoracic"], ("massage-myofascial-release", 25)), days_ago=2),
        signed_visit(grace, ben, pt_data(("pt-neuromuscular-reeducation", 23, ["lumbar"]))),
    ]
    for note in notes:
        charges_post(actor=note.author, encounter=encounter_of(note))
    today = timezone.localdate()
    return today - datetime.timedelta(days=6), today


def _batch(organization, first, last, number: int = 7):
    return claim_batch_for(
        organization, first, last, interchange_control_number=number, created_at=timezone.localtime()
    )


def test_the_837p_of_a_week_passes_pyx12(grace, week):
    first, last = week
    export = _batch(grace.organization, first, last)
    assert export.skipped == ()
    text = render_837p(export.batch)
    assert validate_837p(text) == []
    # One claim per visit as billed: maya's massage rides on alice's claim of that day, naming maya.
    claims = export.batch.claims
    assert [[line.code_with_modifiers for line in claim.lines] for claim in claims] == [
        ["98940"],
        ["97110", "97140"],
        ["98940", "97140-59"],
        ["97112"],
    ]
    assert [claim.rendering_provider.first_name for claim in claims] == ["Alice", "Ben", "Alice", "Ben"]
    massage_line = claims[2].lines[1]
    assert massage_line.rendering_provider.first_name == "Maya"
    assert massage_line.rendering_provider.taxonomy_code == "225700000X"
    assert claims[1].total_charge == Decimal("152.00")  # 2 × 52.00 + 1 × 48.00
    assert claims[2].diagnoses == ("M99.03", "M99.02") and massage_line.diagnosis_pointers == (2,)
    assert "NM1*82*1*Lindqvist*Maya" in text and "HC:97140:59" in text
    assert len(export.charges) == 6


def test_a_self_pay_patient_is_left_out_with_the_reason(alice, ben, grace, new_patient, signed_visit):
    from tandem.patients.services import care_team_add, condition_create

    person = new_patient(alice, "Ian", "Moss", birth_date=datetime.date(1990, 1, 2), sex="male")
    care_team_add(actor=alice, patient=person, practitioner=ben.practitioner)
    condition_create(actor=alice, patient=person, data={"code": "M54.50", "category": "soft-tissue"})
    note = signed_visit(person, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    charges_post(actor=ben, encounter=encounter_of(note))
    today = timezone.localdate()
    export = _batch(person.organization, today, today)
    assert export.batch is None and export.charges == ()
    assert export.skipped == (
        f"Ian Moss ({person.mrn}) on {today.isoformat()}: self-pay (no insurance on record); "
        "give the patient a superbill.",
    )


def test_a_patient_without_an_address_is_left_out(alice, ben, grace, week):
    type(grace).objects.filter(pk=grace.pk).update(address_line="")
    first, last = week
    export = _batch(grace.organization, first, last)
    assert export.batch is None
    assert all("no complete home address" in reason for reason in export.skipped) and len(export.skipped) == 4


def test_export_claims_writes_a_valid_file_and_marks_the_charges_billed(grace, week, tmp_path):
    first, last = week
    output = tmp_path / "week.837"
    err = io.StringIO()
    call_command(
        "export_claims",
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--output",
        str(output),
        "--mark-billed",
        stderr=err,
    )
    assert validate_837p(output.read_text()) == []
    assert "4 claim(s), 6 line(s)" in err.getvalue() and "pyx12: valid" in err.getvalue()
    assert Charge.objects.filter(status=ChargeStatus.BILLED).count() == 6
    # Billed charges are not sent again; the next file has another interchange number.
    with pytest.raises(CommandError, match="No claim to send"):
        call_command(
            "export_claims", "--from", first.isoformat(), "--to", last.isoformat(), stderr=io.StringIO()
        )


def test_export_claims_fails_and_lists_the_errors_of_an_invalid_file(grace, week, tmp_path, monkeypatch):
    from tandem.billing import claim_files

    def broken(batch):
        return render_837p(batch).replace("CLM*", "CLX*", 1)

    monkeypatch.setattr(claim_files, "render_837p", broken)
    first, last = week
    err = io.StringIO()
    with pytest.raises(CommandError, match="pyx12 found"):
        call_command(
            "export_claims",
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
            "--output",
            str(tmp_path / "bad.837"),
            "--mark-billed",
            stderr=err,
        )
    assert "invalid:" in err.getvalue()
    assert not Charge.objects.filter(status=ChargeStatus.BILLED).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01", "--to", "2026-12-01"], "--from must be a date"),
        (["--from", "2026-12-02", "--to", "2026-12-01"], "is after --to"),
        (["--from", "2000-01-01", "--to", "2000-01-02"], "no billable charges"),
    ],
)
def test_export_claims_explains_bad_arguments(args, message, grace):
    with pytest.raises(CommandError, match=message):
        call_command("export_claims", *args, stderr=io.StringIO())


def test_the_superbill_of_a_period_renders(grace, week):
    first, last = week
    superbill = superbill_for(grace, first_day=first, last_day=last, issued_on=last)
    assert [line.service.code_with_modifiers for line in superbill.lines] == [
        "98940",
        "97110",
        "97140",
        "98940",
        "97140-59",
        "97112",
    ]
    # 98940 55 + (97110 2 × 52 + 97140 48) + 98940 55 + 97140 25 min = 2 × 48 + 97112 23 min = 2 × 54
    assert superbill.total_charge == Decimal("466.00")
    assert superbill.patient.insurance.member_id == "XJH123456789"
    assert [d.code for d in superbill.diagnoses] == ["M99.03", "M99.02"]
    assert superbill.visit_count == 4
    pdf = render_superbill_pdf(superbill)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert pdf.startswith(b"%PDF") and "Grace Tran" in text and "97112" in text


def test_the_superbill_of_one_visit(grace, week):
    visit = Charge.objects.get(code="97112").encounter
    superbill = superbill_for(grace, encounter=visit)
    assert [line.service.procedure_code for line in superbill.lines] == ["97112"]


def test_the_superbill_command_writes_a_pdf(grace, week, tmp_path):
    first, last = week
    output = tmp_path / "grace.pdf"
    call_command(
        "superbill",
        grace.mrn,
        "--from",
        first.isoformat(),
        "--to",
        last.isoformat(),
        "--output",
        str(output),
        stderr=io.StringIO(),
    )
    assert output.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="No patient with MRN"):
        call_command(
            "superbill", "NOPE", "--from", "2026-01-01", "--to", "2026-01-02", "--output", str(output)
        )


def test_a_superbill_needs_charges(grace):
    with pytest.raises(ExportError, match="no charges"):
        superbill_for(grace, first_day=datetime.date(2026, 1, 1), last_day=datetime.date(2026, 1, 31))


def test_coverage_refuses_bad_input_and_keeps_one_active(alice, grace):
    with pytest.raises(ValidationError) as caught:
        coverage_set(
            actor=alice, patient=grace, data={**INSURANCE, "member_id": "A*B", "claim_filing_indicator": "QQ"}
        )
    assert set(caught.value.message_dict) == {"member_id", "claim_filing_indicator"}
    first = coverage_set(actor=alice, patient=grace, data=INSURANCE)
    second = coverage_set(actor=alice, patient=grace, data={**INSURANCE, "member_id": "NEW1"})
    first.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "active")
