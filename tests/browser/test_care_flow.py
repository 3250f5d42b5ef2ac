"""The care model of issue #3, end to end in Debian's Chromium against a real `tandem serve`:
alice refers Robert Hale to maya → maya accepts → alice builds the shared plan → deep tissue massage of the
lumbar spine for a patient on warfarin is flagged before it can be saved, and refused when she tries.

Reuses the demo-clinic server and browser of tests/browser/test_chart_flow.py. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from tests.browser.serving import sign_in, watch
from tests.browser.test_chart_flow import (  # noqa: F401  (fixtures)
    ACTION_TIMEOUT,
    ARTIFACTS,
    browser,
    server,
)

pytestmark = pytest.mark.browser

EPISODE = "Lumbar DDD: concurrent care (browser flow)"


class Session:
    """One person signed in, in a browser context of their own, collecting console errors."""

    def __init__(self, browser, server: str, username: str) -> None:  # noqa: F811
        self.context = browser.new_context(viewport={"width": 1366, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        watch(self.page, self.errors, ACTION_TIMEOUT)
        sign_in(self.page, server, username)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sessions(browser, server: str) -> Iterator[dict[str, Session]]:  # noqa: F811
    opened = {name: Session(browser, server, name) for name in ("alice", "maya")}
    try:
        yield opened
    finally:
        for session in opened.values():
            session.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_alice_refers_maya_accepts_alice_plans_and_deep_tissue_on_warfarin_is_flagged(sessions, server):  # noqa: F811
    from playwright.sync_api import expect

    alice = sessions["alice"].page
    maya = sessions["maya"].page

    # 1. alice opens Robert Hale's chart and writes a massage order for maya.
    alice.fill("#patient-search", "Hale")
    alice.wait_for_url("**/patients/?q=Hale")
    alice.locator("#patient-rows tbody tr a", has_text="Hale, Robert").click()
    alice.wait_for_selector("#conditions")
    patient_id = re.search(r"/patients/(\d+)/", alice.url).group(1)  # type: ignore[union-attr]
    alice.goto(f"{server}/patients/{patient_id}/referrals/new")
    alice.select_option("select[name=kind]", "massage-order")
    alice.select_option("select[name=recipient]", label="Maya Lindqvist, LMT — Massage therapy")
    alice.fill("textarea[name=reason]", "Paraspinal guarding around the degenerated L4-L5 segment.")
    alice.locator("input[name=conditions]").first.check()
    alice.locator("input[name=techniques][value=massage-swedish]").check()
    alice.locator("input[name=body_sites][value=lumbar]").check()
    alice.select_option("select[name=pressure_limit]", "light")
    alice.fill("input[name=session_count]", "6")
    alice.fill("input[name=sessions_per_week]", "1")
    alice.fill("textarea[name=precautions]", "On warfarin: light pressure only, no deep work.")
    alice.fill("textarea[name=override_reason]", "INR stable; light Swedish only, agreed with the patient.")
    alice.click("button:has-text('Save draft')")
    alice.wait_for_url(re.compile(r"/referrals/\d+/$"))
    referral_url = alice.url
    alice.click("button:has-text('Send')")
    expect(alice.locator("main")).to_contain_text("Sent")

    # 2. maya finds it in her inbox and accepts it.
    maya.goto(server + "/referrals/")
    maya.locator(f"a[href='{referral_url.removeprefix(server)}']").first.click()
    expect(maya.locator("main")).to_contain_text("Robert Hale")
    maya.click("button:has-text('Accept')")
    expect(maya.locator("main")).to_contain_text("Accepted")
    _shot(maya, "flow-referral-accepted")

    # 3. alice builds the shared plan of care.
    alice.goto(f"{server}/patients/{patient_id}/careplans/new")
    alice.fill("#id_title", EPISODE)
    alice.locator("input[name=problems]").first.check()
    alice.click("button:has-text('Save')")
    expect(alice.locator("h1")).to_contain_text(EPISODE)
    plan_url = alice.url

    # 4. She adds deep tissue massage of the lumbar spine: flagged live, before anything is saved ...
    alice.click("text=Add activity")
    alice.select_option("select[name=discipline]", "massage-therapy")
    deep = alice.locator("input[name=technique][value=massage-deep-tissue]")
    expect(deep).to_be_visible()
    deep.check()
    alice.locator("input[name=body_sites][value=lumbar]").check()
    findings = alice.locator("#technique-findings")
    expect(findings).to_contain_text("contraindicated")
    expect(findings).to_contain_text("NCCIH")  # the rule names its source
    _shot(alice, "flow-deep-tissue-flagged")

    # ... and refused when she saves anyway: nothing is added to the plan.
    alice.select_option("select[name=massage_pressure]", "deep")
    alice.fill("#id_visits_per_week", "1")
    alice.fill("#id_weeks", "6")
    alice.fill("#id_visit_minutes", "45")
    alice.click("button:has-text('Save')")
    expect(alice.locator("#id_techniques-errors")).to_contain_text("Contraindicated")
    alice.goto(plan_url)
    expect(alice.locator("main")).not_to_contain_text("Deep tissue")

    assert not sessions["alice"].errors, sessions["alice"].errors
    assert not sessions["maya"].errors, sessions["maya"].errors
