"""The clinic's own evidence: cohort statistics on seeded synthetic episodes with a known injected effect,
small hand-checkable cases for Kaplan-Meier and the Wilson interval, and the refusals of bad input.
Pure modules: no database."""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tandem.outcomes.analytics import (
    EPISODE_COLUMNS,
    OBSERVATIONAL_STATEMENT,
    TOO_FEW,
    AnalyticsError,
    analyse,
    analyse_episodes,
    episode_frame,
    reached,
    summary_rows,
)
from tandem.outcomes.cohorts import Episode, FollowUp
from tandem.outcomes.scoring import INSTRUMENTS, mcid_check
from tandem.outcomes.synthetic import EffectError, generate, parse_effect

ODI_EFFECT = -8.0  # all three disciplines: 8 ODI points more improvement
LEFS_EFFECT = 9.0


@pytest.fixture(scope="module")
def odi_with_effect():
    return analyse_episodes(
        generate("odi", per_cohort=300, effects={"all-three": ODI_EFFECT}, seed=11), instrument_code="odi"
    )


@pytest.fixture(scope="module")
def odi_without_effect():
    return analyse_episodes(generate("odi", per_cohort=300, seed=11), instrument_code="odi")


# Recovery of an injected effect ----------------------------------------------------------------------------


def test_it_recovers_an_injected_effect_within_its_ci(odi_with_effect):
    contrast = odi_with_effect.cohort("all-three").contrast
    assert contrast.low <= ODI_EFFECT <= contrast.high
    assert contrast.high < 0  # a large effect at n=300 per cohort: the CI excludes 0
    assert contrast.p_value < 0.001
    assert contrast.favours == "cohort"  # a fall in ODI is an improvement
    assert odi_with_effect.reference == "single"
    assert odi_with_effect.cohort("single").contrast is None


def test_it_finds_no_effect_where_none_was_injected(odi_without_effect):
    # The claim under test is the concurrent-care contrast. The other three contrasts are not asserted: with
    # four 95 % intervals under no effect, one excludes 0 by chance about one run in five (checked over 80
    # seeds: each covers 0 in 94-99 % of runs), so asserting all four would test luck, not the estimator.
    contrast = odi_without_effect.cohort("all-three").contrast
    assert contrast.low <= 0 <= contrast.high
    assert contrast.favours == "neither"
    assert contrast.p_value > 0.05


def test_it_reads_a_higher_is_better_instrument_in_its_direction():
    analysis = analyse_episodes(
        generate("lefs", per_cohort=300, effects={"all-three": LEFS_EFFECT}, seed=5), instrument_code="lefs"
    )
    contrast = analysis.cohort("all-three").contrast
    assert contrast.low <= LEFS_EFFECT <= contrast.high and contrast.low > 0
    assert contrast.favours == "cohort"
    assert analysis.direction == "higher-is-better"
    harmed = analyse_episodes(
        generate("lefs", per_cohort=300, effects={"dc+pt": -LEFS_EFFECT}, seed=5), instrument_code="lefs"
    )
    assert harmed.cohort("dc+pt").contrast.favours == "reference"


def test_the_baseline_adjustment_removes_confounding_through_the_baseline():
    # The all-three patients start 12 ODI points worse and, by regression to the mean (slope -0.3), fall
    # about 3.6 points more with no effect of their care; the adjusted contrast must not show it.
    analysis = analyse_episodes(
        generate("odi", per_cohort=300, baseline_shift={"all-three": 12.0}, seed=3), instrument_code="odi"
    )
    all_three, single = analysis.cohort("all-three"), analysis.cohort("single")
    assert all_three.baseline_mean - single.baseline_mean > 9
    assert all_three.unadjusted_change - single.unadjusted_change < -2
    assert all_three.contrast.low <= 0 <= all_three.contrast.high
    assert analysis.baseline_slope.high < 0


def test_adjusted_means_are_at_the_mean_baseline_and_differ_by_the_contrasts(odi_with_effect):
    analysis = odi_with_effect
    reference = analysis.cohort("single").adjusted_change.estimate
    for result in analysis.cohorts:
        adjusted = result.adjusted_change
        assert adjusted.low < adjusted.estimate < adjusted.high
        if result.contrast is not None:
            assert math.isclose(adjusted.estimate - reference, result.contrast.difference, abs_tol=1e-9)
    low, high = INSTRUMENTS["odi"].score_range
    assert low < analysis.mean_baseline < high
    assert analysis.modelled == sum(r.with_followup for r in analysis.cohorts)
    assert analysis.formula == "change ~ C(cohort, Treatment(reference='single')) + baseline"


