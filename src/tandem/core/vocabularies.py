"""Tandem's controlled vocabularies (DESIGN.md §5). Codes are stable slugs; labels are for people.

Pure module: no Django imports, so the safety engine, billing and the optimizer can share it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    code: str
    label: str
    snomed: str = ""


DISCIPLINES: tuple[Concept, ...] = (
    Concept("chiropractic", "Chiropractic", "36228007"),
    Concept("physical-therapy", "Physical therapy", "91251008"),
    Concept("massage-therapy", "Massage therapy", "61074009"),
)


@dataclass(frozen=True)
class Technique:
    code: str
    label: str
    discipline: str
    snomed: str = ""


# DESIGN.md §5. The discipline says who performs it; the safety rules and the plan builder key on `code`.
TECHNIQUES: tuple[Technique, ...] = (
    Technique(
        "chiro-hvla", "Diversified high-velocity low-amplitude adjustment", "chiropractic", "405159005"
    ),
    Technique("chiro-activator", "Activator (instrument-assisted) adjustment", "chiropractic"),
    Technique("chiro-flexion-distraction", "Flexion-distraction", "chiropractic"),
    Technique("chiro-drop-table", "Drop-table adjustment", "chiropractic"),
    Technique("chiro-mobilization", "Joint mobilization", "chiropractic"),
    Technique("pt-therapeutic-exercise", "Therapeutic exercise", "physical-therapy", "229065009"),
    Technique("pt-neuromuscular-reeducation", "Neuromuscular re-education", "physical-therapy"),
    Technique("pt-therapeutic-activities", "Therapeutic activities", "physical-therapy"),
    Technique("pt-manual-therapy", "Manual therapy", "physical-therapy"),
    Technique("pt-dry-needling", "Dry needling", "physical-therapy"),
    Technique("pt-heat-cold", "Heat or cold packs", "physical-therapy"),
    Technique("pt-electrical-stimulation", "Electrical stimulation", "physical-therapy"),
    Technique("massage-swedish", "Swedish massage", "massage-therapy"),
    Technique("massage-deep-tissue", "Deep tissue massage", "massage-therapy"),
    Technique("massage-myofascial-release", "Myofascial release", "massage-therapy"),
    Technique("massage-trigger-point", "Trigger point therapy", "massage-therapy"),
    Technique("massage-lymphatic-drainage", "Manual lymphatic drainage", "massage-therapy"),
    Technique("massage-sports", "Sports massage", "massage-therapy"),
)
TECHNIQUE_CODES: frozenset[str] = frozenset(t.code for t in TECHNIQUES)


def technique(code: str) -> Technique | None:
    for candidate in TECHNIQUES:
        if candidate.code == code:
            return candidate
    return None


def techniques_of(discipline: str) -> tuple[Technique, ...]:
    return tuple(t for t in TECHNIQUES if t.discipline == discipline)


AXIAL_BODY_SITES: tuple[Concept, ...] = (
    Concept("head", "Head", "69536005"),
    Concept("cervical", "Cervical spine", "122494005"),
    Concept("thoracic", "Thoracic spine", "122495006"),
    Concept("lumbar", "Lumbar spine", "122496007"),
    Concept("sacral", "Sacrum", "54735007"),
    Concept("pelvis", "Pelvis", "12921003"),
    Concept("rib-cage", "Rib cage", "78904004"),
    Concept("abdomen", "Abdomen", "113345001"),
)
# Limb regions exist once per side: `shoulder-left`, `shoulder-right`, ...
LIMB_BODY_SITES: tuple[Concept, ...] = (
    Concept("shoulder", "Shoulder", "16982005"),
    Concept("upper-arm", "Upper arm", "40983000"),
    Concept("elbow", "Elbow", "127949000"),
    Concept("forearm", "Forearm", "14975008"),
    Concept("wrist-hand", "Wrist and hand", "85562004"),
    Concept("hip", "Hip", "29836001"),
    Concept("thigh", "Thigh", "68367000"),
    Concept("knee", "Knee", "72696002"),
    Concept("lower-leg", "Lower leg", "30021000"),
    Concept("ankle-foot", "Ankle and foot", "344001"),
)
SIDES: tuple[Concept, ...] = (Concept("left", "Left", "7771000"), Concept("right", "Right", "24028007"))
SPINAL_REGIONS_FOR_CMT: tuple[str, ...] = ("cervical", "thoracic", "lumbar", "sacral", "pelvis")


def body_site_concepts() -> tuple[Concept, ...]:
    """Every body-site code of the vocabulary, limbs expanded per side."""
    sided = tuple(
        Concept(f"{limb.code}-{side.code}", f"{limb.label}, {side.label.lower()}", limb.snomed)
        for limb in LIMB_BODY_SITES
        for side in SIDES
    )
    return AXIAL_BODY_SITES + sided


BODY_SITES: tuple[Concept, ...] = body_site_concepts()
BODY_SITE_CODES: frozenset[str] = frozenset(c.code for c in BODY_SITES)
LIMB_CODES: frozenset[str] = frozenset(c.code for c in LIMB_BODY_SITES)
AXIAL_CODES: frozenset[str] = frozenset(c.code for c in AXIAL_BODY_SITES)


def body_site_codes(region: str, laterality: str) -> list[str]:
    """Vocabulary codes for a region and a laterality (left, right, bilateral or none for axial regions)."""
    if region in AXIAL_CODES:
        return [region]
    if region not in LIMB_CODES:
        return []
    if laterality == "bilateral":
        return [f"{region}-left", f"{region}-right"]
    if laterality in {"left", "right"}:
        return [f"{region}-{laterality}"]
    return []


def label(concepts: tuple[Concept, ...], code: str) -> str:
    for concept in concepts:
        if concept.code == code:
            return concept.label
    return code


# --- Rooms and visits (scheduling) ---------------------------------------------------------------------

EQUIPMENT: tuple[Concept, ...] = (
    Concept("adjusting-table", "Adjusting table"),
    Concept("massage-table", "Massage table"),
    Concept("gym-floor", "Gym floor"),
)
EQUIPMENT_CODES: frozenset[str] = frozenset(c.code for c in EQUIPMENT)
# What the room of a visit needs, by the discipline of the visit.
EQUIPMENT_FOR_DISCIPLINE: dict[str, str] = {
    "chiropractic": "adjusting-table",
    "physical-therapy": "gym-floor",
    "massage-therapy": "massage-table",
}
