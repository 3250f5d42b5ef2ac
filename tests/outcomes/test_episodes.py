"""The episode query's inputs and edges, and the demo's trajectory pieces it is tested on (the full query on
the demo's data: test_demo_effect)."""

from __future__ import annotations

import datetime
import random

import pytest

from tandem.accounts.models import Organization
from tandem.demo.outcomes import (
    SHARE_OF_EFFECT,
    Visit,
    answers_for,
    instruments_of,
    measure_times,
    trajectory,
)
from tandem.outcomes.analytics import EPISODE_COLUMNS
from tandem.outcomes.episodes import (
    EXTRA_COLUMNS,
    EpisodeFilterError,
    EpisodeFilters,
    clinic_evidence,
    episodes,
)
from tandem.outcomes.scoring import INSTRUMENTS, score

UTC = datetime.UTC


@pytest.mark.parametrize("code", ["nprs", "odi", "ndi", "rmdq", "quickdash", "lefs"])
def test_answers_score_at_the_reachable_score_nearest_the_target(code):
    definition = INSTRUMENTS[code]
    low, high = definition.score_range
    rng = random.Random(code)
    # The resolution of the score: one item step, on the score's scale.
    full = score(code, [definition.item_max] * definition.max_items).score
    empty = score(code, [definition.item_min] * definition.max_items).score
    step = abs(full - empty) / (definition.max_items * (definition.item_max - definition.item_min))
    for target in [
        low - 5,
        low,
        low + 0.3 * step,
        (low + high) / 3,
        (low + high) / 2 + 0.49 * step,
        high,
        high + 9,
    ]:
        answers = answers_for(code, target, rng)
        assert len(answers) == definition.max_items
        assert all(definition.item_min <= a <= definition.item_max for a in answers)
        result = score(code, answers)
        assert result.valid
        assert abs(result.score - min(max(target, low), high)) <= step / 2 + 1e-9


def test_the_same_seed_gives_the_same_answers():
    assert answers_for("odi", 42, random.Random("s")) == answers_for("odi", 42, random.Random("s"))


def _visits(*days: int) -> list[Visit]:
    start = datetime.datetime(2026, 3, 2, 9, tzinfo=UTC)
    return [Visit(start + datetime.timedelta(days=d), "chiropractic") for d in days]


@pytest.mark.parametrize(
    ("days", "measured"),
    [
        ((0,), (0,)),
        ((0, 3), (0, 3)),  # the last past visit is a follow-up
        ((0, 7, 14, 21, 28), (0, 14, 28)),
        ((0, 10, 16, 20, 29), (0, 16, 29)),  # the first visit on or after each 2-week mark
        ((0, 2, 40, 42), (0, 40, 42)),  # a long gap: one follow-up, the marks it spans are passed
    ],
)
def test_measures_are_taken_at_baseline_every_two_weeks_and_at_the_last_visit(days, measured):
    visits = _visits(*days)
    start = visits[0].at
    assert measure_times(visits) == [start + datetime.timedelta(days=d) for d in measured]


@pytest.mark.parametrize(
    ("sites", "codes"),
    [
        (["lumbar"], ["odi", "nprs"]),
        (["sacral", "cervical"], ["ndi", "nprs"]),  # one specific instrument, the first group's
        (["shoulder"], ["quickdash", "nprs"]),
        (["knee"], ["lefs", "nprs"]),
        (["thoracic"], ["nprs"]),
        ([""], ["nprs"]),
    ],
)
def test_each_problem_gets_its_instrument_and_the_nprs(sites, codes):
    assert instruments_of(sites) == codes


@pytest.mark.parametrize("disciplines", [1, 2, 3])
def test_the_injected_effect_is_the_all_three_share_of_the_change(disciplines):
    days = [0, 14, 28, 35]
    plain = trajectory("ndi", days=days, visits=8, disciplines=disciplines, effect=0.0, rng=random.Random(7))
    boosted = trajectory(
        "ndi", days=days, visits=8, disciplines=disciplines, effect=-4.0, rng=random.Random(7)
    )
    assert plain[0] == boosted[0]  # the same patient, the same baseline
    assert boosted[-1] - plain[-1] == pytest.approx(SHARE_OF_EFFECT[disciplines] * -4.0)
    low, high = INSTRUMENTS["ndi"].score_range
    assert all(low <= v <= high for v in plain + boosted)


def test_more_visits_mean_more_improvement_on_average():
    def mean_change(visits: int) -> float:
        rng = random.Random(1)
        changes = []
        for _ in range(400):
            path = trajectory("odi", days=[0, 42], visits=visits, disciplines=1, effect=0.0, rng=rng)
            changes.append(path[-1] - path[0])
        return sum(changes) / len(changes)

    assert mean_change(8) < mean_change(2) < 0


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (EpisodeFilters(condition="knees"), "condition"),
        (EpisodeFilters(start_on=datetime.date(2026, 5, 1), end_on=datetime.date(2026, 4, 1)), "end_on"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(filters, field, db):
    organization = Organization.objects.create(name="Elsewhere")
    with pytest.raises(EpisodeFilterError) as refused:
        episodes(organization, "odi", filters)
    assert refused.value.field == field


def test_an_unknown_instrument_is_refused(db):
    organization = Organization.objects.create(name="Elsewhere")
    with pytest.raises(EpisodeFilterError) as refused:
        clinic_evidence(organization, "xyz")
    assert refused.value.field == "instrument"


def test_a_clinic_without_measures_has_no_episodes_and_nothing_to_estimate(db):
    organization = Organization.objects.create(name="Elsewhere")
    frame = episodes(organization, "odi")
    assert frame.empty and list(frame.columns) == list(EPISODE_COLUMNS + EXTRA_COLUMNS)
    result = clinic_evidence(organization, "odi")
    assert result.episodes == 0 and result.modelled == 0
    assert not any(c.estimable for c in result.cohorts)