def test_it_reports_responders_time_to_mcid_and_visits_per_cohort(odi_with_effect):
    for result in odi_with_effect.cohorts:
        assert result.estimable and result.note is None
        responders = result.responders
        assert responders.n == result.with_followup
        assert responders.low <= responders.rate <= responders.high
        curve = result.time_to_mcid.curve
        assert [p.day for p in curve] == sorted(p.day for p in curve)
        assert all(0 < p.reached <= 1 for p in curve)
        assert result.time_to_mcid.events + result.time_to_mcid.censored == result.with_followup
        assert result.visits_mean > 1 and result.visits_median >= 1
    # More improvement: more responders, sooner, than the reference.
    all_three, single = odi_with_effect.cohort("all-three"), odi_with_effect.cohort("single")
    assert all_three.responders.low > single.responders.high
    assert all_three.time_to_mcid.median_days <= single.time_to_mcid.median_days


def test_the_analysis_is_deterministic_for_a_seed():
    first = analyse_episodes(generate("ndi", per_cohort=40, seed=9), instrument_code="ndi")
    again = analyse_episodes(generate("ndi", per_cohort=40, seed=9), instrument_code="ndi")
    other = analyse_episodes(generate("ndi", per_cohort=40, seed=10), instrument_code="ndi")
    assert first == again
    assert first != other


def test_it_can_keep_the_single_disciplines_apart():
    episodes = generate("odi", per_cohort=120, seed=2)
    analysis = analyse_episodes(episodes, instrument_code="odi", split_single=True, reference="dc")
    codes = [c.cohort for c in analysis.cohorts]
    assert codes == ["dc", "pt", "lmt", "dc+lmt", "dc+pt", "pt+lmt", "all-three"]
    singles = sum(analysis.cohort(c).episodes for c in ("dc", "pt", "lmt"))
    assert singles == 120
    assert analysis.cohort("dc").contrast is None and analysis.cohort("pt").contrast is not None


# Small cohorts ---------------------------------------------------------------------------------------------


def test_it_says_too_few_below_the_minimum_instead_of_estimating():
    sizes = {"single": 30, "dc+lmt": 30, "dc+pt": 4, "pt+lmt": 0, "all-three": 30}
    analysis = analyse_episodes(
        generate("rmdq", per_cohort=sizes, seed=4, dropout=0.0), instrument_code="rmdq", min_n=10
    )
    small, empty = analysis.cohort("dc+pt"), analysis.cohort("pt+lmt")
    assert not small.estimable and small.note == f"{TOO_FEW} (n < 10)"
    assert small.episodes == 4 and small.adjusted_change is None and small.responders is None
    assert empty.episodes == 0 and empty.visits_mean is None and not empty.estimable
    assert analysis.cohort("all-three").contrast is not None
    assert analysis.modelled == 90


def test_it_survives_when_every_cohort_is_too_small():
    analysis = analyse_episodes(generate("nprs", per_cohort=3, seed=1), instrument_code="nprs")
    assert analysis.modelled == 0 and analysis.mean_baseline is None
    assert all(not c.estimable for c in analysis.cohorts)
    assert any(TOO_FEW in note for note in analysis.notes)
    empty = analyse(pd.DataFrame(columns=list(EPISODE_COLUMNS)), instrument_code="odi")
    assert empty.episodes == 0 and all(c.episodes == 0 for c in empty.cohorts)


def test_it_shows_no_contrast_when_the_reference_is_too_small():
    sizes = {"single": 5, "dc+lmt": 40, "all-three": 40}
    analysis = analyse_episodes(generate("odi", per_cohort=sizes, seed=6, dropout=0.0), instrument_code="odi")
    assert all(c.contrast is None for c in analysis.cohorts)
    assert analysis.cohort("all-three").adjusted_change is not None
    assert any("reference cohort" in note for note in analysis.notes)


# Kaplan-Meier and Wilson on hand-checkable cases ----------------------------------------------------------


def _frame(rows):
    return pd.DataFrame.from_records(rows, columns=list(EPISODE_COLUMNS))


