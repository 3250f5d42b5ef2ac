"""API shapes for referrals and external contacts.

Every input field has a default, so a request the caller may not make is refused by the access check (404)
before its body is judged; the services then say what is missing, field by field.
"""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema

from tandem.referrals.models import Referral, ReferralEvent


class ReferralIn(Schema):
    kind: str = ""
    priority: str = "routine"
    reason: str = ""
    needed_by_on: datetime.date | None = None
    recipient_practitioner: int | None = None
    recipient_discipline: str = ""
    requester_contact: int | None = None
    recipient_contact: int | None = None
    conditions: list[int] = []
    techniques: list[str] = []
    body_sites: list[str] = []
    pressure_limit: str = ""
    precautions: str = ""
    session_count: int | None = None
    sessions_per_week: int | None = None
    goals: str = ""
    supervising_practitioner: int | None = None
    findings: str = ""
    override_reason: str = Field(
        "", description="A supervising clinician's reason to proceed past a safety block"
    )


class ReferralPatch(Schema):
    priority: str | None = None
    reason: str | None = None
    needed_by_on: datetime.date | None = None
    recipient_practitioner: int | None = None
    recipient_discipline: str | None = None
    requester_contact: int | None = None
    recipient_contact: int | None = None
    conditions: list[int] | None = None
    techniques: list[str] | None = None
    body_sites: list[str] | None = None
    pressure_limit: str | None = None
    precautions: str | None = None
    session_count: int | None = None
    sessions_per_week: int | None = None
    goals: str | None = None
    supervising_practitioner: int | None = None
    findings: str | None = None
    override_reason: str = ""


class TransitionIn(Schema):
    reason: str = Field("", description="Why it is declined or cancelled (required for those)")
    report: str = Field("", description="Completing: the treatment provided (required)")
    outcome: str = Field("", description="Completing: findings and outcome")
    recommendations: str = Field("", description="Completing: recommendations to the referrer")
    note: str = ""
    override_reason: str = Field("", description="Sending a massage order past a safety block")


class PartyOut(Schema):
    kind: str  # practitioner, discipline or external
    id: int | None
    name: str
    discipline: str


class EventOut(Schema):
    from_status: str
    to_status: str
    actor: str
    at: datetime.datetime
    note: str

    @staticmethod
    def resolve_actor(obj: ReferralEvent) -> str:
        return obj.actor.display_name


def _requester(obj: Referral) -> dict[str, Any]:
    if obj.requester_practitioner is not None:
        p = obj.requester_practitioner
        return {"kind": "practitioner", "id": p.pk, "name": p.display_name, "discipline": p.discipline}
    contact = obj.requester_external
    return {
        "kind": "external",
        "id": contact.pk if contact else None,
        "name": obj.requester_name,
        "discipline": "",
    }


def _recipient(obj: Referral) -> dict[str, Any]:
    if obj.recipient_practitioner is not None:
        p = obj.recipient_practitioner
        return {"kind": "practitioner", "id": p.pk, "name": p.display_name, "discipline": p.discipline}
    if obj.recipient_external is not None:
        return {
            "kind": "external",
            "id": obj.recipient_external_id,
            "name": obj.recipient_name,
            "discipline": "",
        }
    return {
        "kind": "discipline",
        "id": None,
        "name": obj.recipient_name,
        "discipline": obj.recipient_discipline,
    }


class ReferralOut(Schema):
    id: int
    patient_id: int
    kind: str
    status: str
    status_label: str
    priority: str
    requester: PartyOut
    recipient: PartyOut
    reason: str
    conditions: list[int]
    needed_by_on: datetime.date | None
    techniques: list[str]
    body_sites: list[str]
    pressure_limit: str
    precautions: str
    session_count: int | None
    sessions_per_week: int | None
    goals: str
    supervising_practitioner: int | None = Field(None, alias="supervising_practitioner_id")
    findings: str
    safety_findings: list[dict[str, Any]]
    safety_override_reason: str
    status_reason: str
    report: str
    outcome: str
    recommendations: str
    response_due_at: datetime.datetime | None
    scheduling_due_at: datetime.datetime | None
    overdue: bool
    created_at: datetime.datetime
    sent_at: datetime.datetime | None
    accepted_at: datetime.datetime | None
    declined_at: datetime.datetime | None
    scheduled_at: datetime.datetime | None
    started_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    has_letter: bool

    @staticmethod
    def resolve_status_label(obj: Referral) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_requester(obj: Referral) -> dict[str, Any]:
        return _requester(obj)

    @staticmethod
    def resolve_recipient(obj: Referral) -> dict[str, Any]:
        return _recipient(obj)

    @staticmethod
    def resolve_conditions(obj: Referral) -> list[int]:
        return [c.pk for c in obj.conditions.all()]

    @staticmethod
    def resolve_overdue(obj: Referral) -> bool:
        from django.utils import timezone

        return obj.is_overdue(timezone.now())

    @staticmethod
    def resolve_has_letter(obj: Referral) -> bool:
        return hasattr(obj, "letter")


class ReferralDetailOut(ReferralOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj: Referral) -> list[ReferralEvent]:
        return list(obj.events.select_related("actor__practitioner").order_by("at", "pk"))


class ContactIn(Schema):
    name: str = ""
    credentials: str = ""
    specialty: str = ""
    practice_name: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    address: str = ""
    npi: str = ""


class ContactPatch(Schema):
    name: str | None = None
    credentials: str | None = None
    specialty: str | None = None
    practice_name: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    address: str | None = None
    npi: str | None = None
    active: bool | None = None


class ContactOut(Schema):
    id: int
    name: str
    credentials: str
    specialty: str
    practice_name: str
    phone: str
    fax: str
    email: str
    address: str
    npi: str
    active: bool


class TurnaroundRowOut(Schema):
    kind: str
    discipline: str
    count: int
    accepted: int
    scheduled: int
    accept_median_hours: float | None
    accept_p90_hours: float | None
    schedule_median_hours: float | None
    schedule_p90_hours: float | None


class TurnaroundOut(Schema):
    start: datetime.date
    end: datetime.date
    rows: list[TurnaroundRowOut]
