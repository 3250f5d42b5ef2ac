"""The body map: its geometry against the vocabulary, the validation of marks, and the template tags' SVG."""

from __future__ import annotations

import datetime
import html as html_module
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from django.template import engines

from tandem.charting import bodymap
from tandem.charting.bodymap import FIGURE, KIND_LABELS, MarkError, validate_marks
from tandem.core.vocabularies import BODY_SITES, LIMB_BODY_SITES

SVG = "{http://www.w3.org/2000/svg}"


def _x_range(site: str, view: str) -> tuple[float, float]:
    shape = bodymap.shape_for(site, view)
    assert shape is not None
    xs = [float(n) for d in shape.paths for n in re.findall(r"-?\d+(?:\.\d+)?", d)[0::2]]
    return min(xs), max(xs)


# Geometry -------------------------------------------------------------------------------------------------


def test_it_draws_every_body_site_of_the_vocabulary_on_at_least_one_view() -> None:
    missing = [c.code for c in BODY_SITES if not bodymap.views_of(c.code)]
    assert missing == []
    assert bodymap.sites_drawn() == {c.code for c in BODY_SITES}


def test_it_draws_no_site_twice_on_a_view() -> None:
    for view, shapes in FIGURE.items():
        codes = [shape.site for shape in shapes]
        assert len(codes) == len(set(codes)), view


@pytest.mark.parametrize(
    ("site", "views"),
    [
        ("head", ("front", "back")),
        ("cervical", ("front", "back")),
        ("thoracic", ("back",)),
        ("lumbar", ("back",)),
        ("sacral", ("back",)),
        ("pelvis", ("front", "back")),
        ("rib-cage", ("front",)),
        ("abdomen", ("front",)),
        ("shoulder-left", ("front", "back")),
        ("hip-right", ("front", "back")),
        ("ankle-foot-left", ("front", "back")),
    ],
)
def test_it_draws_each_site_on_the_views_where_a_clinician_sees_it(site: str, views: tuple[str, ...]) -> None:
    assert bodymap.views_of(site) == views


@pytest.mark.parametrize("limb", [c.code for c in LIMB_BODY_SITES])
def test_it_puts_the_patients_left_on_the_viewers_right_in_front_and_on_the_viewers_left_behind(
    limb: str,
) -> None:
    front_left, front_right = _x_range(f"{limb}-left", "front"), _x_range(f"{limb}-right", "front")
    back_left, back_right = _x_range(f"{limb}-left", "back"), _x_range(f"{limb}-right", "back")
    # Legs meet at the midline; no limb crosses it.
    assert front_left[0] >= bodymap.MIDLINE >= front_right[1]
    assert back_left[1] <= bodymap.MIDLINE <= back_right[0]
    left_anchor = bodymap.shape_for(f"{limb}-left", "front")
    assert left_anchor is not None and left_anchor.anchor[0] > bodymap.MIDLINE


def test_it_labels_the_sides_of_each_view_l_and_r() -> None:
    front = {text: x for text, x, _ in bodymap.SIDE_LABELS["front"]}
    back = {text: x for text, x, _ in bodymap.SIDE_LABELS["back"]}
    assert front["L"] > bodymap.MIDLINE > front["R"]
    assert back["L"] < bodymap.MIDLINE < back["R"]


def test_it_mirrors_a_path_across_the_midline() -> None:
    assert bodymap.mirror_path("M 10 20 L 30.5 40 C 50 60 70 80 90 100 Z") == (
        "M 190 20 L 169.5 40 C 150 60 130 80 110 100 Z"
    )


