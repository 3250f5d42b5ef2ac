"""The demo clinic's people, generated deterministically. Pure module: no Django.

Patient number `index` is a function of (seed, index, today) only, never of how many patients are asked
for, so `tandem demo --patients 500` after `--patients 200` adds patients 201-500 and leaves 1-200 as they
were. Dates are relative to `today` (the run's date in the clinic's time zone) so ages and "onset 3 weeks
ago" stay realistic whenever the demo is loaded; names, codes, medications and teams depend on the seed
only. Patients 1-5 are the fixed key patients of the docs and tests, whatever the seed.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from tandem.core.npi import npi_with_check_digit
from tandem.demo import data
from tandem.demo.key_patients import KEY_PATIENTS, key_patient
from tandem.demo.specs import (
    AllergySpec,
    Clinician,
    ConditionSpec,
    MedicationSpec,
    MembershipSpec,
    PatientSpec,
    code_text,
    mrn,
    years_before,
)
from tandem.patients import icd10

CLINICIANS_PER_DISCIPLINE = 16  # the persona and up to 15 colleagues: a large three-site practice

T = TypeVar("T")

# --- Start-up check ---------------------------------------------------------------------------------------


@cache
def code_descriptions() -> dict[str, str]:
    """Every ICD-10-CM code the demo uses, with its official description.

    Raises icd10.UnknownCode naming every code that is not billable, so a typo in the tables stops the
    command before it writes anything.
    """
    found: dict[str, str] = {}
    problems: list[str] = []
    for code in sorted({p.code for p in data.PROBLEMS}):
        try:
            found[code] = icd10.lookup(code).description
        except icd10.UnknownCode as exc:
            problems.append(str(exc))
    for index, key in enumerate(KEY_PATIENTS, start=1):
        try:
            conditions = key_patient(index, datetime.date(2026, 11, 1)).conditions  # any day will do
        except icd10.UnknownCode as exc:
            problems.append(f"(key patient {key.given_name} {key.family_name}) {exc}")
        else:
            found.update((c.code, c.text) for c in conditions)
    if problems:
        raise icd10.UnknownCode("The demo tables use invalid ICD-10-CM codes: " + " ".join(problems))
    return found


# --- Staff ------------------------------------------------------------------------------------------------


def staff_roster() -> tuple[Clinician, ...]:
    """All colleagues the clinic can ever have, in hiring order.

    Number 2 of each discipline is always there (so the personas never carry the whole clinic); number k
    (k >= 3) joins when the clinic passes 150 * (k - 2) patients, up to CLINICIANS_PER_DISCIPLINE.
    """
    roster: list[Clinician] = []
    for order, (discipline, names) in enumerate(data.STAFF_NAMES.items()):
        for number, name in enumerate(names[: CLINICIANS_PER_DISCIPLINE - 1], start=2):
            first_name, last_name = name.split(" ", 1)
            joins_at = 1 if number == 2 else data.PATIENTS_PER_EXTRA_CLINICIAN * (number - 2) + 1
            roster.append(
                Clinician(
                    username=f"{data.STAFF_PREFIX[discipline]}{number}",
                    first_name=first_name,
                    last_name=last_name,
                    discipline=discipline,
                    credentials=data.STAFF_CREDENTIALS[discipline],
                    license_number=f"{data.STAFF_LICENSE_PREFIX[discipline]}-{900000 + number}",
                    joins_at=joins_at,
                    location=number % 2,
                    npi=npi_with_check_digit(f"1{7 + order}{number:07d}"),
                )
            )
    return tuple(sorted(roster, key=lambda c: (c.joins_at, c.discipline, c.username)))


def staff_for(patients: int) -> tuple[Clinician, ...]:
    """The colleagues a clinic of `patients` patients has."""
    return tuple(c for c in staff_roster() if c.joins_at <= max(patients, 1))


@cache
def _pools() -> dict[str, tuple[list[int], list[str]]]:
    """Per discipline: the joining indices (sorted) and usernames of the colleagues, for bisecting."""
    pools: dict[str, tuple[list[int], list[str]]] = {d: ([], []) for d in data.STAFF_PREFIX}
    for clinician in staff_roster():
        joins, names = pools[clinician.discipline]
        joins.append(clinician.joins_at)
        names.append(clinician.username)
    return pools


# --- Small helpers ----------------------------------------------------------------------------------------


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, items: Sequence[T], cum_weights: list[float]) -> T:
    return rng.choices(items, cum_weights=cum_weights)[0]


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(data.AREA_CODES)}-555-01{rng.randrange(100):02d}"


def _age_band(age: int) -> int:
    return bisect.bisect_right(data.AGE_BANDS, age)


# Precomputed choice tables, so each patient costs a few dozen random draws and no list building.
_LANGUAGES = [code for code, _ in data.LANGUAGE_WEIGHTS]
_LANGUAGE_CUM = _cumulative([w for _, w in data.LANGUAGE_WEIGHTS])
_STREET_CUM = _cumulative([s[4] for s in data.STREETS])
_RELATION_CUM = _cumulative([r[1] for r in data.EMERGENCY_RELATIONSHIPS])
_PROBLEM_CUM_BY_BAND = [
    _cumulative([p.weight * data.KIND_FACTORS[p.kind][band] for p in data.PROBLEMS]) for band in range(4)
]
_PROBLEM_COUNTS = [n for n, _ in data.PROBLEM_COUNT_WEIGHTS]
_PROBLEM_COUNT_CUM = _cumulative([w for _, w in data.PROBLEM_COUNT_WEIGHTS])
_SECONDARY_STATUSES = [s for s, _ in data.SECONDARY_STATUS_WEIGHTS]
_SECONDARY_STATUS_CUM = _cumulative([w for _, w in data.SECONDARY_STATUS_WEIGHTS])
_DRUG_COUNTS = [n for n, _ in data.COMMON_DRUG_COUNT_WEIGHTS]
_DRUG_COUNT_CUM = _cumulative([w for _, w in data.COMMON_DRUG_COUNT_WEIGHTS])
_BLOOD_THINNER_CUM = _cumulative([d.weight for d in data.BLOOD_THINNERS])
_ALLERGY_COUNTS = [n for n, _ in data.ALLERGY_COUNT_WEIGHTS]
_ALLERGY_COUNT_CUM = _cumulative([w for _, w in data.ALLERGY_COUNT_WEIGHTS])
_RELATION_SEX = {
    "daughter": "female",
    "mother": "female",
    "sister": "female",
    "son": "male",
    "father": "male",
    "brother": "male",
}
_ALLERGEN_CUM = _cumulative([a.weight for a in data.ALLERGENS])
_NSAID_ALLERGENS = frozenset(a.substance for a in data.ALLERGENS if a.nsaid)
_SHAPES = [shape for shape, _ in data.TEAM_SHAPES]
_SHAPE_CUM = _cumulative([w for _, w in data.TEAM_SHAPES])


# --- One patient ------------------------------------------------------------------------------------------


def generate_patient(seed: int, index: int, today: datetime.date) -> PatientSpec:
    """Patient number `index` of the demo clinic for `seed`, with dates relative to `today`.

    Key patients (index 1-5) are fixed; every other index draws from its own random stream, seeded by
    "seed:index", so no patient depends on another or on how many patients are generated.
    """
    if index <= len(KEY_PATIENTS):
        return key_patient(index, today)
    rng = random.Random(f"{seed}:{index}")
    language = _pick(rng, _LANGUAGES, _LANGUAGE_CUM)
    roll = rng.random()
    sex = "female" if roll < 0.55 else "male" if roll < 0.99 else "other"
    given, family = _name(rng, language, sex)
    age = min(85, int(rng.triangular(18, 86, 47)))
    birth_date = years_before(today, age) - datetime.timedelta(days=rng.randrange(365))
    street, city, state, postal_code, _ = _pick(rng, data.STREETS, _STREET_CUM)
    address = f"{rng.randrange(100, 9990)} {street}" + (
        f" Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else ""
    )
    email = ""
    if rng.random() < 0.85:
        number = str(rng.randrange(10, 100)) if rng.random() < 0.5 else ""
        email = f"{_ascii(given)}.{_ascii(family)}{number}@{rng.choice(data.EMAIL_DOMAINS)}"
    contact_name, relationship, contact_phone = _emergency_contact(rng, language, family, age)
    preferred_name = data.NICKNAMES.get(given, "") if rng.random() < 0.3 else ""

    band = _age_band(age)
    problems = _problems(rng, band)
    # A recent injury brings the patient in now; a chronic problem may have been treated for a while.
    if problems[0].kind == "acute":
        days_in_care = rng.randrange(0, 100)
    else:
        days_in_care = min(int(rng.expovariate(1 / 240)), 3 * 365)
    adult_on = years_before(birth_date, -18)
    registered_on = max(today - datetime.timedelta(days=days_in_care), adult_on)
    earliest_onset = years_before(birth_date, -16)
    conditions = tuple(
        _condition(rng, problem, position, registered_on, earliest_onset, today)
        for position, problem in enumerate(problems)
    )
    allergies = _allergies(rng)
    medications = _medications(rng, age, sex, registered_on, adult_on, today, allergies)
    care_team = _care_team(rng, index, registered_on, today)
    return PatientSpec(
        index=index,
        mrn=mrn(index),
        given_name=given,
        family_name=family,
        preferred_name=preferred_name,
        birth_date=birth_date,
        sex=sex,
        phone=_phone(rng),
        email=email,
        address_line=address,
        city=city,
        state=state,
        postal_code=postal_code,
        preferred_language=language,
        emergency_contact_name=contact_name,
        emergency_contact_relationship=relationship,
        emergency_contact_phone=contact_phone,
        conditions=conditions,
        medications=medications,
        allergies=allergies,
        care_team=care_team,
    )


def _name(rng: random.Random, language: str, sex: str) -> tuple[str, str]:
    """A first and family name fitting the patient's preferred language and sex."""
    female = sex == "female" or (sex == "other" and rng.random() < 0.5)
    pool = data.NAME_POOLS.get(language)
    if pool is None:
        given = rng.choice(data.FEMALE_FIRST if female else data.MALE_FIRST)
        return given, rng.choice(data.LAST)
    given = rng.choice(pool.female if female else pool.male)
    male_form, female_form = rng.choice(pool.family)
    return given, female_form if female else male_form


