"""The QuickDASH optional work and sports/performing-arts modules (REFERENCE.md §1: "Optional 4-item work and
sport modules need all 4 items"): separate instruments, 4 items 1-5, ((sum / 4) - 1) x 25, no MCID."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.questionnaire import Questionnaire
from tests.outcomes import administering

from tandem.outcomes import services
from tandem.outcomes.forms import MeasureForm
from tandem.outcomes.models import MeasureSchedule, Score
from tandem.outcomes.questionnaires import answers_from_response, questionnaire, questionnaire_problems
from tandem.outcomes.scoring import INSTRUMENTS, ScoringError, instrument, mcid_check, score

MODULES = ("quickdash-work", "quickdash-sport")
robert_plan = administering.robert_plan

# (answers, score): worked by hand from ((sum / 4) - 1) x 25.
HAND_CASES = [
    ([5, 5, 5, 5], Fraction(100)),  # 20 / 4 = 5 -> 4 x 25
    ([1, 1, 1, 1], Fraction(0)),  # 4 / 4 = 1 -> 0
    ([1, 2, 3, 4], Fraction(75, 2)),  # 10 / 4 = 2.5 -> 1.5 x 25 = 37.5
    ([1, 1, 1, 2], Fraction(25, 4)),  # 5 / 4 = 1.25 -> 0.25 x 25 = 6.25
    ([3, 4, 4, 5], Fraction(75)),  # 16 / 4 = 4 -> 3 x 25
    ([2, 3, 2, 2], Fraction(125, 4)),  # 9 / 4 = 2.25 -> 1.25 x 25 = 31.25
]


@pytest.mark.parametrize("code", MODULES)
@pytest.mark.parametrize("answers, expected", HAND_CASES)
def test_it_scores_each_module_by_hand(code, answers, expected):
    result = score(code, answers)
    assert result.valid and result.reason is None
    assert result.exact == expected and result.score == float(expected)
    assert result.range == (0, 100) and result.direction == "higher-is-worse"
    assert result.items_answered == 4 and result.items_total == 4 and result.raw_sum == sum(answers)
    assert result.band is None  # the sources give no bands for the modules


@pytest.mark.parametrize("code", MODULES)
@pytest.mark.parametrize("missing", [0, 3])
def test_one_missing_item_gives_no_score(code, missing):
    answers: list[int | None] = [2, 3, 4, 5]
    answers[missing] = None
    result = score(code, answers)
    assert not result.valid and result.score is None and result.exact is None
    assert result.items_answered == 3
    assert "1 of 4 items were not answered" in result.reason and "all 4" in result.reason


def test_no_answer_at_all_gives_no_score_either():
    result = score("quickdash-work", [None] * 4)
    assert not result.valid and "4 of 4" in result.reason


@pytest.mark.parametrize(
    "answers, field, message",
    [
        ([1, 2, 6, 1], "answers.2", "Item 3: 6 is out of range 1-5."),
        ([0, 2, 3, 1], "answers.0", "Item 1: 0 is out of range 1-5."),
        ([1, 2, 3, 2.5], "answers.3", "not a whole number from 1 to 5"),
        ([1, 2, True, 2], "answers.2", "not a whole number from 1 to 5"),
        ([1, 2, 3], "answers", "takes 4 answers (items in order); 3 were given."),
        ([1] * 11, "answers", "takes 4 answers"),
    ],
)
def test_malformed_answers_are_refused_never_clipped(answers, field, message):
    for code in MODULES:
        with pytest.raises(ScoringError) as refused:
            score(code, answers)
        assert refused.value.field == field and message in refused.value.message


def test_the_modules_have_no_mcid_and_say_so():
    for code in MODULES:
        definition = INSTRUMENTS[code]
        assert definition.mcids == () and definition.default_mcid == ""
        with pytest.raises(ScoringError) as refused:
            definition.mcid()
        assert refused.value.field == "mcid" and "no published MCID" in refused.value.message
        with pytest.raises(ScoringError):
            mcid_check(code, 50, 25)
    assert instrument("quickdash").mcid().key == "franchignoni-2014"  # the main QuickDASH keeps its own


# Questionnaires ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", MODULES)
def test_each_module_is_a_valid_questionnaire_of_four_required_items(code):
    data = questionnaire(code)
    parsed = Questionnaire.model_validate(data)
    assert parsed.id == code and parsed.url == f"https://tandem.invalid/fhir/Questionnaire/{code}"
    items = data["item"]
    assert len(items) == 4 and all(i["type"] == "choice" and i["required"] is True for i in items)
    for item in items:
        assert [o["valueCoding"]["code"] for o in item["answerOption"]] == ["1", "2", "3", "4", "5"]
    assert "licensed form must be obtained from its owner" in data["description"]
    assert not [p for p in questionnaire_problems() if p.startswith(code)]


@pytest.mark.django_db
@pytest.mark.parametrize("code", MODULES)
def test_a_questionnaire_response_to_a_module_scores_the_same(code, patient):
    response = services.response_json(code, [1, 2, 3, 4], patient=patient, authored_at=timezone.now())
    assert answers_from_response(code, response) == [1, 2, 3, 4]
    assert score(code, answers_from_response(code, response)).score == 37.5


def test_the_patient_form_asks_every_item_of_a_module():
    form = MeasureForm("quickdash-work", data={"item_item-1": "2", "item_item-2": "3", "item_item-3": "4"})
    assert not form.is_valid()
    assert list(form.errors) == ["item_item-4"]
    full = MeasureForm(
        "quickdash-work",
        data={"item_item-1": "2", "item_item-2": "3", "item_item-3": "4", "item_item-4": "5"},
    )
    assert full.is_valid(), full.errors
    assert full.answers() == [2, 3, 4, 5]


# Wiring -----------------------------------------------------------------------------------------------------


def _score(client: Client, body: object):
    return client.post("/api/v1/outcomes/score", json.dumps(body), content_type="application/json")


def test_the_score_api_scores_a_module_without_an_mcid(ben, client_for):
    answer = _score(client_for(ben), {"instrument": "quickdash-sport", "answers": [1, 2, 3, 4]})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["score"] == 37.5 and body["valid"] is True and body["mcid"] is None
    missing = _score(client_for(ben), {"instrument": "quickdash-work", "answers": [1, 2, None, 4]}).json()
    assert missing["valid"] is False and missing["score"] is None and "all 4" in missing["reason"]


def test_the_score_api_refuses_an_out_of_range_module_answer(ben, client_for):
    answer = _score(client_for(ben), {"instrument": "quickdash-work", "answers": [1, 2, 6, 4]})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "answers.2", "message": "Item 3: 6 is out of range 1-5."}]


@pytest.mark.django_db
def test_a_module_is_scheduled_alongside_the_quickdash_and_stored_with_no_mcid(
    alice, patient, robert_plan, client_for
):
    schedule = services.schedule_set(
        actor=alice, plan=robert_plan, instruments=["quickdash", "quickdash-work"], every_weeks=2
    )
    assert MeasureSchedule.objects.get(pk=schedule.pk).instruments == ["quickdash", "quickdash-work"]
    for answers in ([3, 3, 4, 4], [2, 2, 2, 2]):
        services.response_record(
            actor=alice,
            patient=patient,
            instrument_code="quickdash-work",
            source="paper",
            answers=answers,
            plan=robert_plan,
        )
    stored = Score.objects.filter(instrument="quickdash-work").order_by("id")
    assert [s.value for s in stored] == [62.5, 25.0] and {s.mcid_key for s in stored} == {""}
    page = client_for(alice).get(f"/patients/{patient.pk}/")
    assert page.status_code == 200
    assert 'data-instrument="quickdash-work"' in page.content.decode()  # the chart tolerates no MCID


@pytest.mark.django_db
def test_a_clinician_enters_a_paper_work_module_with_every_item(alice, patient, client_for):
    client = client_for(alice)
    chooser = client.get(f"/patients/{patient.pk}/measures/paper").content.decode()
    assert "quickdash-work" in chooser and "quickdash-sport" in chooser
    paper = f"/patients/{patient.pk}/measures/paper?instrument=quickdash-work"
    page = client.get(paper)
    assert page.status_code == 200 and "Working as well as you would like" in page.content.decode()
    when = {"authored_on": timezone.localdate().isoformat(), "timepoint": "baseline", "plan": ""}
    incomplete = client.post(paper, {**when, "item_item-1": "2", "item_item-2": "3", "item_item-3": "4"})
    assert incomplete.status_code == 422 and not Score.objects.exists()  # all 4 items are required
    done = client.post(
        paper, {**when, "item_item-1": "2", "item_item-2": "3", "item_item-3": "4", "item_item-4": "5"}
    )
    assert done.status_code == 302
    assert Score.objects.get().value == 62.5  # ((14 / 4) - 1) x 25 = 2.5 x 25
