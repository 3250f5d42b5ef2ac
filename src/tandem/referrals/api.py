"""Referrals and external contacts under /api/v1/."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status

from tandem.audit.services import audit_read
from tandem.core.http import request_user as _user
from tandem.patients.access import Purpose, access_patient
from tandem.referrals import services
from tandem.referrals.access import access_contact, access_referral, can_manage_contacts
from tandem.referrals.models import ExternalProvider, Referral
from tandem.referrals.schemas import (
    ContactIn,
    ContactOut,
    ContactPatch,
    ReferralDetailOut,
    ReferralIn,
    ReferralOut,
    ReferralPatch,
    TransitionIn,
    TurnaroundOut,
)
from tandem.referrals.selectors import (
    BOXES,
    TURNAROUND_EARLIEST,
    TURNAROUND_LATEST,
    audit_listed,
    contact_list_for_user,
    referral_list_for_inbox,
    referral_list_for_patient,
    referral_turnaround,
)
from tandem.referrals.workflow import ACTIONS

router = Router(tags=["referrals"])


def _clinician_patient(request: HttpRequest, patient_id: int) -> Any:
    return access_patient(_user(request), patient_id, Purpose.CLINICAL)


@router.get("/patients/{patient_id}/referrals", response=list[ReferralOut])
def referral_list(request: HttpRequest, patient_id: int) -> list[Referral]:
    """The patient's referrals (for those who see the chart)."""
    patient = _clinician_patient(request, patient_id)
    audit_read(actor=_user(request), object_type="Referral", object_id="*", patient_id=patient.pk)
    return list(referral_list_for_patient(_user(request), patient).prefetch_related("conditions"))


@router.post("/patients/{patient_id}/referrals", response={201: ReferralDetailOut})
def referral_create(request: HttpRequest, patient_id: int, payload: ReferralIn) -> Status[Referral]:
    """Write a referral as a draft; send it with POST /referrals/{id}/send."""
    patient = _clinician_patient(request, patient_id)
    data = payload.dict()
    override = data.pop("override_reason", "")
    referral = services.referral_create(
        actor=_user(request), patient=patient, data=data, override_reason=override
    )
    return Status(201, referral)


@router.get("/referrals/inbox", response=list[ReferralOut])
def referral_inbox(request: HttpRequest, box: str = "to-me", status: str = "") -> list[Referral]:
    """The caller's referrals: `box` is to-me, discipline, sent or overdue; `status` a code or "open"."""
    if box not in BOXES:
        raise ValidationError({"box": f"box must be one of: {', '.join(BOXES)}."})
    referrals = list(referral_list_for_inbox(_user(request), box, status=status)[:200])
    audit_listed(_user(request), referrals, f"referral inbox: {box}")
    return referrals


@router.get("/referrals/turnaround", response=TurnaroundOut)
def referral_turnaround_report(
    request: HttpRequest, start: datetime.date | None = None, end: datetime.date | None = None
) -> dict[str, Any]:
    """Clinic turnaround, per kind and discipline: median and 90th percentile hours, and counts."""
    user = _user(request)
    if not (user.is_clinician or user.is_clinic_admin):
        raise Http404
    for name, day in (("start", start), ("end", end)):
        if day is not None and not TURNAROUND_EARLIEST <= day <= TURNAROUND_LATEST:
            raise ValidationError(
                {name: f"Choose a date from {TURNAROUND_EARLIEST:%Y-%m-%d} to {TURNAROUND_LATEST:%Y-%m-%d}."}
            )
    end = end or timezone.localdate()
    start = start or max(end - datetime.timedelta(days=90), TURNAROUND_EARLIEST)
    if start > end:
        raise ValidationError({"start": "The period starts after it ends."})
    report = referral_turnaround(user, start=start, end=end)
    rows = [
        {
            "kind": row.kind,
            "discipline": row.discipline,
            "count": row.count,
            "accepted": len(row.to_accept_hours),
            "scheduled": len(row.to_schedule_hours),
            "accept_median_hours": row.accept_median,
            "accept_p90_hours": row.accept_p90,
            "schedule_median_hours": row.schedule_median,
            "schedule_p90_hours": row.schedule_p90,
        }
        for row in report.rows
    ]
    return {"start": report.start, "end": report.end, "rows": rows}


