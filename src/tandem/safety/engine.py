"""The safety rule engine: facts about a patient + planned activities → findings. Pure module, no Django.

Rules are data (rules.yaml beside this file), each with its source from ../shared/clinical/REFERENCE.md §4–5.
A rule fires when its `when` criteria match the patient (any one criterion is enough) and, if it has one,
its `and_when` criteria match too. Its scope decides where it applies:

- `general`: every body site (the finding is whole-body, body_site ""), or, when the rule lists `sites`, each
  of the activity's body sites among them (cervical manipulation rules apply to the neck only);
- `local`: only the body sites of the matching condition or factor and their neighbours (anatomy.py). When a
  matching condition or factor has no recorded site, or the match is systemic (a medication, an age), the
  engine cannot tell where the problem is and applies the rule to every site of the activity: safe by default.

An activity without body sites gets whole-body findings from local rules too, for the same reason.

A rule may also carry a pressure criterion, `min_pressure` and/or `max_pressure` (one of PRESSURES): it then
applies only to activities planned at that pressure or firmer (`min_pressure`) / gentler (`max_pressure`).
An activity whose pressure is not stated ("") may be done at any pressure, so every such rule applies to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import simple_icd_10_cm as icd
import yaml

from tandem.core.vocabularies import BODY_SITE_CODES, TECHNIQUE_CODES
from tandem.safety.anatomy import area
from tandem.safety.vocabulary import PATIENT_FACTOR_CODES, RED_FLAG_CODES, factor_label, red_flag_label

SEVERITIES: tuple[str, ...] = ("contraindicated", "precaution", "info")
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}
SCOPES: tuple[str, ...] = ("general", "local")
MEDICATION_FLAGS: tuple[str, ...] = ("anticoagulant", "antiplatelet", "corticosteroid", "bisphosphonate")
# Massage pressure, gentlest first ("" on an activity: not stated, so unknown).
PRESSURES: tuple[str, ...] = ("light", "moderate", "firm", "deep")
PRESSURE_RANK: dict[str, int] = {name: rank for rank, name in enumerate(PRESSURES)}
# FHIR condition-clinical codes of a problem the patient has now.
ACTIVE_CLINICAL_STATUSES: frozenset[str] = frozenset({"active", "recurrence", "relapse"})
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")


# Inputs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedActivity:
    """One technique planned on some body sites (vocabulary codes), at a pressure (one of PRESSURES, or ""
    when it is not stated: then every pressure-dependent rule applies, for safety)."""

    technique: str
    body_sites: tuple[str, ...]
    pressure: str = ""


@dataclass(frozen=True)
class ConditionFact:
    """A problem-list condition: ICD-10-CM code, affected body-site codes, category, clinical status."""

    code: str
    body_sites: tuple[str, ...] = ()
    category: str = ""
    clinical_status: str = "active"


@dataclass(frozen=True)
class FactorFact:
    """A patient factor (vocabulary.PATIENT_FACTORS), at a body site or "" for the whole patient."""

    factor: str
    body_site: str = ""


@dataclass(frozen=True)
class PatientFacts:
    conditions: tuple[ConditionFact, ...] = ()
    medication_flags: frozenset[str] = frozenset()
    factors: tuple[FactorFact, ...] = ()
    red_flags: frozenset[str] = frozenset()
    age: int | None = None


# Outputs --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    severity: str  # contraindicated | precaution | info
    rule: str
    technique: str
    body_site: str  # "" when the finding is whole-body
    message: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "rule": self.rule,
            "technique": self.technique,
            "body_site": self.body_site,
            "message": self.message,
            "source": self.source,
        }


class UnknownCodes(ValueError):
    """Activities name techniques or body sites that are not in the vocabulary.

    `errors` lists (field, message) pairs such as ("activities.0.technique", "Unknown technique: x").
    """

    def __init__(
        self,
        techniques: list[str],
        body_sites: list[str],
        errors: list[tuple[str, str]] | None = None,
        pressures: list[str] | None = None,
    ) -> None:
        self.techniques = techniques
        self.body_sites = body_sites
        self.pressures = pressures or []
        self.errors = errors or []
        parts = []
        if techniques:
            parts.append("unknown technique(s): " + ", ".join(techniques))
        if body_sites:
            parts.append("unknown body site(s): " + ", ".join(body_sites))
        if self.pressures:
            parts.append("unknown pressure(s): " + ", ".join(self.pressures))
        super().__init__("; ".join(parts))


class RuleError(ValueError):
    """rules.yaml is not valid; the message names the rule id and each problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid safety rules:\n" + "\n".join(problems))


