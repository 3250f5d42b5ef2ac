"""note_fields (pure): the templates file is checked and a bad one fails loudly; a note's fields are checked
against their template with field-level messages; new notes are prefilled; documented techniques are read
for the safety engine. Table-driven; no database."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tandem.charting.note_fields import (
    DEFAULT_TEMPLATES_PATH,
    DocumentedTechnique,
    FieldError,
    Order,
    TemplateError,
    clean_body_marks,
    clean_note_data,
    clean_soap,
    documented_techniques,
    load_templates,
    parse_templates,
    prefill,
)

BUNDLED = yaml.safe_load(DEFAULT_TEMPLATES_PATH.read_text(encoding="utf-8"))
TEMPLATES = load_templates()
MASSAGE, CHIRO, PT = TEMPLATES["massage-therapy"], TEMPLATES["chiropractic"], TEMPLATES["physical-therapy"]


def keys(template) -> set[str]:
    return {f.key for f in template.fields}


# The bundled templates ------------------------------------------------------------------------------------


def test_the_bundled_templates_have_the_fields_clinicians_expect():
    assert keys(MASSAGE) >= {
        "techniques",
        "body_sites",
        "pressure",
        "trigger_points",
        "muscle_tension",
        "muscle_length",
        "circulation_skin",
        "posture",
        "nprs_before",
        "nprs_after",
        "response",
        "home_care",
    }
    assert {f.key for f in MASSAGE.field("techniques").fields} == {"technique", "minutes"}
    assert keys(CHIRO) >= {"adjustments", "findings", "orthopedic_tests", "neurological_tests", "response"}
    assert {f.key for f in CHIRO.field("findings").fields} >= {"restriction", "tenderness", "rom"}
    assert keys(PT) >= {
        "exercises",
        "neuromuscular_reeducation",
        "rom",
        "strength",
        "functional_tests",
        "home_exercise_changes",
    }
    assert {f.key for f in PT.field("exercises").fields} >= {"sets", "repetitions", "load"}
    strength = PT.field("strength").subfield("grade")
    assert (strength.minimum, strength.maximum, strength.integer) == (0, 5, True)
    for template in TEMPLATES.values():
        assert [s.key for s in template.soap] == ["subjective", "objective", "assessment", "plan"]
        assert template.version and template.code.endswith("-soap")


def test_choices_come_from_the_vocabularies():
    technique = MASSAGE.field("techniques").subfield("technique")
    codes = [code for code, _ in MASSAGE.choices(technique)]
    assert "massage-deep-tissue" in codes and not any(c.startswith("chiro-") for c in codes)
    assert dict(MASSAGE.choices(MASSAGE.field("body_sites")))["shoulder-left"] == "Shoulder, left"
    assert [c for c, _ in MASSAGE.choices(MASSAGE.field("pressure"))] == ["light", "moderate", "firm", "deep"]
    segments = dict(CHIRO.choices(CHIRO.field("adjustments").subfield("segments")))
    assert "L5" in segments and "T12" in segments and "C8" not in segments


# A bad file fails loudly ----------------------------------------------------------------------------------


def _massage_field(document: dict[str, Any], key: str) -> dict[str, Any]:
    return next(f for f in document["templates"]["massage-therapy"]["fields"] if f["key"] == key)


def _set(path: str, value: Any):
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        *parents, last = path.split("/")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return change


def _field(field_key: str, **changes: Any):
    def change(document: dict[str, Any]) -> None:
        field = _massage_field(document, field_key)
        for name, value in changes.items():
            if value is None:
                field.pop(name, None)
            else:
                field[name] = value

    return change


def _append(field: dict[str, Any]):
    return lambda document: document["templates"]["massage-therapy"]["fields"].append(field)


BAD_FILES = [
    ("unknown-type", _field("posture", type="date"), "template massage-therapy posture: type 'date'"),
    (
        "choice-without-source",
        _field("pressure", vocabulary=None),
        "a choice needs a `vocabulary` or `options`",
    ),
    ("unknown-vocabulary", _field("pressure", vocabulary="pressures"), "unknown vocabulary 'pressures'"),
    ("both-sources", _field("pressure", options=["a"]), "give `vocabulary` or `options`, not both"),
    ("min-above-max", _field("home_care", type="number", min=5, max=1), "`min` is greater than `max`"),
    ("text-with-min", _field("posture", min=1), "only a number has min, max or unit"),
    ("bad-key", _field("posture", key="Posture!"), "key 'Posture!' must be lowercase"),
    (
        "duplicate-key",
        _append({"key": "posture", "label": "Again", "type": "text"}),
        "field posture appears twice",
    ),
    (
        "reserved-key",
        _append({"key": "plan", "label": "Plan", "type": "text"}),
        "reserved for the note's own",
    ),
    ("no-label", _field("posture", label=None), "posture: `label` is required"),
    ("unknown-attribute", _field("posture", colour="red"), "unknown attribute `colour`"),
    ("required-not-bool", _field("posture", required="yes"), "`required` must be true or false"),
    (
        "records-in-records",
        _append(
            {
                "key": "nested",
                "label": "Nested",
                "type": "records",
                "fields": [{"key": "inner", "label": "Inner", "type": "records", "fields": []}],
            }
        ),
        "records cannot hold records",
    ),
    (
        "records-without-fields",
        _append({"key": "rows", "label": "Rows", "type": "records"}),
        "`fields` must be",
    ),
    ("unquoted-version", _set("templates/massage-therapy/version", 2026.1), "`version` must be text"),
    ("bad-code", _set("templates/massage-therapy/code", "Massage SOAP"), "`code` must be a slug"),
    (
        "same-code-twice",
        _set("templates/chiropractic/code", "massage-soap"),
        "templates: code massage-soap is used twice",
    ),
    ("missing-discipline", lambda d: d["templates"].pop("chiropractic"), "template chiropractic: missing"),
    ("unknown-discipline", _set("templates/yoga", {}), "template yoga: not a discipline"),
    ("soap-incomplete", lambda d: d["soap"].pop(), "must list subjective, objective, assessment and plan"),
    ("unknown-section", _set("colours", []), "unknown section `colours`"),
    (
        "safety-bad-technique",
        _set("templates/massage-therapy/safety/technique", "techniques.minutes"),
        "must name a choice of the techniques",
    ),
    (
        "safety-bad-sites",
        _set("templates/massage-therapy/safety/sites", ["posture"]),
        "`posture` must be a choice of body sites",
    ),
    (
        "safety-bad-pressure",
        _set("templates/massage-therapy/safety/pressure", "posture"),
        "`pressure: posture` must name a choice of massage pressures",
    ),
]


@pytest.mark.parametrize(
    ("change", "problem"), [(c, p) for _, c, p in BAD_FILES], ids=[i for i, _, _ in BAD_FILES]
)
def test_a_bad_templates_file_is_refused_naming_the_problem(change, problem):
    document = copy.deepcopy(BUNDLED)
    change(document)
    with pytest.raises(TemplateError) as caught:
        parse_templates(document)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("text", "problem"),
    [("templates: [unclosed", "not valid YAML"), ("- just\n- a list\n", "must be a mapping")],
    ids=["broken-yaml", "not-a-mapping"],
)
def test_an_unreadable_file_is_refused(tmp_path: Path, text, problem):
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_templates(path)
    assert problem in str(caught.value)


def test_a_missing_file_is_refused(tmp_path: Path):
    with pytest.raises(TemplateError, match="cannot be read"):
        load_templates(tmp_path / "nowhere.yaml")


def test_a_clinic_may_adjust_its_templates(tmp_path: Path):
    document = copy.deepcopy(BUNDLED)
    massage = document["templates"]["massage-therapy"]
    massage["version"] = "2027.1-riverside"
    massage["fields"].append({"key": "aromatherapy", "label": "Aromatherapy oil", "type": "text"})
    _massage_field(document, "home_care")["required"] = True
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    template = load_templates(path)["massage-therapy"]
    assert template.version == "2027.1-riverside" and template.field("aromatherapy").type == "text"
    _, problems = clean_note_data(template, {}, complete=True)
    assert FieldError("home_care", "Required before signing.") in problems


# Checking a note's fields ---------------------------------------------------------------------------------

CLEANING = [
    (
        "numbers-from-text",
        MASSAGE,
        {"nprs_before": " 7 ", "techniques": [{"technique": "massage-swedish", "minutes": "20"}]},
        False,
        {"nprs_before": 7, "techniques": [{"technique": "massage-swedish", "minutes": 20}]},
        [],
    ),
    (
        "blanks-left-out",
        MASSAGE,
        {"posture": "  ", "body_sites": [], "pressure": "", "home_care": None},
        False,
        {},
        [],
    ),
    (
        "multichoice-deduplicated",
        MASSAGE,
        {"body_sites": ["thoracic", "thoracic", "lumbar"]},
        False,
        {"body_sites": ["thoracic", "lumbar"]},
        [],
    ),
    (
        "decimal-load",
        PT,
        {"exercises": [{"name": "Row", "load": "2,5"}]},
        False,
        {"exercises": [{"name": "Row", "load": 2.5}]},
        [],
    ),
    (
        "wrong-types",
        MASSAGE,
        {"nprs_before": True, "posture": 3, "body_sites": "elbow", "techniques": {"technique": "x"}},
        False,
        {},
        [
            ("techniques", "Give a list of rows."),
            ("body_sites", "“elbow” is not one of the choices for body sites treated."),
            ("posture", "Enter text."),
            ("nprs_before", "Enter a whole number."),
        ],
    ),
    (
        "row-problems",
        CHIRO,
        {
            "adjustments": [
                {"region": "lumbar", "segments": ["L4", "L9"], "technique": "chiro-hvla", "force": 1}
            ]
        },
        False,
        {"adjustments": [{"region": "lumbar", "segments": ["L4"], "technique": "chiro-hvla"}]},
        [
            ("adjustments.0.force", "Not a field of this row."),
            ("adjustments.0.segments", "“L9” is not one of the choices for segments."),
        ],
    ),
    (
        "out-of-range",
        PT,
        {
            "rom": [{"site": "knee-left", "movement": "flexion", "degrees": 400}],
            "techniques": [{"minutes": 0}],
        },
        False,
        {"rom": [{"site": "knee-left", "movement": "flexion"}], "techniques": [{}]},
        [
            ("techniques.0.minutes", "Enter a whole number from 1 to 120 min."),
            ("rom.0.degrees", "Enter a whole number from 0 to 360 °."),
        ],
    ),
    (
        "too-long",
        MASSAGE,
        {"posture": "x" * 2001},
        False,
        {},
        [("posture", "Keep it under 2000 characters.")],
    ),
    ("not-a-mapping", MASSAGE, ["techniques"], False, {}, [("data", "The note's fields must be a mapping")]),
    (
        "complete-wants-required-rows-and-fields",
        CHIRO,
        {
            "adjustments": [{"region": "cervical"}],
            "orthopedic_tests": [{"name": "Kemp", "result": "positive"}],
        },
        True,
        {
            "adjustments": [{"region": "cervical"}],
            "orthopedic_tests": [{"name": "Kemp", "result": "positive"}],
        },
        [("adjustments.0.technique", "Required before signing."), ("response", "Required before signing.")],
    ),
]


@pytest.mark.parametrize(
    ("template", "data", "complete", "cleaned", "problems"),
    [case[1:] for case in CLEANING],
    ids=[case[0] for case in CLEANING],
)
def test_a_notes_fields_are_cleaned_and_checked_field_by_field(template, data, complete, cleaned, problems):
    got, errors = clean_note_data(template, data, complete=complete)
    assert got == cleaned
    found = [(e.path, e.message) for e in errors]
    for path, message in problems:
        assert any(p == path and m.startswith(message) for p, m in found), found
    assert len(found) == len(problems), found


def test_a_draft_never_reports_missing_fields_but_signing_does():
    _, draft = clean_note_data(MASSAGE, {}, complete=False)
    _, signing = clean_note_data(MASSAGE, {}, complete=True)
    assert draft == []
    assert {e.path for e in signing} == {
        "techniques",
        "body_sites",
        "pressure",
        "nprs_before",
        "nprs_after",
        "response",
    }


@pytest.mark.parametrize(
    ("values", "complete", "errors"),
    [
        ({"subjective": " Better ", "objective": "o", "assessment": "a", "plan": "p"}, True, []),
        ({"subjective": "Better"}, False, []),
        ({"subjective": "Better"}, True, ["objective", "assessment", "plan"]),
        ({"subjective": 7}, False, ["subjective"]),
        ({"plan": "x" * 10001}, False, ["plan"]),
    ],
)
def test_the_soap_texts(values, complete, errors):
    cleaned, problems = clean_soap(MASSAGE, values, complete=complete)
    assert [p.path for p in problems] == errors
    if not problems:
        assert cleaned["subjective"] == "Better"


@pytest.mark.parametrize(
    ("marks", "cleaned", "paths"),
    [
        (
            [{"site": "lumbar", "kind": "pain", "view": "back", "note": " sharp "}],
            [{"site": "lumbar", "kind": "pain", "view": "back", "note": "sharp"}],
            [],
        ),
        ([{"site": "knee", "kind": "pain", "view": "front"}], None, ["body_marks.0.site"]),
        ([{"site": "knee-left", "kind": "bruise", "view": "front"}], None, ["body_marks.0.kind"]),
        (
            [{"site": "knee-left", "kind": "pain", "view": "top", "x": 1}],
            None,
            ["body_marks.0.x", "body_marks.0.view"],
        ),
        (
            [{"site": "knee-left", "kind": "pain", "view": "front", "note": "n" * 201}],
            None,
            ["body_marks.0.note"],
        ),
        ("lumbar", [], ["body_marks"]),
        ([None], [], ["body_marks.0"]),
        (None, [], []),
        ([{"site": "lumbar", "kind": "pain", "view": "front"}], None, ["body_marks.0.view"]),
        (
            [{"site": "knee-left", "kind": "pain", "view": "front"}] * 2,
            None,
            ["body_marks.1.site"],
        ),
        ([{"site": "knee-left", "kind": "pain", "view": "front"}] * 101, None, ["body_marks"]),
    ],
    ids=[
        "ok",
        "unsided-limb",
        "kind",
        "view-and-extra",
        "long-note",
        "not-a-list",
        "not-a-mark",
        "none",
        "not-drawn-on-that-view",
        "duplicate",
        "too-many",
    ],
)
def test_body_map_marks(marks, cleaned, paths):
    got, problems = clean_body_marks(marks)
    assert [p.path for p in problems] == paths
    if cleaned is not None:
        assert got == cleaned


# Prefill --------------------------------------------------------------------------------------------------

BIRD_DOG = {"name": "Bird dog", "sets": 3, "repetitions": 10, "notes": "slow"}
PREFILL = [
    (
        "massage-order",
        MASSAGE,
        Order(("massage-swedish",), ("thoracic",), "light"),
        None,
        {"techniques": [{"technique": "massage-swedish"}], "body_sites": ["thoracic"], "pressure": "light"},
    ),
    (
        "massage-carries-home-care-only",
        MASSAGE,
        Order(("massage-swedish",), ("thoracic",), "light"),
        {"home_care": "Heat", "nprs_after": 2, "pressure": "deep"},
        {
            "techniques": [{"technique": "massage-swedish"}],
            "body_sites": ["thoracic"],
            "pressure": "light",
            "home_care": "Heat",
        },
    ),
    (
        "pt-exercises-from-the-order",
        PT,
        Order(("pt-therapeutic-exercise",), ("lumbar",), "", (BIRD_DOG,)),
        None,
        {
            "techniques": [{"technique": "pt-therapeutic-exercise", "body_sites": ["lumbar"]}],
            "exercises": [BIRD_DOG],
        },
    ),
    (
        "pt-last-note-exercises-win",
        PT,
        Order(("pt-therapeutic-exercise",), (), "", (BIRD_DOG,)),
        {"exercises": [{"name": "Side plank", "sets": 3}], "home_exercise_changes": "Add side plank"},
        {
            "techniques": [{"technique": "pt-therapeutic-exercise"}],
            "exercises": [{"name": "Side plank", "sets": 3}],
            "home_exercise_changes": "Add side plank",
        },
    ),
    (
        "chiro-adjustments-per-region",
        CHIRO,
        Order(("chiro-activator",), ("thoracic", "lumbar")),
        None,
        {
            "adjustments": [
                {"region": "thoracic", "technique": "chiro-activator"},
                {"region": "lumbar", "technique": "chiro-activator"},
            ]
        },
    ),
    ("nothing-to-start-from", MASSAGE, None, None, {}),
    (
        "invalid-values-are-dropped",
        MASSAGE,
        Order(("chiro-hvla",), ("thoracic",), "crushing"),
        {"home_care": 12},
        {"body_sites": ["thoracic"]},
    ),
]


@pytest.mark.parametrize(
    ("template", "order", "last", "expected"), [c[1:] for c in PREFILL], ids=[c[0] for c in PREFILL]
)
def test_a_new_note_starts_from_the_order_and_the_last_note(template, order, last, expected):
    assert prefill(template, order, last) == expected


# What a note documents, for the safety engine -------------------------------------------------------------

DOCUMENTED = [
    (
        "massage-at-the-notes-sites-and-treated-marks",
        MASSAGE,
        {
            "techniques": [{"technique": "massage-swedish"}, {"technique": "massage-trigger-point"}],
            "body_sites": ["thoracic"],
            "pressure": "moderate",
        },
        [{"site": "shoulder-left", "kind": "trigger-point"}, {"site": "knee-left", "kind": "pain"}],
        [
            DocumentedTechnique("massage-swedish", ("thoracic", "shoulder-left"), "moderate"),
            DocumentedTechnique("massage-trigger-point", ("thoracic", "shoulder-left"), "moderate"),
        ],
    ),
    (
        "chiro-each-adjustment-at-its-region",
        CHIRO,
        {
            "adjustments": [
                {"region": "cervical", "technique": "chiro-activator"},
                {"region": "lumbar", "technique": "chiro-hvla"},
            ]
        },
        [],
        [
            DocumentedTechnique("chiro-activator", ("cervical",)),
            DocumentedTechnique("chiro-hvla", ("lumbar",)),
        ],
    ),
    (
        "pt-row-without-sites-takes-the-treated-marks",
        PT,
        {
            "techniques": [
                {"technique": "pt-dry-needling"},
                {"technique": "pt-manual-therapy", "body_sites": ["hip-left"]},
            ]
        },
        [{"site": "lumbar", "kind": "treated-area"}],
        [
            DocumentedTechnique("pt-dry-needling", ("lumbar",)),
            DocumentedTechnique("pt-manual-therapy", ("hip-left",)),
        ],
    ),
    ("nothing-documented", MASSAGE, {}, [], []),
]


@pytest.mark.parametrize(
    ("template", "data", "marks", "expected"), [c[1:] for c in DOCUMENTED], ids=[c[0] for c in DOCUMENTED]
)
def test_what_a_note_documents_for_the_safety_engine(template, data, marks, expected):
    assert documented_techniques(template, data, marks) == expected
