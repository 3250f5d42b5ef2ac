"""CMT and evaluation codes, bundling edits, diagnosis pointers, and the catalog files. Pure: no database."""

from __future__ import annotations

import copy

import pytest
import yaml

from tandem.billing.catalog import (
    DEFAULT_CODES_PATH,
    DEFAULT_NCCI_PATH,
    CatalogError,
    load_codes,
    load_ncci,
    parse_codes,
    parse_ncci,
)
from tandem.billing.coding import (
    BillingError,
    DiagnosisRef,
    PayerRules,
    ServiceLine,
    cmt_code,
    code_visit,
    evaluation_code,
    extraspinal_cmt_code,
)

LUMBAR_DX = DiagnosisRef("M51.362", "lumbar")
THORACIC_DX = DiagnosisRef("M54.6", "thoracic")
NECK_DX = DiagnosisRef("M54.2", "cervical")

# cmt_code ------------------------------------------------------------------------------------------------

CMT_CASES = [
    ([], None),
    (["lumbar"], "98940"),
    (["cervical", "thoracic"], "98940"),
    (["L4", "L5", "lumbar"], "98940"),  # several levels of one region count once
    (["C1", "C2", "T4", "l5"], "98941"),
    (["cervical", "thoracic", "lumbar"], "98941"),
    (["cervical", "thoracic", "lumbar", "sacral"], "98941"),
    (["cervical", "thoracic", "lumbar", "sacral", "pelvis"], "98942"),
    (["cervical", "thoracic", "lumbar", "sacral", "pelvis", "S1", "T12"], "98942"),
    (["shoulder-left", "knee-right"], None),  # extraspinal only: 98943, not a spinal code
    (["lumbar", "shoulder-left"], "98940"),
]


@pytest.mark.parametrize(("regions", "expected"), CMT_CASES)
def test_it_codes_spinal_manipulation_by_the_number_of_regions(regions, expected):
    assert cmt_code(regions) == expected


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (["lumbar"], None),
        (["shoulder-left"], "98943"),
        (["head", "cervical"], "98943"),
        (["rib-cage"], "98943"),
    ],
)
def test_it_codes_extraspinal_manipulation_separately(regions, expected):
    assert extraspinal_cmt_code(regions) == expected


def test_it_accepts_the_spinal_regions_passed_in():
    assert cmt_code(["cervical", "lumbar", "sacral"], spinal_regions=("cervical", "lumbar")) == "98940"


@pytest.mark.parametrize("regions", [["lumbar", "lumbar-spine"], ["L6"], ["T13"], ["C0"]])
def test_it_refuses_unknown_regions_naming_the_position(regions):
    with pytest.raises(BillingError) as caught:
        cmt_code(regions)
    assert f"regions.{len(regions) - 1}" in caught.value.as_dict()


def test_it_refuses_a_single_text_instead_of_a_list_of_regions():
    with pytest.raises(BillingError) as caught:
        cmt_code("lumbar")
    assert "regions" in caught.value.as_dict()


# evaluation_code -----------------------------------------------------------------------------------------

EVALUATION_CASES = [
    (0, 1, "stable", "97161"),
    (0, 2, "stable", "97161"),
    (1, 3, "evolving", "97162"),
    (2, 3, "evolving", "97162"),
    (3, 4, "unstable", "97163"),
    (5, 6, "unstable", "97163"),
    # The lowest component decides.
    (3, 4, "stable", "97161"),
    (0, 4, "unstable", "97161"),
    (3, 2, "unstable", "97161"),
    (3, 3, "unstable", "97162"),
    (1, 4, "unstable", "97162"),
    (3, 4, "evolving", "97162"),
]


@pytest.mark.parametrize(("history", "exam", "presentation", "expected"), EVALUATION_CASES)
def test_it_codes_the_pt_evaluation_at_the_lowest_complexity_the_components_support(
    history, exam, presentation, expected
):
    assert evaluation_code(history, exam, presentation) == expected