def _emergency_contact(rng: random.Random, language: str, family: str, age: int) -> tuple[str, str, str]:
    """Name, relationship and phone of an emergency contact; about one patient in nine gives none."""
    if rng.random() < 0.11:
        return "", "", ""
    relationship, _, who = _pick(rng, data.EMERGENCY_RELATIONSHIPS, _RELATION_CUM)
    if who == "child" and age < 40:
        relationship, who = "mother", "parent"
    if who == "parent" and age > 70:
        relationship, who = "daughter", "child"
    sex = _RELATION_SEX.get(relationship) or rng.choice(("female", "male"))
    given, other_family = _name(rng, language, sex)
    keeps_name = who in {"child", "parent", "sibling"} or (who == "partner" and rng.random() < 0.6)
    return f"{given} {family if keeps_name else other_family}", relationship, _phone(rng)


def _problems(rng: random.Random, band: int) -> list[data.ProblemTemplate]:
    """One to three problems, none excluding another (Excludes1 notes, or a symptom beside its cause)."""
    wanted = _pick(rng, _PROBLEM_COUNTS, _PROBLEM_COUNT_CUM)
    chosen: list[data.ProblemTemplate] = []
    taken: set[str] = set()
    cum = _PROBLEM_CUM_BY_BAND[band]
    for _ in range(wanted * 4):  # bounded: a clash just costs a redraw
        problem = _pick(rng, data.PROBLEMS, cum)
        if taken.isdisjoint(problem.tags):
            chosen.append(problem)
            taken.update(problem.tags)
            if len(chosen) == wanted:
                break
    return chosen


