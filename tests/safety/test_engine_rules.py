"""Table-driven tests of the pure safety engine against the real rules.yaml.

Every rule has at least one case that fires and one near case that does not; a rule without both fails
`test_it_has_a_firing_and_a_near_case_for_every_rule`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tandem.safety.engine import (
    ConditionFact,
    FactorFact,
    PatientFacts,
    PlannedActivity,
    UnknownCodes,
    check,
    load_rules,
)


def facts(
    *,
    conditions: tuple[ConditionFact, ...] = (),
    meds: tuple[str, ...] = (),
    factors: tuple[FactorFact, ...] = (),
    red: tuple[str, ...] = (),
    age: int | None = 40,
) -> PatientFacts:
    return PatientFacts(conditions, frozenset(meds), factors, frozenset(red), age)


def cond(code: str, *sites: str, status: str = "active") -> ConditionFact:
    return ConditionFact(code, tuple(sites), "structural", status)


def fac(code: str, site: str = "") -> FactorFact:
    return FactorFact(code, site)


def act(technique: str, *sites: str, pressure: str = "") -> PlannedActivity:
    return PlannedActivity(technique, tuple(sites), pressure)


@dataclass(frozen=True)
class Case:
    rule: str
    fires: bool
    facts: PatientFacts
    activity: PlannedActivity
    note: str = ""


SWEDISH_NECK = act("massage-swedish", "cervical")
DEEP_LUMBAR = act("massage-deep-tissue", "lumbar")
HVLA_NECK = act("chiro-hvla", "cervical")
HVLA_LUMBAR = act("chiro-hvla", "lumbar")

CASES: tuple[Case, ...] = (
    # Massage, general class.
    Case("massage-fever", True, facts(factors=(fac("fever"),)), SWEDISH_NECK),
    Case(
        "massage-fever", True, facts(red=("fever-chills",)), act("massage-lymphatic-drainage", "thigh-left")
    ),
    Case("massage-fever", True, facts(conditions=(cond("R50.9"),)), DEEP_LUMBAR),
    Case("massage-fever", False, facts(factors=(fac("fever"),)), HVLA_LUMBAR, "not a massage"),
    Case(
        "massage-fever",
        False,
        facts(conditions=(cond("R50.9", status="resolved"),)),
        SWEDISH_NECK,
        "resolved",
    ),
    Case("massage-contagious-disease", True, facts(conditions=(cond("U07.1"),)), SWEDISH_NECK),
    Case("massage-contagious-disease", True, facts(factors=(fac("contagious-disease"),)), DEEP_LUMBAR),
    Case("massage-contagious-disease", False, facts(conditions=(cond("J45.909"),)), SWEDISH_NECK, "asthma"),
    Case(
        "massage-acute-medical-condition",
        True,
        facts(factors=(fac("acute-medical-condition"),)),
        SWEDISH_NECK,
    ),
    Case("massage-acute-medical-condition", True, facts(red=("saddle-anaesthesia",)), SWEDISH_NECK),
    Case("massage-acute-medical-condition", False, facts(red=("night-pain",)), SWEDISH_NECK),
    Case("massage-unstable-hypertension", True, facts(conditions=(cond("I16.0"),)), SWEDISH_NECK),
    Case("massage-unstable-hypertension", True, facts(factors=(fac("unstable-hypertension"),)), SWEDISH_NECK),
    Case(
        "massage-unstable-hypertension", False, facts(conditions=(cond("I10"),)), SWEDISH_NECK, "controlled"
    ),
    Case(
        "massage-dvt", True, facts(conditions=(cond("I82.402", "lower-leg-left"),)), SWEDISH_NECK, "general"
    ),
    Case(
        "massage-dvt", True, facts(factors=(fac("dvt", "lower-leg-right"),)), act("massage-swedish", "head")
    ),
    Case("massage-dvt", False, facts(conditions=(cond("I83.90"),)), SWEDISH_NECK, "varicose veins only"),
    Case("massage-dvt", False, facts(factors=(fac("dvt"),)), act("pt-therapeutic-exercise", "knee-left")),
    # Massage, local class: the area and its neighbours only.
    Case(
        "massage-local-inflammatory-flare",
        True,
        facts(factors=(fac("inflammatory-flare", "wrist-hand-left"),)),
        act("massage-swedish", "forearm-left"),
    ),
    Case(
        "massage-local-inflammatory-flare",
        False,
        facts(factors=(fac("inflammatory-flare", "wrist-hand-left"),)),
        act("massage-swedish", "wrist-hand-right"),
    ),
    Case(
        "massage-local-aneurysm",
        True,
        facts(factors=(fac("aneurysm", "knee-left"),)),
        act("massage-swedish", "knee-left"),
    ),
    Case("massage-local-aneurysm", False, facts(factors=(fac("aneurysm", "knee-left"),)), SWEDISH_NECK),
    Case(
        "massage-aortic-aneurysm",
        True,
        facts(conditions=(cond("I71.40"),)),
        act("massage-swedish", "abdomen"),
    ),
    Case("massage-aortic-aneurysm", True, facts(factors=(fac("aortic-aneurysm"),)), DEEP_LUMBAR),
    Case(
        "massage-aortic-aneurysm",
        False,
        facts(factors=(fac("aortic-aneurysm"),)),
        act("massage-swedish", "knee-left"),
    ),
    Case(
        "massage-local-skin-condition",
        True,
        facts(factors=(fac("skin-condition", "upper-arm-right"),)),
        act("massage-swedish", "shoulder-right"),
    ),
    Case(
        "massage-local-skin-condition",
        False,
        facts(factors=(fac("skin-condition", "upper-arm-right"),)),
        act("massage-swedish", "wrist-hand-right"),
    ),
    Case(
        "massage-local-open-wound",
        True,
        facts(factors=(fac("open-wound", "knee-left"),)),
        act("massage-swedish", "knee-left"),
    ),
    Case(
        "massage-local-open-wound",
        True,
        facts(factors=(fac("open-wound", "knee-left"),)),
        act("massage-deep-tissue", "thigh-left"),
    ),
    Case(
        "massage-local-open-wound",
        True,
        facts(factors=(fac("open-wound", "knee-left"),)),
        act("massage-sports", "lower-leg-left"),
    ),
    Case(
        "massage-local-open-wound",
        False,
        facts(factors=(fac("open-wound", "knee-left"),)),
        act("massage-swedish", "knee-right"),
    ),
    Case("massage-local-open-wound", False, facts(factors=(fac("open-wound", "knee-left"),)), SWEDISH_NECK),
    Case(
        "massage-local-open-wound",
        True,
        facts(conditions=(cond("S81.012A", "knee-left"),)),
        act("massage-swedish", "knee-left"),
    ),
    Case(
        "massage-local-recent-surgery",
        True,
        facts(factors=(fac("recent-surgery", "shoulder-left"),)),
        act("massage-swedish", "cervical"),
    ),
    Case(
        "massage-local-recent-surgery",
        False,
        facts(factors=(fac("recent-surgery", "shoulder-left"),)),
        act("massage-swedish", "lumbar"),
    ),
    Case(
        "massage-local-recent-burn",
        True,
        facts(factors=(fac("recent-burn", "forearm-right"),)),
        act("massage-swedish", "elbow-right"),
    ),
    Case(
        "massage-local-recent-burn",
        False,
        facts(factors=(fac("recent-burn", "forearm-right"),)),
        act("massage-swedish", "shoulder-right"),
    ),
    Case(
        "massage-local-varicosities",
        True,
        facts(conditions=(cond("I83.90", "lower-leg-right"),)),
        act("massage-swedish", "lower-leg-right"),
    ),
    Case(
        "massage-local-varicosities",
        False,
        facts(conditions=(cond("I83.90", "lower-leg-right"),)),
        act("massage-swedish", "thigh-left"),
    ),
    Case(
        "massage-local-malignancy",
        True,
        facts(factors=(fac("malignancy", "thigh-left"),)),
        act("massage-swedish", "thigh-left"),
    ),
    Case(
        "massage-local-malignancy",
        True,
        facts(conditions=(cond("C50.911"),)),
        SWEDISH_NECK,
        "site not recorded",
    ),
    Case("massage-local-malignancy", False, facts(factors=(fac("malignancy", "thigh-left"),)), SWEDISH_NECK),
    Case(
        "massage-local-fracture",
        True,
        facts(factors=(fac("recent-fracture", "knee-left"),)),
        act("massage-swedish", "knee-left"),
    ),
    Case(
        "massage-local-fracture",
        True,
        facts(conditions=(cond("S82.001A", "knee-left"),)),
        act("massage-swedish", "lower-leg-left"),
    ),
    Case(
        "massage-local-fracture",
        False,
        facts(factors=(fac("recent-fracture", "knee-left"),)),
        act("massage-swedish", "knee-right"),
    ),
    Case(
        "massage-local-fracture", False, facts(factors=(fac("recent-fracture", "knee-left"),)), SWEDISH_NECK
    ),
    Case(
        "massage-local-weakened-bone",
        True,
        facts(factors=(fac("bone-metastasis", "thoracic"),)),
        act("massage-swedish", "rib-cage"),
    ),
    Case(
        "massage-local-weakened-bone",
        False,
        facts(factors=(fac("bone-metastasis", "thoracic"),)),
        act("massage-swedish", "knee-left"),
    ),
    # Massage, relative class.
    Case("massage-anticoagulant-deep", True, facts(meds=("anticoagulant",)), DEEP_LUMBAR),
    Case(
        "massage-anticoagulant-deep",
        True,
        facts(conditions=(cond("D69.6"),)),
        act("massage-trigger-point", "cervical"),
    ),
    Case(
        "massage-anticoagulant-deep",
        True,
        facts(factors=(fac("low-platelets"),)),
        act("massage-myofascial-release", "thoracic"),
    ),
    Case("massage-anticoagulant-deep", False, facts(meds=("anticoagulant",)), SWEDISH_NECK, "light massage"),
    Case("massage-anticoagulant-deep", False, facts(meds=("corticosteroid",)), DEEP_LUMBAR),
    Case("massage-anticoagulant-light", True, facts(meds=("anticoagulant",)), SWEDISH_NECK),
    Case(
        "massage-anticoagulant-light",
        True,
        facts(factors=(fac("bleeding-disorder"),)),
        act("massage-lymphatic-drainage", "thigh-left"),
    ),
    Case(
        "massage-anticoagulant-light",
        False,
        facts(meds=("anticoagulant",)),
        DEEP_LUMBAR,
        "deep is blocked instead",
    ),
    Case("massage-anticoagulant-light", False, facts(), SWEDISH_NECK),
    Case(
        "massage-anticoagulant-light",
        True,
        facts(meds=("anticoagulant",)),
        act("massage-swedish", "cervical", pressure="moderate"),
        "moderate",
    ),
    Case(
        "massage-anticoagulant-light",
        False,
        facts(meds=("anticoagulant",)),
        act("massage-swedish", "cervical", pressure="firm"),
        "firm is blocked instead",
    ),
    # Pressure: firm or deep pressure of any massage is blocked for a bleeding risk; unstated counts.
    Case(
        "massage-anticoagulant-firm",
        True,
        facts(meds=("anticoagulant",)),
        act("massage-swedish", "cervical", pressure="firm"),
        "firm",
    ),
    Case(
        "massage-anticoagulant-firm",
        True,
        facts(factors=(fac("bleeding-disorder"),)),
        act("massage-lymphatic-drainage", "thigh-left", pressure="deep"),
        "deep",
    ),
    Case(
        "massage-anticoagulant-firm",
        True,
        facts(conditions=(cond("D69.6"),)),
        act("massage-swedish", "lumbar", pressure="firm"),
        "low platelets",
    ),
    Case(
        "massage-anticoagulant-firm",
        False,
        facts(meds=("anticoagulant",)),
        act("massage-deep-tissue", "lumbar", pressure="firm"),
        "deep techniques have their own rule",
    ),
    Case(
        "massage-anticoagulant-firm",
        True,
        facts(meds=("anticoagulant",)),
        SWEDISH_NECK,
        "pressure not stated",
    ),
    Case(
        "massage-anticoagulant-firm",
        False,
        facts(meds=("anticoagulant",)),
        act("massage-swedish", "cervical", pressure="moderate"),
        "moderate",
    ),
    Case(
        "massage-anticoagulant-firm",
        False,
        facts(meds=("antiplatelet",)),
        act("massage-swedish", "cervical", pressure="deep"),
        "no bleeding risk named",
    ),
    Case(
        "massage-anticoagulant-firm",
        False,
        facts(meds=("anticoagulant",)),
        act("chiro-mobilization", "lumbar", pressure="firm"),
        "not a massage",
    ),
    Case("massage-antiplatelet-deep", True, facts(meds=("antiplatelet",)), DEEP_LUMBAR),
    Case("massage-antiplatelet-deep", False, facts(meds=("antiplatelet",)), SWEDISH_NECK),
    Case("massage-cancer-deep", True, facts(factors=(fac("cancer"),)), DEEP_LUMBAR),
    Case("massage-cancer-deep", True, facts(conditions=(cond("C61"),)), act("massage-sports", "thigh-left")),
    Case("massage-cancer-deep", False, facts(conditions=(cond("Z85.46"),)), DEEP_LUMBAR, "history only"),
    Case("massage-osteoporosis-deep", True, facts(conditions=(cond("M81.0"),)), DEEP_LUMBAR),
    Case(
        "massage-osteoporosis-deep",
        True,
        facts(meds=("bisphosphonate",)),
        act("massage-trigger-point", "cervical"),
    ),
    Case("massage-osteoporosis-deep", False, facts(conditions=(cond("M81.0"),)), SWEDISH_NECK),
    Case("massage-pregnancy", True, facts(factors=(fac("pregnancy"),)), SWEDISH_NECK),
    Case("massage-pregnancy", True, facts(conditions=(cond("Z33.1"),)), SWEDISH_NECK),
    Case(
        "massage-pregnancy",
        False,
        facts(factors=(fac("pregnancy"),)),
        act("pt-therapeutic-exercise", "lumbar"),
    ),
    Case(
        "massage-pregnancy-legs-deep",
        True,
        facts(factors=(fac("pregnancy"),)),
        act("massage-deep-tissue", "lower-leg-left"),
    ),
    Case(
        "massage-pregnancy-legs-deep",
        False,
        facts(factors=(fac("pregnancy"),)),
        act("massage-swedish", "lower-leg-left"),
    ),
    Case("massage-pregnancy-legs-deep", False, facts(factors=(fac("pregnancy"),)), DEEP_LUMBAR),
    # Degenerative disc disease with instability.
    Case(
        "ddd-instability-soft-tissue",
        True,
        facts(conditions=(cond("M51.362", "lumbar"),), factors=(fac("instability", "lumbar"),)),
        DEEP_LUMBAR,
    ),
    Case(
        "ddd-instability-soft-tissue",
        True,
        facts(conditions=(cond("M51.362", "lumbar"), cond("M53.2X6", "lumbar"))),
        act("massage-myofascial-release", "sacral"),
    ),
    Case(
        "ddd-instability-soft-tissue",
        False,
        facts(conditions=(cond("M51.362", "lumbar"),)),
        DEEP_LUMBAR,
        "stable",
    ),
    Case(
        "ddd-instability-soft-tissue",
        False,
        facts(conditions=(cond("M51.362", "lumbar"),), factors=(fac("instability", "lumbar"),)),
        act("massage-deep-tissue", "cervical"),
    ),
    # Spinal manipulation (Hawk et al. 2020).
    Case("manipulation-bone-tumour", True, facts(conditions=(cond("C79.51", "lumbar"),)), HVLA_LUMBAR),
    Case("manipulation-bone-tumour", False, facts(conditions=(cond("C79.51", "lumbar"),)), HVLA_NECK),
    Case("manipulation-severe-osteoporosis", True, facts(factors=(fac("severe-osteoporosis"),)), HVLA_NECK),
    Case(
        "manipulation-severe-osteoporosis",
        True,
        facts(conditions=(cond("M80.08XA"),)),
        act("chiro-drop-table", "pelvis"),
    ),
    Case(
        "manipulation-severe-osteoporosis",
        False,
        facts(factors=(fac("severe-osteoporosis"),)),
        act("chiro-activator", "lumbar"),
    ),
    Case(
        "manipulation-instability",
        True,
        facts(factors=(fac("instability", "lumbar"),)),
        act("chiro-mobilization", "sacral"),
    ),
    Case("manipulation-instability", True, facts(conditions=(cond("M53.2X6", "lumbar"),)), HVLA_LUMBAR),
    Case("manipulation-instability", False, facts(factors=(fac("instability", "lumbar"),)), HVLA_NECK),
    Case("manipulation-osteomyelitis", True, facts(conditions=(cond("M46.26", "lumbar"),)), HVLA_LUMBAR),
    Case("manipulation-osteomyelitis", False, facts(conditions=(cond("M46.26", "lumbar"),)), HVLA_NECK),
    Case(
        "manipulation-inflammatory-flare",
        True,
        facts(factors=(fac("inflammatory-flare", "cervical"),)),
        HVLA_NECK,
    ),
    Case(
        "manipulation-inflammatory-flare",
        False,
        facts(factors=(fac("inflammatory-flare", "cervical"),)),
        HVLA_LUMBAR,
    ),
    Case("manipulation-rheumatoid-arthritis", True, facts(conditions=(cond("M06.9"),)), HVLA_LUMBAR),
    Case(
        "manipulation-rheumatoid-arthritis",
        False,
        facts(conditions=(cond("M06.9"),)),
        act("chiro-hvla", "knee-left"),
    ),
    Case(
        "manipulation-rheumatoid-arthritis",
        False,
        facts(conditions=(cond("M06.9", status="remission"),)),
        HVLA_LUMBAR,
    ),
    Case(
        "manipulation-atlantoaxial-instability",
        True,
        facts(factors=(fac("atlantoaxial-instability"),)),
        HVLA_NECK,
    ),
    Case(
        "manipulation-atlantoaxial-instability",
        False,
        facts(factors=(fac("atlantoaxial-instability"),)),
        HVLA_LUMBAR,
    ),
    Case(
        "manipulation-progressive-neuro-deficit", True, facts(red=("progressive-neuro-deficit",)), HVLA_LUMBAR
    ),
    Case("manipulation-progressive-neuro-deficit", False, facts(red=("night-pain",)), HVLA_LUMBAR),
    Case("manipulation-cord-tumour", True, facts(conditions=(cond("D33.4"),)), act("chiro-hvla", "thoracic")),
    Case(
        "manipulation-cord-tumour",
        False,
        facts(conditions=(cond("D33.4"),)),
        act("chiro-hvla", "shoulder-left"),
    ),
    Case("manipulation-bleeding-disorder", True, facts(conditions=(cond("D66"),)), HVLA_NECK),
    Case(
        "manipulation-bleeding-disorder",
        False,
        facts(conditions=(cond("D66"),)),
        act("chiro-activator", "cervical"),
    ),
    Case("manipulation-anticoagulant", True, facts(meds=("anticoagulant",)), HVLA_LUMBAR),
    Case("manipulation-anticoagulant", False, facts(meds=("antiplatelet",)), HVLA_LUMBAR),
    Case("manipulation-aortic-aneurysm", True, facts(conditions=(cond("I71.40"),)), HVLA_LUMBAR),
    Case("manipulation-aortic-aneurysm", False, facts(conditions=(cond("I71.40"),)), HVLA_NECK),
    # Cervical manipulation (OSU CPG).
    Case(
        "cervical-manipulation-worsening-neuro",
        True,
        facts(factors=(fac("progressive-neuro-deficit"),)),
        HVLA_NECK,
    ),
    Case(
        "cervical-manipulation-worsening-neuro",
        False,
        facts(factors=(fac("progressive-neuro-deficit"),)),
        act("chiro-mobilization", "cervical"),
    ),
    Case("cervical-manipulation-umn-signs", True, facts(red=("upper-motor-neuron-signs",)), HVLA_NECK),
    Case("cervical-manipulation-umn-signs", False, facts(red=("upper-motor-neuron-signs",)), HVLA_LUMBAR),
    Case(
        "cervical-manipulation-multilevel-root",
        True,
        facts(factors=(fac("multilevel-root-involvement"),)),
        HVLA_NECK,
    ),
    Case(
        "cervical-manipulation-multilevel-root",
        False,
        facts(factors=(fac("multilevel-root-involvement"),)),
        HVLA_LUMBAR,
    ),
    Case("cervical-manipulation-night-pain", True, facts(red=("night-pain",)), HVLA_NECK),
    Case("cervical-manipulation-night-pain", False, facts(red=("night-pain",)), HVLA_LUMBAR),
    Case("cervical-manipulation-recent-trauma", True, facts(red=("major-trauma",)), HVLA_NECK),
    Case(
        "cervical-manipulation-recent-trauma",
        True,
        facts(factors=(fac("recent-trauma", "cervical"),)),
        HVLA_NECK,
    ),
    Case(
        "cervical-manipulation-recent-trauma",
        False,
        facts(factors=(fac("recent-trauma", "knee-left"),)),
        HVLA_NECK,
    ),
    Case(
        "cervical-manipulation-artery-dissection", True, facts(red=("headache-dizziness-visual",)), HVLA_NECK
    ),
    Case(
        "cervical-manipulation-artery-dissection",
        False,
        facts(red=("headache-dizziness-visual",)),
        HVLA_LUMBAR,
    ),
    Case("cervical-manipulation-hypermobility", True, facts(conditions=(cond("M35.7"),)), HVLA_NECK),
    Case(
        "cervical-manipulation-hypermobility",
        False,
        facts(factors=(fac("hypermobility", "knee-left"),)),
        HVLA_NECK,
    ),
    Case("cervical-manipulation-osteoporosis", True, facts(conditions=(cond("M81.0"),)), HVLA_NECK),
    Case("cervical-manipulation-osteoporosis", False, facts(conditions=(cond("M81.0"),)), HVLA_LUMBAR),
    Case("cervical-manipulation-history-of-cancer", True, facts(conditions=(cond("Z85.3"),)), HVLA_NECK),
    Case("cervical-manipulation-history-of-cancer", False, facts(conditions=(cond("Z86.010"),)), HVLA_NECK),
    Case("cervical-manipulation-age", True, facts(age=56), HVLA_NECK),
    Case("cervical-manipulation-age", False, facts(age=55), HVLA_NECK, "over 55 means 56 and up"),
    Case("cervical-manipulation-age", False, facts(age=70), HVLA_LUMBAR),
    Case("cervical-manipulation-steroids", True, facts(meds=("corticosteroid",)), HVLA_NECK),
    Case(
        "cervical-manipulation-steroids",
        False,
        facts(meds=("corticosteroid",)),
        act("massage-swedish", "cervical"),
    ),
    Case("cervical-manipulation-inflammatory-disease", True, facts(conditions=(cond("M45.9"),)), HVLA_NECK),
    Case("cervical-manipulation-inflammatory-disease", False, facts(conditions=(cond("M54.2"),)), HVLA_NECK),
    # WHO 2005 absolute contraindications.
    Case(
        "who-cauda-equina",
        True,
        facts(red=("bladder-bowel-dysfunction",)),
        act("chiro-flexion-distraction", "lumbar"),
    ),
    Case("who-cauda-equina", True, facts(conditions=(cond("G83.4"),)), act("chiro-activator", "cervical")),
    Case("who-cauda-equina", False, facts(red=("bladder-bowel-dysfunction",)), act("pt-heat-cold", "lumbar")),
    Case(
        "who-acute-fracture",
        True,
        facts(conditions=(cond("S32.001A", "lumbar"),)),
        act("chiro-mobilization", "lumbar"),
    ),
    Case("who-acute-fracture", False, facts(conditions=(cond("S32.001A", "lumbar"),)), HVLA_NECK),
    Case("who-spinal-malignancy", True, facts(conditions=(cond("C41.2"),)), HVLA_NECK),
    Case(
        "who-spinal-malignancy",
        False,
        facts(conditions=(cond("C41.2"),)),
        act("chiro-hvla", "wrist-hand-left"),
    ),
    Case(
        "who-dens-instability",
        True,
        facts(conditions=(cond("Q76.49"),)),
        act("chiro-mobilization", "cervical"),
    ),
    Case(
        "who-dens-instability",
        False,
        facts(conditions=(cond("Q76.49"),)),
        act("chiro-mobilization", "lumbar"),
    ),
    Case(
        "who-disc-herniation-progressive-deficit",
        True,
        facts(conditions=(cond("M51.26", "lumbar"),), red=("progressive-neuro-deficit",)),
        HVLA_LUMBAR,
    ),
    Case(
        "who-disc-herniation-progressive-deficit",
        False,
        facts(conditions=(cond("M51.26", "lumbar"),)),
        HVLA_LUMBAR,
        "no deficit",
    ),
    Case("who-vertebrobasilar-insufficiency", True, facts(conditions=(cond("G45.0"),)), HVLA_NECK),
    Case("who-vertebrobasilar-insufficiency", False, facts(conditions=(cond("G45.0"),)), HVLA_LUMBAR),
    # Red flags.
    Case("red-flag-refer", True, facts(red=("unexplained-weight-loss",)), SWEDISH_NECK),
    Case(
        "red-flag-refer",
        False,
        facts(red=("unexplained-weight-loss",)),
        act("pt-therapeutic-exercise", "lumbar"),
    ),
)


def _case_id(case: Case) -> str:
    return f"{case.rule}-{'fires' if case.fires else 'quiet'}-{case.activity.technique}-{case.note}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_it_fires_each_rule_exactly_when_it_applies(case):
    fired = {finding.rule for finding in check(case.facts, [case.activity])}
    assert (case.rule in fired) is case.fires


def test_it_has_a_firing_and_a_near_case_for_every_rule():
    rules = {rule.id for rule in load_rules().rules}
    firing = {case.rule for case in CASES if case.fires}
    quiet = {case.rule for case in CASES if not case.fires}
    assert not rules - firing, f"rules without a case that fires: {sorted(rules - firing)}"
    assert not rules - quiet, f"rules without a near case that does not fire: {sorted(rules - quiet)}"
    assert not (firing | quiet) - rules, (
        f"cases for rules that do not exist: {sorted((firing | quiet) - rules)}"
    )


# Anchor cases from the brief -----------------------------------------------------------------------------


def test_it_contraindicates_deep_tissue_on_the_lumbar_spine_with_warfarin():
    robert = facts(meds=("anticoagulant",), conditions=(cond("M51.362", "lumbar"),), age=58)
    [finding] = [f for f in check(robert, [DEEP_LUMBAR])]
    assert finding.severity == "contraindicated"
    assert finding.rule == "massage-anticoagulant-deep"
    assert "NCCIH" in finding.message and "NCCIH" in finding.source


def test_it_finds_nothing_for_swedish_massage_of_the_neck_without_risks():
    assert check(facts(age=40), [SWEDISH_NECK]) == []


def test_it_only_cautions_light_massage_with_an_anticoagulant():
    findings = check(facts(meds=("anticoagulant",)), [act("massage-swedish", "cervical", pressure="light")])
    assert [(f.severity, f.rule) for f in findings] == [("precaution", "massage-anticoagulant-light")]
    assert "Light pressure" in findings[0].message


@pytest.mark.parametrize("pressure", ["firm", "deep", ""])
def test_it_contraindicates_swedish_massage_at_firm_unknown_or_deep_pressure_with_warfarin(pressure):
    findings = check(facts(meds=("anticoagulant",)), [act("massage-swedish", "lumbar", pressure=pressure)])
    assert ("contraindicated", "massage-anticoagulant-firm") in [(f.severity, f.rule) for f in findings]
    assert "NCCIH" in findings[0].source


def test_it_checks_each_activity_at_its_own_pressure():
    findings = check(
        facts(meds=("anticoagulant",)),
        [
            act("massage-swedish", "cervical", pressure="light"),
            act("massage-swedish", "lumbar", pressure="deep"),
        ],
    )
    assert {(f.rule, f.body_site) for f in findings if f.severity == "contraindicated"} == {
        ("massage-anticoagulant-firm", "")
    }
    # One finding per rule, technique and site: the whole-body finding of the deep activity stands.
    assert [f.severity for f in findings][0] == "contraindicated"


def test_it_names_an_unknown_pressure():
    with pytest.raises(UnknownCodes) as caught:
        check(facts(), [act("massage-swedish", "lumbar", pressure="crushing")])
    assert caught.value.pressures == ["crushing"]
    assert caught.value.errors[0][0] == "activities.0.pressure"


def test_it_keeps_a_local_contraindication_to_the_area_and_its_neighbours():
    wound = facts(factors=(fac("open-wound", "knee-left"),))
    everywhere = act("massage-swedish", "knee-left", "thigh-left", "lower-leg-left", "cervical", "knee-right")
    blocked = {f.body_site for f in check(wound, [everywhere]) if f.severity == "contraindicated"}
    assert blocked == {"knee-left", "thigh-left", "lower-leg-left"}


def test_it_sorts_the_most_severe_first_and_reports_each_finding_once():
    robert = facts(meds=("anticoagulant",), age=58)
    findings = check(
        robert, [HVLA_NECK, DEEP_LUMBAR, SWEDISH_NECK, act("massage-swedish", "cervical", "lumbar")]
    )
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["contraindicated", "precaution", "info"].index)
    keys = [(f.rule, f.technique, f.body_site) for f in findings]
    assert len(keys) == len(set(keys))
    assert severities[0] == "contraindicated"


def test_it_applies_local_rules_everywhere_when_the_site_is_unknown():
    unsited = facts(factors=(fac("open-wound"),))
    assert {f.body_site for f in check(unsited, [act("massage-swedish", "cervical", "knee-right")])} == {
        "cervical",
        "knee-right",
    }


def test_it_gives_a_whole_body_finding_for_an_activity_without_sites():
    [finding] = check(facts(factors=(fac("open-wound", "knee-left"),)), [act("massage-swedish")])
    assert finding.body_site == ""


def test_it_names_unknown_techniques_and_body_sites():
    with pytest.raises(UnknownCodes) as caught:
        check(facts(), [act("reiki", "lumbar"), act("massage-swedish", "aura", "knee")])
    assert caught.value.techniques == ["reiki"]
    assert caught.value.body_sites == ["aura", "knee"]
    assert ("activities.1.body_sites.0", "Unknown body site: 'aura'.") in caught.value.errors