def test_the_kaplan_meier_median_matches_a_hand_computed_case():
    # Days to MCID 10, 20, 40 (events) and 30, 50 (censored: never reached by the last follow-up).
    # Product-limit: S(10) = 4/5 = 0.8; S(20) = 0.8 x 3/4 = 0.6; 30 censored leaves 2 at risk;
    # S(40) = 0.6 x 1/2 = 0.3 <= 0.5, so the median is day 40.
    rows = [
        ("dc", 50.0, 30.0, 5, 10.0, 10.0),
        ("pt", 50.0, 30.0, 5, 20.0, 20.0),
        ("lmt", 50.0, 44.0, 5, 30.0, np.nan),
        ("dc", 50.0, 30.0, 5, 40.0, 40.0),
        ("pt", 50.0, 44.0, 5, 50.0, np.nan),
    ]
    result = analyse(_frame(rows), instrument_code="odi", min_n=3).cohort("single")
    km = result.time_to_mcid
    assert km.median_days == 40
    assert (km.events, km.censored) == (3, 2)
    expected = [(10, 1 - 4 / 5, 5, 1), (20, 1 - 4 / 5 * 3 / 4, 4, 1), (40, 1 - 4 / 5 * 3 / 4 * 1 / 2, 2, 1)]
    assert [(p.day, p.at_risk, p.events) for p in km.curve] == [(d, r, e) for d, _, r, e in expected]
    for point, (_, reached_share, _, _) in zip(km.curve, expected, strict=True):
        assert math.isclose(point.reached, reached_share)
    # Responders at the last score: 20 points (40 %) reach the ODI MCID, 6 points (12 %) do not.
    assert (result.responders.count, result.responders.n) == (3, 5)


def test_the_median_is_none_when_fewer_than_half_reach_the_mcid():
    rows = [("dc", 50.0, 30.0, 5, 14.0, 14.0)] + [("dc", 50.0, 46.0, 5, 28.0, np.nan)] * 3
    km = analyse(_frame(rows), instrument_code="odi", min_n=3).cohort("single").time_to_mcid
    assert km.median_days is None and (km.events, km.censored) == (1, 3)
    nobody = analyse(_frame([("dc", 50.0, 48.0, 5, 28.0, np.nan)] * 4), instrument_code="odi", min_n=3)
    assert nobody.cohort("single").time_to_mcid.curve == ()
    assert nobody.cohort("single").responders.count == 0


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # Newcombe RG. Stat Med 1998;17:857-872, Table I, method 3 (Wilson score interval).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_the_responder_interval_is_wilsons(count, n, low, high):
    rows = [("all-three", 50.0, 30.0, 12, 42.0, 42.0)] * count + [
        ("all-three", 50.0, 45.0, 12, 42.0, np.nan)
    ] * (n - count)
    responders = analyse(_frame(rows), instrument_code="odi").cohort("all-three").responders
    assert (responders.count, responders.n) == (count, n)
    assert (round(responders.low, 4), round(responders.high, 4)) == (low, high)


# The MCID rule and the per-episode rows ------------------------------------------------------------------


def _grid(code):
    low, high = INSTRUMENTS[code].score_range
    step = {"psfs": 0.5, "nprs": 0.5, "rmdq": 1, "ndi": 1, "lefs": 2}.get(code, 2.5)
    values = [float(v) for v in np.arange(low, high + step / 2, step)]
    return values + [45.45, 29.55] if high == 100 else values


@pytest.mark.parametrize("code", sorted(code for code, d in INSTRUMENTS.items() if d.mcids))
def test_the_vectorised_mcid_rule_agrees_with_mcid_check(code):
    values = _grid(code)
    pairs = list(itertools.product(values, values))
    baseline = [b for b, _ in pairs]
    followup = [f for _, f in pairs]
    for mcid in INSTRUMENTS[code].mcids:
        fast = reached(code, baseline, followup, mcid.key)
        exact = [mcid_check(code, b, f, mcid.key).reached for b, f in pairs]
        assert fast.tolist() == exact, mcid.key


def test_the_episode_rows_time_the_first_follow_up_that_reaches_the_mcid():
    start = date(2026, 1, 5)
    episode = Episode(
        patient_id=1,
        plan_id=1,
        instrument="odi",
        disciplines=frozenset({"dc", "pt"}),
        visits=10,
        baseline=50.0,
        baseline_on=start,
        start_on=start,
        # 50 -> 44 (no) -> 38 (12 points: yes) -> 42 (8 points, 16 %: no longer a responder at the end)
        followups=(
            FollowUp(start + timedelta(days=14), 44.0),
            FollowUp(start + timedelta(days=30), 38.0),
            FollowUp(start + timedelta(days=45), 42.0),
        ),
    )
    lost = Episode(**{**episode.__dict__, "followups": ()})
    frame = episode_frame([episode, lost])
    assert frame.to_dict("records")[0] == {
        "combination": "dc+pt",
        "baseline": 50.0,
        "final": 42.0,
        "visits": 10,
        "days_followed": 45.0,
        "days_to_mcid": 30.0,
    }
    assert frame["final"].isna().tolist() == [False, True]
    with pytest.raises(AnalyticsError, match="cannot be analysed together"):
        episode_frame([episode, Episode(**{**episode.__dict__, "instrument": "ndi", "baseline": 20.0})])


# Refusals -------------------------------------------------------------------------------------------------

GOOD_ROW = ("dc", 50.0, 30.0, 5, 10.0, 10.0)


