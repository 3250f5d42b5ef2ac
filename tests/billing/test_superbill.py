"""The superbill PDF: one calm page with the clinic, patient and insurance, diagnoses, services and totals.
Page 1 goes to test-artifacts/superbill.png for a person to look at."""

from __future__ import annotations

import dataclasses
import datetime
import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from tandem.billing.claims import Address, RenderingProvider, ServiceLine
from tandem.billing.superbill import (
    Diagnosis,
    Insurance,
    Superbill,
    SuperbillClinic,
    SuperbillLine,
    SuperbillPatient,
    render_superbill_html,
    render_superbill_pdf,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CLINIC = SuperbillClinic(
    name="Riverside Spine & Wellness",
    address=Address("1200 SE Water Ave", "Portland", "OR", "97214-3301"),
    npi="1234567893",
    tax_id="931234567",
    phone="(503) 555-0100",
)
ALICE = RenderingProvider("Moreau", "Alice", "1457384927", "111N00000X", credentials="DC")
BEN = RenderingProvider("Okafor", "Ben", "1295847366", "225100000X", credentials="DPT")
MAYA = RenderingProvider("Lindqvist", "Maya", "1386920478", "225700000X", credentials="LMT")
ROBERT = SuperbillPatient(
    full_name="Robert Hale",
    birth_date=datetime.date(1968, 4, 12),
    address=Address("418 NE Alberta St", "Portland", "OR", "97211"),
    account_number="RSW-000142",
    insurance=Insurance("Cascade Health Plan", "XJH123456789", group_number="GRP4410", payer_id="CHP01"),
)
DIAGNOSES = (
    Diagnosis("M51.36", "Other intervertebral disc degeneration, lumbar region"),
    Diagnosis("M99.03", "Segmental and somatic dysfunction of lumbar region"),
    Diagnosis("M99.02", "Segmental and somatic dysfunction of thoracic region"),
    Diagnosis("M54.50", "Low back pain, unspecified"),
    Diagnosis("M62.830", "Muscle spasm of back"),
)


def _line(
    on: datetime.date, code: str, description: str, charge: str, pointers: tuple[int, ...], **extra: object
):
    provider = extra.pop("provider", None)
    service = ServiceLine(on, code, Decimal(charge), pointers, **extra)  # type: ignore[arg-type]
    return SuperbillLine(service, description, provider)  # type: ignore[arg-type]


def _month() -> Superbill:
    first, second = datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)
    lines = []
    for day in (first, second):
        lines += [
            _line(
                day,
                "98941",
                "Chiropractic manipulation, 3–4 spinal regions",
                "65.00",
                (2, 3, 4),
                provider=ALICE,
            ),
            _line(
                day,
                "97140",
                "Manual therapy, separate region (hips)",
                "48.00",
                (5,),
                modifiers=("59", "GP"),
                provider=ALICE,
            ),
            _line(
                day, "97110", "Therapeutic exercise, each 15 minutes", "104.00", (1, 4), units=2, provider=BEN
            ),
            _line(day, "97124", "Massage therapy, each 15 minutes", "42.50", (5,), provider=MAYA),
        ]
    return Superbill(
        number="SB-2026-0142",
        issued_on=datetime.date(2026, 12, 1),
        clinic=CLINIC,
        patient=ROBERT,
        providers=(ALICE, BEN, MAYA),
        diagnoses=DIAGNOSES,
        lines=tuple(lines),
        paid=Decimal("120.00"),
    )


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_it_renders_a_one_page_pdf_a_person_can_read():
    superbill = _month()
    pdf = render_superbill_pdf(superbill)
    assert pdf.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1

    text = _text(pdf)
    words = " ".join(text.split())
    for expected in (
        "Robert Hale",
        "Riverside Spine & Wellness",
        "NPI 1234567893",
        "EIN 93-1234567",
        "XJH123456789",
        "M51.36",
        "M62.830",
        "98941",
        "97140",
        "59 GP",
        "97110",
        "97124",
        "Alice Moreau, DC",
        "Maya Lindqvist, LMT",
        "04/12/1968",
        "Monday, November 23, 2026",
        "Monday, November 30, 2026",
        "(2 visits)",
        "$519.00",  # 2 x (65 + 48 + 104 + 42.50)
        "$120.00",
        "$399.00",
        "Provider signature",
    ):
        assert expected in words, expected

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "superbill.png"
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm:
        source = ARTIFACTS / "superbill.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [pdftoppm, "-png", "-r", "115", "-singlefile", source, target.with_suffix("")], check=True
        )
    else:
        pypdfium2 = pytest.importorskip("pypdfium2")  # a dev dependency; poppler is not on every machine
        pypdfium2.PdfDocument(pdf)[0].render(scale=1.6).to_pil().save(target)
    assert target.stat().st_size > 10_000


def test_it_says_date_of_service_for_a_single_visit_and_self_pay_without_insurance():
    superbill = _month()
    one_visit = dataclasses.replace(
        superbill,
        lines=superbill.lines[:2],
        paid=Decimal("0"),
        patient=dataclasses.replace(ROBERT, insurance=None),
        providers=(ALICE,),
    )
    words = " ".join(_text(render_superbill_pdf(one_visit)).split())
    assert "Date of service November 23, 2026" in words
    assert "Self-pay" in words and "Cascade Health Plan" not in words
    assert "$113.00" in words and "Balance due $113.00" in words


def test_it_points_each_service_to_its_diagnosis_letters():
    html = render_superbill_html(_month())
    assert html.count('<span class="letter">') == len(DIAGNOSES)
    assert '<td class="pointer">BCD</td>' in html and '<td class="pointer">AD</td>' in html


def test_it_escapes_what_people_typed():
    patient = dataclasses.replace(ROBERT, full_name="Robert <b>Hale</b>")
    html = render_superbill_html(dataclasses.replace(_month(), patient=patient))
    assert "<b>Hale</b>" not in html and "&lt;b&gt;Hale&lt;/b&gt;" in html


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"diagnoses": ()}, "1 to 12 diagnoses"),
        ({"diagnoses": DIAGNOSES[:3]}, "points to diagnosis 4, but the superbill lists only 3"),
        ({"lines": ()}, "at least one service line"),
        ({"providers": ()}, "at least one provider"),
        ({"paid": Decimal("-5")}, "0 or more"),
        ({"paid": Decimal("9999")}, "more than the total charges"),
        ({"paid": 10.0}, "must be a Decimal"),
    ],
)
def test_it_refuses_an_inconsistent_superbill(change, message):
    with pytest.raises(ValueError) as refused:
        dataclasses.replace(_month(), **change)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: dataclasses.replace(CLINIC, npi="1234567890"), "not a valid NPI"),
        (lambda: dataclasses.replace(CLINIC, tax_id="93-12"), "EIN must look like"),
        (lambda: Diagnosis("M5136", "Disc degeneration"), "with its dot (M51.36)"),
        (lambda: Diagnosis("M51.36", " "), "Description of M51.36 is required"),
        (lambda: dataclasses.replace(ROBERT, full_name=""), "Patient name is required"),
    ],
)
def test_it_refuses_bad_parts(build, message):
    with pytest.raises(ValueError) as refused:
        build()
    assert message in str(refused.value)
