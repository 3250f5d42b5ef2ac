"""The body map in Debian's Chromium: clicks and keys mark sites, the hidden input keeps the JSON in step.

The component is rendered by Django's template engine here and loaded with page.set_content(), with the real
static/js/body_map.js and static/css/tandem.css injected. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.template import engines
from tests.browser.serving import launched_chromium, require_chromium, watch

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCRIPT = ROOT / "src" / "tandem" / "static" / "js" / "body_map.js"
STYLESHEET = ROOT / "src" / "tandem" / "static" / "css" / "tandem.css"
ACTION_TIMEOUT = 15_000  # milliseconds for one browser step


def render(source: str, **context: Any) -> str:
    body = engines["django"].from_string("{% load body_map_tags %}" + source).render(context)
    return f'<!doctype html><html lang="en"><body><main class="page">{body}</main></body></html>'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Opens rendered HTML with the real script and stylesheet; fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1024, "height": 1300})
    errors: list[str] = []

    def _open(html: str) -> Any:
        page = context.new_page()
        watch(page, errors, ACTION_TIMEOUT)
        page.set_content(html)
        page.add_style_tag(path=str(STYLESHEET))
        page.add_script_tag(path=str(SCRIPT))
        return page

    try:
        yield _open
        assert errors == []
    finally:
        context.close()


def marks_of(page: Any, name: str = "body_marks") -> list[dict[str, str]]:
    return json.loads(page.locator(f'input[type=hidden][name="{name}"]').input_value())


def click_site(page: Any, view: str, site: str, scope: str = "") -> None:
    """A real pointer click on the site's anchor (where its marks are drawn), as a finger would tap it."""
    point = page.evaluate(
        """([scope, view, site]) => {
            const g = document.querySelector(`${scope} .bm-site[data-view="${view}"][data-site="${site}"]`);
            const svg = g.ownerSVGElement;
            const [x, y] = g.getAttribute("data-anchor").split(" ").map(Number);
            const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
            return {x: p.x, y: p.y};
        }""",
        [scope, view, site],
    )
    page.mouse.click(point["x"], point["y"])


TOUCH_TARGETS = """() => Array.from(document.querySelectorAll(".bm-site")).map(g => {
    // How far (CSS pixels) a tap can stray from the anchor, across and down, and still land on the site.
    const svg = g.ownerSVGElement;
    const [x, y] = g.getAttribute("data-anchor").split(" ").map(Number);
    const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
    const lands = (dx, dy) => {
        const hit = document.elementFromPoint(p.x + dx, p.y + dy);
        return Boolean(hit) && hit.closest(".bm-site") === g;
    };
    const reach = (dx, dy) => {
        let n = 0;
        while (n < 100 && lands(dx * (n + 1), dy * (n + 1))) n++;
        return n;
    };
    const across = lands(0, 0) ? reach(1, 0) + reach(-1, 0) + 1 : 0;
    const down = lands(0, 0) ? reach(0, 1) + reach(0, -1) + 1 : 0;
    return [g.dataset.view, g.dataset.site, across, down];
})"""


def count_change_events(page: Any) -> None:
    page.evaluate(
        """() => {
            window.changes = 0;
            document.querySelector("input[data-bm-input]").addEventListener("change", () => window.changes++);
        }"""
    )


