"""What the demo clinic's clinicians write in a past visit's note: the discipline's fields, SOAP text and
body-map marks, from the plan activity's orders and how far into the plan the visit is. Pure module.

Content is deterministic for a key (the seed, the patient and the visit), so two runs with one seed write the
same notes. Pain falls over a plan (with day-to-day noise) and findings ease, so the chart's timelines and
the demo's documentation look like a course of care rather than copies of one visit.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tandem.charting.bodymap import views_of
from tandem.core.vocabularies import SPINAL_REGIONS_FOR_CMT

MASSAGE, CHIROPRACTIC, PHYSICAL_THERAPY = "massage-therapy", "chiropractic", "physical-therapy"

# Muscles a massage therapist names at a site, for trigger points.
MUSCLES: dict[str, tuple[str, ...]] = {
    "cervical": ("upper trapezius", "levator scapulae", "splenius capitis", "suboccipitals"),
    "thoracic": ("rhomboid major", "middle trapezius", "thoracic erector spinae"),
    "lumbar": ("quadratus lumborum", "lumbar erector spinae", "multifidus"),
    "sacral": ("gluteus medius", "piriformis", "multifidus"),
    "pelvis": ("gluteus medius", "piriformis", "tensor fasciae latae"),
    "shoulder": ("infraspinatus", "supraspinatus", "teres minor", "posterior deltoid"),
    "upper-arm": ("triceps brachii", "biceps brachii"),
    "forearm": ("wrist extensors", "wrist flexors"),
    "hip": ("gluteus medius", "tensor fasciae latae", "iliopsoas"),
    "thigh": ("vastus lateralis", "hamstrings", "adductor magnus"),
    "knee": ("vastus medialis", "popliteus"),
    "lower-leg": ("gastrocnemius", "soleus", "tibialis anterior"),
    "ankle-foot": ("soleus", "plantar fascia", "flexor digitorum brevis"),
}
SEGMENTS: dict[str, tuple[str, ...]] = {
    "cervical": ("C2", "C3", "C4", "C5", "C6"),
    "thoracic": ("T4", "T5", "T6", "T7", "T8"),
    "lumbar": ("L3", "L4", "L5"),
    "sacral": ("S1",),
    "pelvis": (),
}
ORTHOPEDIC_TESTS: dict[str, tuple[str, ...]] = {
    "cervical": ("Spurling's test", "Cervical distraction", "Shoulder abduction relief"),
    "thoracic": ("Rib spring test", "Adam's forward bend"),
    "lumbar": ("Kemp's test", "Straight leg raise", "Slump test"),
    "sacral": ("FABER (Patrick's) test", "Gaenslen's test"),
    "pelvis": ("FABER (Patrick's) test", "Thigh thrust"),
}
NEUROLOGICAL_TESTS: dict[str, tuple[str, str]] = {
    "cervical": ("Upper limb reflexes (C5-C7)", "2+ and symmetric"),
    "thoracic": ("Dermatomes T4-T8", "light touch intact"),
    "lumbar": ("Lower limb reflexes (L4, S1)", "2+ and symmetric"),
    "sacral": ("Lower limb reflexes (L4, S1)", "2+ and symmetric"),
    "pelvis": ("Lower limb myotomes L2-S1", "5/5 throughout"),
}
ROM_MOVEMENTS: dict[str, tuple[str, int, int]] = {  # movement, degrees at the start, degrees expected
    "cervical": ("rotation", 55, 75),
    "thoracic": ("rotation", 30, 45),
    "lumbar": ("flexion", 45, 70),
    "sacral": ("flexion", 45, 70),
    "pelvis": ("hip flexion", 95, 115),
    "shoulder": ("flexion", 130, 170),
    "hip": ("flexion", 95, 115),
    "knee": ("flexion", 110, 135),
    "ankle-foot": ("dorsiflexion", 8, 18),
    "elbow": ("extension", 150, 175),
    "wrist-hand": ("extension", 50, 70),
}
STRENGTH_GROUPS: dict[str, str] = {
    "cervical": "deep neck flexors",
    "thoracic": "scapular retractors",
    "lumbar": "hip extensors",
    "sacral": "hip abductors",
    "pelvis": "hip abductors",
    "shoulder": "shoulder external rotators",
    "hip": "hip abductors",
    "knee": "quadriceps",
    "ankle-foot": "plantar flexors",
    "thigh": "quadriceps",
}
FUNCTIONAL_TESTS: dict[str, tuple[str, str]] = {  # test, unit of its result
    "cervical": ("Neck flexor endurance", "s"),
    "lumbar": ("Sit-to-stand in 30 s", "repetitions"),
    "sacral": ("Single-leg stance", "s"),
    "pelvis": ("Single-leg stance", "s"),
    "knee": ("Sit-to-stand in 30 s", "repetitions"),
    "shoulder": ("Overhead reach", "cm"),
}
FEELINGS = ("a little better", "about the same as last time", "noticeably better", "better most days")
ACTIVITIES = ("sleeping", "sitting at work", "walking the dog", "driving", "getting out of bed", "gardening")


@dataclass(frozen=True)
class VisitContext:
    """One past visit to write up: who, what the plan ordered, and where in the plan it falls."""

    key: str  # seed, patient and visit: the same key writes the same note
    discipline: str
    minutes: int  # the appointment's length
    number: int  # 1 for the patient's first visit of this discipline in the plan
    planned: int  # visits of this discipline the plan orders
    techniques: tuple[str, ...]
    body_sites: tuple[str, ...]
    pressure: str = ""
    exercises: tuple[Mapping[str, Any], ...] = ()
    goal: str = ""  # the plan's first goal, in words


@dataclass(frozen=True)
class NoteContent:
    data: dict[str, Any]
    soap: dict[str, str]
    body_marks: list[dict[str, str]] = field(default_factory=list)


def _base(site: str) -> str:
    for suffix in ("-left", "-right"):
        if site.endswith(suffix):
            return site[: -len(suffix)]
    return site


def _side(site: str) -> str:
    return "left" if site.endswith("-left") else "right" if site.endswith("-right") else "bilateral"


def _view(site: str, prefer: str = "back") -> str:
    views = views_of(site)
    return prefer if prefer in views or not views else views[0]


def _progress(context: VisitContext) -> float:
    """0 at the first visit, 1 at the last planned one."""
    return min(1.0, (context.number - 1) / max(1, context.planned - 1))


def pain_before(context: VisitContext, rng: random.Random) -> int:
    """Pain (NPRS) on arrival: from about 7 at the start of a plan to about 3 at its end, give or take one."""
    return max(1, min(10, round(7 - 4 * _progress(context) + rng.choice((-1, 0, 0, 1)))))


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def _sites(context: VisitContext) -> list[str]:
    return list(context.body_sites) or ["lumbar"]


def note_content(context: VisitContext) -> NoteContent:
    """The note a clinician of `context.discipline` writes for the visit."""
    rng = random.Random(context.key)
    writers = {MASSAGE: _massage, CHIROPRACTIC: _chiropractic, PHYSICAL_THERAPY: _physical_therapy}
    if context.discipline not in writers:
        raise ValueError(f"No demo note for the discipline {context.discipline!r}.")
    return writers[context.discipline](context, rng)


def _soap(
    context: VisitContext, rng: random.Random, pain: int, objective: str, done: str, next_visits: str
) -> dict[str, str]:
    where = ", ".join(site.replace("-", " ") for site in _sites(context))
    feeling = FEELINGS[0] if context.number == 1 else rng.choice(FEELINGS)
    subjective = (
        f"Pain {pain}/10 at the {where} on arrival; {feeling}. "
        f"Hardest now: {rng.choice(ACTIVITIES)}. No new symptoms, no numbness or weakness."
    )
    goal = context.goal or "the plan's goals"
    share = round(100 * _progress(context))
    assessment = (
        f"Visit {context.number} of {context.planned}. Tolerated well. Progressing toward: {goal} "
        f"(about {share}% through the plan); no red flags."
    )
    return {
        "subjective": subjective,
        "objective": f"{objective} {done}",
        "assessment": assessment,
        "plan": next_visits,
    }


def _massage(context: VisitContext, rng: random.Random) -> NoteContent:
    techniques = list(context.techniques) or ["massage-swedish"]
    working = max(len(techniques), context.minutes - 5)  # five minutes to settle in and re-assess
    rows = [
        {"technique": t, "minutes": m}
        for t, m in zip(techniques, _split(working, len(techniques)), strict=True)
    ]
    sites = _sites(context)
    before = pain_before(context, rng)
    after = max(0, before - rng.choice((1, 2, 2, 3)))
    points: list[dict[str, str]] = []
    for site in sites[:3]:
        muscles = MUSCLES.get(_base(site), ("local musculature",))
        for muscle in rng.sample(muscles, k=min(len(muscles), rng.choice((1, 1, 2)))):
            points.append(
                {"site": site, "muscle": muscle, "status": rng.choice(("released", "released", "found"))}
            )
    tension = ("marked", "moderate", "moderate", "mild")[min(3, int(4 * _progress(context)))]
    marks = [{"site": sites[0], "kind": "pain", "view": _view(sites[0])}]
    marks += [{"site": s, "kind": "treated-area", "view": _view(s)} for s in sites]
    for site in dict.fromkeys(p["site"] for p in points):  # one mark per site, naming its muscles
        muscles = ", ".join(p["muscle"] for p in points if p["site"] == site)
        marks.append({"site": site, "kind": "trigger-point", "view": _view(site), "note": muscles[:200]})
    data = {
        "techniques": rows,
        "body_sites": sites,
        "pressure": context.pressure or "moderate",
        "trigger_points": points,
        "muscle_tension": f"{tension.capitalize()} hypertonicity, guarding eases with work.",
        "muscle_length": "Hip flexors and hamstrings short bilaterally."
        if any(_base(s) in ("lumbar", "sacral", "pelvis", "hip", "thigh") for s in sites)
        else "Upper trapezius and pectorals short.",
        "circulation_skin": "Skin intact, warm; good capillary refill; no bruising.",
        "posture": rng.choice(
            ("Forward head, rounded shoulders.", "Anterior pelvic tilt.", "Upright, guarded.")
        ),
        "nprs_before": before,
        "nprs_after": after,
        "response": f"Pain {before} -> {after}/10; tissue softened, moved more freely on getting up.",
        "home_care": "Heat 15 min in the evening; gentle stretches as shown; drink water.",
    }
    soap = _soap(
        context,
        rng,
        before,
        f"Palpation: {tension} hypertonicity; {len(points)} trigger point(s).",
        f"{' and '.join(t.replace('massage-', '').replace('-', ' ') for t in techniques)} at "
        f"{context.pressure or 'moderate'} pressure.",
        "Continue massage as planned; report tolerance to the supervising clinician.",
    )
    return NoteContent(data=data, soap=soap, body_marks=marks)


def _chiropractic(context: VisitContext, rng: random.Random) -> NoteContent:
    regions = [s for s in _sites(context) if s in SPINAL_REGIONS_FOR_CMT] or ["lumbar"]
    techniques = list(context.techniques) or ["chiro-hvla"]
    technique = techniques[(context.number - 1) % len(techniques)]
    adjustments: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    tests: list[dict[str, str]] = []
    neuro: list[dict[str, str]] = []
    level = ("severe", "moderate", "moderate", "mild", "mild")[min(4, int(5 * _progress(context)))]
    for region in regions:
        segments = SEGMENTS.get(region, ())
        chosen = sorted(rng.sample(segments, k=min(len(segments), 2)), key=segments.index) if segments else []
        adjustments.append({"region": region, "segments": chosen, "technique": technique})
        movement, start, goal = ROM_MOVEMENTS[region]
        degrees = round(start + (goal - start) * _progress(context))
        findings.append(
            {
                "site": region,
                "restriction": level,
                "tenderness": "mild" if level == "severe" else level,
                "rom": f"{movement} {degrees}° (expected {goal}°), end-range pain",
            }
        )
        name = ORTHOPEDIC_TESTS[region][(context.number - 1) % len(ORTHOPEDIC_TESTS[region])]
        tests.append(
            {"name": name, "side": "bilateral", "result": "positive" if level != "mild" else "negative"}
        )
        reflex, result = NEUROLOGICAL_TESTS[region]
        neuro.append({"name": reflex, "result": "normal", "detail": result})
    before = pain_before(context, rng)
    marks = [{"site": r, "kind": "adjusted-segment", "view": _view(r)} for r in regions]
    marks.insert(0, {"site": regions[0], "kind": "pain", "view": _view(regions[0])})
    data = {
        "adjustments": adjustments,
        "findings": findings,
        "orthopedic_tests": tests,
        "neurological_tests": neuro,
        "response": "Improved segmental motion after the adjustment; pain eased on standing.",
    }
    soap = _soap(
        context,
        rng,
        before,
        f"{level.capitalize()} restriction at {', '.join(regions)}; neurology intact.",
        f"Adjusted {', '.join(regions)} ({technique.replace('chiro-', '').replace('-', ' ')}).",
        "Continue adjustments as planned; re-examine at the plan's review.",
    )
    return NoteContent(data=data, soap=soap, body_marks=marks)


def _physical_therapy(context: VisitContext, rng: random.Random) -> NoteContent:
    sites = _sites(context)
    techniques = list(context.techniques) or ["pt-therapeutic-exercise"]
    working = max(len(techniques), context.minutes - 5)
    rows = [
        {"technique": t, "minutes": m, "body_sites": sites}
        for t, m in zip(techniques, _split(working, len(techniques)), strict=True)
    ]
    exercises = []
    for exercise in context.exercises:
        row: dict[str, Any] = {"name": str(exercise.get("name", "Exercise"))[:100]}
        for key in ("sets", "repetitions"):
            if isinstance(exercise.get(key), int) and exercise[key] > 0:
                row[key] = exercise[key] + (1 if key == "repetitions" and _progress(context) > 0.5 else 0)
        if exercise.get("notes"):
            row["notes"] = str(exercise["notes"])[:200]
        exercises.append(row)
    rom, strength, functional = [], [], []
    for site in sites[:2]:
        base = _base(site)
        if base in ROM_MOVEMENTS:
            movement, start, goal = ROM_MOVEMENTS[base]
            rom.append(
                {
                    "site": site,
                    "movement": movement,
                    "degrees": round(start + (goal - start) * _progress(context)),
                }
            )
        if base in STRENGTH_GROUPS:
            grade = min(5, 3 + round(2 * _progress(context)))
            strength.append({"muscle_group": STRENGTH_GROUPS[base], "side": _side(site), "grade": grade})
        if base in FUNCTIONAL_TESTS:
            name, unit = FUNCTIONAL_TESTS[base]
            result = round((8 if unit == "repetitions" else 15) * (1 + 0.6 * _progress(context)))
            functional.append({"name": name, "result": f"{result} {unit}"})
    before = pain_before(context, rng)
    marks = [{"site": sites[0], "kind": "pain", "view": _view(sites[0])}]
    marks += [{"site": s, "kind": "treated-area", "view": _view(s, prefer="front")} for s in sites]
    data: dict[str, Any] = {
        "techniques": rows,
        "exercises": exercises,
        "rom": rom,
        "strength": strength,
        "functional_tests": functional,
    }
    if _progress(context) > 0.5:
        data["home_exercise_changes"] = "Progressed repetitions; keep daily."
    if "pt-neuromuscular-reeducation" in techniques:
        data["neuromuscular_reeducation"] = "Lumbopelvic control drills with feedback; single-leg balance."
    soap = _soap(
        context,
        rng,
        before,
        "; ".join(f"{r['movement']} {r['degrees']}°" for r in rom) or "Moves with less guarding.",
        f"Therapeutic exercise {sum(r['minutes'] for r in rows)} min, {len(exercises)} exercise(s).",
        "Continue the exercise program; progress load as tolerated.",
    )
    return NoteContent(data=data, soap=soap, body_marks=marks)


def planned_visits(visits_per_week: int, weeks: int) -> int:
    return max(1, visits_per_week * weeks)
