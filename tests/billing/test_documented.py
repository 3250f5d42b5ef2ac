"""documented.py: what signed notes bill, as tables (pure module, no database)."""

from __future__ import annotations

import pytest
import yaml

from tandem.billing.catalog import load_codes
from tandem.billing.coding import BillingError, DiagnosisRef, PayerRules
from tandem.billing.documented import (
    DEFAULT_PATH,
    DocumentedCodesError,
    DocumentedNote,
    code_documented_visit,
    documented_services,
    load_documented_codes,
    parse_documented_codes,
)
from tandem.core.vocabularies import TECHNIQUES

LUMBAR = DiagnosisRef("M99.03", "lumbar")
THORACIC = DiagnosisRef("M99.02", "thoracic")
SPASM = DiagnosisRef("M62.830")


def massage(key: int, sites: list[str], *rows: tuple[str, int]) -> DocumentedNote:
    return DocumentedNote(
        key,
        "massage-therapy",
        {"body_sites": sites, "techniques": [{"technique": t, "minutes": m} for t, m in rows]},
    )


def pt(key: int, *rows: tuple[str, int, list[str]]) -> DocumentedNote:
    return DocumentedNote(
        key,
        "physical-therapy",
        {"techniques": [{"technique": t, "minutes": m, "body_sites": s} for t, m, s in rows]},
    )


def chiro(key: int, *rows: tuple[str, list[str]]) -> DocumentedNote:
    return DocumentedNote(
        key,
        "chiropractic",
        {"adjustments": [{"region": r, "segments": s, "technique": "chiro-hvla"} for r, s in rows]},
    )


TECHNIQUE_CODES = [
    ("massage-swedish", "97124"),
    ("massage-sports", "97124"),
    ("massage-deep-tissue", "97140"),
    ("massage-myofascial-release", "97140"),
    ("massage-trigger-point", "97140"),
    ("massage-lymphatic-drainage", "97140"),
    ("pt-therapeutic-exercise", "97110"),
    ("pt-neuromuscular-reeducation", "97112"),
    ("pt-therapeutic-activities", "97530"),
    ("pt-manual-therapy", "97140"),
    ("pt-heat-cold", "97010"),
    ("pt-electrical-stimulation", "G0283"),
]


@pytest.mark.parametrize(("technique", "code"), TECHNIQUE_CODES)
def test_each_technique_bills_its_code(technique, code):
    discipline = "massage-therapy" if technique.startswith("massage") else "physical-therapy"
    note = DocumentedNote(
        1,
        discipline,
        {
            "body_sites": ["thoracic"],
            "techniques": [{"technique": technique, "minutes": 20, "body_sites": ["thoracic"]}],
        },
    )
    (service,) = documented_services([note]).services
    timed = load_codes().get(code).timed
    assert (service.code, service.minutes, service.regions) == (code, 20 if timed else None, ["thoracic"])


def test_every_technique_of_the_vocabulary_is_mapped_with_a_source():
    codes = load_documented_codes()
    assert set(codes.techniques) == {t.code for t in TECHNIQUES}
    assert all(entry.sources for entry in codes.techniques.values())


VISITS = [
    # (notes, rule, expected [(code, units, minutes, modifiers, note)])
    (
        [pt(1, ("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"]))],
        "cms",
        [("97110", 2, 33, (), 1), ("97140", 1, 7, (), 1)],
    ),
    (
        [pt(1, ("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"]))],
        "ama",
        [("97110", 2, 33, (), 1), ("97140", 0, 7, (), 1)],
    ),
    # Two massage techniques of one code add their minutes: 12 + 12 = 24 min of 97140 = 2 units.
    (
        [massage(1, ["thoracic"], ("massage-myofascial-release", 12), ("massage-trigger-point", 12))],
        "cms",
        [("97140", 2, 24, (), 1)],
    ),
    # Minutes pool across the notes of one visit (CMS per date of service): 97110 10 + 10 = 20 → 1 unit;
    # the charge points to the note with the most minutes.
    (
        [
            pt(1, ("pt-therapeutic-exercise", 8, ["lumbar"])),
            pt(2, ("pt-therapeutic-exercise", 12, ["lumbar"])),
        ],
        "cms",
        [("97110", 1, 20, (), 2)],
    ),
    # Manual therapy on another region than the one adjusted takes 59.
    (
        [chiro(1, ("lumbar", ["L4"])), massage(2, ["thoracic"], ("massage-myofascial-release", 20))],
        "cms",
        [("98940", 1, None, (), 1), ("97140", 1, 20, ("59",), 2)],
    ),
    # Segments count for their region, several levels once; extraspinal regions bill 98943.
    (
        [chiro(1, ("cervical", ["C2", "C3"]), ("thoracic", ["L5", "sacrum"]), ("knee-right", []))],
        "cms",
        [("98941", 1, None, (), 1), ("98943", 1, None, (), 1)],
    ),
    # si-left is pelvic: five regions → 98942.
    (
        [chiro(1, ("cervical", []), ("thoracic", []), ("lumbar", []), ("sacral", ["si-left"]))],
        "cms",
        [("98942", 1, None, (), 1)],
    ),
    # Heat packs are untimed: 1 unit whatever the minutes, never pooled with 97110's.
    (
        [pt(1, ("pt-heat-cold", 15, ["lumbar"]), ("pt-therapeutic-exercise", 7, ["lumbar"]))],
        "cms",
        [("97010", 1, None, (), 1), ("97110", 0, 7, (), 1)],
    ),
]


