"""The scoring rules beyond the shared vectors: NPRS, PSFS, LEFS, the missing-item policies, the refusals of
malformed answers, MCID in both directions and display rounding. Pure module: no database."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from tandem.outcomes.scoring import (
    INSTRUMENTS,
    ScoringError,
    ScoringPolicy,
    for_display,
    instrument,
    mcid_check,
    score,
)

# (instrument, answers, score, band, items answered) for valid scores.
VALID = [
    ("nprs", [0], 0, None, 1),
    ("nprs", [7], 7, None, 1),
    ("nprs", [10], 10, None, 1),
    ("psfs", [3, 4, 5], 4, None, 3),
    ("psfs", [2, 3, 4, 6], Fraction(15, 4), None, 4),
    ("psfs", [10, 9, 9, 8, 7], Fraction(43, 5), None, 5),
    ("psfs", [1, None, 2, 6], 3, None, 3),  # an activity left unrated is not counted
    ("psfs", [0, 0, 1], Fraction(1, 3), None, 3),
    ("lefs", [4] * 20, 80, None, 20),
    ("lefs", [0] * 20, 0, None, 20),
    ("lefs", [2] * 10 + [3] * 10, 50, None, 20),
    ("odi", [5] * 10, 100, "bed-bound", 10),
    ("odi", [4] * 9 + [5], 82, "bed-bound", 10),
    ("odi", [2, 2, 2, 2, 2, 2, 2, 2, 2, 3], 42, "severe", 10),
    ("odi", [2] * 8 + [1, None], Fraction(340, 9), "moderate", 9),  # 17/45
    ("odi", [3] + [None] * 9, 60, "severe", 1),  # no cap by default (none published)
    ("ndi", [5] * 10, 50, "complete", 10),
    ("ndi", [4, 4, 4, 4, 4, 3, 3, 3, 3, 3], 35, "complete", 10),
    ("ndi", [0, 0, 0, 0, 1, 1, 1, 1, 1, None], Fraction(50, 9), "mild", 9),
    ("quickdash", [5] * 11, 100, None, 11),
    ("quickdash", [1] * 10 + [None], 0, None, 10),
    ("rmdq", [1] * 24, 24, None, 24),
]


@pytest.mark.parametrize(("code", "answers", "expected", "band", "answered"), VALID)
def test_it_scores_exactly(code, answers, expected, band, answered):
    result = score(code, answers)
    assert result.valid and result.reason is None
    assert result.exact == Fraction(expected)
    assert result.score == float(Fraction(expected))
    assert result.band == band
    assert result.items_answered == answered
    assert result.items_total == len(answers)
    low, high = result.range
    assert low <= result.score <= high


def test_one_odi_row_lands_exactly_on_the_band_edge():
    # 9 answered sections of 1 = 9/45 = 20 %: the edge of "minimal" (<= 20, policy for the published 0-20).
    result = score("odi", [1] * 9 + [None])
    assert result.exact == 20 and result.band == "minimal"


# (instrument, answers, words the reason must contain)
NOT_SCORABLE = [
    ("nprs", [None], "not answered"),
    ("odi", [None] * 10, "No section was answered"),
    ("ndi", [None] * 10, "No item was answered"),
    ("quickdash", [None, None] + [2] * 9, "more than one"),
    ("psfs", [5, None, None], "needs at least 3"),
    ("psfs", [5, 6, None, None, None], "needs at least 3"),
    ("lefs", [4] * 19 + [None], "every LEFS item is required"),
    ("rmdq", [0] * 23 + [None], "1 of 24 items were not answered"),
]


@pytest.mark.parametrize(("code", "answers", "reason"), NOT_SCORABLE)
def test_it_says_why_a_score_is_not_valid(code, answers, reason):
    result = score(code, answers)
    assert not result.valid
    assert result.score is None and result.exact is None and result.band is None
    assert reason in result.reason
    assert result.items_answered == sum(v is not None for v in answers)


def test_the_cap_on_missing_sections_is_the_clinics_choice():
    two_missing = [2] * 8 + [None, None]
    assert score("odi", two_missing).valid  # no cap by default: none is published
    capped = score("odi", two_missing, ScoringPolicy(odi_max_missing=1))
    assert not capped.valid and "at most 1 missing (policy)" in capped.reason
    assert capped.policy == {"max_missing": 1}
    assert score("odi", two_missing, ScoringPolicy(odi_max_missing=2)).exact == 40
    assert not score("ndi", two_missing, ScoringPolicy(ndi_max_missing=0)).valid
    assert score("ndi", two_missing, ScoringPolicy(ndi_max_missing=2)).exact == 20
    # A complete form is never affected by the cap.
    assert score("odi", [2] * 10, ScoringPolicy(odi_max_missing=0)).exact == 40


def test_the_rmdq_policy_is_recorded_with_the_score():
    answers = [1] * 12 + [0] * 10 + [None, None]
    assert score("rmdq", answers).policy == {"missing": "reject"}
    prorated = score("rmdq", answers, ScoringPolicy(rmdq_missing="prorate"))
    assert prorated.exact == Fraction(12 * 24, 22) and prorated.policy == {"missing": "prorate"}
    nothing = score("rmdq", [None] * 24, ScoringPolicy(rmdq_missing="prorate"))
    assert not nothing.valid and "No item" in nothing.reason
    assert score("rmdq", [None] * 24, ScoringPolicy(rmdq_missing="sum")).exact == 0


@pytest.mark.parametrize(
    "policy",
    [
        {"odi_max_missing": -1},
        {"odi_max_missing": 10},
        {"ndi_max_missing": True},
        {"ndi_max_missing": 1.5},
        {"rmdq_missing": "impute"},
    ],
)
def test_it_refuses_a_policy_it_cannot_apply(policy):
    with pytest.raises(ScoringError) as refused:
        ScoringPolicy(**policy)
    assert refused.value.field == next(iter(policy))


# (instrument, answers, field, words of the message) for malformed answers: refused, never clipped.
MALFORMED = [
    ("odi", [0] * 9, "answers", "takes 10 answers"),
    ("odi", [0] * 11, "answers", "11 were given"),
    ("nprs", [], "answers", "takes 1 answers"),
    ("psfs", [5, 5], "answers", "takes 3 to 5 answers"),
    ("psfs", [5] * 6, "answers", "takes 3 to 5 answers"),
    ("rmdq", "1" * 24, "answers", "as a list"),
    ("rmdq", {"a": 1}, "answers", "as a list"),
    ("odi", [6, 0, 0, 0, 0, 0, 0, 0, 0, 0], "answers.0", "out of range 0-5"),
    ("odi", [0, 0, 0, -1, 0, 0, 0, 0, 0, 0], "answers.3", "out of range 0-5"),
    ("nprs", [11], "answers.0", "out of range 0-10"),
    ("quickdash", [0] + [1] * 10, "answers.0", "out of range 1-5"),
    ("lefs", [5] + [4] * 19, "answers.0", "out of range 0-4"),
    ("rmdq", [2] + [0] * 23, "answers.0", "out of range 0-1"),
    ("rmdq", [True] + [0] * 23, "answers.0", "True is not a whole number"),
    ("psfs", [5, 5, False], "answers.2", "False is not a whole number"),
    ("nprs", [float("nan")], "answers.0", "NaN is not a whole number"),
    ("nprs", [float("inf")], "answers.0", "not a whole number"),
    ("odi", [2.5] + [0] * 9, "answers.0", "2.5 is not a whole number"),
    ("odi", [2.0] + [0] * 9, "answers.0", "not a whole number"),
    ("ndi", ["3"] + [0] * 9, "answers.0", "'3' is not a whole number"),
    ("ndi", [[3]] + [0] * 9, "answers.0", "not a whole number"),
]


@pytest.mark.parametrize(("code", "answers", "field", "words"), MALFORMED)
def test_it_refuses_malformed_answers_naming_them(code, answers, field, words):
    with pytest.raises(ScoringError) as refused:
        score(code, answers)
    assert refused.value.field == field
    assert words in refused.value.message
    assert refused.value.as_dict() == {field: [refused.value.message]}


@pytest.mark.parametrize("code", [None, "", "ODI", "sf-36", 3])
def test_it_refuses_an_unknown_instrument(code):
    with pytest.raises(ScoringError) as refused:
        score(code, [0])
    assert refused.value.field == "instrument"
    assert "odi" in refused.value.message and "psfs" in refused.value.message


def test_every_definition_is_consistent():
    assert set(INSTRUMENTS) == {
        "nprs",
        "odi",
        "ndi",
        "rmdq",
        "quickdash",
        "quickdash-work",
        "quickdash-sport",
        "psfs",
        "lefs",
    }
    without_mcid = {c for c, d in INSTRUMENTS.items() if not d.mcids}
    assert without_mcid == {"quickdash-work", "quickdash-sport"}  # REFERENCE.md §1 gives them none
    for code, definition in INSTRUMENTS.items():
        assert definition.code == code and instrument(code) is definition
        assert definition.min_items <= definition.max_items
        assert definition.item_min < definition.item_max
        assert definition.direction in ("higher-is-worse", "higher-is-better")
        if code not in without_mcid:
            assert definition.mcid().key == definition.default_mcid  # the default exists
        else:
            assert definition.default_mcid == ""
        if definition.bands:
            assert definition.bands[-1].bound is None and definition.band_basis
        for mcid in definition.mcids:
            assert mcid.source and (mcid.points is not None or mcid.relative_pct is not None)
    assert {c for c, d in INSTRUMENTS.items() if d.direction == "higher-is-better"} == {"psfs", "lefs"}


# MCID -------------------------------------------------------------------------------------------------------


def test_improvement_follows_the_instruments_direction():
    worse_is_higher = mcid_check("odi", 50, 38)  # 12 points down, 24 %
    assert worse_is_higher.improvement == 12 and worse_is_higher.relative_pct == 24
    assert worse_is_higher.points_reached and not worse_is_higher.relative_reached and worse_is_higher.reached
    better_is_higher = mcid_check("lefs", 40, 49)
    assert better_is_higher.improvement == 9 and better_is_higher.reached  # 9 reaches Binkley's 9 (>=)
    assert not mcid_check("lefs", 49, 40).reached  # getting worse never reaches an MCID
    assert mcid_check("lefs", 49, 40).improvement == -9
    worsened = mcid_check("nprs", 4, 7)
    assert worsened.improvement == -3 and not worsened.reached


def test_the_relative_threshold_alone_can_reach_the_mcid():
    only_relative = mcid_check("nprs", 3, 2)  # 1 point, 33 %
    assert only_relative.points_reached is False and only_relative.relative_reached is True
    assert only_relative.reached


def test_a_zero_baseline_has_no_relative_change():
    decision = mcid_check("nprs", 0, 0)
    assert decision.relative_pct is None and decision.relative_reached is None and not decision.reached


def test_an_mcid_without_a_relative_threshold_says_so():
    decision = mcid_check("ndi", 20, 14)
    assert decision.mcid.key == "vernon" and decision.relative_reached is None and decision.points_reached


def test_the_ndi_mcids_are_on_the_raw_0_50_scale():
    # Cleland 2008 publishes 19 percentage points = 9.5 raw points.
    assert not mcid_check("ndi", 30, 21, "cleland-2008").reached
    assert mcid_check("ndi", 30, Fraction(41, 2), "cleland-2008").reached


@pytest.mark.parametrize(
    ("baseline", "followup", "field"),
    [
        (True, 3, "baseline"),
        ("40", 3, "baseline"),
        (math.nan, 3, "baseline"),
        (40, math.inf, "followup"),
        (120, 3, "baseline"),
        (40, -1, "followup"),
        (None, 3, "baseline"),
    ],
)
def test_it_refuses_a_score_it_cannot_compare(baseline, followup, field):
    with pytest.raises(ScoringError) as refused:
        mcid_check("odi", baseline, followup)
    assert refused.value.field == field


def test_it_refuses_an_unknown_mcid():
    with pytest.raises(ScoringError, match="no MCID 'made-up'") as refused:
        mcid_check("odi", 40, 20, "made-up")
    assert refused.value.field == "mcid"


# Display ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Fraction(320, 9), 1, "35.6"),  # the ODI sheet's 16/45: stored exactly, shown rounded
        (Fraction(320, 9), 2, "35.56"),
        (Fraction(130, 9), 2, "14.44"),
        (12.5, 0, "13"),  # half up, not to even
        (2.675, 2, "2.68"),  # the decimal the float prints as, not its binary value 2.67499...
        (0, 1, "0.0"),
        (None, 1, ""),
    ],
)
def test_it_rounds_only_for_display(value, places, shown):
    assert for_display(value, places) == shown


def test_the_stored_score_keeps_full_precision():
    result = score("odi", [2, 2, 1, 2, 1, 2, 2, 1, 3, None])
    assert result.exact == Fraction(320, 9)
    assert result.score == 320 / 9  # not 35.5 nor 35.56
