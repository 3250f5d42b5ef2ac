"""Issue #4 acceptance (plan booking), in Debian's Chromium against a real `tandem serve` on the demo clinic.

`tandem demo --patients 30` books every active plan of the demo clinic except Robert Hale's: chiropractic
2x/week with alice, physical therapy 1x/week with ben and massage 1x/week with maya for 6 weeks, the massage
immediately before the adjustment and the exercise within 30 minutes after it. In the browser alice opens
his plan, follows "Book visits", proposes with CP-SAT, reviews and confirms; then every one of the 24 visits
is booked around the demo clinic's other bookings, each massage ends exactly when an adjustment starts,
nothing overlaps, and each practitioner's week view shows their visits.

The server runs on SQLite in its own temporary data directory. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from tests.browser.serving import demo_env, require_chromium, serving, tandem_shell
from tests.browser.test_chart_flow import ARTIFACTS, browser, signed_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

FACTS = r"""
import datetime, json
from django.utils import timezone
from tandem.careplans.models import CarePlan
plan = CarePlan.objects.get(patient__mrn="D0000001", status="active")
today = timezone.localdate()
monday = today + datetime.timedelta(days=7 - today.weekday())
names = {a.preferred_practitioner_id: a.preferred_practitioner.display_name for a in plan.activities.all()}
print(json.dumps({"plan": plan.pk, "monday": monday.isoformat(), "practitioners": names,
    "booked_before": plan.patient.appointments.filter(status="booked").count()}))
"""

BOOKED = r"""
import json
from tandem.scheduling.models import Appointment
from tandem.scheduling.services import local
rows = Appointment.objects.filter(patient__mrn="D0000001", status="booked")
print(json.dumps([{"discipline": a.discipline, "practitioner": a.practitioner_id, "room": a.room_id,
    "starts": local(a.starts_at).isoformat(), "ends": local(a.ends_at).isoformat()} for a in rows]))
"""


@pytest.fixture(scope="module")
def clinic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], dict]]:
    require_chromium()
    env = demo_env(tmp_path_factory.mktemp("tandem-booking"), history=False)
    facts = tandem_shell(env, FACTS)
    with serving(env) as url:
        yield url, env, facts


@pytest.fixture(scope="module")
def server(clinic_server) -> str:
    """The server the shared browser fixtures sign in to: this module's demo clinic."""
    return clinic_server[0]


def _overlaps(visits: list[dict]) -> list[tuple[str, str]]:
    clashes = []
    for key in ("practitioner", "room"):
        by: dict[object, list[dict]] = defaultdict(list)
        for v in visits:
            by[v[key]].append(v)
        for group in by.values():
            group.sort(key=lambda v: v["starts"])
            clashes += [
                (a["starts"], b["starts"])
                for a, b in zip(group, group[1:], strict=False)
                if b["starts"] < a["ends"]
            ]
    ordered = sorted(visits, key=lambda v: v["starts"])  # one patient
    clashes += [
        (a["starts"], b["starts"])
        for a, b in zip(ordered, ordered[1:], strict=False)
        if b["starts"] < a["ends"]
    ]
    return clashes


def test_alice_books_a_concurrent_care_plan_from_the_browser(signed_in, clinic_server):  # noqa: F811
    from playwright.sync_api import expect

    page, errors = signed_in
    url, env, facts = clinic_server
    assert facts["booked_before"] == 0, "the demo leaves Robert Hale's plan for this test to book"
    page.goto(f"{url}/careplans/{facts['plan']}/")
    page.click("a:has-text('Book visits')")
    expect(page.locator("h1")).to_contain_text("Book the plan's visits")
    expect(page.locator("#id_location option:checked")).to_have_text("Riverside Main")
    page.fill("#id_starts_on", facts["monday"])
    page.select_option("#id_method", "cp-sat")
    expect(page.locator("#propose-progress")).to_be_hidden()
    page.click("button:has-text('Propose visits')")
    page.wait_for_url("**/bookings/*/", timeout=60_000)

    expect(page.locator("#booking-placed")).to_have_text("24 of 24")
    rules = page.locator("#booking-rules").inner_text()
    met = re.fullmatch(r"(\d+) of (\d+) met", rules.strip())
    assert met and met.group(1) == met.group(2) and int(met.group(2)) >= 6, rules
    expect(page.locator("#booking-calendar .booking-visit")).to_have_count(24)
    expect(page.locator("#booking-weeks tbody tr")).to_have_count(6)
    expect(page.locator("#booking-unplaced")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "booking-review.png"), full_page=True)

    page.click("#confirm-booking")
    expect(page.locator(".message-success")).to_contain_text("Booked 24 visits for Robert Hale.")
    expect(page.locator("#booking-done")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "booking-confirmed.png"), full_page=True)

    visits = tandem_shell(env, BOOKED)
    assert len(visits) == 24
    counts = defaultdict(int)
    for v in visits:
        counts[v["discipline"]] += 1
    assert counts == {"chiropractic": 12, "physical-therapy": 6, "massage-therapy": 6}
    adjustments = {v["starts"] for v in visits if v["discipline"] == "chiropractic"}
    for massage in (v for v in visits if v["discipline"] == "massage-therapy"):
        assert massage["ends"] in adjustments, (
            f"massage {massage['starts']} is not right before an adjustment"
        )
    assert not _overlaps(visits)

    # Each practitioner's week view (the calendar pages) shows their visits of the week it opens on.
    links = page.locator("#booking-done a")
    expect(links).to_have_count(3)
    for practitioner, name in facts["practitioners"].items():
        href = page.locator("#booking-done a", has_text=name).get_attribute("href")
        assert href and "date=" in href
        day = datetime.date.fromisoformat(parse_qs(urlparse(href).query)["date"][0])
        monday = day - datetime.timedelta(days=day.weekday())
        week = [
            v
            for v in visits
            if v["practitioner"] == int(practitioner)
            and monday <= datetime.date.fromisoformat(v["starts"][:10]) < monday + datetime.timedelta(days=7)
        ]
        assert week, (name, href)
        page.goto(url + href)
        text = page.locator("main").inner_text()
        for v in week:
            assert v["starts"][11:16] in text, (name, v["starts"])
        page.go_back()
    assert not errors, errors