def _condition(
    rng: random.Random,
    problem: data.ProblemTemplate,
    position: int,
    registered_on: datetime.date,
    earliest_onset: datetime.date,
    today: datetime.date,
) -> ConditionSpec:
    """A problem-list entry: region and side as the model requires, onset, status, evidence if structural."""
    site = rng.choice(problem.sites)
    side = rng.choice(("left", "right", "right", "bilateral")) if problem.side == "any" else problem.side
    if problem.kind == "acute":
        before = rng.randrange(2, 22) if position == 0 else rng.randrange(30, 6 * 365)
    else:
        before = rng.randrange(30, 8 * 365)
    onset_on = max(registered_on - datetime.timedelta(days=before), earliest_onset)
    if position == 0:
        status = "active"
    elif problem.kind == "acute":
        status = "resolved" if (today - onset_on).days > data.ACUTE_RESOLVES_AFTER_DAYS else "active"
    else:
        status = _pick(rng, _SECONDARY_STATUSES, _SECONDARY_STATUS_CUM)
    evidence = ""
    if problem.findings:
        modality, finding = rng.choice(problem.findings)
        span = max((registered_on - onset_on).days, 0)
        seen_on = onset_on + datetime.timedelta(days=rng.randint(0, span))
        evidence = f"{modality} {seen_on.isoformat()}: {finding.format(joint=_joint(site, side))}"
    return ConditionSpec(
        code=problem.code,
        text=code_text(problem.code),
        category=problem.category,
        body_site=site,
        laterality=side,
        clinical_status=status,
        onset_on=onset_on,
        evidence=evidence,
    )


def _joint(site: str, side: str) -> str:
    if side == "bilateral":
        return f"both {data.JOINT_PLURALS.get(site, site)}"
    return f"{side} {site}".strip()


