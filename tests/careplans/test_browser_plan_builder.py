"""What a supervising chiropractor does in the plan builder, in Debian's Chromium against `tandem serve`.

Reuses the server, browser and signed-in page of tests/browser (a demo clinic on SQLite in a temporary data
directory). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from tests.browser.test_chart_flow import ARTIFACTS, browser, server, signed_in  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _robert_hale_id(page) -> str:
    page.fill("#patient-search", "Hale")
    page.wait_for_url("**/patients/?q=Hale")
    page.locator("#patient-rows tbody tr a", has_text="Hale, Robert").click()
    page.wait_for_selector("#conditions")
    found = re.search(r"/patients/(\d+)/", page.url)
    assert found
    return found.group(1)


def test_live_safety_findings_refuse_deep_tissue_and_ask_a_reason_for_a_precaution(signed_in, server):  # noqa: F811
    from playwright.sync_api import expect

    page, errors = signed_in
    patient_id = _robert_hale_id(page)
    page.goto(f"{server}/patients/{patient_id}/careplans/new")
    page.fill("#id_title", "Low back pain — browser episode")
    page.locator("input[name=problems]").first.check()
    page.click("button:has-text('Save')")
    expect(page.locator("h1")).to_contain_text("Low back pain — browser episode")

    page.click("text=Add activity")
    page.select_option("select[name=discipline]", "massage-therapy")
    deep = page.locator("input[name=technique][value=massage-deep-tissue]")
    expect(deep).to_be_visible()  # the discipline re-rendered the fields (htmx)
    deep.check()
    page.locator("input[name=body_sites][value=lumbar]").check()
    findings = page.locator("#technique-findings")
    expect(findings).to_contain_text("contraindicated")  # before anything is saved
    page.select_option("select[name=massage_pressure]", "deep")
    page.fill("#id_visits_per_week", "1")
    page.fill("#id_weeks", "6")
    page.fill("#id_visit_minutes", "45")
    page.click("button:has-text('Save')")
    expect(page.locator("#id_techniques-errors")).to_contain_text("Contraindicated")
    expect(page.locator("#id_weeks")).to_have_value("6")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "careplan-activity-refused.png"), full_page=True)

    page.select_option("select[name=massage_pressure]", "light")  # the findings check the pressure too
    page.locator("input[name=technique][value=massage-deep-tissue]").uncheck()
    page.locator("input[name=technique][value=massage-swedish]").check()
    expect(findings).to_contain_text("precaution")
    expect(findings).not_to_contain_text("contraindicated")
    reason = page.locator("#id_override_reason")
    expect(reason).to_be_visible()  # the override field appears for a precaution
    reason.fill("INR stable at 2.3; light Swedish only, no pressure over the lumbar spine.")
    page.click("button:has-text('Save')")
    expect(page.locator(".message-success")).to_contain_text("waiting for the supervisor's approval")
    expect(page.locator(".careplan-activities")).to_contain_text("pending approval")
    page.screenshot(path=str(ARTIFACTS / "careplan-builder.png"), full_page=True)

    page.click("button:has-text('Approve')")
    expect(page.locator(".careplan-activities")).to_contain_text("approved by")
    page.click("text=compare the last change")
    expect(page.locator(".careplan-diff-changed").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "careplan-compare.png"), full_page=True)
    assert not errors, errors
