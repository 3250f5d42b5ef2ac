"""Safety vocabularies: patient factors and red flags (../shared/clinical/REFERENCE.md §4–5). Pure module.

Codes are stable slugs, used in rules.yaml, in intake screenings and in the API. Labels are for people.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    """Something about the patient that changes what may be done, optionally at one body site."""

    code: str
    label: str
    sited: bool = False  # True when the factor usually sits at a body site (a wound, a fracture ...)


# REFERENCE.md §4: massage general / local / relative classes, spinal and cervical manipulation.
PATIENT_FACTORS: tuple[Factor, ...] = (
    # General: no massage until resolved.
    Factor("fever", "Significant fever"),
    Factor("contagious-disease", "Systemic contagious or infectious disease"),
    Factor("acute-medical-condition", "Acute condition needing medical care"),
    Factor("unstable-hypertension", "Severe or unstable hypertension"),
    Factor("dvt", "Blood clot / deep vein thrombosis", sited=True),
    # Local: avoid the area.
    Factor("inflammatory-flare", "Acute inflammatory flare (e.g. rheumatoid arthritis)", sited=True),
    Factor("aneurysm", "Aneurysm", sited=True),
    Factor("aortic-aneurysm", "Aortic aneurysm"),
    Factor("skin-condition", "Contagious or irritable skin condition", sited=True),
    Factor("open-wound", "Open wound", sited=True),
    Factor("recent-surgery", "Recent surgery", sited=True),
    Factor("recent-burn", "Recent burn", sited=True),
    Factor("varicosities", "Varicose veins", sited=True),
    Factor("malignancy", "Malignant tumour", sited=True),
    Factor("recent-fracture", "Recent or acute fracture", sited=True),
    Factor("weakened-bone", "Weakened bone", sited=True),
    # Relative: modify the technique.
    Factor("bleeding-disorder", "Bleeding disorder"),
    Factor("low-platelets", "Low platelet count"),
    Factor("cancer", "Cancer (current treatment or active disease)", sited=True),
    Factor("history-of-cancer", "History of cancer"),
    Factor("osteoporosis", "Osteoporosis"),
    Factor("severe-osteoporosis", "Severe osteoporosis"),
    Factor("bone-metastasis", "Bone metastasis", sited=True),
    Factor("pregnancy", "Pregnancy"),
    # Structural and neurological (Hawk et al. 2020; OSU cervical CPG; WHO 2005).
    Factor(
        "instability", "Structural instability (e.g. unstable spondylolisthesis, post-surgical)", sited=True
    ),
    Factor("atlantoaxial-instability", "Atlantoaxial instability or dens anomaly"),
    Factor("hypermobility", "Hypermobility", sited=True),
    Factor("inflammatory-disease", "Inflammatory disease (e.g. RA, ankylosing spondylitis)"),
    Factor("osteomyelitis", "Osteomyelitis", sited=True),
    Factor("progressive-neuro-deficit", "Progressive or sudden neurological deficit"),
    Factor("upper-motor-neuron-signs", "Upper motor neuron signs"),
    Factor("multilevel-root-involvement", "Multilevel nerve-root involvement"),
    Factor("cord-tumour", "Spinal cord tumour"),
    Factor("cauda-equina", "Cauda equina syndrome"),
    Factor("vertebrobasilar-insufficiency", "Vertebrobasilar insufficiency"),
    Factor("cervical-artery-dissection", "Suspected cervical artery dissection"),
    Factor("recent-trauma", "Recent trauma", sited=True),
    Factor("unremitting-night-pain", "Unremitting night or non-mechanical pain"),
)
PATIENT_FACTOR_CODES: frozenset[str] = frozenset(f.code for f in PATIENT_FACTORS)


@dataclass(frozen=True)
class RedFlag:
    """A red flag that warrants referral (REFERENCE.md §5); `suspect` is the condition it points to."""

    code: str
    label: str
    suspect: str


# Low back: NHS Gloucestershire pathway (NICE CG88/NG59), BASS 2018; neck: KNGF guideline, Canadian C-Spine
# Rule.
RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "bladder-bowel-dysfunction", "Loss of bladder or bowel control, or urinary retention", "cauda-equina"
    ),
    RedFlag("anal-sphincter-laxity", "Anal sphincter laxity", "cauda-equina"),
    RedFlag(
        "saddle-anaesthesia", "Saddle anaesthesia (numbness around the genitals or buttocks)", "cauda-equina"
    ),
    RedFlag("bilateral-sciatica", "New bilateral sciatica", "cauda-equina"),
    RedFlag("sexual-dysfunction", "New sexual dysfunction", "cauda-equina"),
    RedFlag(
        "progressive-neuro-deficit",
        "Severe or progressive neurological deficit in the legs, or gait disturbance",
        "cauda-equina",
    ),
    RedFlag("history-of-cancer", "History of cancer", "cancer"),
    RedFlag("new-pain-over-50-or-under-20", "New pain at age over 50 or under 20", "cancer"),
    RedFlag("no-improvement-one-month", "No improvement after one month of care", "cancer"),
    RedFlag("night-pain", "Persistent night pain", "cancer"),
    RedFlag("unexplained-weight-loss", "Unexplained weight loss", "cancer"),
    RedFlag("multi-site-pain", "Pain at multiple sites", "cancer"),
    RedFlag("spinal-deformity", "Spinal deformity", "cancer"),
    RedFlag("fever-chills", "Fever, chills or rigors", "infection"),
    RedFlag("immunosuppression", "Immunosuppression", "infection"),
    RedFlag("iv-drug-use", "Intravenous drug use", "infection"),
    RedFlag("recent-bacterial-infection", "Recent bacterial infection", "infection"),
    RedFlag("penetrating-wound", "Penetrating wound", "infection"),
    RedFlag("major-trauma", "Major trauma", "fracture"),
    RedFlag(
        "minor-trauma-osteoporosis-steroids",
        "Minor trauma with osteoporosis or corticosteroid use",
        "fracture",
    ),
    RedFlag("central-pain-relieved-lying", "Severe central pain relieved by lying down", "fracture"),
    RedFlag("headache-dizziness-visual", "Headache, dizziness or visual change", "vascular"),
    RedFlag("vomiting-dysphagia", "Vomiting or difficulty swallowing (dysphagia)", "vascular"),
    RedFlag("autoimmune-disease", "Autoimmune disease", "inflammatory"),
    RedFlag("limb-paraesthesia-after-trauma", "Paraesthesias in the limbs after neck trauma", "fracture"),
    RedFlag("neck-rotation-under-45", "Cannot rotate the neck 45° each way after trauma", "fracture"),
    RedFlag("upper-motor-neuron-signs", "Upper motor neuron signs", "myelopathy"),
)
RED_FLAG_CODES: frozenset[str] = frozenset(r.code for r in RED_FLAGS)

RED_FLAG_GROUPS: tuple[tuple[str, str], ...] = (
    ("cauda-equina", "Cauda equina (emergency)"),
    ("cancer", "Cancer"),
    ("infection", "Infection"),
    ("fracture", "Fracture"),
    ("vascular", "Vascular / neck"),
    ("inflammatory", "Inflammatory"),
    ("myelopathy", "Cord compression"),
)


def factor_label(code: str) -> str:
    for factor in PATIENT_FACTORS:
        if factor.code == code:
            return factor.label
    return code


def red_flag_label(code: str) -> str:
    for flag in RED_FLAGS:
        if flag.code == code:
            return flag.label
    return code
