"""The concurrent-care evidence dashboard in Debian's Chromium on a tablet, against a real `tandem serve` with
the demo clinic and an injected effect of concurrent care (`tandem demo --effect odi:-10`).

alice opens Outcomes from the navigation, reads the observational statement, sees the three charts and the
cohorts; she narrows the period, the page keeps her choice and counts fewer episodes; a bad period shows the
message beside the field; she downloads the CSV, whose rows are the page's cohorts and whose all-three
difference holds the injected effect in its CI. Screenshot: test-artifacts/evidence-dashboard.png.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser.serving import (
    launched_chromium,
    require_chromium,
    server_env,
    serving,
    sign_in,
    tandem,
    tandem_shell,
    watch,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ACTION_TIMEOUT = 30_000  # milliseconds for one browser step (the analysis runs statsmodels on first use)
TABLET = {"width": 1024, "height": 768}
EFFECT = -10

# The median baseline day of the demo's ODI episodes: a period ending there keeps about half of them.
MIDDLE = """
import json
from tandem.accounts.models import Organization
from tandem.demo.services import CLINIC_NAME
from tandem.outcomes.episodes import episodes
frame = episodes(Organization.objects.get(name=CLINIC_NAME), "odi")
days = sorted(frame["baseline_on"])
print(json.dumps({"first": days[0].isoformat(), "middle": days[len(days) // 2].isoformat(), "n": len(days)}))
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    require_chromium()
    env = server_env(tmp_path_factory.mktemp("tandem-evidence"))
    tandem(env, "migrate", "--verbosity", "0")
    tandem(env, "demo", "--patients", "20", "--seed", "42", "--effect", f"odi:{EFFECT}", "--verbosity", "0")
    days = tandem_shell(env, MIDDLE)
    with serving(env) as url:
        yield url, days


@pytest.fixture(scope="module")
def browser(clinic: tuple[str, dict[str, Any]]) -> Iterator[Any]:
    with launched_chromium() as chromium:
        yield chromium


def _episodes(page: Any) -> int:
    return int(page.locator("#evidence-episodes").inner_text().strip())


def test_alice_reads_the_evidence_narrows_the_period_and_downloads_the_csv(
    browser: Any, clinic: tuple[str, dict[str, Any]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    url, days = clinic
    errors: list[str] = []
    context = browser.new_context(viewport=TABLET, has_touch=True, accept_downloads=True)
    page = context.new_page()
    watch(page, errors, ACTION_TIMEOUT)
    sign_in(page, url, "alice")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes").click()
    page.wait_for_url("**/outcomes/evidence/")

    # The observational statement, prominently, before the figures.
    statement = page.locator("#evidence-statement")
    expect(statement).to_be_visible()
    expect(statement).to_contain_text("not from a randomised trial")
    expect(statement).to_contain_text("confounding by indication")
    assert statement.bounding_box()["y"] < page.locator("#evidence-table").bounding_box()["y"]
    # The three charts, each an SVG with its accessible title.
    for chart in ("#chart-change", "#chart-responders", "#chart-time-to-mcid"):
        svg = page.locator(f"{chart} svg")
        expect(svg).to_be_visible()
        assert svg.get_attribute("role") == "img"
        assert svg.bounding_box()["width"] > 300
    # The five cohorts, one discipline first (the reference).
    rows = page.locator("#evidence-table tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text("One discipline")
    expect(page.locator("#cohort-all-three [data-field=difference]")).to_have_text(re.compile(r"^-\d+\.\d$"))
    everything = _episodes(page)
    assert everything == days["n"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evidence-dashboard.png"), full_page=True)

    # A period ending at the median baseline: fewer episodes, the choice kept in the form.
    page.fill("#evidence-start", days["first"])
    page.fill("#evidence-end", days["middle"])
    page.click("#evidence-show")
    page.wait_for_url(re.compile(r".*end=" + days["middle"]))
    expect(page.locator("#evidence-end")).to_have_value(days["middle"])
    assert 0 < _episodes(page) < everything

    # A period that ends before it starts: the message beside the field, no figures.
    page.fill("#evidence-start", days["middle"])
    page.fill("#evidence-end", days["first"])
    page.click("#evidence-show")
    expect(page.locator("#err-end")).to_contain_text("ends before it starts")
    expect(page.locator("#evidence-end")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#evidence-table")).to_have_count(0)
    expect(page.locator("#evidence-csv")).to_have_count(0)

    # Back to the whole period, and the CSV of it.
    page.fill("#evidence-start", "")
    page.fill("#evidence-end", "")
    page.click("#evidence-show")
    expect(page.locator("#evidence-table")).to_be_visible()
    with page.expect_download() as waiting:
        page.click("#evidence-csv")
    download = waiting.value
    assert re.fullmatch(r"tandem-evidence-odi-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    blank = table.index([])
    columns, cohorts = table[blank + 1], table[blank + 2 :]
    assert [row[0] for row in cohorts] == ["single", "dc+lmt", "dc+pt", "pt+lmt", "all-three"]
    both = dict(zip(columns, cohorts[-1], strict=True))
    low = float(next(v for k, v in both.items() if k.startswith("difference_ci95_low")))
    high = float(next(v for k, v in both.items() if k.startswith("difference_ci95_high")))
    assert low <= EFFECT <= high < 0
    assert any(row[0] == "# statement" and "randomised trial" in row[1] for row in table[:blank])
    context.close()
    # Chromium logs the 400 of the bad period; anything else (a CSP violation...) fails.
    assert [e for e in errors if "status of 400" not in e] == []
