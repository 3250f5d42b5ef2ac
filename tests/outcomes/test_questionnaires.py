"""The instruments as data: each FHIR Questionnaire file is valid R4 (fhir.resources, R4B classes) and
matches its scoring definition; a broken file is a `tandem check` error (outcomes.E001) naming the problem."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from fhir.resources.R4B.questionnaire import Questionnaire

from tandem.outcomes import questionnaires
from tandem.outcomes.apps import check_instruments
from tandem.outcomes.questionnaires import INSTRUMENTS_DIR, questionnaire, questionnaire_problems
from tandem.outcomes.scoring import INSTRUMENTS, score

LICENSED = ("odi", "ndi", "rmdq", "quickdash", "quickdash-work", "quickdash-sport", "lefs")
# LOINC codes verified offline against loinc.org's pages (see src/tandem/outcomes/instruments/README.md).
VERIFIED_LOINC = {"97908-8", "97909-6", "72514-3"}


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_each_instrument_file_is_a_valid_fhir_questionnaire(code):
    data = questionnaire(code)
    parsed = Questionnaire.model_validate(data)
    assert parsed.id == code and parsed.status == "active"
    assert parsed.url == f"https://tandem.invalid/fhir/Questionnaire/{code}"
    assert parsed.item, code


@pytest.mark.parametrize("code", sorted(INSTRUMENTS))
def test_the_highest_answer_to_every_item_reaches_the_top_of_the_range(code):
    """Every item at its highest value gives the top of the score range (worst, or best for PSFS and LEFS)."""
    definition = INSTRUMENTS[code]
    top = [definition.item_max] * definition.max_items
    result = score(code, top)
    assert result.valid
    expected = definition.score_range[1]
    assert result.score == expected, code


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_instruments_say_where_to_get_the_form(code):
    data = questionnaire(code)
    assert "licensed form must be obtained from its owner" in data["description"]
    assert data["copyright"]


def test_only_verified_loinc_codes_are_used():
    found: set[str] = set()

    def walk(element: object) -> None:
        if isinstance(element, dict):
            if element.get("system") == "http://loinc.org":
                found.add(element["code"])
            for value in element.values():
                walk(value)
        elif isinstance(element, list):
            for value in element:
                walk(value)

    for code in INSTRUMENTS:
        walk(questionnaire(code))
    assert found <= VERIFIED_LOINC, found - VERIFIED_LOINC
    assert {"97908-8", "72514-3"} <= found


def test_the_bundled_instruments_pass_the_system_check():
    assert questionnaire_problems() == []
    assert check_instruments() == []
    call_command("check")  # raises SystemCheckError on any error


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "instruments"
    shutil.copytree(INSTRUMENTS_DIR, folder)
    return folder


def _edit(folder: Path, code: str, change) -> None:
    path = folder / f"{code}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_it_names_every_kind_of_broken_file(tmp_path):
    folder = _copy(tmp_path)
    (folder / "nprs.json").unlink()
    (folder / "sf36.json").write_text("{}", encoding="utf-8")
    (folder / "lefs.json").write_text("{not json", encoding="utf-8")
    _edit(folder, "odi", lambda d: d["item"].pop())
    _edit(folder, "ndi", lambda d: d["item"][2]["answerOption"].pop())
    _edit(folder, "rmdq", lambda d: d["item"][0].pop("linkId"))
    _edit(folder, "quickdash", lambda d: d.update(url="https://elsewhere.invalid/q"))
    _edit(folder, "psfs", lambda d: d["item"][0]["extension"][1].update(valueInteger=6))
    problems = questionnaire_problems(folder)
    expected = [
        "sf36.json: no scoring definition for instrument 'sf36'",
        "nprs.json: missing",
        "odi.json: 9 answerable items; the ODI scoring expects 10",
        "ndi.json: item item-3: answer ordinal values [0, 1, 2, 3, 4] do not match the scoring range 0-5",
        "rmdq.json: not a valid FHIR Questionnaire: item.0.linkId: Value for the field 'linkId' is required.",
        "quickdash.json: id must be 'quickdash' and url 'https://tandem.invalid/fhir/Questionnaire/quickdash'",
        "psfs.json: the group repeats 3 to 6 times; the PSFS scoring expects 3 to 5",
    ]
    for problem in expected:
        assert problem in problems, (problem, problems)
    assert any(p.startswith("lefs.json: not readable JSON") for p in problems)
    assert len(problems) == len(expected) + 1


def test_a_value_range_that_differs_from_the_scoring_is_caught(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "nprs", lambda d: d["item"][0]["extension"][1].update(valueInteger=100))
    _edit(folder, "odi", lambda d: d.pop("code"))
    assert questionnaire_problems(folder) == [
        "nprs.json: item pain: minValue/maxValue (0, 100) do not match the scoring range 0-10",
        "odi.json: Questionnaire LOINC code [] does not match the definition's",
    ]


def test_a_broken_instrument_file_is_a_system_check_error(tmp_path, monkeypatch):
    folder = _copy(tmp_path)
    _edit(folder, "odi", lambda d: d["item"].pop())
    monkeypatch.setattr(questionnaires, "INSTRUMENTS_DIR", folder)
    errors = check_instruments()
    assert [e.id for e in errors] == ["outcomes.E001"]
    assert errors[0].msg == "odi.json: 9 answerable items; the ODI scoring expects 10"
    assert str(folder) in errors[0].hint
