"""The note editor in Debian's Chromium on a tablet, against a real `tandem serve` with the demo clinic.

maya documents Robert Hale's massage visit (checked in today), marks trigger points on the body map, sees the
draft saved, reloads and finds everything, signs; alice co-signs from her queue; an edit afterwards is refused
and maya adds a signed addendum instead. Screenshot:
test-artifacts/note-editor.png (1024x768).
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
    tandem_shell,
    watch,
)
from tests.browser.serving import sign_in as sign_in_through_form

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT = 15_000  # milliseconds for one browser step
TABLET = {"width": 1024, "height": 768}

# Books Robert Hale's plan massage with maya on the first free slot ahead, moves it to the small hours of
# today (check-in is for today's visits only; nothing else is booked then) and checks him in.
CHECK_IN_ROBERT = """
import datetime, json
from django.utils import timezone
from tandem.accounts.models import Room, User
from tandem.careplans.models import Activity
from tandem.patients.models import Patient
from tandem.scheduling import services as s
from tandem.scheduling.models import Appointment
dana = User.objects.get(username="dana")
maya = User.objects.get(username="maya")
robert = Patient.objects.get(given_name="Robert", family_name="Hale")
activity = Activity.objects.get(plan__patient=robert, kind="medical-massage", plan__status="active")
today = timezone.localdate()
booked = None
for room in Room.objects.filter(name__icontains="massage"):
    for days in range(1, 21):
        for hour in (8, 9, 10, 11, 13, 14, 15, 16):
            data = {
                "practitioner": maya.practitioner.pk, "room": room.pk, "minutes": 45, "activity": activity.pk,
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
print(json.dumps({"appointment": booked.pk}))
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    require_chromium()
    env = demo_env(tmp_path_factory.mktemp("tandem-note"), history=False)
    appointment = tandem_shell(env, CHECK_IN_ROBERT)["appointment"]
    with serving(env) as url:
        yield url, appointment


@pytest.fixture(scope="module")
def browser(clinic: tuple[str, int]) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def sign_in(browser: Any, clinic: tuple[str, int]) -> Iterator[Any]:
    """sign_in(username): a tablet-sized page signed in; any console error (a CSP violation...) fails."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_as(username: str) -> Any:
        context = browser.new_context(viewport=TABLET, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        watch(page, errors, ACTION_TIMEOUT)
        sign_in_through_form(page, clinic[0], username)
        return page

    try:
        yield open_as
        # Chromium logs every 4xx answer; the refused autosave's 422 is the one this test asks for.
        assert [e for e in errors if "status of 422" not in e] == []
    finally:
        for context in contexts:
            context.close()


def tap_site(page: Any, view: str, site: str) -> None:
    """A real pointer click on the site's anchor, as a finger would tap it."""
    target = page.locator(f'.bm-site[data-view="{view}"][data-site="{site}"]')
    target.scroll_into_view_if_needed()
    anchor = target.get_attribute("data-anchor").split()
    point = target.evaluate(
        """(el, xy) => { const svg = el.ownerSVGElement; const p = svg.createSVGPoint();
           p.x = xy[0]; p.y = xy[1]; const q = p.matrixTransform(svg.getScreenCTM());
           return {x: q.x, y: q.y}; }""",
        [float(anchor[0]), float(anchor[1])],
    )
    page.mouse.click(point["x"], point["y"])


def test_maya_documents_with_the_body_map_signs_and_alice_cosigns(
    sign_in: Any, clinic: tuple[str, int]
) -> None:
    from playwright.sync_api import expect

    url, appointment = clinic
    maya = sign_in("maya")
    maya.goto(f"{url}/appointments/{appointment}/")
    maya.click("#document-visit")
    maya.wait_for_url("**/notes/*/")
    note_url = maya.url
    expect(maya.locator("#note-editor")).to_be_visible()
    # The plan's order is already there: Swedish massage, thoracic and lumbar, light pressure.
    expect(maya.locator('[name="data.techniques.0.technique"]')).to_have_value("massage-swedish")

    # A refused autosave says so beside the field and keeps what was typed.
    maya.fill('[name="data.techniques.0.minutes"]', "forty")
    maya.locator('[name="data.techniques.0.minutes"]').blur()
    expect(maya.locator("#autosave-status")).to_contain_text("Not saved")
    expect(maya.locator("#err-data-techniques-0-minutes")).to_contain_text("Enter a whole number.")
    expect(maya.locator('[name="data.techniques.0.minutes"]')).to_have_value("forty")
    maya.fill('[name="data.techniques.0.minutes"]', "40")
    maya.locator('[name="data.techniques.0.minutes"]').blur()
    expect(maya.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(maya.locator("#err-data-techniques-0-minutes")).to_be_empty()

    # Rows come and go; the ones left are numbered again from 0.
    trigger_points = maya.locator('[data-records="data.trigger_points"]')
    trigger_points.locator("[data-add-row]").click()
    trigger_points.locator("[data-add-row]").click()
    maya.fill('[name="data.trigger_points.1.muscle"]', "Rhomboid major")
    trigger_points.locator("[data-remove-row]").first.click()
    expect(trigger_points.locator("[data-row]")).to_have_count(1)
    expect(maya.locator('[name="data.trigger_points.0.muscle"]')).to_have_value("Rhomboid major")
    maya.select_option('[name="data.trigger_points.0.site"]', "thoracic")
    maya.select_option('[name="data.trigger_points.0.status"]', "released")
    maya.get_by_label("Trigger point", exact=True).check()
    tap_site(maya, "back", "thoracic")
    tap_site(maya, "back", "lumbar")
    expect(maya.locator(".bm-item")).to_have_count(2)
    maya.select_option('[name="data.nprs_before"]', "5")
    maya.select_option('[name="data.nprs_after"]', "3")
    maya.fill('[name="data.response"]', "Tolerated light pressure well; less guarding.")
    maya.fill('[name="subjective"]', "Low back stiff after gardening; pain 5/10.")
    maya.fill('[name="objective"]', "Paraspinal guarding T10-L3, rhomboid trigger point released.")
    maya.fill('[name="assessment"]', "Guarding eased; on track.")
    maya.fill('[name="plan"]', "Continue weekly, light pressure only (warfarin).")
    expect(maya.locator("#autosave-status")).to_contain_text("Draft saved", timeout=10_000)
    expect(maya.locator("#autosave-status")).to_have_attribute("data-saved", "1")
    maya.wait_for_timeout(2_000)  # the last keyup's debounced save
    expect(maya.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(maya.locator("#note-missing")).to_be_hidden()  # the checklist follows the autosaves
    ARTIFACTS.mkdir(exist_ok=True)
    maya.screenshot(path=str(ARTIFACTS / "note-editor-full.png"), full_page=True)
    maya.evaluate("window.scrollTo(0, 0)")
    maya.screenshot(path=str(ARTIFACTS / "note-editor.png"))

    maya.reload()
    expect(maya.locator('[name="data.techniques.0.minutes"]')).to_have_value("40")
    expect(maya.locator('[name="data.trigger_points.0.muscle"]')).to_have_value("Rhomboid major")
    expect(maya.locator('[name="plan"]')).to_have_value("Continue weekly, light pressure only (warfarin).")
    expect(maya.locator(".bm-item")).to_have_count(2)

    maya.click("#sign-note")
    maya.wait_for_url(note_url)
    expect(maya.locator("#note-status")).to_contain_text("awaiting co-signature")
    expect(maya.locator("#note-editor")).to_have_count(0)

    alice = sign_in("alice")
    alice.click("nav.mainnav >> text=Co-sign")
    expect(alice.locator("#cosign-queue")).to_contain_text("Robert Hale")
    alice.locator("#cosign-queue a", has_text="Robert Hale").click()
    alice.click("#cosign-note")
    expect(alice.locator("#signatures")).to_contain_text("Co-signed by")
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "note-signed.png"), full_page=True)

    # Afterwards the note cannot be edited from the browser: no editor, and a forged autosave is refused.
    maya.goto(note_url)
    expect(maya.locator("#note-editor")).to_have_count(0)
    token = next(c["value"] for c in maya.context.cookies() if c["name"] == "csrftoken")
    forged = maya.request.post(
        note_url + "autosave",
        form={"subjective": "Changed afterwards"},
        headers={"X-CSRFToken": token, "Referer": note_url},
    )
    assert forged.status == 422 and "addendum" in forged.text()
    maya.reload()
    expect(maya.locator("main")).not_to_contain_text("Changed afterwards")
    # A correction is an addendum, signed in turn.
    maya.fill("#addendum-text", "Patient called: soreness gone the next day.")
    maya.click("#addenda button[name=sign][value='1']")
    maya.wait_for_url(note_url)
    expect(maya.locator("#addenda")).to_contain_text("soreness gone the next day")
    expect(maya.locator("#addenda")).to_contain_text("Signed by Maya")