@router.get("/referrals/{referral_id}", response=ReferralDetailOut)
def referral_read(request: HttpRequest, referral_id: int) -> Referral:
    referral = access_referral(_user(request), referral_id)
    audit_read(
        actor=_user(request), object_type="Referral", object_id=referral.pk, patient_id=referral.patient_id
    )
    return referral


@router.patch("/referrals/{referral_id}", response=ReferralDetailOut)
def referral_update(request: HttpRequest, referral_id: int, payload: ReferralPatch) -> Referral:
    """Change a draft."""
    referral = access_referral(_user(request), referral_id)
    data = payload.dict(exclude_unset=True)
    override = data.pop("override_reason", "")
    return services.referral_update(
        actor=_user(request), referral=referral, data=data, override_reason=override
    )


def _transition_endpoint(action: str) -> None:
    def transition(request: HttpRequest, referral_id: int, payload: TransitionIn) -> Referral:
        referral = access_referral(_user(request), referral_id)
        return services.referral_transition(
            actor=_user(request), referral=referral, action=action, body=payload.dict()
        )

    transition.__name__ = f"referral_{action}"
    transition.__doc__ = {
        "send": "Send a draft (a massage order passes the safety gate again; `override_reason` if blocked).",
        "accept": "Accept (the recipient, or a clinician of the recipient discipline).",
        "decline": "Decline; `reason` required.",
        "schedule": "The first visit is booked.",
        "start": "Treatment has started.",
        "complete": "Complete with the report back (`report` required); writes the PDF letter.",
        "cancel": "Cancel (the requester); `reason` required.",
    }[action]
    router.post(
        f"/referrals/{{referral_id}}/{action}", response=ReferralDetailOut, url_name=f"api_referral_{action}"
    )(transition)


for _action in ACTIONS:
    _transition_endpoint(_action)


@router.get("/referrals/{referral_id}/letter", response={200: None})
def referral_letter(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The report-back letter as application/pdf (404 until the referral is completed)."""
    referral = access_referral(_user(request), referral_id)
    letter = getattr(referral, "letter", None)
    if letter is None:
        raise Http404
    audit_read(
        actor=_user(request),
        object_type="ReferralLetter",
        object_id=letter.pk,
        patient_id=referral.patient_id,
    )
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    response["X-Content-SHA256"] = letter.sha256
    return response


# Contacts -----------------------------------------------------------------------------------------


@router.get("/contacts", response=list[ContactOut], tags=["contacts"])
def contact_list(request: HttpRequest, include_inactive: bool = False) -> list[ExternalProvider]:
    return list(contact_list_for_user(_user(request), include_inactive=include_inactive))


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"])
def contact_create(request: HttpRequest, payload: ContactIn) -> Status[ExternalProvider]:
    if not can_manage_contacts(_user(request)):
        raise Http404
    return Status(201, services.contact_create(actor=_user(request), data=payload.dict()))


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def contact_read(request: HttpRequest, contact_id: int) -> ExternalProvider:
    return access_contact(_user(request), contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def contact_update(request: HttpRequest, contact_id: int, payload: ContactPatch) -> ExternalProvider:
    contact = access_contact(_user(request), contact_id)
    if not can_manage_contacts(_user(request)):
        raise Http404
    data = payload.dict(exclude_unset=True)
    if data.get("active", True) is None:
        raise ValidationError({"active": "Say true or false."})
    return services.contact_update(actor=_user(request), contact=contact, data=data)


@router.delete("/contacts/{contact_id}", response={204: None}, tags=["contacts"])
def contact_delete(request: HttpRequest, contact_id: int) -> Status[None]:
    """Retire a contact: referrals keep naming it, so it is deactivated rather than removed."""
    contact = access_contact(_user(request), contact_id)
    if not can_manage_contacts(_user(request)):
        raise Http404
    services.contact_update(actor=_user(request), contact=contact, data={"active": False})
    return Status(204, None)