def test_a_clinician_marks_sites_by_clicking_and_removes_one(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page(render("{% body_map marks %}", marks=[]))
    count_change_events(page)
    expect(page.locator("[data-bm-empty]")).to_be_visible()

    page.get_by_label("Trigger point", exact=True).check()
    click_site(page, "back", "lumbar")
    page.get_by_label("Pain", exact=True).check()
    click_site(page, "front", "shoulder-left")
    assert marks_of(page) == [
        {"site": "lumbar", "kind": "trigger-point", "view": "back"},
        {"site": "shoulder-left", "kind": "pain", "view": "front"},
    ]
    expect(page.locator("[data-bm-empty]")).to_be_hidden()
    expect(page.locator(".bm-item")).to_have_count(2)
    expect(page.locator("svg[data-view=back] .bm-mark-trigger-point")).to_have_count(1)
    expect(page.locator("svg[data-view=front] .bm-mark-pain")).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("Pain added: Shoulder, left (front).")

    note = page.get_by_label("Note for Trigger point, Lumbar spine (back)")
    note.fill("L4–L5 paraspinals, referred to buttock")
    note.press("Tab")
    page.get_by_role("button", name="Remove Pain, Shoulder, left (front)").click()
    assert marks_of(page) == [
        {
            "site": "lumbar",
            "kind": "trigger-point",
            "view": "back",
            "note": "L4–L5 paraspinals, referred to buttock",
        }
    ]
    expect(page.locator("svg[data-view=front] .bm-mark")).to_have_count(0)
    assert page.evaluate("window.changes") == 4  # two marks added, one note, one removed

    # The same kind on the same site again takes the mark away.
    page.get_by_label("Trigger point", exact=True).check()
    click_site(page, "back", "lumbar")
    assert marks_of(page) == []
    expect(page.locator("[data-bm-empty]")).to_be_visible()


def test_a_keyboard_user_marks_a_focused_site_with_enter_and_space(open_page: Any) -> None:
    from playwright.sync_api import expect

    page = open_page(
        render("{% body_map marks %}", marks=[{"site": "head", "kind": "pain", "view": "front"}])
    )
    page.get_by_label("Adjusted segment", exact=True).check()
    cervical = page.locator('.bm-site[data-view="back"][data-site="cervical"]')
    expect(cervical).to_have_attribute("aria-label", "Cervical spine (back)")
    expect(cervical).to_have_attribute("aria-pressed", "false")
    cervical.focus()
    page.keyboard.press("Enter")
    assert marks_of(page) == [
        {"site": "head", "kind": "pain", "view": "front"},
        {"site": "cervical", "kind": "adjusted-segment", "view": "back"},
    ]
    expect(cervical).to_have_attribute("aria-pressed", "true")
    expect(cervical).to_be_focused()
    page.keyboard.press("Tab")  # on to the next site down the figure, which Space marks
    expect(page.locator('.bm-site[data-view="back"][data-site="shoulder-left"]')).to_be_focused()
    page.keyboard.press(" ")
    assert marks_of(page)[-1] == {"site": "shoulder-left", "kind": "adjusted-segment", "view": "back"}
    page.get_by_role("button", name="Remove Adjusted segment, Cervical spine (back)").press("Enter")
    assert [m["site"] for m in marks_of(page)] == ["head", "shoulder-left"]


def test_on_a_tablet_every_site_is_a_touch_target_of_at_least_24_pixels(open_page: Any) -> None:
    page = open_page(render("{% body_map marks %}", marks=[]))
    page.set_viewport_size({"width": 768, "height": 1024})
    targets = page.evaluate(TOUCH_TARGETS)
    assert len(targets) == 51  # 25 sites on the front, 26 on the back
    small = [(view, site, across, down) for view, site, across, down in targets if min(across, down) < 24]
    assert small == []


def test_a_map_swapped_in_by_htmx_is_wired_too(open_page: Any) -> None:
    page = open_page(render("<div id='slot'></div>"))
    fragment = engines["django"].from_string(
        "{% load body_map_tags %}{% body_map marks input_name='later' %}"
    )
    page.evaluate(
        """html => {
            const slot = document.getElementById("slot");
            slot.innerHTML = html;
            slot.firstElementChild.dispatchEvent(new CustomEvent("htmx:load", {bubbles: true}));
        }""",
        fragment.render({"marks": []}),
    )
    click_site(page, "front", "knee-right")
    assert marks_of(page, "later") == [{"site": "knee-right", "kind": "pain", "view": "front"}]


def test_the_editor_screenshot_shows_every_kind_of_mark(open_page: Any) -> None:
    from playwright.sync_api import expect

    marks = [
        {"site": "thoracic", "kind": "treated-area", "view": "back"},
        {"site": "lumbar", "kind": "adjusted-segment", "view": "back"},
        {"site": "sacral", "kind": "adjusted-segment", "view": "back"},
        {"site": "shoulder-left", "kind": "trigger-point", "view": "back", "note": "upper trapezius"},
    ]
    page = open_page(render("{% body_map marks %}", marks=marks))
    page.get_by_label("Pain", exact=True).check()
    click_site(page, "back", "lumbar")
    click_site(page, "front", "knee-right")
    page.get_by_label("Trigger point", exact=True).check()
    click_site(page, "front", "shoulder-left")
    page.locator('.bm-site[data-view="front"][data-site="rib-cage"]').focus()
    page.keyboard.press("Tab")  # the keyboard's focus ring, on the next site down: the right upper arm
    expect(page.locator('.bm-site[data-view="front"][data-site="upper-arm-right"]')).to_be_focused()
    assert len(marks_of(page)) == 7
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "body-map.png"), full_page=True)


@dataclass
class _Author:
    display_name: str


@dataclass
class _Note:
    author: _Author


@dataclass
class _Entry:
    note: _Note
    discipline: str
    visited_at: datetime.datetime
    marks: list[dict[str, str]]


def test_the_timeline_shows_each_disciplines_marks_in_its_colour(open_page: Any) -> None:
    from playwright.sync_api import expect

    day = datetime.datetime(2026, 11, 2, 15, 0, tzinfo=datetime.UTC)
    alice, ben, maya = _Author("Dr Alice Moreau, DC"), _Author("Ben Okafor, PT"), _Author("Maya Lind, LMT")
    entries = [
        _Entry(
            _Note(maya),
            "massage-therapy",
            day,
            [
                {"site": "thoracic", "kind": "treated-area", "view": "back"},
                {"site": "shoulder-left", "kind": "trigger-point", "view": "back"},
                {"site": "cervical", "kind": "pain", "view": "back"},
            ],
        ),
        _Entry(
            _Note(alice),
            "chiropractic",
            day + datetime.timedelta(days=1),
            [
                {"site": "lumbar", "kind": "adjusted-segment", "view": "back"},
                {"site": "pelvis", "kind": "adjusted-segment", "view": "back"},
                {"site": "lumbar", "kind": "pain", "view": "back"},
            ],
        ),
        _Entry(
            _Note(ben),
            "physical-therapy",
            day + datetime.timedelta(days=3),
            [
                {"site": "knee-right", "kind": "pain", "view": "front"},
                {"site": "thigh-right", "kind": "treated-area", "view": "front"},
            ],
        ),
    ]
    page = open_page(render("{% body_map_timeline entries %}", entries=entries))
    expect(page.locator(".bm-timeline-entry")).to_have_count(3)
    expect(page.locator(".bm-timeline-entry").nth(1)).to_contain_text("Dr Alice Moreau, DC")
    colours = page.eval_on_selector_all(
        ".bm-timeline-entry .bm-mark-pain .bm-symbol", "ps => ps.map(p => getComputedStyle(p).fill)"
    )
    assert colours == ["rgb(160, 103, 155)", "rgb(63, 111, 181)", "rgb(47, 138, 91)"]  # LMT, DC, PT
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "body-map-timeline.png"), full_page=True)