@pytest.mark.parametrize(
    ("history", "exam", "presentation", "field"),
    [
        (-1, 3, "stable", "history_factors"),
        (1.5, 3, "stable", "history_factors"),
        (1, 0, "stable", "exam_elements"),
        (1, "3", "stable", "exam_elements"),
        (1, 3, "critical", "presentation"),
    ],
)
def test_it_refuses_bad_evaluation_components(history, exam, presentation, field):
    with pytest.raises(BillingError) as caught:
        evaluation_code(history, exam, presentation)
    assert list(caught.value.as_dict()) == [field]


# code_visit ----------------------------------------------------------------------------------------------


def _lines(visit) -> dict[str, tuple[int, tuple[str, ...], tuple[int, ...]]]:
    return {line.code: (line.units, line.modifiers, line.diagnosis_pointers) for line in visit.lines}


def test_the_acceptance_case_bills_two_plus_one_units_under_cms():
    visit = code_visit(
        [ServiceLine("97110", 33, regions=("lumbar",)), ServiceLine("97140", 7, regions=("lumbar",))],
        PayerRules("cms"),
        [LUMBAR_DX],
    )
    assert _lines(visit) == {"97110": (2, (), (1,)), "97140": (1, (), (1,))}
    assert (visit.timed.total_minutes, visit.timed.total_units) == (40, 3)
    assert visit.diagnoses == ("M51.362",)


def test_the_same_visit_bills_two_units_under_the_ama_rule():
    visit = code_visit(
        [ServiceLine("97110", 33, regions=("lumbar",)), ServiceLine("97140", 7, regions=("lumbar",))],
        PayerRules("ama"),
        [LUMBAR_DX],
    )
    assert _lines(visit) == {"97110": (2, (), (1,)), "97140": (0, (), ())}
    assert not visit.lines[1].billable


def test_it_refuses_manual_therapy_on_the_region_that_was_manipulated():
    with pytest.raises(BillingError) as caught:
        code_visit(
            [ServiceLine("97140", 15, regions=("lumbar",)), ServiceLine("98940", regions=("lumbar",))],
            PayerRules("cms"),
            [LUMBAR_DX],
        )
    errors = caught.value.as_dict()
    assert list(errors) == ["services.0.regions"]
    assert "97140" in errors["services.0.regions"][0]
    assert "98940" in errors["services.0.regions"][0]
    assert "lumbar" in errors["services.0.regions"][0]


@pytest.mark.parametrize(("setting", "modifier"), [("59", "59"), ("XS", "XS")])
def test_it_adds_the_distinct_modifier_for_manual_therapy_on_another_region(setting, modifier):
    visit = code_visit(
        [ServiceLine("97140", 15, regions=("thoracic",)), ServiceLine("98940", regions=("lumbar",))],
        PayerRules("cms", distinct_modifier=setting),
        [LUMBAR_DX, THORACIC_DX],
    )
    assert _lines(visit) == {"97140": (1, (modifier,), (2,)), "98940": (1, (), (1,))}
    assert visit.lines[0].edits == ("therapy-with-cmt",)
    assert visit.warnings == ()


def test_it_warns_when_the_separate_region_has_no_diagnosis():
    visit = code_visit(
        [ServiceLine("97140", 15, regions=("thoracic",)), ServiceLine("98940", regions=("lumbar",))],
        PayerRules("cms"),
        [LUMBAR_DX],
    )
    assert _lines(visit)["97140"] == (1, ("59",), (1,))
    assert len(visit.warnings) == 1 and "thoracic" in visit.warnings[0]


@pytest.mark.parametrize("therapy", ["97124", "97112"])
def test_massage_and_neuromuscular_reeducation_follow_the_cmt_edit_too(therapy):
    with pytest.raises(BillingError):
        code_visit(
            [
                ServiceLine(therapy, 20, regions=("cervical",)),
                ServiceLine("98941", regions=LUMBAR_NECK_THORAX),
            ],
            PayerRules("cms"),
            [NECK_DX],
        )
    visit = code_visit(
        [ServiceLine(therapy, 20, regions=("pelvis",)), ServiceLine("98941", regions=LUMBAR_NECK_THORAX)],
        PayerRules("cms"),
        [NECK_DX],
    )
    assert _lines(visit)[therapy][1] == ("59",)


