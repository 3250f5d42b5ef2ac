"""The billing catalog as data: procedure codes (codes.yaml) and bundling rules (ncci.yaml). Pure module.

Both files sit beside this module and cite their sources (../shared/clinical/REFERENCE.md §2-3). The loaders
validate every entry and raise CatalogError listing each problem with the code or rule id it belongs to, so a
bad edit stops start-up (or the test run) with a message that says where to look.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tandem.core.vocabularies import DISCIPLINES

DEFAULT_CODES_PATH = Path(__file__).with_name("codes.yaml")
DEFAULT_NCCI_PATH = Path(__file__).with_name("ncci.yaml")
DISCIPLINE_CODES: frozenset[str] = frozenset(d.code for d in DISCIPLINES)
# CPT category I (5 digits) or HCPCS level II (a letter and 4 digits).
CODE_SHAPE = re.compile(r"^(\d{5}|[A-Z]\d{4})$")
SAME_REGION_ACTIONS: tuple[str, ...] = ("refuse", "modifier")
DIFFERENT_REGION_ACTIONS: tuple[str, ...] = ("modifier",)
X_MODIFIERS: tuple[str, ...] = ("XE", "XP", "XS", "XU")
MESSAGE_FIELDS: frozenset[str] = frozenset({"code", "other", "region"})


class CatalogError(ValueError):
    """codes.yaml or ncci.yaml is not valid; `problems` names the entry of each one."""

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"Invalid {what}:\n" + "\n".join(problems))


@dataclass(frozen=True)
class ProcedureCode:
    code: str
    description: str
    timed: bool
    disciplines: tuple[str, ...]
    source: str
    max_units: int | None = None
    note: str = ""


@dataclass(frozen=True)
class CodeCatalog:
    codes: tuple[ProcedureCode, ...]

    def get(self, code: str) -> ProcedureCode | None:
        for candidate in self.codes:
            if candidate.code == code:
                return candidate
        return None

    def timed_codes(self) -> frozenset[str]:
        return frozenset(c.code for c in self.codes if c.timed)

    def __contains__(self, code: object) -> bool:
        return any(candidate.code == code for candidate in self.codes)


@dataclass(frozen=True)
class BundlingRule:
    """One pair edit: a `codes` line billed with a `with_codes` line (see ncci.yaml for the fields)."""

    id: str
    codes: frozenset[str]
    with_codes: frozenset[str]
    same_region: str  # refuse | modifier
    different_region: str  # modifier
    x_modifier: str
    configurable: bool
    message: str
    sources: tuple[str, ...]

    def refusal(self, code: str, other: str, region: str) -> str:
        return self.message.format(code=code, other=other, region=region)


@dataclass(frozen=True)
class BundlingRules:
    rules: tuple[BundlingRule, ...]

    def rule(self, rule_id: str) -> BundlingRule:
        for candidate in self.rules:
            if candidate.id == rule_id:
                return candidate
        raise KeyError(rule_id)

    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules)


# Loading -------------------------------------------------------------------------------------------------


def _mapping_of_sources(document: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    raw = document.get("sources") or {}
    if not isinstance(raw, dict):
        problems.append("`sources` must be a mapping of key → citation")
        return {}
    return {str(key): str(value) for key, value in raw.items()}


def _source(raw: Any, sources: Mapping[str, str]) -> str:
    text = str(raw or "").strip()
    return str(sources.get(text, text)).strip()


def _entries(document: Any, key: str, problems: list[str]) -> list[Any]:
    if not isinstance(document, dict):
        problems.append(f"the file must be a mapping with `{key}`")
        return []
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        problems.append(f"`{key}` must be a non-empty list")
        return []
    return entries


def parse_codes(document: Any) -> CodeCatalog:
    """A CodeCatalog from a parsed codes.yaml; CatalogError naming each bad entry."""
    problems: list[str] = []
    entries = _entries(document, "codes", problems)
    sources = _mapping_of_sources(document, problems) if isinstance(document, dict) else {}
    known = {"code", "description", "timed", "max_units", "disciplines", "source", "note"}
    found: list[ProcedureCode] = []
    seen: set[str] = set()
    for position, raw in enumerate(entries):
        if not isinstance(raw, dict):
            problems.append(f"entry {position}: must be a mapping, not {raw!r}"[:200])
            continue
        code = raw.get("code")
        if not isinstance(code, str) or not CODE_SHAPE.match(code):
            problems.append(
                f"entry {position}: code {code!r} must be a quoted CPT or HCPCS code like '97110'"
            )
            continue
        name = f"code {code}"
        if code in seen:
            problems.append(f"{name}: listed twice")
        seen.add(code)
        for unknown in sorted(set(raw) - known):
            problems.append(f"{name}: unknown key '{unknown}'")
        description = str(raw.get("description") or "").strip()
        if not description:
            problems.append(f"{name}: no description")
        timed = raw.get("timed")
        if not isinstance(timed, bool):
            problems.append(f"{name}: `timed` must be true or false")
        max_units = raw.get("max_units")
        if max_units is not None:
            if not isinstance(max_units, int) or isinstance(max_units, bool) or max_units < 1:
                problems.append(f"{name}: `max_units` must be a whole number of at least 1")
                max_units = None
            elif timed:
                problems.append(f"{name}: `max_units` applies to untimed codes only")
        disciplines = raw.get("disciplines")
        if not isinstance(disciplines, list) or not disciplines:
            problems.append(f"{name}: `disciplines` must be a non-empty list")
            disciplines = []
        for discipline in disciplines:
            if discipline not in DISCIPLINE_CODES:
                problems.append(f"{name}: unknown discipline '{discipline}'")
        source = _source(raw.get("source"), sources)
        if not source:
            problems.append(f"{name}: no source")
        found.append(
            ProcedureCode(
                code=code,
                description=description,
                timed=bool(timed),
                disciplines=tuple(str(d) for d in disciplines),
                source=source,
                max_units=max_units,
                note=str(raw.get("note") or "").strip(),
            )
        )
    if problems:
        raise CatalogError("billing codes", problems)
    return CodeCatalog(tuple(found))


def _code_list(raw: Any, name: str, key: str, catalog: CodeCatalog, problems: list[str]) -> frozenset[str]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{name}: `{key}` must be a non-empty list of codes")
        return frozenset()
    for code in raw:
        if code not in catalog:
            problems.append(f"{name}: `{key}` names {code!r}, which is not in codes.yaml")
    return frozenset(str(code) for code in raw)


def _message_ok(message: str) -> bool:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}
    except ValueError:
        return False
    return names <= MESSAGE_FIELDS


def parse_ncci(document: Any, catalog: CodeCatalog) -> BundlingRules:
    """BundlingRules from a parsed ncci.yaml, checked against the code catalog; CatalogError naming each
    bad rule."""
    problems: list[str] = []
    entries = _entries(document, "rules", problems)
    sources = _mapping_of_sources(document, problems) if isinstance(document, dict) else {}
    known = {
        "id",
        "codes",
        "with",
        "same_region",
        "different_region",
        "x_modifier",
        "configurable",
        "message",
        "sources",
    }
    found: list[BundlingRule] = []
    seen: set[str] = set()
    for position, raw in enumerate(entries):
        if not isinstance(raw, dict):
            problems.append(f"entry {position}: must be a mapping, not {raw!r}"[:200])
            continue
        rule_id = str(raw.get("id") or "").strip()
        if not rule_id:
            problems.append(f"entry {position}: no id")
            continue
        name = f"rule {rule_id}"
        if rule_id in seen:
            problems.append(f"{name}: the id is used twice")
        seen.add(rule_id)
        for unknown in sorted(set(raw) - known):
            problems.append(f"{name}: unknown key '{unknown}'")
        codes = _code_list(raw.get("codes"), name, "codes", catalog, problems)
        with_codes = _code_list(raw.get("with"), name, "with", catalog, problems)
        if codes & with_codes:
            problems.append(f"{name}: {', '.join(sorted(codes & with_codes))} is on both sides of the pair")
        same_region = raw.get("same_region")
        if same_region not in SAME_REGION_ACTIONS:
            problems.append(f"{name}: `same_region` must be one of {', '.join(SAME_REGION_ACTIONS)}")
        different_region = raw.get("different_region")
        if different_region not in DIFFERENT_REGION_ACTIONS:
            problems.append(
                f"{name}: `different_region` must be one of {', '.join(DIFFERENT_REGION_ACTIONS)}"
            )
        x_modifier = raw.get("x_modifier")
        if x_modifier not in X_MODIFIERS:
            problems.append(f"{name}: `x_modifier` must be one of {', '.join(X_MODIFIERS)}")
        configurable = raw.get("configurable", False)
        if not isinstance(configurable, bool):
            problems.append(f"{name}: `configurable` must be true or false")
        message = " ".join(str(raw.get("message") or "").split())
        if not message:
            problems.append(f"{name}: no message")
        elif not _message_ok(message):
            problems.append(f"{name}: the message may use only {{code}}, {{other}} and {{region}}")
        raw_sources = raw.get("sources")
        if not isinstance(raw_sources, list) or not raw_sources:
            problems.append(f"{name}: `sources` must be a non-empty list")
            raw_sources = []
        cited = tuple(_source(item, sources) for item in raw_sources)
        if any(not citation for citation in cited):
            problems.append(f"{name}: an empty source")
        found.append(
            BundlingRule(
                id=rule_id,
                codes=codes,
                with_codes=with_codes,
                same_region=str(same_region),
                different_region=str(different_region),
                x_modifier=str(x_modifier),
                configurable=configurable is True,
                message=message,
                sources=cited,
            )
        )
    if problems:
        raise CatalogError("bundling rules", problems)
    return BundlingRules(tuple(found))


def load_codes(path: str | Path | None = None) -> CodeCatalog:
    """The code catalog (default: codes.yaml beside this module, read once and cached)."""
    if path is None:
        return _default_codes()
    with open(path, encoding="utf-8") as handle:
        return parse_codes(yaml.safe_load(handle))


def load_ncci(path: str | Path | None = None, catalog: CodeCatalog | None = None) -> BundlingRules:
    """The bundling rules (default: ncci.yaml beside this module, read once and cached)."""
    if path is None and catalog is None:
        return _default_ncci()
    with open(path or DEFAULT_NCCI_PATH, encoding="utf-8") as handle:
        return parse_ncci(yaml.safe_load(handle), catalog or load_codes())


@cache
def _default_codes() -> CodeCatalog:
    with open(DEFAULT_CODES_PATH, encoding="utf-8") as handle:
        return parse_codes(yaml.safe_load(handle))


@cache
def _default_ncci() -> BundlingRules:
    with open(DEFAULT_NCCI_PATH, encoding="utf-8") as handle:
        return parse_ncci(yaml.safe_load(handle), _default_codes())
