"""The 837P claim file (005010X222A1): rendered from plain claim data, checked by pyx12's own validator
(real maps, in process), and the claim data refuses what a payer would reject."""

from __future__ import annotations

import dataclasses
import datetime
import subprocess
import sys
from decimal import Decimal

import pytest

from tandem.billing.claims import (
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    RenderingProvider,
    ServiceLine,
    Subscriber,
    npi_is_valid,
)
from tandem.billing.x12 import render_837p, validate_837p

VISIT_ON = datetime.date(2026, 11, 30)

CLINIC = BillingProvider(
    organization_name="Riverside Spine & Wellness",
    npi="1234567893",
    tax_id="93-1234567",
    address=Address("1200 SE Water Ave", "Portland", "OR", "97214-3301"),
    taxonomy_code="261QP2000X",
)
ALICE = RenderingProvider("Moreau", "Alice", "1457384927", "111N00000X", credentials="DC")
BEN = RenderingProvider("Okafor", "Ben", "1295847366", "225100000X", credentials="DPT")
MAYA = RenderingProvider("Lindqvist", "Maya", "1386920478", "225700000X", credentials="LMT")
ROBERT = Subscriber(
    last_name="Hale",
    first_name="Robert",
    birth_date=datetime.date(1968, 4, 12),
    sex="M",
    address=Address("418 NE Alberta St", "Portland", "OR", "97211"),
    member_id="XJH123456789",
    payer_name="Cascade Health Plan",
    payer_id="CHP01",
    group_number="GRP4410",
)
LINDA = dataclasses.replace(
    ROBERT,
    last_name="Park",
    first_name="Linda",
    sex="F",
    member_id="1EG4TE5MK72",
    claim_filing_indicator="MB",
)

# Alice adjusts three spinal regions (98941) and does manual therapy on another region: 97140 carries 59 and
# points to the soft-tissue diagnosis only.
DC_VISIT = Claim(
    claim_id="TND-1001",
    billing_provider=CLINIC,
    rendering_provider=ALICE,
    subscriber=ROBERT,
    diagnoses=("M99.03", "M99.02", "M54.50", "M62.830"),
    lines=(
        ServiceLine(VISIT_ON, "98941", Decimal("65.00"), (1, 2, 3)),
        ServiceLine(VISIT_ON, "97140", Decimal("48.00"), (4,), modifiers=("59",)),
    ),
)
# Ben: therapeutic exercise 2 units and manual therapy 1 unit; Maya's massage on the same claim names her
# on its line (loop 2420A).
PT_VISIT = Claim(
    claim_id="TND-1002",
    billing_provider=CLINIC,
    rendering_provider=BEN,
    subscriber=ROBERT,
    diagnoses=("M51.36", "M54.50", "M62.830"),
    lines=(
        ServiceLine(VISIT_ON, "97110", Decimal("104.00"), (1, 2), units=2),
        ServiceLine(VISIT_ON, "97140", Decimal("48.00"), (2,)),
        ServiceLine(VISIT_ON, "97124", Decimal("42.50"), (3,), rendering_provider=MAYA),
    ),
    initial_treatment_on=datetime.date(2026, 11, 2),
)
BATCH = ClaimBatch(
    submitter_name="Riverside Spine & Wellness",
    submitter_id="RIVERSIDE01",
    submitter_contact_name="Dana Whitfield",
    submitter_contact_phone="503-555-0100",
    receiver_name="Cascade Clearinghouse",
    receiver_id="CASCADECH",
    interchange_control_number=1001,
    created_at=datetime.datetime(2026, 12, 1, 9, 30),
    claims=(DC_VISIT, PT_VISIT),
    production=False,
)


def _segments(text: str) -> list[list[str]]:
    return [segment.strip().split("*") for segment in text.split("~") if segment.strip()]


def _ids(text: str) -> list[str]:
    return [segment[0] for segment in _segments(text)]


def _find(text: str, segment_id: str) -> list[list[str]]:
    return [segment for segment in _segments(text) if segment[0] == segment_id]


def test_it_renders_a_batch_that_pyx12_accepts():
    text = render_837p(BATCH)
    assert validate_837p(text) == []
    assert validate_837p(render_837p(BATCH, line_breaks=False)) == []


def test_it_counts_the_transaction_segments_in_se():
    segments = _segments(render_837p(BATCH))
    ids = [segment[0] for segment in segments]
    start, end = ids.index("ST"), ids.index("SE")
    se = segments[end]
    assert int(se[1]) == end - start + 1 == 45
    assert se[2] == segments[start][2] == "0001"


def test_it_matches_the_control_numbers_of_the_envelopes():
    text = render_837p(BATCH)
    isa, iea = _find(text, "ISA")[0], _find(text, "IEA")[0]
    gs, ge = _find(text, "GS")[0], _find(text, "GE")[0]
    assert len(text.split("~")[0]) == 105  # ISA is fixed-width; its 106th character is the terminator
    assert isa[13] == iea[2] == "000001001" and iea[1] == "1"
    assert gs[6] == ge[2] == "1001" and ge[1] == "1"
    assert isa[16] == ":" and isa[11] == "^" and isa[15] == "T"
    assert gs[8] == _find(text, "ST")[0][3] == "005010X222A1"