LUMBAR_NECK_THORAX = ("lumbar", "cervical", "thoracic")


def test_it_refuses_the_pair_when_a_line_has_no_regions_recorded():
    with pytest.raises(BillingError) as caught:
        code_visit(
            [ServiceLine("97140", 15), ServiceLine("98940", regions=("lumbar",))], PayerRules(), [LUMBAR_DX]
        )
    assert "record the regions treated on the 97140 line" in caught.value.as_dict()["services.0.regions"][0]


def test_an_unbilled_line_is_not_bundled():
    # 7 min of 97140 under the AMA rule bills nothing, so it cannot clash with the adjustment.
    visit = code_visit(
        [ServiceLine("97140", 7, regions=("lumbar",)), ServiceLine("98940", regions=("lumbar",))],
        PayerRules("ama"),
        [LUMBAR_DX],
    )
    assert _lines(visit) == {"97140": (0, (), ()), "98940": (1, (), (1,))}


def test_massage_with_manual_therapy_is_refused_on_one_region_and_modified_on_two():
    with pytest.raises(BillingError) as caught:
        code_visit(
            [ServiceLine("97124", 20, regions=("lumbar",)), ServiceLine("97140", 20, regions=("lumbar",))],
            PayerRules(),
            [LUMBAR_DX],
        )
    assert "choose the code by the technique" in caught.value.as_dict()["services.0.regions"][0]
    visit = code_visit(
        [ServiceLine("97124", 20, regions=("lumbar",)), ServiceLine("97140", 20, regions=("cervical",))],
        PayerRules(distinct_modifier="XS"),
        [LUMBAR_DX, NECK_DX],
    )
    # 40 min, 3 units: equal leftovers and minutes, so the lower code number gets the second unit.
    assert _lines(visit) == {"97124": (2, ("XS",), (1,)), "97140": (1, (), (2,))}


def test_a_payer_may_waive_the_configurable_massage_rule_only():
    visit = code_visit(
        [ServiceLine("97124", 20, regions=("lumbar",)), ServiceLine("97140", 20, regions=("lumbar",))],
        PayerRules(waived_rules=frozenset({"massage-with-manual-therapy"})),
        [LUMBAR_DX],
    )
    assert [line.modifiers for line in visit.lines] == [(), ()]
    with pytest.raises(BillingError) as caught:
        code_visit(
            [ServiceLine("97110", 20)],
            PayerRules(waived_rules=frozenset({"therapy-with-cmt", "nope"})),
            [LUMBAR_DX],
        )
    messages = caught.value.as_dict()["payer.waived_rules"]
    assert any("cannot be waived" in m for m in messages) and any("nope" in m for m in messages)


@pytest.mark.parametrize(("setting", "modifier"), [("59", "59"), ("XS", "XU")])
def test_manual_therapy_with_a_pt_evaluation_always_takes_a_modifier(setting, modifier):
    visit = code_visit(
        [ServiceLine("97162"), ServiceLine("97140", 10, regions=("lumbar",))],
        PayerRules("cms", distinct_modifier=setting),
        [LUMBAR_DX],
    )
    assert _lines(visit) == {"97162": (1, (), (1,)), "97140": (1, (modifier,), (1,))}
    assert visit.warnings == ()


def test_it_points_each_line_to_the_diagnoses_of_its_regions_up_to_four():
    diagnoses = [
        DiagnosisRef("M54.2", "cervical"),
        DiagnosisRef("M51.362", "lumbar"),
        DiagnosisRef("M54.6", "thoracic"),
        DiagnosisRef("M25.511", "shoulder-right"),
        DiagnosisRef("M54.16", "lumbar"),
        DiagnosisRef("M53.3", "sacral"),
        DiagnosisRef("M53.2X8", "sacral"),
    ]
    visit = code_visit(
        [
            ServiceLine("97110", 30, regions=("shoulder-right", "lumbar", "sacral")),
            ServiceLine("97530", 15, regions=("knee-left",)),
        ],
        PayerRules(),
        diagnoses,
    )
    assert _lines(visit) == {"97110": (2, (), (2, 4, 5, 6)), "97530": (1, (), (1,))}


