"""Timed units: every vector of ../shared/clinical/vectors/eight_minute_rule.json, REFERENCE.md §2 worked
examples 1-11, and the refusals of bad input. Pure module: no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tandem.billing.coding import (
    BillingError,
    DiagnosisRef,
    PayerRules,
    ServiceLine,
    code_visit,
    timed_units,
    unit_count,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
VECTORS_PATH = REPO_ROOT / "tests" / "vectors" / "eight_minute_rule.json"  # a copy of the shared reference's
SHARED_PATH = REPO_ROOT.parent / "shared" / "clinical" / "vectors" / "eight_minute_rule.json"


def _vectors() -> dict[str, Any]:
    # A missing vector file must fail the run, not skip it: the rule would go unchecked.
    assert VECTORS_PATH.is_file(), f"the 8-minute-rule vectors are missing: {VECTORS_PATH}"
    return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))


@pytest.mark.skipif(not SHARED_PATH.is_file(), reason="the shared clinical reference is not checked out here")
def test_the_copy_of_the_vectors_matches_the_shared_reference():
    assert VECTORS_PATH.read_bytes() == SHARED_PATH.read_bytes()


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return _vectors()


def test_the_vector_file_has_the_expected_shape(vectors):
    assert len(vectors["unit_table"]) >= 20
    assert len(vectors["cases"]) >= 11
    assert {case["id"] for case in vectors["cases"]} >= {"cms-ex1", "cms-ex5", "four-units-63"}


def test_it_reads_every_row_of_the_cms_unit_table(vectors):
    for row in vectors["unit_table"]:
        minutes = row["total_timed_minutes"]
        assert unit_count(minutes) == row["expected_units"], row
        # One code alone gives the same units under both rules.
        if minutes:
            for rule in ("cms", "ama"):
                assert timed_units(rule, {"97110": minutes}).total_units == row["expected_units"], (rule, row)


def test_it_bills_every_vector_case_under_the_cms_rule(vectors):
    for case in vectors["cases"]:
        expected = case["expected_cms"]
        answer = timed_units("cms", case["timed_minutes"])
        assert answer.total_minutes == expected["total_timed_minutes"], case["id"]
        assert answer.total_units == expected["total_units"], case["id"]
        assert answer.units in expected["acceptable_distributions"], (case["id"], answer.units)
        assert sum(answer.units.values()) == answer.total_units, case["id"]


def test_it_bills_every_vector_case_under_the_ama_rule(vectors):
    for case in vectors["cases"]:
        answer = timed_units("ama", case["timed_minutes"])
        assert answer.units == case["expected_ama_per_code"], case["id"]
        assert answer.total_units == case["expected_ama_total"], case["id"]
        assert answer.total_minutes == sum(case["timed_minutes"].values()), case["id"]


def test_untimed_codes_of_the_vectors_keep_their_units_and_add_no_minutes(vectors):
    cases = [case for case in vectors["cases"] if case.get("untimed_codes")]
    assert cases, "the vectors have a case with an untimed evaluation"
    for case in cases:
        services = [ServiceLine(code, minutes) for code, minutes in case["timed_minutes"].items()]
        services += [ServiceLine(code) for code in case["untimed_codes"]]
        visit = code_visit(services, PayerRules("cms"), [DiagnosisRef("M54.50", "lumbar")])
        assert visit.timed.total_minutes == case["expected_cms"]["total_timed_minutes"]
        units = {line.code: line.units for line in visit.lines}
        for code, expected in case["expected_cms"]["untimed_units"].items():
            assert units[code] == expected
        assert {c: units[c] for c in case["timed_minutes"]} in case["expected_cms"][
            "acceptable_distributions"
        ]


# REFERENCE.md §2 worked examples, written out here so the table in the reference is checked on its own.
WORKED_EXAMPLES = [
    # (number, minutes, CMS total, acceptable CMS distributions, AMA per code)
    (1, {"97112": 24, "97110": 23}, 3, [{"97112": 2, "97110": 1}], {"97112": 2, "97110": 2}),
    (
        2,
        {"97112": 20, "97110": 20},
        3,
        [{"97112": 2, "97110": 1}, {"97112": 1, "97110": 2}],
        {"97112": 1, "97110": 1},
    ),
    (3, {"97110": 33, "97140": 7}, 3, [{"97110": 2, "97140": 1}], {"97110": 2, "97140": 0}),
    (
        4,
        {"97110": 18, "97140": 13, "97116": 10, "97035": 8},
        3,
        [{"97110": 1, "97140": 1, "97116": 1, "97035": 0}],
        {"97110": 1, "97140": 1, "97116": 1, "97035": 1},
    ),
    (
        5,
        {"97112": 7, "97110": 7, "97140": 7},
        1,
        [
            {"97112": 1, "97110": 0, "97140": 0},
            {"97112": 0, "97110": 1, "97140": 0},
            {"97112": 0, "97110": 0, "97140": 1},
        ],
        {"97112": 0, "97110": 0, "97140": 0},
    ),
    (6, {"97140": 24}, 2, [{"97140": 2}], {"97140": 2}),
    (7, {"97110": 7}, 0, [{"97110": 0}], {"97110": 0}),
    (8, {"97112": 5, "97110": 4}, 1, [{"97112": 1, "97110": 0}], {"97112": 0, "97110": 0}),
    (
        9,
        {"97110": 8, "97140": 8},
        1,
        [{"97110": 1, "97140": 0}, {"97110": 0, "97140": 1}],
        {"97110": 1, "97140": 1},
    ),
    (10, {"97110": 38, "97140": 10}, 3, [{"97110": 2, "97140": 1}], {"97110": 3, "97140": 1}),
    (
        11,
        {"97530": 41, "97110": 12, "97140": 10},
        4,
        [{"97530": 3, "97110": 1, "97140": 0}],
        {"97530": 3, "97110": 1, "97140": 1},
    ),
]


@pytest.mark.parametrize(("number", "minutes", "total", "distributions", "ama"), WORKED_EXAMPLES)
def test_it_matches_the_worked_examples_of_the_reference(number, minutes, total, distributions, ama):
    cms = timed_units("cms", minutes)
    assert cms.total_units == total
    assert cms.units in distributions
    per_code = timed_units("ama", minutes)
    assert per_code.units == ama
    assert per_code.total_units == sum(ama.values())


def test_it_never_gives_three_units_of_one_code_in_cms_example_2():
    assert max(timed_units("cms", {"97112": 20, "97110": 20}).units.values()) == 2


def test_it_breaks_ties_the_same_way_whatever_the_order_of_the_codes():
    # Equal leftovers: more total minutes first (97110: 22 > 97140: 7), then the lower code number.
    assert timed_units("cms", {"97140": 7, "97110": 22}).units == {"97140": 0, "97110": 2}
    assert timed_units("cms", {"97140": 7, "97112": 7, "97110": 7}).units == {
        "97140": 0,
        "97112": 0,
        "97110": 1,
    }
    assert timed_units("cms", {"97110": 7, "97112": 7, "97140": 7}).units == {
        "97110": 1,
        "97112": 0,
        "97140": 0,
    }


def test_it_answers_zero_units_for_no_timed_minutes():
    for rule in ("cms", "ama"):
        answer = timed_units(rule, {})
        assert (answer.total_minutes, answer.total_units, answer.units) == (0, 0, {})
    assert timed_units("cms", {"97110": 0, "97140": 0}).units == {"97110": 0, "97140": 0}


BAD_INPUT = [
    ("cms", {"99999": 10}, "minutes.99999", "not one of Tandem's billing codes"),
    ("cms", {"97161": 30}, "minutes.97161", "not a timed code"),
    ("cms", {"98940": 10}, "minutes.98940", "not a timed code"),
    ("cms", {"97110": -5}, "minutes.97110", "cannot be negative"),
    ("ama", {"97110": 7.5}, "minutes.97110", "whole number"),
    ("cms", {"97110": "33"}, "minutes.97110", "whole number"),
    ("cms", {"97110": True}, "minutes.97110", "whole number"),
    ("cms", {"97110": 10_000}, "minutes.97110", "not valid"),
    ("medicare", {"97110": 10}, "rule", "cms or ama"),
]


@pytest.mark.parametrize(("rule", "minutes", "field", "message"), BAD_INPUT)
def test_it_refuses_bad_input_naming_the_field(rule, minutes, field, message):
    with pytest.raises(BillingError) as caught:
        timed_units(rule, minutes)
    errors = caught.value.as_dict()
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors


def test_it_reports_every_bad_entry_at_once():
    with pytest.raises(BillingError) as caught:
        timed_units("cms", {"97110": 10, "99999": 3, "97140": -1})
    assert set(caught.value.as_dict()) == {"minutes.99999", "minutes.97140"}


def test_it_refuses_minutes_that_are_not_a_mapping():
    with pytest.raises(BillingError) as caught:
        timed_units("cms", [("97110", 10)])  # type: ignore[arg-type]
    assert "minutes" in caught.value.as_dict()
