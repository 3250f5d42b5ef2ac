"""Settling a precaution from the note editor, in Debian's Chromium on a tablet against a real `tandem serve`
with the demo clinic.

Robert Hale (demo) takes warfarin; his plan orders light Swedish massage, which alice approved with an
override. maya documents manual lymphatic drainage instead: the anticoagulant precaution
(massage-anticoagulant-light) is not covered by the plan's override, so she cannot sign and is told alice must
record an override. alice opens the draft, records it with a reason; maya signs; the signed note lists the
override applied. Screenshot: test-artifacts/note-override.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser.serving import demo_env, require_chromium, serving, tandem_shell

# The tablet browser and sign_in of the note test, over this module's clinic (fixtures resolve by name here).
from tests.charting.test_browser_note import CHECK_IN_ROBERT, browser, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REASON = "INR 2.4 on Monday; gentle lymphatic drainage of the back is fine."


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    require_chromium()
    env = demo_env(tmp_path_factory.mktemp("tandem-override"), history=False)
    appointment = tandem_shell(env, CHECK_IN_ROBERT)["appointment"]
    with serving(env) as url:
        yield url, appointment


def test_maya_cannot_sign_until_alice_records_the_override(sign_in: Any, clinic: tuple[str, int]) -> None:  # noqa: F811
    from playwright.sync_api import expect

    url, appointment = clinic
    maya = sign_in("maya")
    maya.goto(f"{url}/appointments/{appointment}/")
    maya.click("#document-visit")
    maya.wait_for_url("**/notes/*/")
    note_url = maya.url
    # The plan's light Swedish massage is covered by alice's override on the plan activity.
    expect(maya.locator("#note-safety")).to_contain_text("Overridden with the plan activity")

    maya.select_option('[name="data.techniques.0.technique"]', "massage-lymphatic-drainage")
    maya.fill('[name="data.techniques.0.minutes"]', "30")
    maya.select_option('[name="data.nprs_before"]', "5")
    maya.select_option('[name="data.nprs_after"]', "3")
    maya.fill('[name="data.response"]', "Less swelling at the back; tolerated well.")
    maya.fill('[name="subjective"]', "Low back heavy and swollen after a long flight.")
    maya.fill('[name="objective"]', "Mild oedema over the lumbar paraspinals; no bruising.")
    maya.fill('[name="assessment"]', "Eased with gentle drainage.")
    maya.fill('[name="plan"]', "Back to light Swedish next visit.")
    maya.locator('[name="plan"]').blur()
    expect(maya.locator("#autosave-status")).to_contain_text("Draft saved", timeout=10_000)
    maya.wait_for_timeout(2_000)  # the last keyup's debounced save
    expect(maya.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(maya.locator("#note-missing")).to_be_hidden()
    # The autosave brought the safety panel up to date: the drainage needs an override.
    finding = maya.locator('#safety-findings [data-technique="massage-lymphatic-drainage"]')
    expect(finding).to_contain_text("Manual lymphatic drainage")
    expect(finding).to_contain_text("massage-anticoagulant-light")
    expect(finding).to_contain_text("Source: NCCIH")
    expect(finding).to_contain_text("Needs an override")
    expect(maya.locator("#override-form")).to_have_count(0)

    maya.click("#sign-note")
    expect(maya.locator(".form-errors")).to_contain_text("Precaution: Manual lymphatic drainage")
    expect(maya.locator("#override-needed")).to_contain_text("Alice")
    expect(maya.locator("#override-needed")).to_contain_text("must record an override")
    expect(maya.locator("#note-status")).to_contain_text("Draft")

    alice = sign_in("alice")
    alice.goto(note_url)
    expect(alice.locator("#override-form")).to_be_visible()
    alice.click("#record-override")  # empty: the browser itself asks for the reason
    assert alice.locator("#override-reason").evaluate("element => element.validity.valueMissing")
    alice.fill("#override-reason", REASON)
    alice.click("#record-override")
    alice.wait_for_url(note_url)
    expect(alice.locator("main")).to_contain_text("Override recorded.")
    expect(finding_of(alice)).to_contain_text("Overridden for this note by Dr Alice")
    expect(alice.locator("#override-form")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "note-override.png"), full_page=True)

    maya.goto(note_url)
    maya.click("#sign-note")
    maya.wait_for_url(note_url)
    expect(maya.locator("#note-status")).to_contain_text("awaiting co-signature")
    expect(maya.locator("#overrides-applied")).to_contain_text(REASON)
    expect(maya.locator("#overrides-applied")).to_contain_text("Manual lymphatic drainage")


def finding_of(page: Any) -> Any:
    return page.locator('#safety-findings [data-technique="massage-lymphatic-drainage"]')
