"""demo.visits: the notes the demo's clinicians write are complete for their templates (pure module)."""

from __future__ import annotations

import statistics

import pytest

from tandem.charting.note_fields import clean_body_marks, clean_note_data, clean_soap, load_templates
from tandem.demo.visits import VisitContext, note_content

TEMPLATES = load_templates()
ORDERS = [
    ("massage-therapy", ("massage-swedish",), ("cervical", "shoulder-left"), "moderate", ()),
    ("massage-therapy", ("massage-myofascial-release", "massage-trigger-point"), ("lumbar",), "firm", ()),
    ("chiropractic", ("chiro-activator", "chiro-flexion-distraction"), ("thoracic", "lumbar"), "", ()),
    ("chiropractic", ("chiro-hvla",), ("shoulder-left",), "", ()),  # no spinal region ordered: lumbar
    (
        "physical-therapy",
        ("pt-therapeutic-exercise", "pt-neuromuscular-reeducation"),
        ("lumbar", "knee-left"),
        "",
        ({"name": "Bird dog", "sets": 3, "repetitions": 8, "notes": "Hold 5 s."}, {"name": "Walk"}),
    ),
]


def context(order: tuple, number: int, planned: int = 12, minutes: int = 45) -> VisitContext:
    discipline, techniques, sites, pressure, exercises = order
    return VisitContext(
        key=f"42:{discipline}:{number}:{techniques}",
        discipline=discipline,
        minutes=minutes,
        number=number,
        planned=planned,
        techniques=techniques,
        body_sites=sites,
        pressure=pressure,
        exercises=exercises,
        goal="Sit through a workday without pain above 3/10",
    )


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"{o[0]}:{'+'.join(o[1])}")
def test_every_visit_of_a_plan_is_complete_for_its_template(order):
    template = TEMPLATES[order[0]]
    for number in range(1, 13):
        content = note_content(context(order, number))
        data, problems = clean_note_data(template, content.data, complete=True)
        soap, soap_problems = clean_soap(template, content.soap, complete=True)
        marks, mark_problems = clean_body_marks(content.body_marks)
        assert problems == soap_problems == mark_problems == [], (
            number,
            problems,
            soap_problems,
            mark_problems,
        )
        assert data == content.data and marks == [dict(m) for m in content.body_marks]
        assert all(soap[key] for key in ("subjective", "objective", "assessment", "plan"))


@pytest.mark.parametrize("order", ORDERS[:2] + ORDERS[4:], ids=lambda o: o[0])
def test_documented_minutes_fill_the_visit_less_five(order):
    content = note_content(context(order, 3, minutes=45))
    assert sum(row["minutes"] for row in content.data["techniques"]) == 40
    assert [row["technique"] for row in content.data["techniques"]] == list(order[1])


def test_a_chiropractor_adjusts_the_ordered_spinal_regions_or_the_lumbar_spine():
    thoracolumbar = note_content(context(ORDERS[2], 1)).data["adjustments"]
    assert [a["region"] for a in thoracolumbar] == ["thoracic", "lumbar"]
    assert (
        note_content(context(ORDERS[2], 2)).data["adjustments"][0]["technique"] == "chiro-flexion-distraction"
    )
    assert [a["region"] for a in note_content(context(ORDERS[3], 1)).data["adjustments"]] == ["lumbar"]


def test_massage_marks_trigger_points_once_per_site_with_their_muscles():
    for number in range(1, 13):
        content = note_content(context(ORDERS[0], number))
        points = {p["site"] for p in content.data["trigger_points"]}
        marked = [m for m in content.body_marks if m["kind"] == "trigger-point"]
        assert sorted(m["site"] for m in marked) == sorted(points)
        assert all(m["note"] for m in marked)


def test_pain_falls_over_the_plan_and_massage_eases_it_within_the_visit():
    early = [note_content(context(o, n)).data for o in ORDERS[:2] for n in (1, 2)]
    late = [note_content(context(o, n)).data for o in ORDERS[:2] for n in (11, 12)]
    assert statistics.mean(d["nprs_before"] for d in early) > statistics.mean(d["nprs_before"] for d in late)
    assert all(d["nprs_after"] < d["nprs_before"] for d in early + late)
    assert note_content(context(ORDERS[0], 1)) == note_content(context(ORDERS[0], 1))  # same key, same note
    assert note_content(context(ORDERS[0], 1)) != note_content(context(ORDERS[0], 2))


def test_an_unknown_discipline_is_refused():
    with pytest.raises(ValueError, match="No demo note"):
        note_content(VisitContext("k", "acupuncture", 30, 1, 6, (), ()))
