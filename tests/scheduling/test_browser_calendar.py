"""The calendar in Debian's Chromium against a real `tandem serve`: alice opens her week, drags Robert Hale's
visit to another slot and sees it moved (and the database agrees); a drop on her lunch break is refused with
the server's message in the live region and the visit stays where it was.

The server runs on SQLite in its own temporary data directory, set up by a script run with `tandem shell` (the
personas, working hours, Robert Hale and one visit). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from tests.browser.serving import require_chromium, server_env, serving, tandem, tandem_shell
from tests.browser.test_chart_flow import ARTIFACTS, browser, signed_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SETUP = r"""
import datetime, json
from django.utils import timezone
from tandem.accounts.models import Location
from tandem.core.personas import PERSONAS, clinic, persona_user
from tandem.patients import services as patients
from tandem.scheduling import services as scheduling

org, _ = clinic()
users = {spec.username: persona_user(org, spec) for spec in PERSONAS}
alice, admin, dana = users["alice"], users["admin"], users["dana"]
riverside = Location.objects.get(organization=org, name="Riverside Main")
hours = {"starts_at": "08:00", "ends_at": "18:00", "break_starts_at": "12:00", "break_ends_at": "13:00"}
alice.practitioner.locations.add(riverside)
for weekday in range(6):
    scheduling.working_hours_set(
        actor=admin, practitioner=alice.practitioner, location=riverside, weekday=weekday, data=hours
    )
robert = patients.patient_create(actor=alice, data={
    "given_name": "Robert", "family_name": "Hale", "birth_date": datetime.date(1968, 4, 12), "sex": "male"})
today = timezone.localdate()
monday = today + datetime.timedelta(days=7 - today.weekday())
visit = scheduling.appointment_book(actor=dana, patient=robert, data={
    "practitioner": alice.practitioner.pk, "room": riverside.rooms.get(name="Adjusting 1").pk,
    "starts_at": datetime.datetime.combine(monday, datetime.time(9, 0)).isoformat(), "minutes": 30})
print(json.dumps({"alice": alice.practitioner.pk, "monday": monday.isoformat(), "visit": visit.pk}))
"""

WHERE = r"""
import json
from tandem.scheduling.models import Appointment
from tandem.scheduling.services import local
a = Appointment.objects.get(pk=%d)
print(json.dumps({"starts": local(a.starts_at).isoformat()[:16], "status": a.status}))
"""


@pytest.fixture(scope="module")
def clinic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], dict]]:
    require_chromium()
    env = server_env(tmp_path_factory.mktemp("tandem-calendar"))
    tandem(env, "migrate", "--verbosity", "0")
    facts = tandem_shell(env, SETUP)
    with serving(env) as url:
        yield url, env, facts


@pytest.fixture(scope="module")
def server(clinic_server) -> str:
    """The server the shared browser fixtures sign in to: this module's clinic, not the demo one."""
    return clinic_server[0]


def test_alice_drags_a_visit_to_another_slot_and_a_refused_drop_changes_nothing(signed_in, clinic_server):  # noqa: F811
    from playwright.sync_api import expect

    page, errors = signed_in
    url, env, facts = clinic_server
    monday = datetime.date.fromisoformat(facts["monday"])
    tuesday = (monday + datetime.timedelta(days=1)).isoformat()
    page.goto(f"{url}/schedule/practitioners/{facts['alice']}/week?date={facts['monday']}")
    expect(page.locator(".cal-col-head")).to_have_count(7)
    visit = page.locator(f".cal-visit[data-appointment='{facts['visit']}']")
    expect(visit).to_contain_text("Robert Hale")
    expect(visit).to_contain_text("09:00–09:30")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "calendar-week.png"), full_page=True)

    # Drag it to Tuesday 10:00: moved on the page once the server accepted, and in the database.
    page.drag_and_drop(
        f".cal-visit[data-appointment='{facts['visit']}']", f"td.cal-slot[data-starts-at='{tuesday}T10:00']"
    )
    status = page.locator("#calendar-status")
    expect(status).to_contain_text("Moved Robert Hale")
    moved = page.locator(
        f"td[data-starts-at='{tuesday}T10:00'] .cal-visit[data-appointment='{facts['visit']}']"
    )
    expect(moved).to_contain_text("10:00–10:30")
    expect(page.locator(f"td[data-starts-at='{facts['monday']}T09:00'] .cal-visit")).to_have_count(0)
    assert tandem_shell(env, WHERE % facts["visit"]) == {"starts": f"{tuesday}T10:00", "status": "booked"}
    page.screenshot(path=str(ARTIFACTS / "calendar-week-moved.png"), full_page=True)

    # Drop it on the lunch break: the server's reason in the live region, the visit stays at 10:00.
    page.drag_and_drop(
        f".cal-visit[data-appointment='{facts['visit']}']", f"td.cal-slot[data-starts-at='{tuesday}T12:15']"
    )
    expect(status).to_contain_text("Not moved")
    expect(status).to_contain_text("does not work")
    expect(moved).to_be_visible()
    assert tandem_shell(env, WHERE % facts["visit"]) == {"starts": f"{tuesday}T10:00", "status": "booked"}

    # Next week by htmx: the calendar is swapped and the address bar follows.
    page.click("a[rel=next]")
    next_monday = (monday + datetime.timedelta(days=7)).isoformat()
    page.wait_for_url(f"**date={next_monday}")
    expect(page.locator(".cal")).to_have_attribute("data-date", next_monday)
    expect(page.locator(".cal-visit")).to_have_count(0)
    # The refused drop is answered 422, which Chromium logs; anything else (a CSP violation...) is a failure.
    unexpected = [e for e in errors if "status of 422" not in e]
    assert not unexpected, unexpected