def test_it_checks_the_cmt_code_against_its_regions():
    with pytest.raises(BillingError) as caught:
        code_visit(
            [ServiceLine("98940", regions=("cervical", "thoracic", "lumbar"))], PayerRules(), [NECK_DX]
        )
    assert "bill 98941" in caught.value.as_dict()["services.0.code"][0]
    with pytest.raises(BillingError) as caught:
        code_visit([ServiceLine("98940", regions=("lumbar", "knee-left"))], PayerRules(), [LUMBAR_DX])
    assert "98943" in caught.value.as_dict()["services.0.regions"][0]
    with pytest.raises(BillingError) as caught:
        code_visit([ServiceLine("98943", regions=("lumbar",))], PayerRules(), [LUMBAR_DX])
    assert "98940-98942" in caught.value.as_dict()["services.0.regions"][0]
    visit = code_visit(
        [ServiceLine("98941", regions=LUMBAR_NECK_THORAX), ServiceLine("98943", regions=("shoulder-left",))],
        PayerRules(),
        [LUMBAR_DX],
    )
    assert [line.units for line in visit.lines] == [1, 1]


BAD_VISITS = [
    ([ServiceLine("99999", 10)], PayerRules(), [LUMBAR_DX], "services.0.code"),
    ([ServiceLine("97110", 10), ServiceLine("97110", 5)], PayerRules(), [LUMBAR_DX], "services.1.code"),
    ([ServiceLine("97110")], PayerRules(), [LUMBAR_DX], "services.0.minutes"),
    ([ServiceLine("97110", -3)], PayerRules(), [LUMBAR_DX], "services.0.minutes"),
    ([ServiceLine("97110", 12.5)], PayerRules(), [LUMBAR_DX], "services.0.minutes"),
    ([ServiceLine("97110", 10, units=2)], PayerRules(), [LUMBAR_DX], "services.0.units"),
    ([ServiceLine("97161", 30)], PayerRules(), [LUMBAR_DX], "services.0.minutes"),
    ([ServiceLine("97161", units=2)], PayerRules(), [LUMBAR_DX], "services.0.units"),
    ([ServiceLine("97010", units=0)], PayerRules(), [LUMBAR_DX], "services.0.units"),
    ([ServiceLine("98940")], PayerRules(), [LUMBAR_DX], "services.0.regions"),
    ([ServiceLine("97110", 10, regions=("lower-back",))], PayerRules(), [LUMBAR_DX], "services.0.regions.0"),
    ([], PayerRules(), [LUMBAR_DX], "services"),
    ([ServiceLine("97110", 10)], PayerRules("medicare"), [LUMBAR_DX], "payer.timed_rule"),
    ([ServiceLine("97110", 10)], PayerRules(distinct_modifier="XU"), [LUMBAR_DX], "payer.distinct_modifier"),
    ([ServiceLine("97110", 10)], PayerRules(), [], "diagnoses"),
    ([ServiceLine("97110", 10)], PayerRules(), [DiagnosisRef("M51")], "diagnoses.0.code"),
    ([ServiceLine("97110", 10)], PayerRules(), [DiagnosisRef("XYZ.1")], "diagnoses.0.code"),
    ([ServiceLine("97110", 10)], PayerRules(), [LUMBAR_DX, DiagnosisRef("m51362")], "diagnoses.1.code"),
    ([ServiceLine("97110", 10)], PayerRules(), [DiagnosisRef("M54.2", "neck")], "diagnoses.0.body_site"),
    ([ServiceLine("97110", 10)], PayerRules(), [DiagnosisRef("M54.2")] * 13, "diagnoses"),
]


@pytest.mark.parametrize(("services", "payer", "diagnoses", "field"), BAD_VISITS)
def test_it_refuses_a_bad_visit_naming_the_field(services, payer, diagnoses, field):
    with pytest.raises(BillingError) as caught:
        code_visit(services, payer, diagnoses)
    assert field in caught.value.as_dict(), caught.value.as_dict()


