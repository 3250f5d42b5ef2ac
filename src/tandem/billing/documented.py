"""From what a visit documented to what it bills: the signed notes' discipline fields become service lines,
and tandem.billing.coding.code_visit codes them under the payer's rules. Pure module, no Django.

What each technique bills is data (documented_codes.yaml, with sources): massage and PT techniques map to a
timed or untimed code, their documented minutes summed per code; chiropractic adjustments bill by region:
the spinal regions adjusted (regions and segments of every row) give 98940-98942 (coding.cmt_code) and any
extraspinal region 98943.

Regions of each line come from the note: a massage note names its body sites once for all techniques, a PT
row names its own, a chiropractic row its region and segments. Several notes of one visit (the same patient,
date of service and billing clinician) pool: minutes of one code add up, regions join, CMT is computed from
every region adjusted. Each line remembers which notes it came from, so a charge points to its note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tandem.billing.catalog import CodeCatalog, load_codes
from tandem.billing.coding import (
    CMT_EXTRASPINAL_CODE,
    BillingError,
    CodedLine,
    CodedVisit,
    DiagnosisRef,
    FieldError,
    PayerRules,
    ServiceLine,
    cmt_code,
    code_visit,
    spinal_region,
)
from tandem.core.vocabularies import BODY_SITE_CODES, SPINAL_REGIONS_FOR_CMT, TECHNIQUE_CODES

DEFAULT_PATH = Path(__file__).with_name("documented_codes.yaml")
CMT = "cmt"  # the map's marker for "billed by region as chiropractic manipulative treatment"
MASSAGE, CHIROPRACTIC, PHYSICAL_THERAPY = "massage-therapy", "chiropractic", "physical-therapy"


class DocumentedCodesError(ValueError):
    """documented_codes.yaml is wrong; the message names every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("documented_codes.yaml: " + "; ".join(self.problems))


@dataclass(frozen=True)
class TechniqueCode:
    technique: str
    code: str | None  # a catalog code, CMT, or None: not billable from the note (see reason)
    sources: tuple[str, ...]
    reason: str = ""


@dataclass(frozen=True)
class DocumentedCodes:
    techniques: dict[str, TechniqueCode]
    spinal_segments: dict[str, str]

    def code_of(self, technique: str) -> TechniqueCode | None:
        return self.techniques.get(technique)

    def region_of_segment(self, segment: str) -> str | None:
        """The CMT region of a segment ("L4" → lumbar, "si-left" → pelvis), else None."""
        if segment in self.spinal_segments:
            return self.spinal_segments[segment]
        return spinal_region(segment) if isinstance(segment, str) else None


