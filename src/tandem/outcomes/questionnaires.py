"""The instruments as data: FHIR R4 Questionnaire JSON in instruments/<code>.json, one per scoring definition.

`questionnaire(code)` reads one (validated by the system check outcomes.E001 at start-up and in `tandem
check`); `questionnaire_problems()` names everything wrong with the files: unreadable JSON, not a valid R4
Questionnaire (fhir.resources, R4B classes, which read R4 JSON), or items that do not match the scoring
definition in tandem.outcomes.scoring (item count, answer values, LOINC codes). No Django here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from tandem.outcomes.scoring import INSTRUMENTS, InstrumentDefinition

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"
CANONICAL_BASE = "https://tandem.invalid/fhir/Questionnaire/"
LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
MIN_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-minOccurs"
MAX_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"


@cache
def questionnaire(code: str) -> dict[str, Any]:
    """The Questionnaire JSON of an instrument of tandem.outcomes.scoring.INSTRUMENTS."""
    return json.loads((INSTRUMENTS_DIR / f"{code}.json").read_text(encoding="utf-8"))


def questionnaire_problems(directory: Path | None = None) -> list[str]:
    """Every problem with the instrument files in `directory` (default: the bundled ones), [] if none."""
    folder = directory or INSTRUMENTS_DIR
    problems: list[str] = []
    for path in sorted(folder.glob("*.json")):
        if path.stem not in INSTRUMENTS:
            problems.append(f"{path.name}: no scoring definition for instrument '{path.stem}'")
    for code, definition in INSTRUMENTS.items():
        problems += [f"{code}.json: {p}" for p in _file_problems(folder / f"{code}.json", definition)]
    return problems


def _file_problems(path: Path, definition: InstrumentDefinition) -> list[str]:
    if not path.is_file():
        return ["missing"]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [f"not readable JSON ({exc})"]
    if not isinstance(data, dict):
        return ["not a JSON object"]
    fhir_problems = _fhir_problems(data)
    if fhir_problems:
        return fhir_problems
    problems: list[str] = []
    code = definition.code
    if data.get("id") != code or data.get("url") != CANONICAL_BASE + code:
        problems.append(f"id must be '{code}' and url '{CANONICAL_BASE}{code}'")
    if data.get("status") != "active":
        problems.append("status must be 'active'")
    loinc = [c.get("code") for c in data.get("code", []) if c.get("system") == LOINC]
    if loinc != ([definition.loinc_questionnaire] if definition.loinc_questionnaire else []):
        problems.append(f"Questionnaire LOINC code {loinc} does not match the definition's")
    if definition.min_items == definition.max_items:
        problems += _fixed_item_problems(data.get("item", []), definition)
    else:
        problems += _repeating_group_problems(data.get("item", []), definition)
    return problems


def _fhir_problems(data: dict[str, Any]) -> list[str]:
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError

    if data.get("resourceType") != "Questionnaire":
        return ["resourceType must be 'Questionnaire'"]
    try:
        Questionnaire.model_validate(data)
    except ValidationError as exc:
        return [
            f"not a valid FHIR Questionnaire: {'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors()
        ]
    return []


def _leaves(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if item.get("type") == "group":
            found += _leaves(item.get("item", []))
        elif item.get("type") != "display":
            found.append(item)
    return found


def _fixed_item_problems(items: list[dict[str, Any]], definition: InstrumentDefinition) -> list[str]:
    leaves = _leaves(items)
    if len(leaves) != definition.max_items:
        return [
            f"{len(leaves)} answerable items; the {definition.name} scoring expects {definition.max_items}"
        ]
    problems: list[str] = []
    for item in leaves:
        problems += [f"item {item.get('linkId')}: {p}" for p in _value_problems(item, definition)]
    return problems


def _repeating_group_problems(items: list[dict[str, Any]], definition: InstrumentDefinition) -> list[str]:
    groups = [i for i in items if i.get("type") == "group" and i.get("repeats")]
    if len(groups) != 1 or len(items) != 1:
        return ["expected exactly one repeating group (one per activity)"]
    group = groups[0]
    occurs = (_extension(group, MIN_OCCURS), _extension(group, MAX_OCCURS))
    problems: list[str] = []
    if occurs != (definition.min_items, definition.max_items):
        problems.append(
            f"the group repeats {occurs[0]} to {occurs[1]} times; the {definition.name} scoring expects "
            f"{definition.min_items} to {definition.max_items}"
        )
    scored = [i for i in _leaves(group.get("item", [])) if i.get("type") in ("integer", "choice")]
    if len(scored) != 1:
        return [*problems, "the group needs exactly one scored item (integer or choice)"]
    return problems + [f"item {scored[0].get('linkId')}: {p}" for p in _value_problems(scored[0], definition)]


def _value_problems(item: dict[str, Any], definition: InstrumentDefinition) -> list[str]:
    wanted = list(range(definition.item_min, definition.item_max + 1))
    if item.get("type") == "integer":
        bounds = (_extension(item, MIN_VALUE), _extension(item, MAX_VALUE))
        if bounds != (definition.item_min, definition.item_max):
            return [f"minValue/maxValue {bounds} do not match the scoring range {wanted[0]}-{wanted[-1]}"]
        return []
    if item.get("type") != "choice":
        return [f"type {item.get('type')!r}: scored items are 'choice' or 'integer'"]
    ordinals = [_extension(option, ORDINAL) for option in item.get("answerOption", [])]
    if ordinals != wanted:
        return [f"answer ordinal values {ordinals} do not match the scoring range {wanted[0]}-{wanted[-1]}"]
    codes = [option.get("valueCoding", {}).get("code") for option in item["answerOption"]]
    if codes != [str(value) for value in wanted]:
        return [f"answer codes {codes} must be the ordinal values as text"]
    return []


def _extension(element: dict[str, Any], url: str) -> Any:
    for extension in element.get("extension", []):
        if extension.get("url") == url:
            for key, value in extension.items():
                if key.startswith("value"):
                    return int(value) if isinstance(value, float) and value.is_integer() else value
    return None


# QuestionnaireResponse -> answers ---------------------------------------------------------------------------


def answers_from_response(code: str, response: dict[str, Any]) -> list[int | None]:
    """The item values of a FHIR QuestionnaireResponse to an instrument, in the questionnaire's order (None
    for an unanswered item), ready for tandem.outcomes.scoring.score. The values themselves are checked by the
    scoring; here the response must be for this questionnaire and name only its items, each answered at most
    once with the item's kind of value (an answer option's coding, or an integer). ScoringError names the
    item."""
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
    from pydantic import ValidationError

    from tandem.outcomes.scoring import ScoringError, instrument

    definition = instrument(code)
    try:
        QuestionnaireResponse.model_validate(response)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScoringError(
            f"Not a valid QuestionnaireResponse: {where}: {first['msg']}", field="response"
        ) from None
    form = questionnaire(definition.code)
    canonical = str(response.get("questionnaire", "")).split("|")[0]
    if canonical != form["url"]:
        raise ScoringError(f"The response is not to {form['url']}.", field="response.questionnaire")
    scored = {
        item["linkId"]: item for item in _leaves(form["item"]) if item.get("type") in ("choice", "integer")
    }
    given = _answer_items(response.get("item", []))
    unknown = [link for link, _ in given if link not in scored and not _is_unscored_item(form["item"], link)]
    if unknown:
        raise ScoringError(
            f"Item {unknown[0]!r} is not in the {definition.name}.", field=f"item.{unknown[0]}"
        )
    values = [(link, _answer_value(scored[link], answers)) for link, answers in given if link in scored]
    if definition.min_items != definition.max_items:  # a repeating group: one value per repetition, in order
        return [value for _, value in values]
    seen: dict[str, int | None] = {}
    for link, value in values:
        if link in seen:
            raise ScoringError(f"Item {link!r} is answered more than once.", field=f"item.{link}")
        seen[link] = value
    return [seen.get(link) for link in scored]


def _answer_items(items: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    found: list[tuple[str, list[dict[str, Any]]]] = []
    for item in items:
        if item.get("item"):
            found += _answer_items(item["item"])
        else:
            found.append((item["linkId"], item.get("answer", [])))
    return found


def _is_unscored_item(items: list[dict[str, Any]], link: str) -> bool:
    return any(item.get("linkId") == link for item in _leaves(items))


def _answer_value(item: dict[str, Any], answers: list[dict[str, Any]]) -> int | None:
    from tandem.outcomes.scoring import ScoringError

    link = item["linkId"]
    if not answers:
        return None
    if len(answers) > 1:
        raise ScoringError(f"Item {link!r} has {len(answers)} answers; it takes one.", field=f"item.{link}")
    answer = answers[0]
    if item["type"] == "integer":
        if "valueInteger" not in answer:
            raise ScoringError(f"Item {link!r} is answered with a whole number.", field=f"item.{link}")
        return answer["valueInteger"]
    coding = answer.get("valueCoding") or {}
    for option in item.get("answerOption", []):
        offered = option.get("valueCoding", {})
        if (offered.get("system"), offered.get("code")) == (coding.get("system"), coding.get("code")):
            return _extension(option, ORDINAL)
    raise ScoringError(f"Item {link!r}: the answer is not one of the item's options.", field=f"item.{link}")
