"""Acceptance (issue #6): a patient completes the ODI through a link on a phone, and the score appears on the
chart with its band and the MCID.

Against a real `tandem serve` with the demo clinic: a baseline ODI is on Robert Hale's record (paper, three
weeks ago), dana makes him a link; a phone-sized Chromium (390x844, touch) opens it without signing in,
answers the ten sections, sends them; alice then finds the score, its band and "MCID reached" on the chart.
Screenshots: test-artifacts/measure-phone.png, measure-chart-panel.png.
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

from tandem.outcomes.scoring import for_display, score

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT = 15_000
PHONE = {"width": 390, "height": 844}
BASELINE = [4, 4, 3, 4, 4, 3, 4, 4, 3, 4]  # 37 / 50: 74 %
ON_THE_PHONE = [1, 2, 1, 0, 2, 1, 1, 2, 1, 1]  # 12 / 50: 24 %

PREPARE = f"""
import datetime, json
from django.utils import timezone
from tandem.accounts.models import User
from tandem.patients.models import Patient
from tandem.outcomes import services
alice = User.objects.get(username="alice")
dana = User.objects.get(username="dana")
robert = Patient.objects.get(given_name="Robert", family_name="Hale")
services.response_record(
    actor=alice, patient=robert, instrument_code="odi", source="paper", answers={BASELINE!r},
    timepoint="baseline", authored_at=timezone.now() - datetime.timedelta(days=21),
)
link, token = services.measure_link_create(actor=dana, patient=robert, instrument_code="odi")
first = robert.preferred_name or robert.given_name
print(json.dumps({{"patient": robert.pk, "token": token, "first": first}}))
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    require_chromium()
    env = demo_env(tmp_path_factory.mktemp("tandem-measure"), history=False)
    prepared = tandem_shell(env, PREPARE)
    with serving(env) as url:
        yield url, prepared


@pytest.fixture(scope="module")
def browser(clinic: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def test_robert_fills_the_odi_on_his_phone_and_alice_sees_the_score(
    browser: Any, clinic: tuple[str, dict[str, Any]]
) -> None:
    from playwright.sync_api import expect

    url, prepared = clinic
    errors: list[str] = []
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = phone.new_page()
    watch(page, errors, ACTION_TIMEOUT)
    page.goto(f"{url}/m/{prepared['token']}")
    expect(page.locator("h1")).to_contain_text("Oswestry")
    expect(page.locator(".measure-hello")).to_have_text(f"Hello {prepared['first']},")
    expect(page.locator("body")).not_to_contain_text("Hale")
    expect(page.locator("#q-3 .measure-progress")).to_have_text("3 of 10")
    for number, value in enumerate(ON_THE_PHONE, start=1):
        option = page.locator(f"#q-{number} .measure-option").nth(value)
        option.scroll_into_view_if_needed()
        box = option.bounding_box()
        assert box is not None and box["height"] >= 44, f"section {number}: a tap target under 44 px"
        option.tap()
        expect(option.locator("input")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], (
        "the page scrolls sideways"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "measure-phone.png"))
    page.locator("#measure-submit").tap()
    expect(page.locator("#measure-thanks")).to_contain_text(f"Thank you, {prepared['first']}")
    page.goto(f"{url}/m/{prepared['token']}")  # single use
    expect(page.locator("#measure-unavailable")).to_contain_text("already been filled in")
    phone.close()

    tablet = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    alice = tablet.new_page()
    watch(alice, errors, ACTION_TIMEOUT)
    sign_in(alice, url, "alice")
    alice.goto(f"{url}/patients/{prepared['patient']}/")
    row = alice.locator('#outcome-scores tr[data-instrument="odi"]:not(.outcome-progress)')
    expected = score("odi", ON_THE_PHONE)
    expect(row.locator(".outcome-score")).to_have_text(for_display(expected.score))
    expect(row.locator(".outcome-band")).to_have_text(str(expected.band))
    expect(row.locator(".outcome-mcid")).to_contain_text("MCID reached")
    expect(row).to_contain_text("+50.0 points")
    # Below it, the progress chart with its MCID band.
    chart = alice.locator('#outcome-scores tr.outcome-progress[data-instrument="odi"] svg')
    expect(chart).to_be_visible()
    expect(chart).to_contain_text("MCID")
    alice.locator("#outcomes").screenshot(path=str(ARTIFACTS / "measure-chart-panel.png"))
    tablet.close()
    # Chromium logs the 410 of the used link; anything else (a CSP violation...) fails.
    assert [e for e in errors if "status of 410" not in e] == []
