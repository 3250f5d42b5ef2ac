"""API shapes for visit documentation: encounters, notes, addenda, the co-sign queue and the visit timeline.

Inputs take a default for every field, so a caller who may not reach the note gets 404 from the access check
whatever the body; the services then judge the values and name the field of each problem. A note's fields
(`data`, the SOAP texts, `body_marks`) are checked by the services against the discipline's template, so
their messages are the same as in the editor. Outputs are built in api.py; datetimes carry the clinic's UTC
offset.
"""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from tandem.safety.schemas import FindingOut

# --- Inputs ---------------------------------------------------------------------------------------------


class _Strict(Schema):
    # A key the endpoint does not take is refused by name: silently ignoring {"status": "final"} would let a
    # client believe it had signed. (It also makes django-ninja validate the body itself, so a body that is
    # not a JSON object is refused instead of being read attribute by attribute.)
    model_config = ConfigDict(extra="forbid")


class NotePatch(_Strict):
    """Autosave of a draft: only the keys sent change; `data` replaces the discipline's fields as a whole."""

    data: dict[str, Any] | None = Field(None, description="The discipline's fields as its template names")
    subjective: str | None = None
    objective: str | None = None
    assessment: str | None = None
    plan: str | None = None
    body_marks: list[Any] | None = Field(None, description="Body-map marks: [{site, kind, view, note?}]")


class OverrideIn(_Strict):
    reason: str = Field("", description="Why the documented technique may go ahead despite the precaution")


class EncounterCancelIn(_Strict):
    reason: str = Field("", description="Why the visit did not go ahead (required, under 300 characters)")
    kind: str = Field("cancelled", description='"cancelled" or "entered-in-error"')


class AddendumIn(_Strict):
    text: str = ""


class VisitQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


# --- Outputs --------------------------------------------------------------------------------------------


# Names unique across the API's apps: django-ninja files every schema under its class name in OpenAPI.


class UserRef(Schema):
    """Who wrote or signed: the user's id and name."""

    id: int
    name: str


class PractitionerRef(Schema):
    """A clinician as a practitioner (the id of /practitioners), with the name."""

    id: int
    name: str


class TemplateRef(Schema):
    code: str
    version: str


class FieldProblem(Schema):
    field: str
    message: str


class AddendumOut(Schema):
    id: int
    note_id: int
    author: UserRef
    text: str
    signed: bool
    signed_at: datetime.datetime | None
    signed_by: UserRef | None
    digest: str
    created_at: datetime.datetime


class NoteSummaryOut(Schema):
    id: int
    encounter_id: int
    discipline: str
    status: str = Field(description="FHIR composition-status: preliminary (draft) or final (signed)")
    author: UserRef
    signed_at: datetime.datetime | None
    late_entry: bool
    needs_cosign: bool
    awaits_cosign: bool
    cosigned_at: datetime.datetime | None
    cosigned_by: UserRef | None


class NoteOut(NoteSummaryOut):
    patient_id: int
    template: TemplateRef
    data: dict[str, Any]
    subjective: str
    objective: str
    assessment: str
    plan: str
    body_marks: list[dict[str, Any]]
    signed_by: UserRef | None
    digest: str
    cosigner: PractitionerRef | None = Field(description="The supervising clinician asked to co-sign")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    editable: bool = Field(description="The caller is the author and the note is a draft")
    can_cosign: bool
    missing: list[FieldProblem] = Field(description="What a draft still lacks before it can be signed")
    findings: list[FindingOut] = Field(description="Safety findings on what a draft documents")
    addenda: list[AddendumOut]


class EncounterOut(Schema):
    id: int
    appointment_id: int
    patient_id: int
    practitioner: PractitionerRef
    discipline: str
    activity_id: int | None
    status: str = Field(description="FHIR encounter-status")
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    notes: list[NoteSummaryOut]


class VisitPage(Schema):
    count: int
    items: list[EncounterOut]


class PatientSummary(Schema):
    id: int
    name: str


class QueuedNoteOut(NoteSummaryOut):
    patient: PatientSummary
    visited_at: datetime.datetime


class PrecautionOverrideOut(Schema):
    findings: list[FindingOut]
