"""Plain-language rendering of findings and screenings for templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tandem.core.vocabularies import BODY_SITES, label
from tandem.patients.models import Patient
from tandem.safety.engine import Finding
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.safety.services import label_of_technique
from tandem.safety.vocabulary import factor_label, red_flag_label


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    technique_label: str
    site_label: str
    overridden: bool


def site_label(code: str) -> str:
    return label(BODY_SITES, code) if code else "Whole body"


def finding_rows(findings: Sequence[Finding], patient: Patient, subject: str = "") -> list[FindingRow]:
    """Rows for display; a precaution is marked overridden only when an override on record was given for
    `subject` (overrides count for their own subject only; no subject, nothing is marked)."""
    on_record = (
        set(
            SafetyOverride.objects.filter(patient=patient, subject=subject[:100]).values_list(
                "rule", "technique", "body_site"
            )
        )
        if subject
        else set()
    )
    return [
        FindingRow(
            f,
            label_of_technique(f.technique),
            site_label(f.body_site),
            (f.rule, f.technique, f.body_site) in on_record,
        )
        for f in findings
    ]


@dataclass(frozen=True)
class ScreeningSummary:
    red_flags: list[str]
    factors: list[str]


def screening_summary(screening: IntakeScreening) -> ScreeningSummary:
    factors = []
    for item in screening.factors:
        if not isinstance(item, dict):
            continue
        text = factor_label(str(item.get("factor", "")))
        if item.get("body_site"):
            text += f" — {site_label(str(item['body_site'])).lower()}"
        factors.append(text)
    return ScreeningSummary([red_flag_label(str(code)) for code in screening.red_flags], factors)