def _allergies(rng: random.Random) -> tuple[AllergySpec, ...]:
    """None for most patients; for some, one or two (latex, massage oils, NSAIDs, penicillin, nuts)."""
    count = _pick(rng, _ALLERGY_COUNTS, _ALLERGY_COUNT_CUM)
    found: dict[str, data.Allergen] = {}
    for _ in range(count):
        allergen = _pick(rng, data.ALLERGENS, _ALLERGEN_CUM)
        found.setdefault(allergen.substance, allergen)
    return tuple(AllergySpec(a.substance, a.category, a.criticality, a.reaction) for a in found.values())


def _medications(
    rng: random.Random,
    age: int,
    sex: str,
    registered_on: datetime.date,
    adult_on: datetime.date,
    today: datetime.date,
    allergies: tuple[AllergySpec, ...],
) -> tuple[MedicationSpec, ...]:
    """Mostly none or common drugs; blood thinners likelier with age, and then no NSAIDs beside them."""
    band = _age_band(age)
    drugs: list[data.Drug] = []
    if rng.random() < data.BLOOD_THINNER_CHANCE[band]:
        drugs.append(_pick(rng, data.BLOOD_THINNERS, _BLOOD_THINNER_CUM))
    if rng.random() < data.PREDNISONE_CHANCE:
        drugs.append(data.PREDNISONE)
    if sex == "female" and age >= 55 and rng.random() < data.ALENDRONATE_CHANCE_WOMEN_OVER_55:
        drugs.append(data.ALENDRONATE)
    # Clinicians keep NSAIDs away from anticoagulated patients and from those allergic to them.
    no_nsaids = any(d in data.BLOOD_THINNERS for d in drugs) or any(
        a.substance in _NSAID_ALLERGENS for a in allergies
    )
    candidates = [d for d in data.COMMON_DRUGS if d.from_age <= age and not (no_nsaids and d.nsaid)]
    for _ in range(_pick(rng, _DRUG_COUNTS, _DRUG_COUNT_CUM)):
        drug = rng.choices(candidates, weights=[d.weight for d in candidates])[0]
        if drug not in drugs:
            drugs.append(drug)
    statements = []
    for drug in drugs:
        if drug.course == "long-term":
            started_on = max(registered_on - datetime.timedelta(days=rng.randrange(60, 3650)), adult_on)
        else:
            started_on = max(registered_on - datetime.timedelta(days=rng.randrange(0, 45)), adult_on)
        ended = drug.course == "short" and (today - started_on).days > 60
        statements.append(
            MedicationSpec(drug.name, drug.dosage, "completed" if ended else "active", started_on)
        )
    return tuple(statements)


def _care_team(
    rng: random.Random, index: int, registered_on: datetime.date, today: datetime.date
) -> tuple[MembershipSpec, ...]:
    """A lead DC or PT and up to two more disciplines; sometimes a past member whose membership ended.

    alice, ben and maya take about half of their discipline's places; the rest go to the colleagues the
    clinic had when patient `index` arrived, which keeps the patient independent of the clinic's final size.
    """
    shape = _pick(rng, _SHAPES, _SHAPE_CUM)
    if "chiropractic" in shape and "physical-therapy" in shape:
        lead_discipline = "chiropractic" if rng.random() < data.DC_LEADS_MIXED_TEAM else "physical-therapy"
    else:
        lead_discipline = shape[0]
    members: list[MembershipSpec] = []
    on_team: set[str] = set()
    for discipline in sorted(shape, key=lambda d: d != lead_discipline):
        username = _clinician(rng, discipline, index)
        on_team.add(username)
        if discipline == lead_discipline:
            members.append(MembershipSpec(username, "lead", registered_on))
        else:
            joined = min(registered_on + datetime.timedelta(days=rng.randrange(0, 45)), today)
            members.append(MembershipSpec(username, "member", joined))
    if (today - registered_on).days >= 30 and rng.random() < data.PAST_MEMBERSHIP_CHANCE:
        discipline = rng.choice(list(data.STAFF_PREFIX))
        former = _clinician(rng, discipline, index)
        if former not in on_team:
            length = rng.randrange(14, min(180, (today - registered_on).days) + 1)
            members.append(
                MembershipSpec(
                    former, "member", registered_on, registered_on + datetime.timedelta(days=length)
                )
            )
    return tuple(members)


def _clinician(rng: random.Random, discipline: str, index: int) -> str:
    """The persona of the discipline about half the time, else a colleague already hired at `index`."""
    joins, names = _pools()[discipline]
    hired = bisect.bisect_right(joins, index)
    if hired == 0 or rng.random() < data.PERSONA_SHARE:
        return data.STAFF_PERSONA[discipline]
    return names[rng.randrange(hired)]