def test_it_writes_each_claim_as_billed():
    text = render_837p(BATCH)
    assert [c[1:3] for c in _find(text, "CLM")] == [["TND-1001", "113"], ["TND-1002", "194.5"]]
    assert _find(text, "CLM")[0][5] == "11:B:1"
    # Diagnoses without their dot, principal (ABK) first.
    assert _find(text, "HI")[0][1:] == ["ABK:M9903", "ABF:M9902", "ABF:M5450", "ABF:M62830"]
    assert [sv1[1:5] + [sv1[-1]] for sv1 in _find(text, "SV1")] == [
        ["HC:98941", "65", "UN", "1", "1:2:3"],
        ["HC:97140:59", "48", "UN", "1", "4"],
        ["HC:97110", "104", "UN", "2", "1:2"],
        ["HC:97140", "48", "UN", "1", "2"],
        ["HC:97124", "42.5", "UN", "1", "3"],
    ]
    assert [dtp[1:] for dtp in _find(text, "DTP")].count(["472", "D8", "20261130"]) == 5
    assert ["454", "D8", "20261102"] in [dtp[1:] for dtp in _find(text, "DTP")]
    assert ["REF", "EI", "931234567"] in _segments(text)
    assert ["N4", "Portland", "OR", "972143301"] in _segments(text)


def test_it_names_the_rendering_clinician_per_claim_and_per_line():
    text = render_837p(BATCH)
    rendering = [nm1[3:5] + [nm1[9]] for nm1 in _find(text, "NM1") if nm1[1] == "82"]
    assert rendering == [
        ["Moreau", "Alice", "1457384927"],
        ["Okafor", "Ben", "1295847366"],
        ["Lindqvist", "Maya", "1386920478"],
    ]
    ids = _ids(text)
    maya_at = ids.index("NM1", len(ids) - 6)
    assert ids[maya_at - 3 : maya_at] == ["LX", "SV1", "DTP"]  # 2420A follows Maya's own line


def test_it_groups_claims_under_one_subscriber_per_patient():
    linda_visit = dataclasses.replace(PT_VISIT, claim_id="TND-1003", subscriber=LINDA)
    batch = dataclasses.replace(BATCH, claims=(DC_VISIT, linda_visit, PT_VISIT))
    text = render_837p(batch)
    assert [hl[1:] for hl in _find(text, "HL")] == [
        ["1", "", "20", "1"],
        ["2", "1", "22", "0"],
        ["3", "1", "22", "0"],
    ]
    assert [sbr[-1] for sbr in _find(text, "SBR")] == ["CI", "MB"]
    assert validate_837p(text) == []


BROKEN = [
    ("SE*45*0001", "SE*44*0001", "SE count of 44"),
    ("CLM*TND-1001*113***11:B:1*Y*A*Y*Y", "CLM*TND-1001*113", "(CLM05) is missing"),
    ("GE*1*1001", "GE*1*1002", "does not match GS id=1001"),
    ("IEA*1*000001001", "IEA*1*000001002", "does not match ISA id=000001001"),
    ("DMG*D8*19680412*M", "DMG*D8*19681312*M", "invalid date"),
    ("******CI", "******QQ", "not a valid code for Claim Filing Indicator"),
]


@pytest.mark.parametrize(("good", "bad", "expected"), BROKEN)
def test_it_reports_what_pyx12_finds_wrong(good, bad, expected):
    text = render_837p(BATCH)
    assert good in text
    errors = validate_837p(text.replace(good, bad, 1))
    assert errors, "pyx12 accepted a broken file"
    assert any(expected in error for error in errors), errors


def test_it_reports_a_missing_diagnosis_segment_and_the_count_it_throws_off():
    text = render_837p(BATCH)
    hi = next(segment for segment in text.split("~\n") if segment.startswith("HI*"))
    errors = validate_837p(text.replace(hi + "~\n", "", 1))
    assert any('"Health Care Diagnosis Code" (HI) missing' in error for error in errors), errors
    assert any("SE count of 45" in error for error in errors), errors


@pytest.mark.parametrize("text", ["", "hello, payer", "ISA*00*"])
def test_it_refuses_text_that_is_not_x12(text):
    assert validate_837p(text) != []


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1234567893", True),  # CMS's worked example of the check digit
        ("1457384927", True),
        ("1234567890", False),
        ("1457384921", False),
        ("123456789", False),
        ("12345678931", False),
        ("123456789X", False),
    ],
)
def test_it_checks_the_npi_check_digit(npi, valid):
    assert npi_is_valid(npi) is valid


def _line(**changes: object) -> ServiceLine:
    values: dict[str, object] = {
        "service_on": VISIT_ON,
        "procedure_code": "97140",
        "charge": Decimal("48.00"),
        "diagnosis_pointers": (1,),
    }
    return ServiceLine(**(values | changes))


