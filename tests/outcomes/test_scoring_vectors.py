"""Every case of ../shared/clinical/vectors/{odi,ndi,quickdash,rmdq,mcid}.json against the pure scoring
module. The copies in tests/vectors/ are checked against the shared reference when it is checked out.
No database."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from tandem.outcomes.scoring import (
    INSTRUMENTS,
    ScoringError,
    ScoringPolicy,
    for_display,
    mcid_check,
    score,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_DIR = REPO_ROOT / "tests" / "vectors"  # copies of the shared reference's
SHARED_DIR = REPO_ROOT.parent / "shared" / "clinical" / "vectors"
NAMES = ("odi", "ndi", "quickdash", "rmdq", "mcid")


def _vectors(name: str) -> dict[str, Any]:
    path = VECTORS_DIR / f"{name}.json"
    # A missing vector file must fail the run, not skip it: the rule would go unchecked.
    assert path.is_file(), f"the {name} vectors are missing: {path}"
    return json.loads(path.read_text(encoding="utf-8"))


def _cases(name: str) -> list[Any]:
    cases = _vectors(name)["cases"]
    return [pytest.param(case, id=case["id"]) for case in cases]


@pytest.mark.parametrize("name", NAMES)
def test_the_copy_of_the_vectors_matches_the_shared_reference(name):
    shared = SHARED_DIR / f"{name}.json"
    if not shared.is_file():
        pytest.skip("the shared clinical reference is not checked out here")
    assert (VECTORS_DIR / f"{name}.json").read_bytes() == shared.read_bytes()


def test_the_vector_files_have_the_expected_cases():
    assert len(_vectors("odi")["cases"]) >= 10
    assert len(_vectors("ndi")["cases"]) >= 9
    assert len(_vectors("quickdash")["cases"]) >= 6
    assert len(_vectors("rmdq")["cases"]) >= 3
    assert len(_vectors("mcid")["example_checks"]) >= 6


def _close(actual: float | None, expected: float) -> bool:
    # The vectors print two decimals of the exact value (35.555... as 35.56).
    return actual is not None and abs(actual - expected) < 0.005


@pytest.mark.parametrize("case", _cases("odi"))
def test_it_scores_every_odi_vector(case):
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(ScoringError, match="out of range 0-5") as refused:
            score("odi", case["sections"])
        assert refused.value.field.startswith("answers.")
        return
    result = score("odi", case["sections"])
    assert result.valid
    assert result.items_answered == expected["answered_sections"]
    assert result.raw_sum == expected["raw_sum"]
    numerator, denominator = expected["percent_exact"].removesuffix("*100").split("/")
    assert int(denominator) == expected["max_possible"] == 5 * result.items_answered
    assert result.exact == Fraction(int(numerator), int(denominator)) * 100  # full precision, not rounded
    assert _close(result.score, expected["percent"])
    assert result.band == expected["band"]


@pytest.mark.parametrize("case", _cases("ndi"))
def test_it_scores_every_ndi_vector(case):
    expected = case["expected"]
    if "error" in expected:
        with pytest.raises(ScoringError, match="out of range 0-5") as refused:
            score("ndi", case["items"])
        assert refused.value.field == "answers.9"
        return
    result = score("ndi", case["items"])
    assert result.valid
    assert result.items_answered == expected["answered_items"]
    assert result.raw_sum == expected["raw_sum_answered"]
    assert _close(result.score, expected["raw_imputed_0_50"])
    assert _close(result.percent, expected["percent"])
    assert result.band == expected["band"]
    # Vernon's mean imputation gives the same percentage as shrinking the denominator.
    assert result.exact * 2 == Fraction(result.raw_sum, 5 * result.items_answered) * 100


@pytest.mark.parametrize("case", _cases("quickdash"))
def test_it_scores_every_quickdash_vector(case):
    expected = case["expected"]
    result = score("quickdash", case["items"])
    assert result.items_answered == expected["answered"]
    assert result.valid is expected["valid"]
    if expected["score"] is None:
        assert result.score is None and result.band is None
        assert "more than one" in result.reason
    else:
        assert _close(result.score, expected["score"])
        answered = [v for v in case["items"] if v is not None]
        assert result.exact == (Fraction(sum(answered), len(answered)) - 1) * 25


@pytest.mark.parametrize("case", _cases("rmdq"))
def test_it_scores_every_rmdq_vector_under_each_missing_item_policy(case):
    expected = case["expected"]
    rejected = score("rmdq", case["items"], ScoringPolicy(rmdq_missing="reject"))
    assert rejected.valid is expected["complete"]
    if expected["score_if_complete_or_invalid"] is None:
        assert rejected.score is None and "not answered" in rejected.reason
    else:
        assert rejected.score == expected["score_if_complete_or_invalid"]
    as_no = score("rmdq", case["items"], ScoringPolicy(rmdq_missing="sum"))
    assert as_no.valid and as_no.score == expected["score_missing_as_no"]
    prorated = score("rmdq", case["items"], ScoringPolicy(rmdq_missing="prorate"))
    assert prorated.valid and _close(prorated.score, expected["score_prorated_0_24"])
    for result in (rejected, as_no, prorated):
        assert result.items_answered == sum(v is not None for v in case["items"])


# MCID -------------------------------------------------------------------------------------------------------

# Each flag of mcid.json's example_checks -> (the instrument's MCID key, which threshold it tests).
MCID_FLAGS = {
    "meets_ostelo_abs_10": ("ostelo-2008", "points"),
    "meets_ostelo_rel_30": ("ostelo-2008", "relative"),
    "meets_ostelo_abs_5": ("ostelo-2008", "points"),
    "meets_2_point": ("farrar-2001", "points"),
    "meets_30_pct": ("farrar-2001", "relative"),
    "meets_abbott_medium_2_3": ("abbott-schmitt-2014-medium", "points"),
    "meets_abbott_large_2_7": ("abbott-schmitt-2014-large", "points"),
    "meets_franchignoni_15_91": ("franchignoni-2014", "points"),
    "meets_sorensen_14": ("sorensen-2013", "points"),
}
MEASURES = {"ODI": "odi", "RMDQ": "rmdq", "NPRS": "nprs", "PSFS": "psfs", "QuickDASH": "quickdash"}


def _example_checks() -> list[Any]:
    checks = _vectors("mcid")["example_checks"]
    return [
        pytest.param(check, id=f"{check['measure']}-{check['baseline']}-{check['followup']}")
        for check in checks
    ]


@pytest.mark.parametrize("check", _example_checks())
def test_it_decides_every_mcid_example_of_the_vectors(check):
    code = MEASURES[check["measure"]]
    flags = {key: value for key, value in check.items() if key.startswith("meets_")}
    assert flags, check
    for flag, expected in flags.items():
        key, threshold = MCID_FLAGS[flag]
        decision = mcid_check(code, check["baseline"], check["followup"], key)
        assert decision.improvement == Fraction(str(check["abs_change"])), flag
        if "rel_change_pct" in check:
            assert for_display(decision.relative_pct, 2) == f"{check['rel_change_pct']:.2f}", flag
        reached = decision.points_reached if threshold == "points" else decision.relative_reached
        assert reached is expected, (flag, decision)


def test_the_mcid_values_are_the_references():
    """Each instrument's default MCID and its source are the ones REFERENCE.md §1 and mcid.json give."""
    reference = _vectors("mcid")["measures"]
    expected = {
        "nprs": ("NPRS", Fraction(2), "Farrar"),
        "odi": ("ODI", Fraction(10), "Ostelo"),
        "ndi": ("NDI", Fraction(5), "Vernon"),
        "rmdq": ("RMDQ", Fraction(5), "Ostelo"),
        "quickdash": ("QuickDASH", Fraction("15.91"), "Franchignoni"),
        "psfs": ("PSFS", Fraction("2.3"), "Abbott"),
        "lefs": ("LEFS", Fraction(9), "Binkley"),
    }
    for code, (measure, points, author) in expected.items():
        mcid = INSTRUMENTS[code].mcid()
        assert mcid.points == points and author in mcid.source, code
        published = reference[measure]
        assert published.get("range", published.get("range_raw")) == list(INSTRUMENTS[code].score_range), code
        worse = published["higher_is"] == "worse"
        assert (INSTRUMENTS[code].direction == "higher-is-worse") is worse, code
        sources = " ".join(value["source"] for value in published["values"])
        assert author in sources, code
