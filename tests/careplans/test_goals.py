"""Goals: an instrument decides the direction and the score range; a target must be an improvement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tandem.careplans import measures, services
from tandem.careplans.models import Goal


def _goal(**data):
    return {"description": "Better", **data}


def test_odi_48_to_30_in_six_weeks(alice, plan):
    goal = services.goal_add(
        actor=alice,
        plan=plan,
        data=_goal(measure="ODI", baseline_value=48, target_value=30, due_on="2026-12-14"),
    )
    goal.refresh_from_db()
    assert goal.measure == "odi" and goal.direction == "decrease"
    assert goal.baseline_value == Decimal(48) and goal.target_value == Decimal(30)
    assert goal.lifecycle_status == "proposed"


def test_psfs_goals_go_up(alice, plan):
    goal = services.goal_add(
        actor=alice, plan=plan, data=_goal(measure="psfs", baseline_value=3, target_value=7)
    )
    assert goal.direction == "increase"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"measure": "nprs", "baseline_value": 7, "target_value": 11}, "target_value"),
        ({"measure": "nprs", "baseline_value": -1, "target_value": 3}, "baseline_value"),
        ({"measure": "odi", "baseline_value": 48, "target_value": 101}, "target_value"),
        ({"measure": "rmdq", "baseline_value": 25, "target_value": 5}, "baseline_value"),
        ({"measure": "lefs", "baseline_value": 40, "target_value": 81}, "target_value"),
        ({"measure": "nprs", "baseline_value": 3, "target_value": 7}, "target_value"),  # worse, not better
        ({"measure": "lefs", "baseline_value": 60, "target_value": 40}, "target_value"),
        ({"measure": "odi", "direction": "increase"}, "direction"),
        ({"measure": "Walks the dog"}, "direction"),
        ({"measure": "nprs", "baseline_value": "a lot"}, "baseline_value"),
        ({"measure": "nprs", "lifecycle_status": "done"}, "lifecycle_status"),
    ],
)
def test_it_refuses_out_of_range_or_backward_goals(alice, plan, data, field):
    with pytest.raises(ValidationError) as refused:
        services.goal_add(actor=alice, plan=plan, data=_goal(**data))
    assert field in refused.value.message_dict
    assert not Goal.objects.exists()


def test_a_free_text_measure_takes_a_direction(alice, plan):
    goal = services.goal_add(
        actor=alice,
        plan=plan,
        data=_goal(
            measure="Minutes walking without pain", direction="increase", baseline_value=10, target_value=45
        ),
    )
    assert goal.direction == "increase"


def test_an_update_is_checked_too(alice, plan):
    goal = services.goal_add(
        actor=alice, plan=plan, data=_goal(measure="nprs", baseline_value=7, target_value=3)
    )
    with pytest.raises(ValidationError):
        services.goal_update(actor=alice, goal=goal, data={"target_value": 12})
    goal.refresh_from_db()
    assert goal.target_value == Decimal(3)
    assert plan.versions.count() == 2


@pytest.mark.parametrize(
    ("code", "low", "high", "direction"),
    [
        ("nprs", 0, 10, "decrease"),
        ("odi", 0, 100, "decrease"),
        ("ndi", 0, 100, "decrease"),
        ("rmdq", 0, 24, "decrease"),
        ("quickdash", 0, 100, "decrease"),
        ("psfs", 0, 10, "increase"),
        ("lefs", 0, 80, "increase"),
    ],
)
def test_instrument_table(code, low, high, direction):
    found = measures.instrument(code)
    assert found is not None
    assert (found.low, found.high, found.direction) == (Decimal(low), Decimal(high), direction)
