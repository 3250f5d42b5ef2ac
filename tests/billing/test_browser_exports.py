"""Claims and superbills in Debian's Chromium on a tablet, against a real `tandem serve` with the demo clinic.

Ben's physical therapy visit of Robert Hale last Wednesday is signed and its charges posted, Robert insured.
Alice opens Claims from the menu: last week is already chosen and Robert's claim shown; she exports, the 837P
downloads and pyx12 accepts it; the file is then listed and downloads again, the same. From Robert's chart
she downloads his superbill of last week. Screenshot: test-artifacts/claims.png (1024x768).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser.serving import (
    demo_env,
    launched_chromium,
    require_chromium,
    serving,
    sign_in,
    tandem_shell,
    watch,
)

from tandem.billing.x12 import validate_837p

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT = 15_000  # milliseconds for one browser step
TABLET = {"width": 1024, "height": 768}

# Books ben with Robert Hale on the first free slot ahead, moves it to the small hours of today (check-in is
# for today's visits only), checks him in, moves the visit to last Wednesday, documents and signs it, posts
# its charges and records Robert's insurance.
BILL_ROBERT_LAST_WEEK = """
import datetime, json
from django.utils import timezone
from tandem.accounts.models import Room, User
from tandem.billing.periods import last_week
from tandem.billing.services import charges_post, coverage_set
from tandem.charting import services as charting
from tandem.charting.models import Encounter
from tandem.patients.models import Patient
from tandem.scheduling import services as s
from tandem.scheduling.models import Appointment
dana = User.objects.get(username="dana")
ben = User.objects.get(username="ben")
robert = Patient.objects.get(given_name="Robert", family_name="Hale")
today = timezone.localdate()
booked = None
for room in Room.objects.filter(name__icontains="gym"):
    for days in range(1, 21):
        for hour in (8, 9, 10, 11, 13, 14, 15, 16):
            data = {
                "practitioner": ben.practitioner.pk, "room": room.pk, "minutes": 45,
                "starts_at": s.at(today + datetime.timedelta(days=days), datetime.time(hour, 0)).isoformat(),
            }
            try:
                booked = s.appointment_book(actor=dana, patient=robert, data=data)
            except Exception:
                continue
            break
        if booked:
            break
    if booked:
        break
starts = s.at(today, datetime.time(0, 5))
ends = starts + datetime.timedelta(minutes=45)
Appointment.objects.filter(pk=booked.pk).update(starts_at=starts, ends_at=ends)
booked.refresh_from_db()
s.appointment_set_status(actor=dana, appointment=booked, to="arrived")
encounter = charting.encounter_start(actor=ben, appointment=booked)
week = last_week(today)
wednesday = s.at(week.first_day + datetime.timedelta(days=2), datetime.time(10, 0))
Encounter.objects.filter(pk=encounter.pk).update(started_at=wednesday)
encounter.refresh_from_db()
note = charting.note_start(actor=ben, encounter=encounter)
data = {
    "techniques": [
        {"technique": "pt-therapeutic-exercise", "minutes": 33, "body_sites": ["lumbar"]},
        {"technique": "pt-neuromuscular-reeducation", "minutes": 10, "body_sites": ["lumbar"]},
    ],
    "exercises": [{"name": "Bird dog", "sets": 3, "repetitions": 10}],
}
soap = {
    "subjective": "Less stiff.", "objective": "Flexion improved.", "assessment": "On track.",
    "plan": "Continue.",
}
note = charting.note_save_draft(actor=ben, note=note, changes={"data": data, **soap})
note = charting.note_sign(actor=ben, note=note)
charges = charges_post(actor=ben, encounter=encounter)
coverage_set(actor=ben, patient=robert, data={
    "payer_name": "Cascade Health Plan", "payer_id": "CHP01", "member_id": "XJH123456789",
    "group_number": "GRP4410", "claim_filing_indicator": "CI",
})
print(json.dumps({
    "patient": robert.pk,
    "from": week.first_day.isoformat(),
    "to": week.last_day.isoformat(),
    "codes": sorted(c.code for c in charges if c.status == "billable"),
}))
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    require_chromium()
    env = demo_env(tmp_path_factory.mktemp("tandem-claims"))
    billed = tandem_shell(env, BILL_ROBERT_LAST_WEEK)
    with serving(env) as url:
        yield url, billed


@pytest.fixture(scope="module")
def browser(clinic: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def alice(browser: Any, clinic: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    """A tablet-sized page signed in as alice; any console error (a CSP violation...) fails the test."""
    context = browser.new_context(viewport=TABLET, has_touch=True, accept_downloads=True)
    errors: list[str] = []
    page = context.new_page()
    watch(page, errors, ACTION_TIMEOUT)
    sign_in(page, clinic[0], "alice")
    try:
        yield page
        assert errors == []
    finally:
        context.close()


def test_alice_exports_last_weeks_claims_and_downloads_the_file_again(
    alice: Any, clinic: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, billed = clinic
    assert billed["codes"] == ["97110", "97112"]
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    alice.wait_for_url("**/billing/claims")
    expect(alice.locator("#claim-from")).to_have_value(billed["from"])
    expect(alice.locator("#claim-to")).to_have_value(billed["to"])
    row = alice.locator("#claim-rows tr", has_text="Robert Hale")
    expect(row).to_contain_text("Ben Okafor")
    expect(row).to_contain_text("97110")
    expect(row).to_contain_text("97112")
    expect(alice.locator("#claim-mark-billed")).to_be_checked()
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "claims.png"))

    with alice.expect_download() as waiting:
        alice.click("#claim-export-button")
    download = waiting.value
    assert download.suggested_filename.startswith("claims-") and download.suggested_filename.endswith(".837")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="ascii")
    assert validate_837p(text) == []
    assert "NM1*IL*1*Hale*Robert" in text and "HC:97110" in text and "HC:97112" in text

    # Billed now: the period has nothing left to claim, and the file is listed to download again.
    alice.reload()
    expect(alice.locator("#claim-rows")).to_have_count(0)
    listed = alice.locator("#claim-file-list a", has_text=download.suggested_filename)
    expect(listed).to_have_count(1)
    with alice.expect_download() as again:
        listed.click()
    again_path = tmp_path / "again.837"
    again.value.save_as(again_path)
    assert again_path.read_text(encoding="ascii") == text


def test_alice_downloads_roberts_superbill_of_last_week(
    alice: Any, clinic: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    url, billed = clinic
    alice.goto(f"{url}/patients/{billed['patient']}/")
    alice.fill("#superbill-from", billed["from"])
    alice.fill("#superbill-to", billed["to"])
    with alice.expect_download() as waiting:
        alice.click("#superbill-button")
    saved = tmp_path / "superbill.pdf"
    waiting.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    assert waiting.value.suggested_filename.endswith(f"{billed['from']}-{billed['to']}.pdf")