def parse_documented_codes(document: Any, catalog: CodeCatalog) -> DocumentedCodes:
    """DocumentedCodes from the parsed YAML, checked against the technique vocabulary and the code catalog."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise DocumentedCodesError(["the file must be a mapping with `techniques` and `spinal_segments`"])
    sources = document.get("sources") or {}
    raw_techniques = document.get("techniques")
    if not isinstance(raw_techniques, dict):
        raise DocumentedCodesError(["`techniques` must be a mapping of technique codes"])
    techniques: dict[str, TechniqueCode] = {}
    for technique, raw in raw_techniques.items():
        name = f"technique {technique}"
        if technique not in TECHNIQUE_CODES:
            problems.append(f"{name}: not a technique of the vocabulary")
        if not isinstance(raw, dict):
            problems.append(f"{name}: must be a mapping with `code` and `source`")
            continue
        code = raw.get("code")
        if code is not None and code != CMT and code not in catalog:
            problems.append(f"{name}: code {code!r} is not in codes.yaml")
        reason = " ".join(str(raw.get("reason") or "").split())
        if code is None and not reason:
            problems.append(f"{name}: a technique that bills nothing needs a `reason`")
        cited = raw.get("source")
        cited_list = cited if isinstance(cited, list) else [cited] if cited else []
        if not cited_list:
            problems.append(f"{name}: no source")
        citations = tuple(str(sources.get(item, item)) for item in cited_list)
        techniques[technique] = TechniqueCode(technique, code, citations, reason)
    for missing in sorted(TECHNIQUE_CODES - set(techniques)):
        problems.append(f"technique {missing}: missing (every technique of the vocabulary needs an entry)")
    raw_segments = document.get("spinal_segments") or {}
    segments: dict[str, str] = {}
    if not isinstance(raw_segments, dict):
        problems.append("`spinal_segments` must be a mapping of segment to region")
    else:
        for segment, region in raw_segments.items():
            if region not in SPINAL_REGIONS_FOR_CMT:
                problems.append(f"segment {segment}: {region!r} is not a CMT spinal region")
            segments[str(segment)] = str(region)
    if problems:
        raise DocumentedCodesError(problems)
    return DocumentedCodes(techniques, segments)


def load_documented_codes(path: str | Path | None = None) -> DocumentedCodes:
    """The technique → code map (default: documented_codes.yaml beside this module, read once)."""
    if path is None:
        return _default()
    with open(path, encoding="utf-8") as handle:
        return parse_documented_codes(yaml.safe_load(handle), load_codes())


@cache
def _default() -> DocumentedCodes:
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        return parse_documented_codes(yaml.safe_load(handle), load_codes())


# Notes → service lines -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentedNote:
    """A signed note as billing reads it: its id (any key), discipline and template fields (`Note.data`)."""

    key: int
    discipline: str
    data: Mapping[str, Any]


@dataclass
class DocumentedService:
    """One code of the visit and where it came from: `minutes_by_note` (timed) or the notes that bill it."""

    code: str
    timed: bool
    regions: list[str] = field(default_factory=list)
    minutes_by_note: dict[int, int] = field(default_factory=dict)
    notes: list[int] = field(default_factory=list)

    @property
    def minutes(self) -> int | None:
        return sum(self.minutes_by_note.values()) if self.timed else None

    @property
    def main_note(self) -> int:
        """The note a charge points to: the one with most minutes of the code (the first on a tie)."""
        if self.timed and self.minutes_by_note:
            return max(self.notes, key=lambda key: (self.minutes_by_note.get(key, 0), -self.notes.index(key)))
        return self.notes[0]

    def add_regions(self, regions: Iterable[str]) -> None:
        for region in regions:
            if region not in self.regions:
                self.regions.append(region)

    def as_service_line(self) -> ServiceLine:
        if self.timed:
            return ServiceLine(self.code, minutes=self.minutes, regions=tuple(self.regions))
        return ServiceLine(self.code, units=len(self.notes), regions=tuple(self.regions))


def _sites(value: Any) -> list[str]:
    if not isinstance(value, list | tuple):
        return []
    return [site for site in value if isinstance(site, str) and site in BODY_SITE_CODES]


def _minutes(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return 0


def _rows(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    rows = data.get(key)
    return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []


class _Visit:
    def __init__(self, codes: DocumentedCodes, catalog: CodeCatalog) -> None:
        self.codes = codes
        self.catalog = catalog
        self.services: dict[str, DocumentedService] = {}
        self.adjusted: dict[str, list[int]] = {}  # region → notes that adjusted it, in order
        self.warnings: list[str] = []

    def service(self, code: str) -> DocumentedService:
        if code not in self.services:
            entry = self.catalog.get(code)
            self.services[code] = DocumentedService(code, timed=bool(entry and entry.timed))
        return self.services[code]

    def technique(self, note: DocumentedNote, technique: Any, minutes: int, regions: list[str]) -> None:
        mapped = self.codes.code_of(technique) if isinstance(technique, str) else None
        if mapped is None:
            self.warnings.append(f"Note {note.key}: technique {technique!r} has no billing code; not billed.")
            return
        if mapped.code is None:
            self.warnings.append(f"Note {note.key}: {technique} is not billed: {mapped.reason}.")
            return
        if mapped.code == CMT:
            self.adjust(note, regions)
            return
        service = self.service(mapped.code)
        if service.timed:
            service.minutes_by_note[note.key] = service.minutes_by_note.get(note.key, 0) + minutes
        if note.key not in service.notes:
            service.notes.append(note.key)
        service.add_regions(regions)

    def adjust(self, note: DocumentedNote, regions: Iterable[str]) -> None:
        for region in regions:
            keys = self.adjusted.setdefault(region, [])
            if note.key not in keys:
                keys.append(note.key)

    def note(self, note: DocumentedNote) -> None:
        data = note.data if isinstance(note.data, Mapping) else {}
        if note.discipline == MASSAGE:
            sites = _sites(data.get("body_sites"))
            for row in _rows(data, "techniques"):
                self.technique(note, row.get("technique"), _minutes(row.get("minutes")), sites)
        elif note.discipline == PHYSICAL_THERAPY:
            for row in _rows(data, "techniques"):
                sites = _sites(row.get("body_sites"))
                self.technique(note, row.get("technique"), _minutes(row.get("minutes")), sites)
        elif note.discipline == CHIROPRACTIC:
            for row in _rows(data, "adjustments"):
                regions = _sites([row.get("region")])
                segments = row.get("segments")
                for segment in segments if isinstance(segments, list) else []:
                    region = self.codes.region_of_segment(segment)
                    if region is not None and region not in regions:
                        regions.append(region)
                self.technique(note, row.get("technique"), 0, regions)
        else:
            self.warnings.append(f"Note {note.key}: no billing for discipline {note.discipline!r}.")

    def cmt_lines(self) -> list[DocumentedService]:
        spinal = [r for r in SPINAL_REGIONS_FOR_CMT if r in self.adjusted]
        extraspinal = [r for r in self.adjusted if r not in SPINAL_REGIONS_FOR_CMT]
        lines: list[DocumentedService] = []
        code = cmt_code(spinal)
        for billed, regions in ((code, spinal), (CMT_EXTRASPINAL_CODE if extraspinal else None, extraspinal)):
            if billed is None:
                continue
            notes: list[int] = []
            for region in regions:
                notes += [key for key in self.adjusted[region] if key not in notes]
            lines.append(DocumentedService(billed, timed=False, regions=list(regions), notes=notes[:1]))
        return lines


@dataclass(frozen=True)
class DocumentedVisit:
    """What the notes of one visit bill: the service lines with their notes, and what was left out."""

    services: tuple[DocumentedService, ...]
    warnings: tuple[str, ...]

    def service_lines(self) -> list[ServiceLine]:
        return [service.as_service_line() for service in self.services]


def documented_services(
    notes: Sequence[DocumentedNote],
    *,
    codes: DocumentedCodes | None = None,
    catalog: CodeCatalog | None = None,
) -> DocumentedVisit:
    """The service lines the notes of one visit bill (see the module docstring), CMT lines first, then the
    other codes in the order they were documented. Techniques that bill nothing are named in `warnings`."""
    visit = _Visit(codes or load_documented_codes(), catalog or load_codes())
    for note in notes:
        visit.note(note)
    services = visit.cmt_lines() + list(visit.services.values())
    return DocumentedVisit(tuple(services), tuple(visit.warnings))


@dataclass(frozen=True)
class CodedCharge:
    """A coded line and the note it is charged to."""

    line: CodedLine
    note: int


@dataclass(frozen=True)
class CodedDocumentedVisit:
    charges: tuple[CodedCharge, ...]
    coded: CodedVisit
    warnings: tuple[str, ...]


def code_documented_visit(
    notes: Sequence[DocumentedNote],
    payer: PayerRules,
    diagnoses: Sequence[DiagnosisRef],
    *,
    codes: DocumentedCodes | None = None,
) -> CodedDocumentedVisit:
    """Code a visit from its signed notes under the payer's rules (coding.code_visit): units from the pooled
    or per-code minutes, CMT by region, bundling edits refused or given 59/XS, diagnosis pointers.

    A visit whose notes document nothing billable is refused (field "notes") rather than coded empty.
    """
    documented = documented_services(notes, codes=codes)
    if not documented.services:
        reasons = " ".join(documented.warnings)
        raise BillingError(
            [FieldError("notes", ("The signed notes document nothing billable. " + reasons).strip())]
        )
    coded = code_visit(documented.service_lines(), payer, diagnoses)
    charges = tuple(
        CodedCharge(line, service.main_note)
        for line, service in zip(coded.lines, documented.services, strict=True)
    )
    return CodedDocumentedVisit(charges, coded, documented.warnings + coded.warnings)
