"""The report back to the referrer: a PDF letter rendered on completion, stored with its digest, and
downloaded again from the API and the page. Page 1 goes to test-artifacts/referral-letter.png for a person."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pypdfium2
from pypdf import PdfReader

from tandem.referrals import services
from tandem.referrals.models import ReferralLetter

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REPORT = (
    "Six sessions of Swedish massage to the lumbar and thoracic paraspinals, light pressure throughout "
    "because of warfarin. No bruising was seen."
)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _complete(order, maya) -> None:
    services.referral_accept(actor=maya, referral=order)
    services.referral_schedule(actor=maya, referral=order)
    services.referral_start(actor=maya, referral=order)
    services.referral_complete(
        actor=maya,
        referral=order,
        report=REPORT,
        outcome="Guarding eased; he now sits for 40 minutes (goal 30). Pain 3/10, from 6/10.",
        recommendations="Continue home stretches; review in six weeks. No deep pressure while on warfarin.",
    )


def test_it_writes_stores_and_serves_the_letter(alice, maya, order, client_for):
    _complete(order, maya)
    letter = ReferralLetter.objects.get(referral=order)
    pdf = bytes(letter.pdf)
    assert pdf.startswith(b"%PDF") and letter.sha256 == hashlib.sha256(pdf).hexdigest()
    assert letter.created_by == maya

    text = _text(pdf)
    for expected in (
        "Robert Hale",
        "April 12, 1968",
        "Dr Alice Moreau",
        "Swedish massage",
        "Maya Lindqvist, LMT",
    ):
        assert expected in text, expected
    assert "Riverside Spine & Wellness" in text
    words = " ".join(text.split())
    assert "Thank you for referring Robert Hale to me." in words
    assert "the care I provided and what I recommend next" in words

    api = client_for(alice).get(f"/api/v1/referrals/{order.pk}/letter")
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
    assert api.content == pdf
    page = client_for(maya).get(f"/referrals/{order.pk}/letter.pdf")
    assert page.status_code == 200 and page.content == pdf

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    document[0].render(scale=1.6).to_pil().save(ARTIFACTS / "referral-letter.png")
    assert len(document) == 1  # a report back fits on one page


def test_it_writes_to_the_external_provider_who_referred(alice, contact, patient, client_for):
    referral = services.referral_create(
        actor=alice,
        patient=patient,
        data={
            "kind": "external-in",
            "reason": "Chronic low back pain, please evaluate and treat.",
            "requester_contact": contact.pk,
            "recipient_practitioner": alice.practitioner.pk,
        },
    )
    for step in ("send", "accept", "schedule", "start"):
        services.referral_transition(actor=alice, referral=referral, action=step, body={})
    services.referral_complete(actor=alice, referral=referral, report="Eight visits of flexion-distraction.")
    text = _text(bytes(referral.letter.pdf))
    assert "Dear Dr Hannah Cole" in text and "Hawthorne Family Medicine" in text
    assert "Thank you for referring Robert Hale to Riverside Spine & Wellness." in " ".join(text.split())
    assert "Alice Moreau, DC" in text


def test_it_has_no_letter_before_completion_or_for_a_referral_out(
    alice, ben, contact, order, client_for, other_patient
):
    assert client_for(alice).get(f"/api/v1/referrals/{order.pk}/letter").status_code == 404
    assert client_for(alice).get(f"/referrals/{order.pk}/letter.pdf").status_code == 404
    out = services.referral_create(
        actor=ben,
        patient=other_patient,
        data={"kind": "external-out", "reason": "Night pain; MRI?", "recipient_contact": contact.pk},
    )
    for step in ("send", "accept", "schedule", "start"):
        services.referral_transition(actor=ben, referral=out, action=step, body={})
    services.referral_complete(actor=ben, referral=out, report="MRI: no malignancy; disc bulge L5-S1.")
    assert not ReferralLetter.objects.filter(referral=out).exists()


def test_it_refuses_the_letter_to_people_outside(maya, order, outsider, dana, client_for):
    _complete(order, maya)
    for person in (outsider, dana):
        assert client_for(person).get(f"/api/v1/referrals/{order.pk}/letter").status_code == 404
        assert client_for(person).get(f"/referrals/{order.pk}/letter.pdf").status_code == 404
