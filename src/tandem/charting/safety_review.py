"""What the note page says about safety (invariant 5): each finding of what the note documents, plainly
(technique, site, rule, source), whether an override covers it, and who may record the one still missing.

A read for the note page: the caller has checked access to the note (access.py). The rules themselves are
services._gate's and tandem.safety's; this module only explains them, so a precaution is "pending" here
exactly when note_sign would refuse it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tandem.accounts.models import Practitioner, User
from tandem.charting.models import Note, NoteStatus
from tandem.charting.note_fields import documented_techniques
from tandem.charting.selectors import note_findings
from tandem.charting.services import supervisor_for, template_for
from tandem.core.vocabularies import BODY_SITES, label
from tandem.safety.engine import Finding
from tandem.safety.models import SafetyOverride
from tandem.safety.services import can_override, label_of_technique


def note_subject(note: Note) -> str:
    """The subject a note's own overrides are recorded under (services._gate)."""
    return f"charting-note:{note.pk}"


def activity_subject(activity_id: int) -> str:
    return f"careplan-activity:{activity_id}"


@dataclass(frozen=True)
class ReviewedFinding:
    """One finding, told plainly, with the override that covers it (if any)."""

    severity: str
    rule: str
    technique: str
    technique_label: str
    site_label: str
    message: str
    source: str
    override: SafetyOverride | None = None
    override_scope: str = ""  # "note" or "plan activity"

    @property
    def contraindicated(self) -> bool:
        return self.severity == "contraindicated"

    @property
    def pending(self) -> bool:
        """A precaution that keeps the note from being signed until somebody records an override."""
        return self.severity == "precaution" and self.override is None


@dataclass(frozen=True)
class SafetyReview:
    findings: list[ReviewedFinding] = field(default_factory=list)
    supervisor: Practitioner | None = None
    may_override: bool = False  # the viewer may record the pending overrides now
    applied: list[SafetyOverride] = field(default_factory=list)  # a signed note's overrides

    @property
    def pending(self) -> list[ReviewedFinding]:
        return [f for f in self.findings if f.pending]

    @property
    def contraindicated(self) -> list[ReviewedFinding]:
        return [f for f in self.findings if f.contraindicated]


def _plain_message(finding: Finding) -> str:
    # The engine appends " Source: <source>." to the rule's message; the page shows the source on its own.
    suffix = f" Source: {finding.source}."
    return finding.message.removesuffix(suffix) if finding.message.endswith(suffix) else finding.message


def _key(item: Finding | SafetyOverride) -> tuple[str, str, str]:
    return (item.rule, item.technique, item.body_site)


def _overrides(note: Note) -> dict[str, list[SafetyOverride]]:
    subjects = {"note": note_subject(note)}
    if note.encounter.activity_id is not None:
        subjects["plan activity"] = activity_subject(note.encounter.activity_id)
    rows = (
        SafetyOverride.objects.filter(patient_id=note.patient_id, subject__in=subjects.values())
        .select_related("overridden_by__practitioner")
        .order_by("overridden_at", "pk")
    )
    by_scope: dict[str, list[SafetyOverride]] = {scope: [] for scope in subjects}
    scope_of = {subject: scope for scope, subject in subjects.items()}
    for row in rows:
        by_scope[scope_of[row.subject]].append(row)
    return by_scope


def _reviewed(finding: Finding, overrides: dict[str, list[SafetyOverride]]) -> ReviewedFinding:
    override, scope = None, ""
    if finding.severity == "precaution":
        # The plan activity's override comes first: the note's own is asked for only when that one is missing.
        for candidate_scope in ("plan activity", "note"):
            match = next((o for o in overrides.get(candidate_scope, []) if _key(o) == _key(finding)), None)
            if match is not None:
                override, scope = match, candidate_scope
                break
    return ReviewedFinding(
        severity=finding.severity,
        rule=finding.rule,
        technique=finding.technique,
        technique_label=label_of_technique(finding.technique),
        site_label=label(BODY_SITES, finding.body_site) if finding.body_site else "any site",
        message=_plain_message(finding),
        source=finding.source,
        override=override,
        override_scope=scope,
    )


def _applied(override: SafetyOverride, scope: str) -> ReviewedFinding:
    return ReviewedFinding(
        severity=override.severity,
        rule=override.rule,
        technique=override.technique,
        technique_label=label_of_technique(override.technique),
        site_label=label(BODY_SITES, override.body_site) if override.body_site else "any site",
        message=override.message.removesuffix(f" Source: {override.source}."),
        source=override.source,
        override=override,
        override_scope=scope,
    )


def note_safety_review(user: User, note: Note) -> SafetyReview:
    """A draft: today's findings for what it documents, each with its covering override, the supervising
    clinician, and whether `user` may record the missing overrides. A signed note: the overrides on record
    for it (its own, and its plan activity's for the techniques it documents); findings are not recomputed,
    the note was checked when it was signed. An entered-in-error draft: nothing."""
    if note.status == NoteStatus.ENTERED_IN_ERROR:
        return SafetyReview()
    overrides = _overrides(note)
    if note.status == NoteStatus.FINAL:
        template = template_for(note.discipline)
        documented = {d.technique for d in documented_techniques(template, note.data, note.body_marks or [])}
        applied = [_applied(o, "note") for o in overrides.get("note", [])]
        applied += [
            _applied(o, "plan activity")
            for o in overrides.get("plan activity", [])
            if o.technique in documented
        ]
        return SafetyReview(applied=applied)
    findings = [_reviewed(f, overrides) for f in note_findings(note)]
    supervisor = supervisor_for(note.encounter)
    # A contraindication refuses any override (services._gate): the form waits until it is taken out.
    may_override = (
        any(f.pending for f in findings)
        and not any(f.contraindicated for f in findings)
        and supervisor is not None
        and user.is_clinician
        and user.practitioner.pk == supervisor.pk
        and can_override(user, note.patient)
    )
    return SafetyReview(findings=findings, supervisor=supervisor, may_override=may_override)