def test_it_gives_every_kind_a_label_and_a_shape_of_its_own() -> None:
    assert list(KIND_LABELS) == ["pain", "trigger-point", "adjusted-segment", "treated-area"]
    symbols = [bodymap.KIND_STYLES[kind].symbol for kind in KIND_LABELS]
    assert symbols == ["circle", "cross", "diamond", "hatch"]
    colours = {bodymap.KIND_STYLES[kind].colour for kind in KIND_LABELS}
    assert len(colours) == 4


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["pain"], {"pain": (100, 182)}),
        (["treated-area"], {}),
        (["trigger-point", "pain"], {"pain": (94.5, 182), "trigger-point": (105.5, 182)}),
        (
            ["adjusted-segment", "treated-area", "pain", "trigger-point"],
            {"pain": (89, 182), "trigger-point": (100, 182), "adjusted-segment": (111, 182)},
        ),
    ],
)
def test_it_centres_the_symbols_of_a_site_on_its_anchor(
    kinds: list[str], expected: dict[str, tuple[float, float]]
) -> None:
    lumbar = bodymap.shape_for("lumbar", "back")
    assert lumbar is not None and lumbar.anchor == (100, 182)
    assert bodymap.mark_positions(lumbar, kinds) == expected


def test_it_stacks_the_symbols_of_a_limb_one_above_the_other() -> None:
    thigh = bodymap.shape_for("thigh-left", "front")
    assert thigh is not None
    x, y = thigh.anchor
    assert bodymap.mark_positions(thigh, ["pain", "adjusted-segment"]) == {
        "pain": (x, y - 5.5),
        "adjusted-segment": (x, y + 5.5),
    }


# Validation -----------------------------------------------------------------------------------------------


def test_it_accepts_marks_as_a_list_or_as_json_text() -> None:
    value = [
        {"site": "lumbar", "kind": "trigger-point", "view": "back", "note": "  L4 paraspinals  "},
        {"site": "shoulder-left", "kind": "pain", "view": "front"},
    ]
    marks = validate_marks(value)
    assert [m.as_json() for m in marks] == [
        {"site": "lumbar", "kind": "trigger-point", "view": "back", "note": "L4 paraspinals"},
        {"site": "shoulder-left", "kind": "pain", "view": "front"},
    ]
    assert validate_marks(json.dumps(value)) == marks
    assert validate_marks("") == [] and validate_marks(None) == [] and validate_marks([]) == []


def test_it_lets_one_site_carry_several_kinds_and_both_views() -> None:
    marks = validate_marks(
        [
            {"site": "cervical", "kind": "pain", "view": "back"},
            {"site": "cervical", "kind": "adjusted-segment", "view": "back"},
            {"site": "cervical", "kind": "pain", "view": "front"},
        ]
    )
    assert len(marks) == 3


LUMBAR = {"site": "lumbar", "kind": "pain", "view": "back"}