@pytest.mark.parametrize(("notes", "rule", "expected"), VISITS)
def test_it_codes_a_documented_visit(notes, rule, expected):
    visit = code_documented_visit(notes, PayerRules(timed_rule=rule), [LUMBAR, THORACIC, SPASM])
    assert [
        (c.line.code, c.line.units, c.line.minutes, c.line.modifiers, c.note) for c in visit.charges
    ] == expected


def test_it_refuses_manual_therapy_on_the_adjusted_region():
    notes = [chiro(1, ("lumbar", [])), massage(2, ["lumbar"], ("massage-myofascial-release", 20))]
    with pytest.raises(BillingError) as caught:
        code_documented_visit(notes, PayerRules(), [LUMBAR])
    assert "97140" in str(caught.value) and "98940" in str(caught.value) and "lumbar" in str(caught.value)


def test_it_refuses_swedish_and_myofascial_on_the_same_region_unless_the_payer_waives_it():
    notes = [massage(1, ["thoracic"], ("massage-swedish", 20), ("massage-myofascial-release", 15))]
    with pytest.raises(BillingError, match="97124"):
        code_documented_visit(notes, PayerRules(), [THORACIC])
    waived = PayerRules(waived_rules=frozenset({"massage-with-manual-therapy"}))
    visit = code_documented_visit(notes, waived, [THORACIC])
    assert [(c.line.code, c.line.units) for c in visit.charges] == [("97124", 1), ("97140", 1)]


def test_dry_needling_is_named_not_billed():
    visit = documented_services(
        [pt(7, ("pt-dry-needling", 15, ["lumbar"]), ("pt-therapeutic-exercise", 30, []))]
    )
    assert [s.code for s in visit.services] == ["97110"]
    assert visit.warnings == (
        "Note 7: pt-dry-needling is not billed: the PT note does not record how many muscles were needled "
        "(20560: 1-2, 20561: 3 or more).",
    )


def test_a_visit_documenting_nothing_billable_is_refused():
    with pytest.raises(BillingError, match="nothing billable"):
        code_documented_visit([pt(1, ("pt-dry-needling", 10, ["lumbar"]))], PayerRules(), [LUMBAR])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"techniques": "not a list"}, []),
        ({"techniques": [{"technique": "pt-therapeutic-exercise", "minutes": "abc"}]}, [("97110", 0)]),
        ({"techniques": [{"technique": "pt-therapeutic-exercise", "minutes": True}]}, [("97110", 0)]),
        (
            {
                "techniques": [
                    {"technique": "pt-therapeutic-exercise", "body_sites": ["moon"], "minutes": "9"}
                ]
            },
            [("97110", 9)],
        ),
    ],
)
def test_it_reads_odd_note_data_without_crashing(data, expected):
    visit = documented_services([DocumentedNote(1, "physical-therapy", data)])
    assert [(s.code, s.minutes) for s in visit.services] == expected
    assert all(s.regions == [] for s in visit.services)


def _document() -> dict:
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda d: d["techniques"].update({"massage-swedish": {"code": "99999", "source": "x"}}),
            "not in codes.yaml",
        ),
        (lambda d: d["techniques"].pop("pt-heat-cold"), "pt-heat-cold: missing"),
        (
            lambda d: d["techniques"].update({"massage-hot-stone": {"code": "97124", "source": "x"}}),
            "not a technique",
        ),
        (
            lambda d: d["techniques"].update({"pt-dry-needling": {"code": None, "source": "x"}}),
            "needs a `reason`",
        ),
        (lambda d: d["techniques"].update({"massage-swedish": {"code": "97124"}}), "no source"),
        (lambda d: d["spinal_segments"].update({"coccyx": "tailbone"}), "not a CMT spinal region"),
    ],
)
def test_the_map_refuses_mistakes(change, problem):
    document = _document()
    change(document)
    with pytest.raises(DocumentedCodesError, match=problem):
        parse_documented_codes(document, load_codes())