# Rules ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criteria:
    """What a rule looks for; any one listed item matching is enough."""

    conditions: tuple[str, ...] = ()  # ICD-10-CM codes, prefixes ("M51.36", "C79") or blocks ("C00-C96")
    medication_flags: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    age_over: int | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "conditions": list(self.conditions),
            "medication_flags": list(self.medication_flags),
            "factors": list(self.factors),
            "red_flags": list(self.red_flags),
        }
        if self.age_over is not None:
            found["age_over"] = self.age_over
        return {key: value for key, value in found.items() if value not in ([], None)}


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    techniques: frozenset[str]
    scope: str
    when: Criteria
    message: str
    source: str
    and_when: Criteria | None = None
    sites: frozenset[str] = frozenset()  # empty: every site
    technique_spec: tuple[str, ...] = ()  # as written in the YAML (group names kept), for display
    min_pressure: str = ""  # applies only at this pressure or firmer ("" = any pressure)
    max_pressure: str = ""  # applies only at this pressure or gentler ("" = any pressure)

    def applies_at(self, pressure: str) -> bool:
        """Whether the rule speaks about an activity at `pressure` ("" = not stated: always, for safety)."""
        if not pressure:
            return True
        rank = PRESSURE_RANK[pressure]
        if self.min_pressure and rank < PRESSURE_RANK[self.min_pressure]:
            return False
        return not (self.max_pressure and rank > PRESSURE_RANK[self.max_pressure])

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "techniques": sorted(self.techniques),
            "technique_groups": list(self.technique_spec),
            "scope": self.scope,
            "sites": sorted(self.sites),
            "min_pressure": self.min_pressure,
            "max_pressure": self.max_pressure,
            "when": self.when.as_dict(),
            "and_when": self.and_when.as_dict() if self.and_when else None,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    technique_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    site_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def rule(self, rule_id: str) -> Rule:
        for candidate in self.rules:
            if candidate.id == rule_id:
                return candidate
        raise KeyError(rule_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "technique_groups": {name: sorted(codes) for name, codes in self.technique_groups.items()},
            "site_groups": {name: sorted(codes) for name, codes in self.site_groups.items()},
            "rules": [rule.as_dict() for rule in self.rules],
        }


def _icd_ok(code: str) -> bool:
    """A code, category or subcategory (used as a prefix), or a block such as C00-C96."""
    if not isinstance(code, str) or code != code.strip().upper():
        return False
    if "-" in code:
        return icd.is_valid_item(code) and icd.is_chapter_or_block(code) and len(code) == 7
    return icd.is_valid_item(code) and not _is_chapter(code)


def _is_chapter(code: str) -> bool:
    return code.isdigit()


def _icd_matches(pattern: str, code: str) -> bool:
    if "-" in pattern:
        first, last = pattern.split("-")
        return first <= code[:3] <= last
    return code.startswith(pattern)


