"""Medication risk flags from a drug-class table (DESIGN.md §5). Pure module.

The table maps generic names and common US brand names to the flags the safety engine uses. A name matches
when one of its words is a listed drug, so "Warfarin sodium 5 mg" and "Eliquis" both match.
Sources: drug classes as in the FDA labels and WHO ATC groups B01AA, B01AE, B01AF, B01AB (anticoagulants),
B01AC (platelet aggregation inhibitors), H02AB (glucocorticoids), M05BA (bisphosphonates).
"""

from __future__ import annotations

import re

RISK_FLAGS: tuple[str, ...] = ("anticoagulant", "antiplatelet", "corticosteroid", "bisphosphonate")

DRUG_CLASSES: dict[str, tuple[str, ...]] = {
    "anticoagulant": (
        "warfarin",
        "coumadin",
        "jantoven",
        "apixaban",
        "eliquis",
        "rivaroxaban",
        "xarelto",
        "dabigatran",
        "pradaxa",
        "edoxaban",
        "savaysa",
        "heparin",
        "enoxaparin",
        "lovenox",
        "dalteparin",
        "fragmin",
        "fondaparinux",
        "arixtra",
        "acenocoumarol",
        "phenprocoumon",
    ),
    "antiplatelet": (
        "aspirin",
        "clopidogrel",
        "plavix",
        "prasugrel",
        "effient",
        "ticagrelor",
        "brilinta",
        "dipyridamole",
        "aggrenox",
        "cilostazol",
        "ticlopidine",
    ),
    "corticosteroid": (
        "prednisone",
        "prednisolone",
        "methylprednisolone",
        "medrol",
        "dexamethasone",
        "decadron",
        "hydrocortisone",
        "cortisone",
        "triamcinolone",
        "kenalog",
        "betamethasone",
        "budesonide",
    ),
    "bisphosphonate": (
        "alendronate",
        "fosamax",
        "risedronate",
        "actonel",
        "atelvia",
        "ibandronate",
        "boniva",
        "zoledronic",
        "zoledronate",
        "reclast",
        "zometa",
        "pamidronate",
    ),
}

_INDEX: dict[str, list[str]] = {}
for _flag, _names in DRUG_CLASSES.items():
    for _name in _names:
        _INDEX.setdefault(_name, []).append(_flag)


def risk_flags_for(medication: str) -> list[str]:
    """The risk flags of a medication name, in RISK_FLAGS order; empty when the drug is not in the table."""
    words = re.findall(r"[a-z]+", medication.lower())
    found = {flag for word in words for flag in _INDEX.get(word, ())}
    return [flag for flag in RISK_FLAGS if flag in found]