@pytest.mark.parametrize(
    ("frame", "options", "field"),
    [
        (_frame([GOOD_ROW]), {"instrument_code": "sf36"}, "instrument"),
        (_frame([GOOD_ROW]), {"instrument_code": "odi", "mcid": "nobody-2020"}, "mcid"),
        (_frame([GOOD_ROW]), {"instrument_code": "odi", "min_n": 2}, "min_n"),
        (_frame([GOOD_ROW]), {"instrument_code": "odi", "min_n": True}, "min_n"),
        (_frame([GOOD_ROW]), {"instrument_code": "odi", "alpha": 1.5}, "alpha"),
        (_frame([GOOD_ROW]), {"instrument_code": "odi", "reference": "dc"}, "reference"),
        (_frame([GOOD_ROW]).drop(columns=["visits"]), {"instrument_code": "odi"}, "episodes"),
        ([GOOD_ROW], {"instrument_code": "odi"}, "episodes"),
        (_frame([("dc+yoga", 50.0, 30.0, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "combination"),
        (_frame([("dc", 150.0, 30.0, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "baseline"),
        (_frame([("dc", 50.0, -1.0, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "final"),
        (_frame([("dc", np.nan, 30.0, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "baseline"),
        (_frame([("dc", "fifty", 30.0, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "baseline"),
        (_frame([("dc", 50.0, np.inf, 5, 10.0, 10.0)]), {"instrument_code": "odi"}, "final"),
        (_frame([("dc", 50.0, 30.0, 0, 10.0, 10.0)]), {"instrument_code": "odi"}, "visits"),
        (_frame([("dc", 50.0, 30.0, 5, 10.0, 20.0)]), {"instrument_code": "odi"}, "days_to_mcid"),
        (_frame([("dc", 50.0, 30.0, 5, np.nan, np.nan)]), {"instrument_code": "odi"}, "days_followed"),
    ],
)
def test_it_refuses_input_it_cannot_read(frame, options, field):
    with pytest.raises(AnalyticsError) as caught:
        analyse(frame, **options)
    assert caught.value.field == field and caught.value.message


# The statement, the export rows, the effect spec --------------------------------------------------------


def test_the_statement_names_the_limits_of_observational_data(odi_with_effect):
    for phrase in (
        "randomised",
        "confounding by indication",
        "selection",
        "regression to the mean",
        "baseline",
    ):
        assert phrase in OBSERVATIONAL_STATEMENT
    assert odi_with_effect.statement == OBSERVATIONAL_STATEMENT


def test_the_summary_rows_flatten_every_cohort(odi_with_effect):
    rows = summary_rows(odi_with_effect)
    assert [r["cohort"] for r in rows] == [c.cohort for c in odi_with_effect.cohorts]
    all_three = rows[-1]
    assert all_three["difference_vs_reference"] == odi_with_effect.cohort("all-three").contrast.difference
    assert rows[0]["p_value"] is None and rows[0]["note"] == ""


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("odi:-8", ("odi", {"all-three": -8.0})),
        ("LEFS: 9", ("lefs", {"all-three": 9.0})),
        ("nprs:0", ("nprs", {"all-three": 0.0})),
    ],
)
def test_it_reads_an_effect_spec(spec, expected):
    assert parse_effect(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("odi", "INSTRUMENT:POINTS"),
        ("odi:-8:2", "INSTRUMENT:POINTS"),
        ("sf36:-8", "Unknown instrument"),
        ("odi:lots", "must be a number"),
        ("odi:nan", "within"),
        ("nprs:-12", "within"),
    ],
)
def test_it_refuses_a_malformed_effect_spec(spec, message):
    with pytest.raises(EffectError, match=message):
        parse_effect(spec)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"effects": {"dc": -8}}, "effects"),
        ({"baseline_shift": {"all-three": "lots"}}, "baseline_shift"),
        ({"per_cohort": -1}, "per_cohort"),
        ({"per_cohort": {"everyone": 3}}, "per_cohort"),
        ({"dropout": 1.0}, "dropout"),
    ],
)
def test_the_generator_refuses_bad_settings(options, field):
    with pytest.raises(EffectError) as caught:
        generate("odi", **options)
    assert caught.value.field == field


def test_generated_episodes_are_valid_and_carry_their_cohort():
    episodes = generate("psfs", per_cohort=20, effects={"all-three": 2.0}, seed=8, dropout=0.25)
    assert len(episodes) == 100
    assert {e.cohort() for e in episodes} == {"single", "dc+lmt", "dc+pt", "pt+lmt", "all-three"}
    assert any(e.last is None for e in episodes) and any(e.last is not None for e in episodes)
    for episode in episodes:
        assert 0 <= episode.baseline <= 10
        assert all(episode.baseline_on < f.on for f in episode.followups)
