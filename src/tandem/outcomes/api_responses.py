"""Administered measures under /api/v1/ (joined to the outcomes router in api.py):

- POST /patients/{id}/responses: score and store one instrument's answers (a list of item values, or a FHIR
  QuestionnaireResponse); GET lists the patient's responses with their scores. Clinical content: the
  clinicians who may see the chart; anyone else gets 404.
- POST /patients/{id}/measure-links: a single-use link for the patient (the raw token is in this answer
  only). Front desk may make links.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import StrictInt

from tandem.audit.services import audit_read
from tandem.careplans.models import CarePlan
from tandem.core.http import request_user
from tandem.outcomes.access import access_patient_for_links, access_patient_measures
from tandem.outcomes.models import LinkChannel, Response, ResponseSource, Timepoint
from tandem.outcomes.schemas import PolicyIn
from tandem.outcomes.scoring import DEFAULT_POLICY, ScoringPolicy
from tandem.outcomes.services import measure_link_create, response_record
from tandem.patients.models import Patient

router = Router(tags=["outcomes"])
MAX_LIST = 500


# Every field has a default, so an empty body reaches the access check (404 for a patient one may not see)
# before validation; the services then name what is missing.
class ResponseIn(Schema):
    instrument: str = Field("", max_length=40)
    # Item values in order (null when unanswered), or a FHIR QuestionnaireResponse: exactly one of them.
    answers: list[Any] | None = Field(None, max_length=50)
    questionnaire_response: dict[str, Any] | None = None
    activity_names: list[str] = Field(default_factory=list, max_length=5)
    timepoint: str = Timepoint.FOLLOW_UP
    plan: StrictInt | None = None
    authored_at: datetime.datetime | None = None
    replaces: StrictInt | None = None
    policy: PolicyIn | None = None


class ScoreOut(Schema):
    value: float | None
    exact: str
    unit: str
    band: str
    items_answered: int
    items_total: int
    valid: bool
    reason: str
    loinc_code: str
    mcid_key: str


class ResponseOut(Schema):
    id: int
    patient: int
    instrument: str
    questionnaire_version: str
    timepoint: str
    source: str
    plan: int | None
    authored_at: datetime.datetime
    entered_by: str | None
    replaces: int | None
    answers: list[Any]
    questionnaire_response: dict[str, Any]
    score: ScoreOut


class LinkIn(Schema):
    instrument: str = Field("", max_length=40)
    timepoint: str = Timepoint.FOLLOW_UP
    plan: StrictInt | None = None
    days: StrictInt | None = None


class LinkOut(Schema):
    id: int
    instrument: str
    timepoint: str
    expires_at: datetime.datetime
    token: str
    path: str


def _plan(patient: Patient, plan_id: int | None) -> CarePlan | None:
    if plan_id is None:
        return None
    found = CarePlan.objects.filter(pk=plan_id, patient=patient).first()
    if found is None:
        raise ValidationError({"plan": ["No such plan of care for this patient."]})
    return found


def _response_out(response: Response) -> dict[str, Any]:
    found = response.score
    return {
        "id": response.pk,
        "patient": response.patient_id,
        "instrument": response.instrument,
        "questionnaire_version": response.questionnaire_version,
        "timepoint": response.timepoint,
        "source": response.source,
        "plan": response.plan_id,
        "authored_at": response.authored_at,
        "entered_by": response.entered_by.username if response.entered_by else None,
        "replaces": response.replaces_id,
        "answers": response.answers,
        "questionnaire_response": response.questionnaire_response,
        "score": {
            "value": found.value,
            "exact": found.exact,
            "unit": found.unit,
            "band": found.band,
            "items_answered": found.items_answered,
            "items_total": found.items_total,
            "valid": found.valid,
            "reason": found.reason,
            "loinc_code": found.loinc_code,
            "mcid_key": found.mcid_key,
        },
    }


@router.post("/patients/{patient_id}/responses", response={201: ResponseOut})
def response_create(request: HttpRequest, patient_id: int, payload: ResponseIn) -> Status[dict[str, Any]]:
    """Score and store one questionnaire (source "api"); 422 naming the field for bad answers."""
    user = request_user(request)
    patient = access_patient_measures(user, patient_id)
    replaces = None
    if payload.replaces is not None:
        replaces = Response.objects.filter(pk=payload.replaces, patient=patient).first()
        if replaces is None:
            raise ValidationError({"replaces": ["No such response of this patient."]})
    policy = ScoringPolicy(**payload.policy.dict()) if payload.policy else DEFAULT_POLICY
    response = response_record(
        actor=user,
        patient=patient,
        instrument_code=payload.instrument,
        source=ResponseSource.API,
        answers=payload.answers,
        questionnaire_response=payload.questionnaire_response,
        activity_names=payload.activity_names,
        plan=_plan(patient, payload.plan),
        timepoint=payload.timepoint,
        authored_at=payload.authored_at,
        replaces=replaces,
        policy=policy,
    )
    return Status(201, _response_out(response))


@router.get("/patients/{patient_id}/responses", response=list[ResponseOut])
def response_list(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    """The patient's responses with their scores, oldest first (corrected ones included, see `replaces`)."""
    user = request_user(request)
    patient = access_patient_measures(user, patient_id)
    audit_read(
        actor=user, object_type="QuestionnaireResponse", object_id="*", patient_id=patient.pk, detail="api"
    )
    responses = (
        Response.objects.filter(patient=patient)
        .select_related("score", "entered_by")
        .order_by("authored_at", "id")[:MAX_LIST]
    )
    return [_response_out(r) for r in responses]


@router.post("/patients/{patient_id}/measure-links", response={201: LinkOut})
def measure_link_make(request: HttpRequest, patient_id: int, payload: LinkIn) -> Status[dict[str, Any]]:
    """A single-use link to one instrument; the token is shown in this answer only."""
    user = request_user(request)
    patient = access_patient_for_links(user, patient_id)
    link, token = measure_link_create(
        actor=user,
        patient=patient,
        instrument_code=payload.instrument,
        plan=_plan(patient, payload.plan),
        timepoint=payload.timepoint,
        channel=LinkChannel.LINK,
        days=payload.days,
    )
    return Status(
        201,
        {
            "id": link.pk,
            "instrument": link.instrument,
            "timepoint": link.timepoint,
            "expires_at": link.expires_at,
            "token": token,
            "path": f"/m/{token}",
        },
    )