REFUSALS = [
    (lambda: dataclasses.replace(ALICE, npi="1457384921"), "fails the NPI check digit"),
    (lambda: dataclasses.replace(ALICE, npi="145738492"), "must be 10 digits"),
    (lambda: dataclasses.replace(CLINIC, npi="1234567890"), "Billing provider NPI 1234567890 fails"),
    (lambda: dataclasses.replace(CLINIC, tax_id="93-12345"), "EIN must look like 93-1234567"),
    (
        lambda: dataclasses.replace(CLINIC, address=Address("1 Main St", "Portland", "OR", "97214")),
        "nine digits",
    ),
    (lambda: dataclasses.replace(ALICE, taxonomy_code="chiro"), "taxonomy code"),
    (
        lambda: dataclasses.replace(DC_VISIT, diagnoses=("M99.03",)),
        "points to diagnosis 2, but the claim has only 1",
    ),
    (lambda: _line(diagnosis_pointers=(0,)), "must be a number from 1 to 12"),
    (lambda: _line(diagnosis_pointers=(1, 2, 3, 4, 5)), "needs 1 to 4 diagnosis pointers"),
    (lambda: _line(diagnosis_pointers=()), "needs 1 to 4 diagnosis pointers"),
    (lambda: _line(modifiers=("59", "GP", "KX", "XS", "AT")), "at most 4"),
    (lambda: _line(modifiers=("5",)), "two letters or digits"),
    (lambda: _line(procedure_code="9714"), "5-character CPT or HCPCS"),
    (lambda: _line(units=0), "whole number from 1 to 999"),
    (lambda: _line(charge=48.0), "must be a Decimal"),
    (lambda: _line(charge=Decimal("-1")), "between 0 and"),
    (lambda: _line(charge=Decimal("48.005")), "more than two decimal places"),
    (
        lambda: dataclasses.replace(DC_VISIT, diagnoses=("M9903", "M99.02", "M54.50", "M62.830")),
        "with its dot (M99.03)",
    ),
    (lambda: dataclasses.replace(DC_VISIT, diagnoses=("M99.03", "M99.03")), "lists a diagnosis twice"),
    (
        lambda: dataclasses.replace(DC_VISIT, diagnoses=tuple(f"M54.{n}" for n in range(10, 23))),
        "at most 12",
    ),
    (lambda: dataclasses.replace(DC_VISIT, lines=()), "at least one service line"),
    (lambda: dataclasses.replace(DC_VISIT, lines=(_line(),) * 51), "at most 50"),
    (lambda: dataclasses.replace(DC_VISIT, claim_id="TND 1001"), "patient control number"),
    (lambda: dataclasses.replace(ROBERT, last_name="Hale*Smith"), "may not contain *"),
    (lambda: dataclasses.replace(ROBERT, sex="X"), "F, M or U"),
    (lambda: dataclasses.replace(ROBERT, last_name="王"), "cannot carry (王)"),
    (lambda: dataclasses.replace(ROBERT, claim_filing_indicator="XX"), "not an 837P code"),
    (lambda: dataclasses.replace(BATCH, claims=(DC_VISIT, DC_VISIT)), "TND-1001 repeated"),
    (lambda: dataclasses.replace(BATCH, claims=()), "at least one claim"),
    (lambda: dataclasses.replace(BATCH, interchange_control_number=0), "from 1 to 999999999"),
    (
        lambda: dataclasses.replace(BATCH, created_at=datetime.datetime(2026, 11, 29, 8, 0)),
        "after the batch date",
    ),
    (lambda: dataclasses.replace(BATCH, submitter_contact_phone="555-0100"), "Contact phone"),
]


@pytest.mark.parametrize(("build", "message"), REFUSALS)
def test_it_refuses_claim_data_a_payer_would_reject(build, message):
    with pytest.raises(ValueError) as refused:
        build()
    assert message in str(refused.value)


def test_it_spells_accented_names_in_plain_letters_and_pyx12_accepts_them():
    maria = dataclasses.replace(ROBERT, first_name="María", last_name="González Núñez")
    assert (maria.first_name, maria.last_name) == ("Maria", "Gonzalez Nunez")
    claim = dataclasses.replace(DC_VISIT, subscriber=maria)
    text = render_837p(dataclasses.replace(BATCH, claims=(claim,)))
    assert text.isascii()
    assert validate_837p(text) == []
    assert any(segment[:5] == ["NM1", "IL", "1", "Gonzalez Nunez", "Maria"] for segment in _find(text, "NM1"))


def test_it_computes_the_claim_total_from_its_lines():
    assert DC_VISIT.total_charge == Decimal("113.00")
    assert PT_VISIT.total_charge == Decimal("194.50")
    assert BATCH.claims == (DC_VISIT, PT_VISIT)


def test_it_keeps_the_claim_modules_free_of_django():
    probe = "import sys, tandem.billing.x12; print(sorted(m for m in sys.modules if m.startswith('django')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
