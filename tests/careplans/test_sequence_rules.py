"""Same-day sequence rules: plain language, activities of the plan only, no contradictions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, exercise, massage

from tandem.careplans import sequencing, services
from tandem.careplans.models import SequenceRule


@pytest.fixture
def trio(plan, add_activity):
    return (
        add_activity(plan, massage(), override_reason="Light Swedish only; INR stable."),
        add_activity(plan, adjustment()),
        add_activity(plan, exercise()),
    )


def _add(actor, plan, first, second, relation, **gaps):
    data = {"first_activity": first.pk, "second_activity": second.pk, "relation": relation, **gaps}
    return services.sequence_rule_add(actor=actor, plan=plan, data=data)


def test_it_words_the_rules_in_plain_language(alice, plan, trio):
    rub, adjust, move = trio
    first = _add(alice, plan, rub, adjust, "immediately-before")
    second = _add(alice, plan, adjust, move, "within-after", max_gap_minutes=30)
    activities = list(plan.activities.all())
    assert services.rule_sentence(first, activities) == (
        "Medical massage ends immediately before the chiropractic adjustment starts"
    )
    assert services.rule_sentence(second, activities) == (
        "Therapeutic exercise within 30 minutes after the chiropractic adjustment"
    )
    assert first.min_gap_minutes == 0 and first.max_gap_minutes == 0


@pytest.mark.parametrize(
    ("relation", "low", "high", "sentence"),
    [
        ("immediately-before", 0, 0, "Massage ends immediately before the adjustment starts"),
        ("immediately-before", 0, 10, "Massage ends 0–10 minutes before the adjustment starts"),
        ("immediately-before", 5, 5, "Massage ends 5 minutes before the adjustment starts"),
        ("within-after", 0, 30, "Adjustment within 30 minutes after the massage"),
        ("within-after", 10, 30, "Adjustment 10–30 minutes after the massage"),
        ("same-day", None, None, "Massage and the adjustment on the same day"),
        ("not-same-day", None, None, "Massage and the adjustment never on the same day"),
    ],
)
def test_describe(relation, low, high, sentence):
    assert sequencing.describe(relation, "Massage", "Adjustment", low, high) == sentence


def test_it_refuses_an_activity_of_another_plan(alice, patient, plan, trio, add_activity):
    other_plan = services.careplan_create(actor=alice, patient=patient, data={"title": "Neck pain"})
    stranger = add_activity(other_plan, adjustment(body_sites=["cervical"]))
    with pytest.raises(ValidationError) as refused:
        _add(alice, plan, trio[1], stranger, "same-day")
    assert "another plan" in refused.value.message_dict["second_activity"][0]
    assert not SequenceRule.objects.exists()


def test_it_refuses_a_cycle_of_immediately_before(alice, plan, trio):
    rub, adjust, move = trio
    _add(alice, plan, rub, adjust, "immediately-before")
    _add(alice, plan, adjust, move, "immediately-before")
    with pytest.raises(ValidationError) as refused:
        _add(alice, plan, move, rub, "immediately-before")
    assert "contradicts the order" in refused.value.message_dict["relation"][0]
    with pytest.raises(ValidationError):
        _add(alice, plan, adjust, rub, "within-after", max_gap_minutes=15)
    assert SequenceRule.objects.count() == 2
    assert plan.versions.count() == 6  # created, three activities, two rules


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        (("same-day", 0, 1), ("not-same-day", 1, 0)),
        (("immediately-before", 0, 1), ("not-same-day", 0, 1)),
        (("within-after", 0, 1), ("within-after", 0, 1)),
        (("immediately-before", 0, 1), ("immediately-before", 0, 2)),
        (("immediately-before", 0, 2), ("immediately-before", 1, 2)),
        (("immediately-before", 0, 0), None),
    ],
)
def test_it_refuses_contradictions(alice, plan, trio, existing, new):
    relation, a, b = existing
    gaps = {"max_gap_minutes": 20} if relation == "within-after" else {}
    if new is None:
        with pytest.raises(ValidationError):
            _add(alice, plan, trio[a], trio[b], relation, **gaps)
        return
    _add(alice, plan, trio[a], trio[b], relation, **gaps)
    relation, a, b = new
    gaps = {"max_gap_minutes": 20} if relation == "within-after" else {}
    with pytest.raises(ValidationError):
        _add(alice, plan, trio[a], trio[b], relation, **gaps)
    assert SequenceRule.objects.count() == 1


@pytest.mark.parametrize(
    ("relation", "gaps", "field"),
    [
        ("within-after", {}, "max_gap_minutes"),
        ("within-after", {"max_gap_minutes": 500}, "max_gap_minutes"),
        ("immediately-before", {"min_gap_minutes": 10, "max_gap_minutes": 5}, "min_gap_minutes"),
        ("same-day", {"max_gap_minutes": 10}, "max_gap_minutes"),
        ("before-or-after", {}, "relation"),
    ],
)
def test_it_refuses_bad_gaps(alice, plan, trio, relation, gaps, field):
    with pytest.raises(ValidationError) as refused:
        _add(alice, plan, trio[0], trio[1], relation, **gaps)
    assert field in refused.value.message_dict


def test_a_removed_rule_no_longer_counts(alice, plan, trio):
    rub, adjust, _ = trio
    rule = _add(alice, plan, rub, adjust, "same-day")
    services.sequence_rule_remove(actor=alice, rule=rule)
    assert _add(alice, plan, rub, adjust, "not-same-day").relation == "not-same-day"
    with pytest.raises(ValidationError):
        services.sequence_rule_remove(actor=alice, rule=rule)


def test_rules_between_removed_activities_are_refused(alice, plan, trio):
    services.activity_remove(actor=alice, activity=trio[2])
    with pytest.raises(ValidationError):
        _add(alice, plan, trio[0], trio[2], "same-day")
