"""What a clinician does, in Debian's Chromium against a real `tandem serve` (gunicorn + whitenoise).

The server runs on SQLite in its own temporary data directory, loaded with `tandem demo --patients 30`, so
this test never touches the database of the rest of the suite (nor a PostgreSQL given in the environment).
Screenshots go to test-artifacts/ at the repository root.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.browser.serving import demo_env, launched_chromium, require_chromium, serving, sign_in, watch

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT = 15_000  # milliseconds for one browser step


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromium()
    with serving(demo_env(tmp_path_factory.mktemp("tandem-browser"), history=False)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def signed_in(browser, server: str) -> Iterator[tuple[object, list[str]]]:
    """A page signed in as alice, and the console errors it collects (a CSP violation shows up there)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    watch(page, errors, ACTION_TIMEOUT)
    sign_in(page, server, "alice")
    try:
        yield page, errors
    finally:
        context.close()


def _open_robert_hale(page) -> None:
    page.fill("#patient-search", "Hale")
    page.wait_for_url("**/patients/?q=Hale")  # the live search (htmx) answered and pushed its URL
    rows = page.locator("#patient-rows tbody tr")
    assert 1 <= rows.count() < 25
    rows.locator("a", has_text="Hale, Robert").click()
    page.wait_for_selector("#conditions")


def test_a_clinician_finds_robert_hale_and_sees_his_disc_and_his_anticoagulant(signed_in):
    from playwright.sync_api import expect

    page, errors = signed_in
    _open_robert_hale(page)
    expect(page.locator("h1")).to_contain_text("Robert Hale")
    expect(page.locator("#conditions")).to_contain_text("M51.362")
    expect(page.locator(".alerts .badge-risk", has_text="anticoagulant")).to_be_visible()
    expect(page.locator("#medications .badge-risk", has_text="anticoagulant")).to_be_visible()
    expect(page.locator("#care-team")).to_contain_text("Lead clinician")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chart.png"), full_page=True)

    # A tablet in portrait: one column, no sideways scrolling, the risk badge still up front.
    page.set_viewport_size({"width": 820, "height": 1180})
    page.reload()
    expect(page.locator(".alerts .badge-risk", has_text="anticoagulant")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "chart-tablet.png"), full_page=True)
    assert not errors, errors


def test_an_unknown_icd10_code_is_refused_beside_the_field_and_the_picker_fills_a_real_one(signed_in):
    from playwright.sync_api import expect

    page, errors = signed_in
    _open_robert_hale(page)
    page.click("text=Add condition")
    page.fill("#id_code", "M99.999")
    page.select_option("#id_category", "structural")
    page.fill("#id_evidence", "X-ray 2026-01-10")
    page.click("button:has-text('Save')")
    message = page.locator("#id_code-errors")
    expect(message).to_contain_text("M99.999 is not an ICD-10-CM code")
    # Beside the field: the message sits in the same form field as the code input.
    expect(page.locator(".field.has-error", has=page.locator("#id_code"))).to_contain_text(
        "not an ICD-10-CM code"
    )
    expect(page.locator("#id_evidence")).to_have_value("X-ray 2026-01-10")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "condition-error.png"), full_page=True)

    page.fill("#id_code", "")
    page.locator("#id_code").press_sequentially("cervicalgia", delay=20)
    page.locator(".suggestion", has_text="M54.2").click()
    expect(page.locator("#id_code")).to_have_value("M54.2")
    expect(page.locator("#id_text")).to_have_value("Cervicalgia")
    page.select_option("#id_body_site", "cervical")
    page.click("button:has-text('Save')")
    expect(page.locator(".message-success")).to_contain_text("M54.2")
    expect(page.locator("#conditions")).to_contain_text("Cervicalgia")
    assert not errors, errors