# The catalog files ---------------------------------------------------------------------------------------


def test_the_code_catalog_covers_the_reference_codes_with_sources():
    catalog = load_codes(DEFAULT_CODES_PATH)
    reference = {"97124", "97140", "97110", "97112", "97530", "97161", "97162", "97163", "98940", "98941"}
    reference |= {"98942", "98943", "97010", "97014", "G0283", "20560", "20561", "97116", "97035"}
    assert {c.code for c in catalog.codes} == reference
    assert all(c.source and c.description and c.disciplines for c in catalog.codes)
    assert catalog.timed_codes() == {"97124", "97140", "97110", "97112", "97530", "97116", "97035"}


def test_the_bundling_rules_load_with_their_pairs_and_sources():
    rules = load_ncci(DEFAULT_NCCI_PATH, load_codes())
    cmt = rules.rule("therapy-with-cmt")
    assert cmt.codes == {"97140", "97124", "97112"} and cmt.with_codes == {"98940", "98941", "98942"}
    assert (cmt.same_region, cmt.different_region, cmt.configurable) == ("refuse", "modifier", False)
    assert rules.rule("massage-with-manual-therapy").configurable
    evaluation = rules.rule("manual-therapy-with-pt-evaluation")
    assert evaluation.with_codes == {"97161", "97162", "97163"} and evaluation.same_region == "modifier"
    assert all(rule.sources and rule.message for rule in rules.rules)


def _codes_document() -> dict:
    with open(DEFAULT_CODES_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _ncci_document() -> dict:
    with open(DEFAULT_NCCI_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"code": 97110}, "entry 0: code 97110 must be a quoted"),
        ({"timed": "yes"}, "code 97124: `timed` must be true or false"),
        ({"disciplines": ["acupuncture"]}, "code 97124: unknown discipline 'acupuncture'"),
        ({"source": ""}, "code 97124: no source"),
        ({"description": " "}, "code 97124: no description"),
        ({"max_units": 1}, "code 97124: `max_units` applies to untimed codes only"),
        ({"colour": "red"}, "code 97124: unknown key 'colour'"),
        ({"code": "97140"}, "code 97140: listed twice"),
    ],
)
def test_a_bad_codes_file_fails_loudly_naming_the_entry(change, problem):
    document = copy.deepcopy(_codes_document())
    document["codes"][0].update(change)
    with pytest.raises(CatalogError) as caught:
        parse_codes(document)
    assert any(problem in text for text in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"codes": ["97999"]}, "rule therapy-with-cmt: `codes` names '97999', which is not in codes.yaml"),
        ({"with": []}, "rule therapy-with-cmt: `with` must be a non-empty list of codes"),
        ({"same_region": "allow"}, "rule therapy-with-cmt: `same_region` must be one of refuse, modifier"),
        ({"x_modifier": "59"}, "rule therapy-with-cmt: `x_modifier` must be one of XE, XP, XS, XU"),
        (
            {"message": "{code} on {site}"},
            "rule therapy-with-cmt: the message may use only {code}, {other} and {region}",
        ),
        ({"sources": []}, "rule therapy-with-cmt: `sources` must be a non-empty list"),
        ({"id": "massage-with-manual-therapy"}, "rule massage-with-manual-therapy: the id is used twice"),
    ],
)
def test_a_bad_bundling_file_fails_loudly_naming_the_rule(change, problem):
    document = copy.deepcopy(_ncci_document())
    document["rules"][0].update(change)
    with pytest.raises(CatalogError) as caught:
        parse_ncci(document, load_codes())
    assert any(problem in text for text in caught.value.problems), caught.value.problems


def test_an_empty_catalog_file_is_refused():
    with pytest.raises(CatalogError):
        parse_codes(None)
    with pytest.raises(CatalogError):
        parse_ncci({"rules": []}, load_codes())


def test_the_billing_rules_import_no_django():
    import subprocess
    import sys

    code = (
        "import sys, tandem.billing.coding, tandem.billing.catalog; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "[]"
