"""Every change to a plan writes a new version in the same transaction; versions compare field by field."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, exercise, massage

from tandem.careplans import services
from tandem.careplans.models import PlanVersion
from tandem.careplans.versioning import diff, display, side_by_side


def _summaries(plan) -> list[str]:
    return list(
        PlanVersion.objects.filter(plan=plan).order_by("number").values_list("change_summary", flat=True)
    )


def test_it_writes_a_version_for_every_change(alice, plan, add_activity):
    assert plan.version_number == 1
    goal = services.goal_add(
        actor=alice,
        plan=plan,
        data={"description": "Less disability", "measure": "odi", "baseline_value": 48, "target_value": 30},
    )
    services.goal_update(actor=alice, goal=goal, data={"target_value": 25})
    adjust = add_activity(plan, adjustment())
    move = add_activity(plan, exercise())
    services.activity_update(actor=alice, activity=adjust, data={"visits_per_week": 3})
    rule = services.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={
            "first_activity": adjust.pk,
            "second_activity": move.pk,
            "relation": "within-after",
            "max_gap_minutes": 30,
        },
    )
    services.sequence_rule_remove(actor=alice, rule=rule)
    services.activity_remove(actor=alice, activity=move)
    services.careplan_update(actor=alice, plan=plan, data={"description": "Six weeks, then review."})
    services.careplan_activate(actor=alice, plan=plan)
    summaries = _summaries(plan)
    assert summaries == [
        "Created plan: Low back pain — concurrent care, Nov 2026",
        "Added goal: ODI 48 → 30",
        "Changed goal: ODI 48 → 25 (target)",
        "Added activity: Chiropractic adjustment (activator (instrument-assisted), thoracic)",
        "Added activity: Therapeutic exercise (therapeutic exercise, lumbar)",
        "Changed activity: Chiropractic adjustment (activator (instrument-assisted), thoracic)"
        " (visits per week)",
        "Added sequence rule: Therapeutic exercise within 30 minutes after the chiropractic adjustment",
        "Removed sequence rule: Therapeutic exercise within 30 minutes after the chiropractic adjustment",
        "Cancelled activity: Therapeutic exercise (therapeutic exercise, lumbar)",
        "Changed plan: description",
        "Activated plan (status draft → active)",
    ]
    plan.refresh_from_db()
    assert plan.version_number == len(summaries) == 11
    assert [v.number for v in plan.versions.order_by("number")] == list(range(1, 12))


def test_a_refused_change_writes_no_version(alice, plan, add_activity):
    with pytest.raises(ValidationError):
        add_activity(plan, adjustment(body_sites=["knee-left"]))
    with pytest.raises(ValidationError):
        services.goal_add(
            actor=alice, plan=plan, data={"description": "x", "measure": "nprs", "baseline_value": 12}
        )
    assert plan.versions.count() == 1
    plan.refresh_from_db()
    assert plan.version_number == 1


def test_a_change_that_changes_nothing_writes_no_version(alice, plan):
    services.careplan_update(actor=alice, plan=plan, data={"title": plan.title})
    assert plan.versions.count() == 1


def test_the_snapshot_holds_the_whole_plan(alice, plan, add_activity):
    adjust = add_activity(plan, adjustment())
    snapshot = plan.versions.get(number=2).snapshot
    assert snapshot["plan"]["title"] == plan.title
    [problem] = snapshot["plan"]["problems"]
    assert problem.startswith("M51.362 ")
    assert snapshot["plan"]["supervising_practitioner"] == alice.practitioner.display_name
    assert snapshot["activities"][str(adjust.pk)]["techniques"] == ["chiro-activator"]
    assert snapshot["activities"][str(adjust.pk)]["approval"] == "not-required"
    assert snapshot["goals"] == {} and snapshot["sequence_rules"] == {}
    # The first version keeps what was true then.
    assert plan.versions.get(number=1).snapshot["activities"] == {}


def test_it_compares_two_versions_field_by_field(alice, plan, add_activity):
    adjust = add_activity(plan, adjustment())
    services.activity_update(actor=alice, activity=adjust, data={"visits_per_week": 3, "weeks": 4})
    services.careplan_update(actor=alice, plan=plan, data={"title": "Low back pain, episode 2"})
    v1, v4 = (plan.versions.get(number=n).snapshot for n in (1, 4))
    changes = diff(v1, v4)
    assert [(c["section"], c["change"]) for c in changes] == [("plan", "changed"), ("activities", "added")]
    assert changes[0]["fields"] == [
        {
            "field": "title",
            "before": "Low back pain — concurrent care, Nov 2026",
            "after": "Low back pain, episode 2",
        }
    ]
    assert changes[1]["label"] == "Chiropractic adjustment (activator (instrument-assisted), thoracic)"
    assert {"field": "weeks", "before": None, "after": 4} in changes[1]["fields"]
    v2, v3 = (plan.versions.get(number=n).snapshot for n in (2, 3))
    [changed] = diff(v2, v3)
    assert changed["id"] == str(adjust.pk)
    assert changed["fields"] == [
        {"field": "visits_per_week", "before": 2, "after": 3},
        {"field": "weeks", "before": 6, "after": 4},
    ]
    assert diff(v3, v2)[0]["fields"][0] == {"field": "visits_per_week", "before": 3, "after": 2}
    assert diff(v3, v3) == []


def test_it_reports_removed_items_and_the_side_by_side_view_marks_them():
    a = {
        "plan": {"title": "A"},
        "goals": {"1": {"label": "g", "measure": "odi"}},
        "activities": {},
        "sequence_rules": {},
    }
    b = {
        "plan": {"title": "A"},
        "goals": {},
        "activities": {"7": {"label": "Massage", "weeks": 6}},
        "sequence_rules": {},
    }
    assert diff(a, b) == [
        {
            "section": "goals",
            "id": "1",
            "label": "g",
            "change": "removed",
            "fields": [{"field": "measure", "before": "odi", "after": None}],
        },
        {
            "section": "activities",
            "id": "7",
            "label": "Massage",
            "change": "added",
            "fields": [{"field": "weeks", "before": None, "after": 6}],
        },
    ]
    sections = {s["section"]: s["rows"] for s in side_by_side(a, b)}
    assert sections["plan"][0]["change"] == "same"
    assert sections["goals"][0]["change"] == "removed"
    assert sections["activities"][0]["change"] == "added"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        ([], "—"),
        (["lumbar", "sacral"], "lumbar; sacral"),
        ([{"name": "Bird dog", "sets": 3, "repetitions": 10, "notes": ""}], "Bird dog 3 × 10"),
        (True, "yes"),
        (30, "30"),
    ],
)
def test_it_displays_snapshot_values(value, shown):
    assert display(value) == shown


def test_massage_change_summary_names_technique_and_site(alice, plan, add_activity):
    add_activity(plan, massage(), override_reason="Light Swedish only; INR stable, cleared by GP.")
    assert _summaries(plan)[-1] == "Added activity: Medical massage (swedish, thoracic)"


def test_the_diff_does_not_depend_on_the_order_of_stored_keys():
    # PostgreSQL's jsonb stores object keys sorted by length, not in the order they were written.
    a = {"activities": {"10": {"weeks": 6, "visits_per_week": 2}, "9": {"weeks": 1}}}
    b = {"activities": {"9": {"weeks": 2}, "10": {"visits_per_week": 3, "weeks": 4}}}
    changes = diff(a, b)
    assert [c["id"] for c in changes] == ["9", "10"]
    assert [f["field"] for f in changes[1]["fields"]] == ["visits_per_week", "weeks"]