class _Loader:
    def __init__(self, document: Any) -> None:
        self.problems: list[str] = []
        self.document = document if isinstance(document, dict) else {}
        if not isinstance(document, dict):
            self.problems.append("the rules file must be a mapping with `rules`")
        self.technique_groups = self._groups("technique_groups", TECHNIQUE_CODES, "technique")
        self.site_groups = self._groups("site_groups", BODY_SITE_CODES, "body site")
        raw_sources = self.document.get("sources") or {}
        self.sources: dict[str, str] = raw_sources if isinstance(raw_sources, dict) else {}

    def _groups(self, key: str, vocabulary: frozenset[str], kind: str) -> dict[str, frozenset[str]]:
        groups: dict[str, frozenset[str]] = {}
        raw = self.document.get(key) or {}
        if not isinstance(raw, dict):
            self.problems.append(f"`{key}` must be a mapping of name → list of codes")
            return groups
        for name, members in raw.items():
            expanded: set[str] = set()
            for member in members or []:
                if member in vocabulary:
                    expanded.add(member)
                elif member in groups:
                    expanded |= groups[member]
                else:
                    self.problems.append(f"group {name}: unknown {kind} code '{member}'")
            groups[str(name)] = frozenset(expanded)
        return groups

    def _expand(
        self, items: Any, rule_id: str, groups: Mapping[str, frozenset[str]], vocab: frozenset[str], kind: str
    ) -> frozenset[str]:
        found: set[str] = set()
        if not isinstance(items, list):
            self.problems.append(f"rule {rule_id}: `{kind}s` must be a list")
            return frozenset()
        for item in items:
            if item in vocab:
                found.add(item)
            elif item in groups:
                found |= groups[item]
            else:
                self.problems.append(f"rule {rule_id}: unknown {kind} code '{item}'")
        return frozenset(found)

    def _criteria(self, raw: Any, rule_id: str, key: str) -> Criteria:
        if not isinstance(raw, dict) or not raw:
            self.problems.append(f"rule {rule_id}: `{key}` must be a non-empty mapping")
            return Criteria()
        known = {"conditions", "medication_flags", "factors", "red_flags", "age_over"}
        for unknown in sorted(set(raw) - known):
            self.problems.append(f"rule {rule_id}: unknown criterion '{unknown}' in `{key}`")
        checks = (
            ("conditions", _icd_ok, "ICD-10-CM code or prefix"),
            ("medication_flags", MEDICATION_FLAGS.__contains__, "medication risk flag"),
            ("factors", PATIENT_FACTOR_CODES.__contains__, "patient factor"),
            ("red_flags", RED_FLAG_CODES.__contains__, "red flag"),
        )
        values: dict[str, tuple[str, ...]] = {}
        for name, valid, kind in checks:
            items = raw.get(name) or []
            if not isinstance(items, list):
                self.problems.append(f"rule {rule_id}: `{key}.{name}` must be a list")
                items = []
            for item in items:
                if not valid(item):
                    self.problems.append(f"rule {rule_id}: unknown {kind} '{item}'")
            values[name] = tuple(str(item) for item in items)
        age_over = raw.get("age_over")
        if age_over is not None and (not isinstance(age_over, int) or isinstance(age_over, bool)):
            self.problems.append(f"rule {rule_id}: `age_over` must be a whole number of years")
            age_over = None
        return Criteria(age_over=age_over, **values)

    def rule(self, raw: Any, seen: set[str]) -> Rule | None:
        if not isinstance(raw, dict):
            self.problems.append(f"a rule must be a mapping, not {raw!r}")
            return None
        rule_id = str(raw.get("id") or "").strip()
        if not rule_id:
            self.problems.append(f"a rule has no id: {raw!r}"[:200])
            return None
        if rule_id in seen:
            self.problems.append(f"rule {rule_id}: the id is used twice")
        seen.add(rule_id)
        known = {
            "id",
            "severity",
            "techniques",
            "sites",
            "scope",
            "when",
            "and_when",
            "message",
            "source",
            "min_pressure",
            "max_pressure",
        }
        for unknown in sorted(set(raw) - known):
            self.problems.append(f"rule {rule_id}: unknown key '{unknown}'")
        severity = raw.get("severity")
        if severity not in SEVERITIES:
            self.problems.append(
                f"rule {rule_id}: unknown severity '{severity}' (use {', '.join(SEVERITIES)})"
            )
        scope = raw.get("scope", "general")
        if scope not in SCOPES:
            self.problems.append(f"rule {rule_id}: unknown scope '{scope}' (use {', '.join(SCOPES)})")
        techniques = self._expand(
            raw.get("techniques"), rule_id, self.technique_groups, TECHNIQUE_CODES, "technique"
        )
        if not techniques:
            self.problems.append(f"rule {rule_id}: no techniques")
        sites = self._expand(raw.get("sites", []), rule_id, self.site_groups, BODY_SITE_CODES, "body site")
        when = self._criteria(raw.get("when"), rule_id, "when")
        and_when = self._criteria(raw["and_when"], rule_id, "and_when") if "and_when" in raw else None
        pressures: dict[str, str] = {}
        for key in ("min_pressure", "max_pressure"):
            value = raw.get(key)
            if value is None:
                continue
            if value not in PRESSURES:
                self.problems.append(
                    f"rule {rule_id}: unknown pressure '{value}' in `{key}` (use {', '.join(PRESSURES)})"
                )
            else:
                pressures[key] = value
        if (
            "min_pressure" in pressures
            and "max_pressure" in pressures
            and PRESSURE_RANK[pressures["min_pressure"]] > PRESSURE_RANK[pressures["max_pressure"]]
        ):
            self.problems.append(f"rule {rule_id}: `min_pressure` is firmer than `max_pressure`")
        message = str(raw.get("message") or "").strip()
        if not message:
            self.problems.append(f"rule {rule_id}: no message")
        source = str(raw.get("source") or "").strip()
        source = str(self.sources.get(source, source)).strip()
        if not source:
            self.problems.append(f"rule {rule_id}: no source")
        return Rule(
            id=rule_id,
            severity=str(severity),
            techniques=techniques,
            scope=str(scope),
            when=when,
            and_when=and_when,
            sites=sites,
            message=message,
            source=source,
            technique_spec=tuple(str(t) for t in raw.get("techniques") or [] if isinstance(t, str)),
            min_pressure=pressures.get("min_pressure", ""),
            max_pressure=pressures.get("max_pressure", ""),
        )


