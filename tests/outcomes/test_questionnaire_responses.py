"""A FHIR QuestionnaireResponse to an instrument becomes the item values the scoring takes, in the
questionnaire's order; a response that names foreign items, answers twice or with the wrong kind of value is
refused naming the item. No database."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.outcomes.questionnaires import answers_from_response, questionnaire
from tandem.outcomes.scoring import ScoringError, score


def _coded(code: str, link: str, value: int) -> dict[str, Any]:
    return {
        "linkId": link,
        "answer": [
            {
                "valueCoding": {
                    "system": f"https://tandem.invalid/fhir/CodeSystem/{code}-answer",
                    "code": str(value),
                }
            }
        ],
    }


def _response(code: str, items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": f"https://tandem.invalid/fhir/Questionnaire/{code}|1",
        "item": items,
        **extra,
    }


def test_an_odi_response_scores_like_the_sheets_example():
    values = [2, 2, 1, 2, 1, 2, 2, 1, 3]  # section 10 left blank
    items = [_coded("odi", f"section-{n}", v) for n, v in enumerate(values, start=1)]
    items.reverse()  # the order in the response does not matter: the questionnaire's does
    items.append({"linkId": "section-10"})
    answers = answers_from_response("odi", _response("odi", items))
    assert answers == [*values, None]
    assert score("odi", answers).exact * 9 == 320


def test_a_psfs_response_gives_one_value_per_activity_in_order():
    def activity(name: str, rating: int | None) -> dict[str, Any]:
        scored: dict[str, Any] = {"linkId": "activity-rating"}
        if rating is not None:
            scored["answer"] = [{"valueInteger": rating}]
        return {
            "linkId": "activity",
            "item": [{"linkId": "activity-name", "answer": [{"valueString": name}]}, scored],
        }

    response = _response(
        "psfs", [activity("Lift my grandson", 3), activity("Garden", 5), activity("Run", None)]
    )
    assert answers_from_response("psfs", response) == [3, 5, None]


def test_an_nprs_response_reads_its_integer():
    response = _response("nprs", [{"linkId": "pain", "answer": [{"valueInteger": 7}]}])
    assert answers_from_response("nprs", response) == [7]
    assert answers_from_response("nprs", _response("nprs", [])) == [None]


def test_every_instrument_reads_a_response_built_from_its_own_form():
    for code in ("odi", "ndi", "rmdq", "quickdash", "lefs"):
        form = questionnaire(code)
        items = [
            {"linkId": item["linkId"], "answer": [{"valueCoding": item["answerOption"][-1]["valueCoding"]}]}
            for item in form["item"]
        ]
        answers = answers_from_response(code, _response(code, items))
        assert score(code, answers).valid, code
        assert len(answers) == len(form["item"])


@pytest.mark.parametrize(
    ("code", "response", "field", "words"),
    [
        ("odi", _response("odi", [_coded("odi", "section-11", 1)]), "item.section-11", "not in the ODI"),
        ("odi", _response("odi", [_coded("odi", "section-1", 1)] * 2), "item.section-1", "more than once"),
        (
            "odi",
            _response("odi", [_coded("ndi", "section-1", 1)]),
            "item.section-1",
            "not one of the item's options",
        ),
        (
            "odi",
            _response("odi", [_coded("odi", "section-1", 9)]),
            "item.section-1",
            "not one of the item's options",
        ),
        (
            "odi",
            _response("odi", [{"linkId": "section-1", "answer": [{"valueInteger": 1}, {"valueInteger": 2}]}]),
            "item.section-1",
            "2 answers",
        ),
        (
            "nprs",
            _response("nprs", [{"linkId": "pain", "answer": [{"valueString": "7"}]}]),
            "item.pain",
            "whole",
        ),
        (
            "ndi",
            _response("odi", []),
            "response.questionnaire",
            "not to https://tandem.invalid/fhir/Questionnaire/ndi",
        ),
        ("odi", {"resourceType": "QuestionnaireResponse", "item": []}, "response", "status"),
        ("sf-36", _response("odi", []), "instrument", "Unknown instrument"),
    ],
)
def test_it_refuses_a_response_it_cannot_read(code, response, field, words):
    with pytest.raises(ScoringError) as refused:
        answers_from_response(code, response)
    assert refused.value.field == field
    assert words in refused.value.message


def test_an_out_of_range_integer_is_left_to_the_scoring_to_refuse():
    answers = answers_from_response(
        "nprs", _response("nprs", [{"linkId": "pain", "answer": [{"valueInteger": 12}]}])
    )
    with pytest.raises(ScoringError, match="out of range 0-10"):
        score("nprs", answers)
