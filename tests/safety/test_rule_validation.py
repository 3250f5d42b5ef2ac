"""rules.yaml is validated at load time: every code is checked and every problem names its rule id."""

from __future__ import annotations

import copy

import pytest
import yaml

from tandem.core.vocabularies import BODY_SITE_CODES
from tandem.safety.anatomy import NEIGHBOURS, area
from tandem.safety.engine import DEFAULT_RULES_PATH, RuleError, load_rules, parse_rules

GOOD_RULE = {
    "id": "test-rule",
    "severity": "precaution",
    "techniques": ["deep"],
    "scope": "local",
    "when": {"factors": ["open-wound"], "conditions": ["S81", "C00-C96"]},
    "message": "Careful.",
    "source": "A textbook",
}
DOCUMENT = {"technique_groups": {"deep": ["massage-deep-tissue"]}, "rules": [GOOD_RULE]}


def _with(**changes: object) -> dict:
    document = copy.deepcopy(DOCUMENT)
    document["rules"][0].update(changes)
    return document


def test_it_loads_the_real_rules_file():
    rules = load_rules(DEFAULT_RULES_PATH)
    assert len(rules.rules) >= 50
    assert all(rule.source and rule.message for rule in rules.rules)
    assert rules.technique_groups["deep-massage"] == frozenset(
        {"massage-deep-tissue", "massage-myofascial-release", "massage-trigger-point", "massage-sports"}
    )


def test_it_accepts_a_valid_document():
    [rule] = parse_rules(DOCUMENT).rules
    assert rule.techniques == frozenset({"massage-deep-tissue"})


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"techniques": ["massage-hot-stone"]}, "unknown technique code 'massage-hot-stone'"),
        ({"sites": ["knee"]}, "unknown body site code 'knee'"),
        ({"severity": "deadly"}, "unknown severity 'deadly'"),
        ({"scope": "regional"}, "unknown scope 'regional'"),
        ({"when": {"factors": ["sunburn"]}}, "unknown patient factor 'sunburn'"),
        ({"when": {"red_flags": ["bad-vibes"]}}, "unknown red flag 'bad-vibes'"),
        ({"when": {"medication_flags": ["statin"]}}, "unknown medication risk flag 'statin'"),
        ({"when": {"conditions": ["M99.999"]}}, "unknown ICD-10-CM code or prefix 'M99.999'"),
        ({"when": {"conditions": ["C00-C99"]}}, "unknown ICD-10-CM code or prefix 'C00-C99'"),
        ({"when": {"conditions": ["m51.36"]}}, "unknown ICD-10-CM code or prefix 'm51.36'"),
        ({"when": {"age_over": "old"}}, "`age_over` must be a whole number"),
        ({"when": {"weather": ["rain"]}}, "unknown criterion 'weather'"),
        ({"when": {}}, "`when` must be a non-empty mapping"),
        ({"and_when": {"factors": ["nope"]}}, "unknown patient factor 'nope'"),
        ({"message": ""}, "no message"),
        ({"source": ""}, "no source"),
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"min_pressure": "hard"}, "unknown pressure 'hard' in `min_pressure`"),
        ({"max_pressure": 3}, "unknown pressure '3' in `max_pressure`"),
        ({"min_pressure": "deep", "max_pressure": "light"}, "`min_pressure` is firmer than `max_pressure`"),
    ],
)
def test_it_refuses_a_bad_rule_naming_its_id(changes, named):
    with pytest.raises(RuleError) as caught:
        parse_rules(_with(**changes))
    assert f"rule test-rule: {named}" in str(caught.value)


def test_it_loads_a_pressure_criterion():
    [rule] = parse_rules(_with(min_pressure="firm")).rules
    assert rule.min_pressure == "firm" and rule.max_pressure == ""
    assert [rule.applies_at(p) for p in ("", "light", "moderate", "firm", "deep")] == [
        True,
        False,
        False,
        True,
        True,
    ]


def test_it_refuses_duplicate_ids_and_unknown_group_members(tmp_path):
    document = copy.deepcopy(DOCUMENT)
    document["rules"].append(copy.deepcopy(GOOD_RULE))
    document["technique_groups"]["bad"] = ["massage-hot-stone"]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(RuleError) as caught:
        load_rules(path)
    assert "rule test-rule: the id is used twice" in caught.value.problems
    assert "group bad: unknown technique code 'massage-hot-stone'" in caught.value.problems


def test_it_refuses_an_empty_file():
    with pytest.raises(RuleError):
        parse_rules(None)


def test_it_makes_every_neighbour_relation_symmetric_and_within_the_vocabulary():
    assert set(NEIGHBOURS) == set(BODY_SITE_CODES)
    for site, others in NEIGHBOURS.items():
        assert others <= BODY_SITE_CODES
        assert site not in others
        for other in others:
            assert site in NEIGHBOURS[other]
    assert area("knee-left") == {"knee-left", "thigh-left", "lower-leg-left"}
    assert area("lumbar") >= {"thoracic", "sacral", "pelvis"}