def parse_rules(document: Any) -> RuleSet:
    """A RuleSet from a parsed YAML document; RuleError naming each bad rule id and code."""
    loader = _Loader(document)
    rules: list[Rule] = []
    seen: set[str] = set()
    raw_rules = loader.document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        loader.problems.append("`rules` must be a non-empty list")
        raw_rules = []
    for raw in raw_rules:
        rule = loader.rule(raw, seen)
        if rule is not None:
            rules.append(rule)
    if loader.problems:
        raise RuleError(loader.problems)
    return RuleSet(tuple(rules), loader.technique_groups, loader.site_groups)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rules file (default: rules.yaml beside this module, read once and cached)."""
    if path is None:
        return _default_rules()
    with open(path, encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle))


@cache
def _default_rules() -> RuleSet:
    with open(DEFAULT_RULES_PATH, encoding="utf-8") as handle:
        return parse_rules(yaml.safe_load(handle))


# Checking -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cause:
    reason: str
    sites: frozenset[str] | None  # None: systemic or site unknown, so everywhere


def _causes(criteria: Criteria, facts: PatientFacts) -> list[_Cause]:
    found: list[_Cause] = []
    for condition in facts.conditions:
        if condition.clinical_status not in ACTIVE_CLINICAL_STATUSES:
            continue
        code = condition.code.strip().upper()
        if any(_icd_matches(pattern, code) for pattern in criteria.conditions):
            found.append(_Cause(f"condition {code}", frozenset(condition.body_sites) or None))
    for flag in criteria.medication_flags:
        if flag in facts.medication_flags:
            found.append(_Cause(f"{flag} medication", None))
    for fact in facts.factors:
        if fact.factor in criteria.factors:
            where = f" ({fact.body_site})" if fact.body_site else ""
            found.append(
                _Cause(factor_label(fact.factor).lower() + where, frozenset({fact.body_site}) - {""} or None)
            )
    for flag in criteria.red_flags:
        if flag in facts.red_flags:
            found.append(_Cause(f"red flag: {red_flag_label(flag).lower()}", None))
    if criteria.age_over is not None and facts.age is not None and facts.age > criteria.age_over:
        found.append(_Cause(f"age {facts.age} (over {criteria.age_over})", None))
    return found


def _affected(causes: Iterable[_Cause]) -> frozenset[str] | None:
    sites: set[str] = set()
    for cause in causes:
        if cause.sites is None:
            return None
        for site in cause.sites:
            sites |= area(site)
    return frozenset(sites)


def _sites_for(rule: Rule, activity: PlannedActivity, affected: frozenset[str] | None) -> list[str]:
    """The body sites of `activity` the rule speaks about; [""] for a whole-body finding; [] for none."""
    sites = list(dict.fromkeys(activity.body_sites))
    if rule.sites:
        sites = [site for site in sites if site in rule.sites]
        if activity.body_sites and not sites:
            return []
    if not activity.body_sites:
        return [""]
    if rule.scope == "general":
        return sites if rule.sites else [""]
    if affected is None:
        return sites
    return [site for site in sites if site in affected]


def validate_activities(activities: Sequence[PlannedActivity]) -> None:
    """UnknownCodes naming every technique, body site or pressure that is not in the vocabulary."""
    techniques: list[str] = []
    sites: list[str] = []
    pressures: list[str] = []
    errors: list[tuple[str, str]] = []
    for index, activity in enumerate(activities):
        if activity.technique not in TECHNIQUE_CODES:
            techniques.append(activity.technique)
            errors.append((f"activities.{index}.technique", f"Unknown technique: {activity.technique!r}."))
        for position, site in enumerate(activity.body_sites):
            if site not in BODY_SITE_CODES:
                sites.append(site)
                errors.append((f"activities.{index}.body_sites.{position}", f"Unknown body site: {site!r}."))
        if activity.pressure and activity.pressure not in PRESSURES:
            pressures.append(activity.pressure)
            errors.append(
                (
                    f"activities.{index}.pressure",
                    f"Unknown pressure: {activity.pressure!r} (use one of {', '.join(PRESSURES)} or none).",
                )
            )
    if errors:
        raise UnknownCodes(
            list(dict.fromkeys(techniques)),
            list(dict.fromkeys(sites)),
            errors,
            list(dict.fromkeys(pressures)),
        )


def _message(rule: Rule, causes: Sequence[_Cause]) -> str:
    reasons = ", ".join(dict.fromkeys(cause.reason for cause in causes))
    return f"{rule.message} Because of: {reasons}. Source: {rule.source}."


def check(
    facts: PatientFacts, activities: Sequence[PlannedActivity], rules: RuleSet | None = None
) -> list[Finding]:
    """Every finding for the planned activities, most severe first; UnknownCodes for bad codes."""
    validate_activities(activities)
    ruleset = rules if rules is not None else load_rules()
    findings: dict[tuple[str, str, str], Finding] = {}
    for rule in ruleset.rules:
        causes = _causes(rule.when, facts)
        if not causes:
            continue
        also = _causes(rule.and_when, facts) if rule.and_when else []
        if rule.and_when and not also:
            continue
        affected = _affected(causes) if rule.scope == "local" else None
        message = _message(rule, causes + also)
        for activity in activities:
            if activity.technique not in rule.techniques or not rule.applies_at(activity.pressure):
                continue
            for site in _sites_for(rule, activity, affected):
                key = (rule.id, activity.technique, site)
                findings.setdefault(
                    key, Finding(rule.severity, rule.id, activity.technique, site, message, rule.source)
                )
    return sorted(
        findings.values(),
        key=lambda f: (SEVERITY_RANK[f.severity], f.rule, f.technique, f.body_site),
    )


def most_severe(findings: Iterable[Finding]) -> str:
    """The most severe level among the findings, or "" when there are none."""
    levels = sorted({f.severity for f in findings}, key=SEVERITY_RANK.__getitem__)
    return levels[0] if levels else ""