@pytest.mark.parametrize(
    ("value", "index", "field", "message"),
    [
        ("[not json", None, None, "not valid JSON"),
        ({"site": "lumbar"}, None, None, "are a list"),
        ([LUMBAR, "lumbar"], 1, None, "Mark 2: a mark is an object"),
        ([{**LUMBAR, "colour": "red"}], 0, "colour", "Mark 1, colour: “colour” is not part of a mark"),
        ([{**LUMBAR, "site": "spleen"}], 0, "site", "Mark 1, site: “spleen” is not a body site"),
        ([{**LUMBAR, "site": "shoulder"}], 0, "site", "“shoulder” is not a body site"),
        ([{**LUMBAR, "site": None}], 0, "site", "“None” is not a body site"),
        ([LUMBAR, {**LUMBAR, "view": "side"}], 1, "view", "Mark 2, view: mark the front or the back"),
        (
            [{**LUMBAR, "view": "front"}],
            0,
            "view",
            "Mark 1, view: Lumbar spine is not drawn on the front view (only on the back).",
        ),
        (
            [{"site": "abdomen", "kind": "pain", "view": "back"}],
            0,
            "view",
            "Abdomen is not drawn on the back view (only on the front).",
        ),
        ([{**LUMBAR, "kind": "bruise"}], 0, "kind", "Mark 1, kind: mark pain, a trigger point"),
        ([{**LUMBAR, "note": 7}], 0, "note", "Mark 1, note: a mark's note is text"),
        ([{**LUMBAR, "note": "x" * 201}], 0, "note", "under 200 characters (it has 201)"),
        (
            [LUMBAR, {"site": "knee-left", "kind": "pain", "view": "front"}, dict(LUMBAR)],
            2,
            "site",
            "Mark 3, site: the same as mark 1 (Pain, Lumbar spine (back)).",
        ),
    ],
)
def test_it_refuses_a_bad_mark_naming_where(
    value: Any, index: int | None, field: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        validate_marks(value)
    assert isinstance(caught.value, MarkError)
    assert (caught.value.index, caught.value.field) == (index, field)


def test_it_accepts_a_note_of_exactly_200_characters() -> None:
    assert validate_marks([{**LUMBAR, "note": "x" * 200}])[0].note == "x" * 200


def test_it_refuses_more_than_100_marks() -> None:
    sites = [shape.site for shape in FIGURE["front"]] + [shape.site for shape in FIGURE["back"]]
    views = ["front"] * len(FIGURE["front"]) + ["back"] * len(FIGURE["back"])
    many = [
        {"site": site, "kind": kind, "view": view}
        for site, view in zip(sites, views, strict=True)
        for kind in KIND_LABELS
    ]
    assert len(validate_marks(many[:100])) == 100
    with pytest.raises(ValueError, match=r"at most 100 marks on a body map \(there are 101\)"):
        validate_marks(many[:101])


def test_drawable_marks_skips_what_cannot_be_drawn_without_failing() -> None:
    value = [LUMBAR, {"site": "spleen"}, "x", dict(LUMBAR), {**LUMBAR, "view": "front"}]
    assert [m.site for m in bodymap.drawable_marks(value)] == ["lumbar"]
    assert bodymap.drawable_marks("{broken") == []
    assert bodymap.drawable_marks({"not": "a list"}) == []


# Template tags --------------------------------------------------------------------------------------------


def render(source: str, **context: Any) -> str:
    return engines["django"].from_string("{% load body_map_tags %}" + source).render(context)


def svgs(html: str) -> list[ET.Element]:
    found = re.findall(r"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bm-svg\".*?</svg>", html, re.S)
    return [ET.fromstring(text) for text in found]


def sites_in(figure: ET.Element) -> list[ET.Element]:
    return [g for g in figure.iter(f"{SVG}g") if g.get("data-site")]


MARKS = [
    {"site": "lumbar", "kind": "trigger-point", "view": "back", "note": "<script>alert(1)</script> & L4"},
    {"site": "thoracic", "kind": "treated-area", "view": "back"},
    {"site": "shoulder-left", "kind": "pain", "view": "front"},
    {"site": "shoulder-left", "kind": "adjusted-segment", "view": "front"},
]


def test_the_tag_renders_valid_svg_with_one_element_per_site_per_view() -> None:
    html = render('{% body_map marks input_name="body_marks" editable=True %}', marks=MARKS)
    front, back = svgs(html)
    for figure, view in ((front, "front"), (back, "back")):
        assert figure.get("data-view") == view
        elements = sites_in(figure)
        assert sorted(g.get("data-site") or "" for g in elements) == sorted(s.site for s in FIGURE[view])
        assert {g.get("data-view") for g in elements} == {view}
        assert all(g.get("role") == "button" and g.get("tabindex") == "0" for g in elements)
    lumbar = next(g for g in sites_in(back) if g.get("data-site") == "lumbar")
    assert lumbar.get("aria-label") == "Lumbar spine (back)"
    shoulder = next(g for g in sites_in(front) if g.get("data-site") == "shoulder-left")
    assert shoulder.get("aria-label") == "Shoulder, left (front)"


def test_the_tag_draws_the_existing_marks_on_their_sites() -> None:
    front, back = svgs(render("{% body_map marks %}", marks=MARKS))

    def marks_of(figure: ET.Element) -> list[str]:
        classes = [g.get("class", "").split() for g in figure.iter(f"{SVG}g")]
        return [names[-1] for names in classes if "bm-mark" in names]

    assert marks_of(front) == ["bm-mark-pain", "bm-mark-adjusted-segment"]
    assert sorted(marks_of(back)) == ["bm-mark-treated-area", "bm-mark-trigger-point"]
    marked = {
        g.get("data-site") for g in sites_in(front) + sites_in(back) if "is-marked" in g.get("class", "")
    }
    assert marked == {"lumbar", "thoracic", "shoulder-left"}
    # The shoulder's two symbols sit on its anchor, one above the other, on the viewer's right of the front.
    shoulder = bodymap.shape_for("shoulder-left", "front")
    assert shoulder is not None
    paths = [p.get("d", "") for p in front.iter(f"{SVG}path") if p.get("class") == "bm-symbol"]
    expected = [
        bodymap.symbol_paths(kind, *xy)[0]
        for kind, xy in bodymap.mark_positions(shoulder, ["pain", "adjusted-segment"]).items()
    ]
    assert paths == expected


def test_the_tag_keeps_the_marks_json_in_the_hidden_input_and_escapes_notes() -> None:
    html = render('{% body_map marks input_name="soap_marks" %}', marks=json.dumps(MARKS))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; L4" in html
    hidden = re.search(r'<input type="hidden" name="soap_marks" value="([^"]*)" data-bm-input>', html)
    assert hidden is not None
    value = json.loads(html_module.unescape(hidden.group(1)))
    assert value == [bodymap.Mark(**m).as_json() for m in MARKS]
    assert 'name="soap_marks-kind" value="pain"' in html
    front, back = svgs(html)  # the note is inside the <title> of the lumbar mark, still well-formed XML
    titles = [t.text for t in back.iter(f"{SVG}title") if t.text and t.text.startswith("Trigger point")]
    assert titles == ["Trigger point, Lumbar spine (back): <script>alert(1)</script> & L4"]


def test_the_tag_uses_no_inline_style_nor_inline_handler() -> None:
    html = render("{% body_map marks %}{% body_map_timeline entries %}", marks=MARKS, entries=[])
    assert not re.search(r"\sstyle=|\son[a-z]+=|<script", html)


def test_a_read_only_map_has_no_input_and_no_buttons() -> None:
    html = render("{% body_map marks editable=False %}", marks=MARKS)
    assert "data-body-map" not in html and "<input" not in html and 'role="button"' not in html
    assert 'Trigger point</strong> <span class="bm-item-place" data-bm-place>Lumbar spine (back)' in html
    front, back = svgs(html)
    assert front.get("aria-label") == "Front of the body: 2 marks"


def test_the_tag_leaves_out_marks_it_cannot_draw() -> None:
    html = render(
        "{% body_map marks %}", marks=[{"site": "spleen", "kind": "pain", "view": "front"}, MARKS[2]]
    )
    front, _ = svgs(html)
    assert [g.get("class") for g in front.iter(f"{SVG}g") if "bm-mark " in g.get("class", "")] == [
        "bm-mark bm-mark-pain"
    ]
    assert "spleen" not in html


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


def test_the_timeline_draws_one_small_figure_per_note_in_its_disciplines_colour() -> None:
    day = datetime.datetime(2026, 11, 3, 15, 0, tzinfo=datetime.UTC)
    entries = [
        _Entry(_Note(_Author("Maya Lind, LMT")), "massage-therapy", day, [MARKS[0], MARKS[1]]),
        _Entry(
            _Note(_Author("Dr Alice")),
            "chiropractic",
            day,
            [{"site": "lumbar", "kind": "adjusted-segment", "view": "back"}],
        ),
        {"discipline": "physical-therapy", "date": day.date(), "author": "Ben", "marks": [MARKS[2]]},
    ]
    html = render("{% body_map_timeline entries %}", entries=entries)
    figures = svgs(html)
    assert len(figures) == 6  # front and back per entry
    assert html.count('class="bm-timeline-entry') == 3
    for discipline in ("massage-therapy", "chiropractic", "physical-therapy"):
        assert f"bm-figures bm-compact bm-discipline-{discipline}" in html
        assert f"discipline-dot discipline-{discipline}" in html
    assert "Maya Lind, LMT" in html and "Dr Alice" in html and "Ben" in html
    assert "3 Nov 2026" in html
    assert "data-body-map" not in html and 'role="button"' not in html
    chiro_back = figures[3]
    symbols = [p.get("fill") for p in chiro_back.iter(f"{SVG}path") if p.get("class") == "bm-symbol"]
    assert symbols == [bodymap.DISCIPLINE_COLOURS["chiropractic"]]
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_the_timeline_says_so_when_there_is_nothing_to_show() -> None:
    assert "No body-map marks in signed notes yet." in render("{% body_map_timeline entries %}", entries=[])
