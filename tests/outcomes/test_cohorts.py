"""Care combinations, analysis cohorts and the Episode record (pure module: no database)."""

from __future__ import annotations

from datetime import date

import pytest

from tandem.outcomes.cohorts import (
    COHORTS,
    COMBINATIONS,
    CohortError,
    Episode,
    FollowUp,
    cohort_label,
    cohort_labels,
    cohort_of,
    combination,
)

# (disciplines of the finished visits, combination)
COMBINATION_CASES = [
    (["dc"], "dc"),
    (["pt"], "pt"),
    (["lmt"], "lmt"),
    (["chiropractic"], "dc"),
    (["physical-therapy", "physical-therapy"], "pt"),
    (["massage-therapy", "chiropractic"], "dc+lmt"),
    (["lmt", "dc", "lmt"], "dc+lmt"),
    (["pt", "dc"], "dc+pt"),
    (["massage-therapy", "physical-therapy"], "pt+lmt"),
    (["lmt", "pt", "dc"], "all-three"),
    (["chiropractic", "physical-therapy", "massage-therapy", "dc"], "all-three"),
]


@pytest.mark.parametrize(("disciplines", "expected"), COMBINATION_CASES)
def test_it_names_the_care_combination(disciplines, expected):
    assert combination(disciplines) == expected
    assert combination(reversed(disciplines)) == expected


@pytest.mark.parametrize(
    ("disciplines", "message"),
    [
        ([], "at least one finished visit"),
        (["dc", "acupuncture"], "Unknown discipline 'acupuncture'"),
        ("dc", "as a list"),
        ([None], "Unknown discipline None"),
    ],
)
def test_it_refuses_what_is_not_a_care_combination(disciplines, message):
    with pytest.raises(CohortError, match=message):
        combination(disciplines)


@pytest.mark.parametrize(
    ("code", "pooled", "split"),
    [
        ("dc", "single", "dc"),
        ("pt", "single", "pt"),
        ("lmt", "single", "lmt"),
        ("dc+lmt", "dc+lmt", "dc+lmt"),
        ("dc+pt", "dc+pt", "dc+pt"),
        ("pt+lmt", "pt+lmt", "pt+lmt"),
        ("all-three", "all-three", "all-three"),
    ],
)
def test_it_pools_single_disciplines_unless_asked_to_split(code, pooled, split):
    assert cohort_of(code) == pooled
    assert cohort_of(code, split_single=True) == split
    assert pooled in cohort_labels() and split in cohort_labels(split_single=True)


def test_it_labels_every_cohort_and_combination():
    assert list(cohort_labels()) == ["single", "dc+lmt", "dc+pt", "pt+lmt", "all-three"]
    assert list(cohort_labels(split_single=True)) == list(COMBINATIONS)
    for code in {**COHORTS, **COMBINATIONS}:
        assert cohort_label(code) and cohort_label(code) != code
    with pytest.raises(CohortError, match="Unknown care combination"):
        cohort_of("dc+acupuncture")


def _episode(**overrides):
    values = {
        "patient_id": 1,
        "plan_id": 7,
        "instrument": "odi",
        "disciplines": frozenset({"chiropractic", "massage-therapy"}),
        "visits": 9,
        "baseline": 46.0,
        "baseline_on": date(2026, 3, 2),
        "start_on": date(2026, 3, 2),
        "followups": (FollowUp(date(2026, 4, 13), 24.0), FollowUp(date(2026, 3, 16), 38.0)),
    }
    values.update(overrides)
    return Episode(**values)


def test_an_episode_normalises_disciplines_and_orders_follow_ups():
    episode = _episode()
    assert episode.disciplines == frozenset({"dc", "lmt"})
    assert episode.combination == "dc+lmt"
    assert episode.cohort() == "dc+lmt"
    assert [f.on for f in episode.followups] == [date(2026, 3, 16), date(2026, 4, 13)]
    assert episode.last == FollowUp(date(2026, 4, 13), 24.0)
    assert episode.change == 24.0 - 46.0


def test_an_episode_without_follow_up_has_no_change():
    episode = _episode(followups=(), disciplines=frozenset({"pt"}))
    assert episode.last is None and episode.change is None
    assert episode.cohort() == "single" and episode.cohort(split_single=True) == "pt"


def test_a_higher_is_better_change_is_kept_on_the_scale():
    episode = _episode(instrument="lefs", baseline=30.0, followups=(FollowUp(date(2026, 4, 1), 41.0),))
    assert episode.change == 11.0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"instrument": "sf36"}, "instrument", "Unknown instrument"),
        ({"baseline": 101.0}, "baseline", "out of range 0-100"),
        ({"baseline": float("nan")}, "baseline", "must be a number"),
        ({"baseline": True}, "baseline", "must be a number"),
        ({"followups": (FollowUp(date(2026, 4, 1), -2.0),)}, "followups.0", "out of range"),
        ({"followups": (FollowUp(date(2026, 3, 1), 30.0),)}, "followups.0", "precedes the baseline"),
        ({"visits": 0}, "visits", "at least 1"),
        ({"visits": 2.5}, "visits", "whole number"),
        ({"disciplines": frozenset()}, "disciplines", "at least one finished visit"),
        ({"disciplines": frozenset({"yoga"})}, "disciplines", "Unknown discipline"),
        ({"end_on": date(2026, 3, 1)}, "end_on", "ends before it starts"),
        ({"instrument": "nprs", "baseline": 11.0, "followups": ()}, "baseline", "out of range 0-10"),
    ],
)
def test_it_refuses_a_malformed_episode(overrides, field, message):
    with pytest.raises(CohortError, match=message) as caught:
        _episode(**overrides)
    assert caught.value.field == field
