"""Billing rules for a visit: timed units (CMS 8-minute rule, AMA mid-point rule), the CMT code, the PT
evaluation code, bundling edits with their modifiers, and diagnosis pointers. Pure module, no Django.

Sources are those of ../shared/clinical/REFERENCE.md §2-3; codes and bundling rules are data (codes.yaml,
ncci.yaml, loaded by tandem.billing.catalog). Every refusal is a BillingError carrying field-level messages
("minutes.99999", "services.1.regions", ...) that the API turns into its `errors` list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tandem.billing.catalog import BundlingRule, BundlingRules, CodeCatalog, load_codes, load_ncci
from tandem.core.vocabularies import BODY_SITE_CODES, BODY_SITES, SPINAL_REGIONS_FOR_CMT, label
from tandem.patients.icd10 import UnknownCode, lookup

UnitRule = Literal["cms", "ama"]
UNIT_RULES: tuple[str, ...] = ("cms", "ama")
DistinctModifier = Literal["59", "XS"]
DISTINCT_MODIFIERS: tuple[str, ...] = ("59", "XS")
Presentation = Literal["stable", "evolving", "unstable"]
PRESENTATIONS: tuple[str, ...] = ("stable", "evolving", "unstable")
# No clinic documents more than 8 hours of one timed service on one visit: a bigger number is a typing slip.
MAX_MINUTES_PER_CODE = 480
MAX_UNITS_PER_LINE = 99
MAX_SERVICE_LINES = 30
MAX_DIAGNOSES = 12  # diagnosis codes on one professional claim (837P / CMS-1500 box 21, A-L)
MAX_POINTERS = 4  # diagnosis pointers on one service line (CMS-1500 box 24E)
CMT_SPINAL_CODES: dict[int, str] = {1: "98940", 2: "98940", 3: "98941", 4: "98941", 5: "98942"}
CMT_EXTRASPINAL_CODE = "98943"
EVALUATION_CODES: tuple[str, ...] = ("97161", "97162", "97163")  # low, moderate, high complexity
# Vertebral levels, so a note may list "L4", "L5": several levels of one region count once.
_LEVEL = re.compile(r"^([CTLS])(\d{1,2})$")
_LEVEL_REGIONS: dict[str, tuple[str, int]] = {
    "C": ("cervical", 7),
    "T": ("thoracic", 12),
    "L": ("lumbar", 5),
    "S": ("sacral", 5),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class BillingError(ValueError):
    """Input the billing rules refuse; `errors` names each field and says what is wrong in plain words."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in self.errors))

    def as_dict(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for error in self.errors:
            found.setdefault(error.field, []).append(error.message)
        return found


def _is_whole_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Timed units ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimedUnits:
    rule: str
    total_minutes: int
    total_units: int
    units: dict[str, int]  # per code, in the order the codes were given


def unit_count(minutes: int) -> int:
    """Units for a number of timed minutes: 0 below 8, else ⌊(T + 7) ÷ 15⌋.

    CMS Pub. 100-04 Ch. 5 §20.2 unit table (8-22 = 1, 23-37 = 2, 38-52 = 3 ...), closed form from the
    mihamainc.com white paper (REFERENCE.md §2). The AMA rule applies the same table to each code.
    """
    return 0 if minutes < 8 else (minutes + 7) // 15


def _check_minutes(minutes: Any, catalog: CodeCatalog, prefix: str) -> list[FieldError]:
    if not isinstance(minutes, Mapping):
        return [FieldError(prefix, 'Give the minutes of each timed code, e.g. {"97110": 33}.')]
    errors: list[FieldError] = []
    for code, value in minutes.items():
        name = f"{prefix}.{code}"
        entry = catalog.get(code) if isinstance(code, str) else None
        if entry is None:
            errors.append(FieldError(name, f"{code} is not one of Tandem's billing codes."))
        elif not entry.timed:
            errors.append(
                FieldError(
                    name,
                    f"{code} ({entry.description}) is not a timed code: bill it in units; "
                    "its minutes never count toward timed units.",
                )
            )
        if not _is_whole_number(value):
            errors.append(FieldError(name, "Minutes must be a whole number."))
        elif value < 0:
            errors.append(FieldError(name, "Minutes cannot be negative."))
        elif value > MAX_MINUTES_PER_CODE:
            errors.append(
                FieldError(name, f"More than {MAX_MINUTES_PER_CODE} minutes of one code is not valid.")
            )
    return errors


def timed_units(
    rule: UnitRule, minutes: Mapping[str, int], *, catalog: CodeCatalog | None = None
) -> TimedUnits:
    """Units of the timed (15-minute) codes of one visit, under the CMS or the AMA rule.

    CMS "8-minute rule" (Pub. 100-04 Ch. 5 §20.2, REFERENCE.md §2): pool the minutes of every timed code and
    read the total units from the unit table. Each code first gets its whole 15-minute blocks (a service of
    ≥15 min gets at least one unit, ≥30 min at least two...); the units left go one at a time to the codes
    with the larger leftover minutes (minutes mod 15; CMS examples 3 and 4). That covers the ≤7-minute rule:
    when each service ran ≤7 min but together ≥8, the one unit goes to the service with the most minutes.
    Where CMS lets the clinician choose (equal leftovers), ties go to the code with more total minutes, then
    to the lower code number, so the answer is always the same.

    AMA/CPT mid-point rule: the same table applied to each code alone; minutes of different codes never
    combine (prompthealth.com; stratapt.com).

    Untimed codes, unknown codes, negative or non-integer minutes are refused (BillingError, fields
    "rule" and "minutes.<code>").
    """
    catalog = catalog or load_codes()
    errors: list[FieldError] = []
    if rule not in UNIT_RULES:
        errors.append(FieldError("rule", f"Choose the unit rule: {' or '.join(UNIT_RULES)}."))
    errors += _check_minutes(minutes, catalog, "minutes")
    if errors:
        raise BillingError(errors)
    total = sum(minutes.values())
    if rule == "ama":
        units = {code: unit_count(value) for code, value in minutes.items()}
        return TimedUnits("ama", total, sum(units.values()), units)
    total_units = unit_count(total)
    units = {code: value // 15 for code, value in minutes.items()}
    remaining = total_units - sum(units.values())
    # Only codes with leftover minutes compete; arithmetic guarantees there are at least `remaining` of them.
    order = sorted(
        (code for code, value in minutes.items() if value % 15),
        key=lambda code: (-(minutes[code] % 15), -minutes[code], code),
    )
    for code in order[:remaining]:
        units[code] += 1
    return TimedUnits("cms", total, total_units, units)


# Chiropractic manipulative treatment ---------------------------------------------------------------------


def spinal_region(site: str, spinal_regions: Sequence[str] = SPINAL_REGIONS_FOR_CMT) -> str | None:
    """The CMT spinal region of a body-site code or vertebral level ("L4" → lumbar), else None."""
    if site in spinal_regions:
        return site
    match = _LEVEL.match(site.upper()) if isinstance(site, str) else None
    if match is None:
        return None
    region, last = _LEVEL_REGIONS[match.group(1)]
    level = int(match.group(2))
    return region if 1 <= level <= last and region in spinal_regions else None


def _regions_of(
    regions: Iterable[str], spinal_regions: Sequence[str]
) -> tuple[set[str], set[str], list[FieldError]]:
    if isinstance(regions, str):
        return set(), set(), [FieldError("regions", "Give a list of regions, not a single text.")]
    spinal: set[str] = set()
    extraspinal: set[str] = set()
    errors: list[FieldError] = []
    for position, site in enumerate(regions):
        region = spinal_region(site, spinal_regions)
        if region is not None:
            spinal.add(region)
        elif site in BODY_SITE_CODES:
            extraspinal.add(site)
        else:
            errors.append(
                FieldError(f"regions.{position}", f"Unknown body region or vertebral level: {site!r}.")
            )
    return spinal, extraspinal, errors


def cmt_code(regions: Iterable[str], *, spinal_regions: Sequence[str] = SPINAL_REGIONS_FOR_CMT) -> str | None:
    """The spinal CMT code for the regions manipulated: 98940 (1-2 regions), 98941 (3-4), 98942 (5); None
    when no spinal region was manipulated.

    The five regions are cervical (incl. atlanto-occipital), thoracic (incl. costovertebral and
    costotransverse), lumbar, sacral and pelvic/SI (core.vocabularies.SPINAL_REGIONS_FOR_CMT). Several levels
    within one region count once, so ["L4", "L5", "lumbar"] is one region. Extraspinal sites (head, limbs, rib
    cage, abdomen) do not count here: they are billed separately as 98943 (extraspinal_cmt_code). Sources:
    ChiroHealthUSA (Kotlar); chiropractorbillingclarity.com (REFERENCE.md §3).
    """
    spinal, _extraspinal, errors = _regions_of(regions, spinal_regions)
    if errors:
        raise BillingError(errors)
    return CMT_SPINAL_CODES.get(len(spinal))


def extraspinal_cmt_code(
    regions: Iterable[str], *, spinal_regions: Sequence[str] = SPINAL_REGIONS_FOR_CMT
) -> str | None:
    """98943 when any extraspinal region (head/TMJ, upper or lower limb, rib cage, abdomen) was manipulated.

    Medicare pays chiropractors only for 98940-98942 (denialcodes.com, REFERENCE.md §3); whether to bill
    98943 is the payer's call.
    """
    _spinal, extraspinal, errors = _regions_of(regions, spinal_regions)
    if errors:
        raise BillingError(errors)
    return CMT_EXTRASPINAL_CODE if extraspinal else None


# PT evaluation -------------------------------------------------------------------------------------------


def evaluation_code(history_factors: int, exam_elements: int, presentation: Presentation | str) -> str:
    """The PT evaluation code, 97161 (low), 97162 (moderate) or 97163 (high complexity).

    Components (Coding Ahead; TheraPlatform, REFERENCE.md §3):
    - history: personal factors and/or comorbidities affecting the plan of care: 0 → low, 1-2 → moderate,
      3 or more → high;
    - examination: body structures and functions, activity limitations and participation restrictions
      examined: 1-2 → low, 3 → moderate, 4 or more → high;
    - clinical presentation: stable → low, evolving → moderate, unstable → high.

    Our reading of CMS/APTA: a complexity level is billed only when every component meets it, so the code is
    the LOWEST level the three components support (e.g. 3 history factors and an unstable presentation with
    2 exam elements is low complexity). The fourth element, clinical decision making with a standardized tool,
    is not scored here: the clinician attests it in the note. The code is chosen by complexity, never by time.
    """
    errors: list[FieldError] = []
    for name, value, least in (("history_factors", history_factors, 0), ("exam_elements", exam_elements, 1)):
        if not _is_whole_number(value):
            errors.append(FieldError(name, "Give a whole number."))
        elif value < least:
            errors.append(FieldError(name, f"Must be at least {least}."))
    if presentation not in PRESENTATIONS:
        errors.append(FieldError("presentation", f"Choose one of {', '.join(PRESENTATIONS)}."))
    if errors:
        raise BillingError(errors)
    history_level = 0 if history_factors == 0 else 1 if history_factors <= 2 else 2
    exam_level = 0 if exam_elements <= 2 else 1 if exam_elements == 3 else 2
    presentation_level = PRESENTATIONS.index(presentation)
    return EVALUATION_CODES[min(history_level, exam_level, presentation_level)]


# A whole visit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLine:
    """One procedure of a visit: minutes for a timed code, units for an untimed one (default 1), and the
    body regions treated (vocabulary body-site codes)."""

    code: str
    minutes: int | None = None
    units: int | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class PayerRules:
    """What the payer wants.

    timed_rule: "cms" (Medicare and payers that follow it) or "ama" (many commercial payers).
    distinct_modifier: "59", or "XS" for a payer that wants the X-subset modifiers: XS (separate structure)
    for the region edits, or the X modifier a bundling rule names (XU for the PT evaluation pair).
    waived_rules: ids of configurable bundling rules this payer does not apply (ncci.yaml `configurable`).
    """

    timed_rule: UnitRule = "cms"
    distinct_modifier: DistinctModifier = "59"
    waived_rules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DiagnosisRef:
    """An ICD-10-CM diagnosis of the visit and the body site it concerns ("" when it has none)."""

    code: str
    body_site: str = ""


@dataclass(frozen=True)
class CodedLine:
    code: str
    units: int
    minutes: int | None
    regions: tuple[str, ...]
    modifiers: tuple[str, ...] = ()
    diagnosis_pointers: tuple[int, ...] = ()  # 1-based positions in CodedVisit.diagnoses
    edits: tuple[str, ...] = ()  # ids of the bundling rules that set the modifiers

    @property
    def billable(self) -> bool:
        return self.units > 0


@dataclass(frozen=True)
class CodedVisit:
    lines: tuple[CodedLine, ...]
    diagnoses: tuple[str, ...]  # normalized ICD-10-CM codes, pointer 1 first
    timed: TimedUnits
    warnings: tuple[str, ...] = ()


def _region_text(regions: Iterable[str]) -> str:
    return ", ".join(label(BODY_SITES, region).lower() for region in regions)


class _VisitChecker:
    def __init__(self, catalog: CodeCatalog, rules: BundlingRules) -> None:
        self.catalog = catalog
        self.rules = rules
        self.errors: list[FieldError] = []

    def error(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def payer(self, payer: PayerRules) -> None:
        if payer.timed_rule not in UNIT_RULES:
            self.error("payer.timed_rule", f"Choose the unit rule: {' or '.join(UNIT_RULES)}.")
        if payer.distinct_modifier not in DISTINCT_MODIFIERS:
            self.error("payer.distinct_modifier", f"Choose {' or '.join(DISTINCT_MODIFIERS)}.")
        for rule_id in sorted(payer.waived_rules):
            if rule_id not in self.rules.ids():
                self.error("payer.waived_rules", f"No bundling rule is called {rule_id!r}.")
            elif not self.rules.rule(rule_id).configurable:
                self.error(
                    "payer.waived_rules", f"The {rule_id} edit applies to every payer; it cannot be waived."
                )

    def services(self, services: Sequence[ServiceLine]) -> list[ServiceLine]:
        if not services:
            self.error("services", "List at least one service.")
        if len(services) > MAX_SERVICE_LINES:
            self.error("services", f"At most {MAX_SERVICE_LINES} services on one visit.")
        seen: dict[str, int] = {}
        lines: list[ServiceLine] = []
        for position, line in enumerate(services):
            lines.append(self.service(position, line, seen))
        return lines

    def service(self, position: int, line: ServiceLine, seen: dict[str, int]) -> ServiceLine:
        name = f"services.{position}"
        entry = self.catalog.get(line.code)
        regions = self.regions(name, line.regions)
        if entry is None:
            self.error(f"{name}.code", f"{line.code} is not one of Tandem's billing codes.")
            return line
        if line.code in seen:
            self.error(
                f"{name}.code",
                f"{line.code} is already on line {seen[line.code] + 1}: record one line per code with every "
                "region treated.",
            )
        seen.setdefault(line.code, position)
        if entry.timed:
            self.timed_line(name, line)
            return ServiceLine(line.code, line.minutes, None, regions)
        units = self.untimed_units(name, line, entry.max_units)
        self.cmt_regions(name, line.code, regions)
        return ServiceLine(line.code, None, units, regions)

    def regions(self, name: str, regions: Sequence[str]) -> tuple[str, ...]:
        if isinstance(regions, str):
            self.error(f"{name}.regions", "Give a list of body regions, not a single text.")
            return ()
        found: list[str] = []
        for index, region in enumerate(regions):
            if region not in BODY_SITE_CODES:
                self.error(f"{name}.regions.{index}", f"Unknown body region {region!r}.")
            elif region not in found:
                found.append(region)
        return tuple(found)

    def timed_line(self, name: str, line: ServiceLine) -> None:
        if line.units is not None:
            self.error(f"{name}.units", f"{line.code} is timed: give its minutes; units follow from them.")
        if line.minutes is None:
            self.error(f"{name}.minutes", f"{line.code} is timed: give the minutes spent.")
        elif not _is_whole_number(line.minutes):
            self.error(f"{name}.minutes", "Minutes must be a whole number.")
        elif line.minutes < 0:
            self.error(f"{name}.minutes", "Minutes cannot be negative.")
        elif line.minutes > MAX_MINUTES_PER_CODE:
            self.error(
                f"{name}.minutes", f"More than {MAX_MINUTES_PER_CODE} minutes of one code is not valid."
            )

    def untimed_units(self, name: str, line: ServiceLine, max_units: int | None) -> int:
        if line.minutes is not None:
            self.error(
                f"{name}.minutes",
                f"{line.code} is not a timed code: give units, not minutes; its time never counts toward "
                "timed units.",
            )
        units = 1 if line.units is None else line.units
        limit = max_units or MAX_UNITS_PER_LINE
        if not _is_whole_number(units) or units < 1:
            self.error(f"{name}.units", "Units must be a whole number of at least 1.")
            return 1
        if units > limit:
            self.error(f"{name}.units", f"{line.code} is billed at most {limit} time(s) per visit.")
        return units

    def cmt_regions(self, name: str, code: str, regions: tuple[str, ...]) -> None:
        if code not in CMT_SPINAL_CODES.values() and code != CMT_EXTRASPINAL_CODE:
            return
        if not regions:
            self.error(
                f"{name}.regions", f"Record the regions manipulated: they decide whether {code} applies."
            )
            return
        spinal = [r for r in regions if r in SPINAL_REGIONS_FOR_CMT]
        if code == CMT_EXTRASPINAL_CODE:
            if spinal:
                self.error(
                    f"{name}.regions",
                    f"98943 is for extraspinal regions; bill {_region_text(spinal)} with 98940-98942.",
                )
            return
        if len(spinal) != len(regions):
            others = [r for r in regions if r not in SPINAL_REGIONS_FOR_CMT]
            self.error(f"{name}.regions", f"Bill extraspinal {_region_text(others)} with 98943, not {code}.")
            return
        expected = cmt_code(spinal)
        if expected != code:
            self.error(
                f"{name}.code",
                f"{len(spinal)} spinal region(s) manipulated ({_region_text(spinal)}): "
                f"bill {expected}, not {code}.",
            )

    def diagnoses(self, diagnoses: Sequence[DiagnosisRef]) -> tuple[str, ...]:
        if not diagnoses:
            self.error("diagnoses", "List at least one ICD-10-CM diagnosis.")
        if len(diagnoses) > MAX_DIAGNOSES:
            self.error("diagnoses", f"At most {MAX_DIAGNOSES} diagnoses on one claim.")
        codes: list[str] = []
        for position, diagnosis in enumerate(diagnoses):
            name = f"diagnoses.{position}"
            try:
                code = lookup(diagnosis.code).code if isinstance(diagnosis.code, str) else ""
            except UnknownCode as exc:
                self.error(f"{name}.code", str(exc))
                code = diagnosis.code
            else:
                if not code:
                    self.error(f"{name}.code", "Enter an ICD-10-CM code.")
                elif code in codes:
                    self.error(f"{name}.code", f"{code} is already diagnosis {codes.index(code) + 1}.")
            if diagnosis.body_site and diagnosis.body_site not in BODY_SITE_CODES:
                self.error(f"{name}.body_site", f"Unknown body site {diagnosis.body_site!r}.")
            codes.append(code)
        return tuple(codes)


def code_visit(
    services: Sequence[ServiceLine],
    payer: PayerRules,
    diagnoses: Sequence[DiagnosisRef],
    *,
    catalog: CodeCatalog | None = None,
    rules: BundlingRules | None = None,
) -> CodedVisit:
    """Code one visit: units, modifiers and diagnosis pointers per service line.

    1. Timed lines get units from timed_units under the payer's rule (CMS pooled or AMA per code); untimed
       lines keep their units (1 by default; evaluations and CMT at most 1). CMT lines must match their
       regions (cmt_code); 98943 takes extraspinal regions only.
    2. Bundling rules (ncci.yaml) apply between billed lines (units > 0). When a pair shares a region, or a
       line's regions are not recorded, a `refuse` rule refuses the visit naming both codes and the region;
       otherwise the therapy line takes modifier 59, or the rule's X modifier (XS) when the payer wants them.
    3. Diagnosis pointers: up to 4 per billed line, to the diagnoses whose body site is one of the line's
       regions (in diagnosis order), else to the first diagnosis. A line that took a modifier for a separate
       region but points to no diagnosis of that region gets a warning: payers expect one (chiro.org/Sanna).
    """
    catalog = catalog or load_codes()
    rules = rules or load_ncci()
    checker = _VisitChecker(catalog, rules)
    checker.payer(payer)
    lines = checker.services(services)
    codes = checker.diagnoses(diagnoses)
    if checker.errors:
        raise BillingError(checker.errors)

    timed = timed_units(
        payer.timed_rule,
        {line.code: line.minutes or 0 for line in lines if line.units is None},
        catalog=catalog,
    )
    units = [timed.units[line.code] if line.units is None else line.units for line in lines]
    modifiers: list[list[str]] = [[] for _ in lines]
    edits: list[list[str]] = [[] for _ in lines]
    separate_region: list[bool] = [False for _ in lines]
    refusals: list[FieldError] = []
    for rule in rules.rules:
        if rule.id in payer.waived_rules:
            continue
        for first, line in enumerate(lines):
            if line.code not in rule.codes or not units[first]:
                continue
            for second, other in enumerate(lines):
                if other.code not in rule.with_codes or not units[second]:
                    continue
                outcome = _pair(rule, line, other, payer)
                if isinstance(outcome, FieldError):
                    refusals.append(FieldError(f"services.{first}.regions", outcome.message))
                    continue
                modifier, separate = outcome
                if modifier not in modifiers[first]:
                    modifiers[first].append(modifier)
                if rule.id not in edits[first]:
                    edits[first].append(rule.id)
                separate_region[first] = separate_region[first] or separate
    if refusals:
        raise BillingError(refusals)

    coded: list[CodedLine] = []
    warnings: list[str] = []
    for index, line in enumerate(lines):
        pointers: tuple[int, ...] = ()
        if units[index]:
            matching = [n + 1 for n, d in enumerate(diagnoses) if d.body_site and d.body_site in line.regions]
            pointers = tuple(matching[:MAX_POINTERS]) or (1,)
            if separate_region[index] and not matching:
                warnings.append(
                    f"{line.code} takes modifier {'/'.join(modifiers[index])} for a separate region but no "
                    f"diagnosis concerns {_region_text(line.regions)}: add one, payers expect it."
                )
        coded.append(
            CodedLine(
                code=line.code,
                units=units[index],
                minutes=line.minutes,
                regions=line.regions,
                modifiers=tuple(modifiers[index]) if units[index] else (),
                diagnosis_pointers=pointers,
                edits=tuple(edits[index]),
            )
        )
    return CodedVisit(tuple(coded), codes, timed, tuple(warnings))


def _pair(
    rule: BundlingRule, line: ServiceLine, other: ServiceLine, payer: PayerRules
) -> FieldError | tuple[str, bool]:
    """A refusal, or (the modifier for `line`, whether it is billed for a separate region)."""
    modifier = "59" if payer.distinct_modifier == "59" else rule.x_modifier
    if not line.regions or not other.regions:
        if rule.same_region == "refuse":
            missing = line.code if not line.regions else other.code
            return FieldError(
                "",
                f"{line.code} and {other.code} can be billed together only for separate regions: record the "
                f"regions treated on the {missing} line.",
            )
        return modifier, False
    shared = [region for region in line.regions if region in other.regions]
    if shared and rule.same_region == "refuse":
        return FieldError("", rule.refusal(line.code, other.code, _region_text(shared)))
    # Only the region edits ask for a diagnosis of the separate region.
    return modifier, not shared and rule.same_region == "refuse"
