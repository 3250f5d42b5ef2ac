"""Administering outcome measures: recording responses with their scores, single-use patient links and each
plan's schedule. Every change is validated, written and audited in one transaction (STYLE.md)."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from tandem.accounts.models import Organization, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.careplans.models import Activity, CarePlan, CarePlanStatus
from tandem.charting.models import Encounter, EncounterStatus
from tandem.outcomes.access import can_see_measures, can_send_measures
from tandem.outcomes.goals import goal_statuses_update
from tandem.outcomes.models import (
    LinkChannel,
    MeasureRequest,
    MeasureSchedule,
    PlanSummary,
    Response,
    ResponseSource,
    Score,
    Timepoint,
)
from tandem.outcomes.questionnaires import answers_from_response, questionnaire
from tandem.outcomes.scoring import (
    DEFAULT_POLICY,
    INSTRUMENTS,
    ScoreResult,
    ScoringError,
    ScoringPolicy,
    instrument,
    score,
)
from tandem.patients.models import Condition, Patient
from tandem.scheduling.models import Appointment

LINK_PREFIX = "m_"
LINK_LIFETIME = datetime.timedelta(days=7)
TABLET_LIFETIME = datetime.timedelta(hours=2)  # handed over in the room: short, so a lost tablet closes soon
MAX_LINK_DAYS = 30
MAX_INTERVAL = 52
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# Plans whose measures may be recorded against them (a draft has not started; a revoked one never ran).
MEASURABLE_PLAN_STATUSES = (CarePlanStatus.ACTIVE, CarePlanStatus.ON_HOLD, CarePlanStatus.COMPLETED)


class LinkUnavailable(Exception):
    """A measure link that cannot be used: `status` 404 (unknown) or 410 (expired or already used)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# QuestionnaireResponse JSON ---------------------------------------------------------------------------------


def _leaves(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if item.get("type") == "group":
            found += _leaves(item.get("item", []))
        elif item.get("type") != "display":
            found.append(item)
    return found


def _answer(item: dict[str, Any], value: int) -> dict[str, Any]:
    if item["type"] == "integer":
        return {"valueInteger": value}
    for option in item.get("answerOption", []):
        ordinals = [e.get("valueDecimal") for e in option.get("extension", []) if e.get("url") == ORDINAL]
        if ordinals and ordinals[0] == value:
            coding = option["valueCoding"]
            return {"valueCoding": {k: coding[k] for k in ("system", "code", "display") if k in coding}}
    raise ScoringError(f"Item {item['linkId']!r}: {value} is not one of its options.", field="answers")


def response_json(
    code: str,
    answers: Sequence[int | None],
    *,
    patient: Patient,
    authored_at: datetime.datetime,
    activity_names: Sequence[str] = (),
) -> dict[str, Any]:
    """The FHIR R4 QuestionnaireResponse of checked answers (values already passed the scoring's checks).
    PSFS activities carry the patient's own words in `activity_names`."""
    form = questionnaire(code)
    items: list[dict[str, Any]] = []
    if INSTRUMENTS[code].min_items != INSTRUMENTS[code].max_items:  # PSFS: one repeating group per activity
        group = form["item"][0]
        name_item, rating_item = (
            [i for i in group["item"] if i["type"] == "string"][0],
            _leaves(group["item"]),
        )
        rating = [i for i in rating_item if i["type"] in ("integer", "choice")][0]
        for index, value in enumerate(answers):
            children: list[dict[str, Any]] = []
            name = activity_names[index].strip() if index < len(activity_names) else ""
            if name:
                children.append({"linkId": name_item["linkId"], "answer": [{"valueString": name[:200]}]})
            entry: dict[str, Any] = {"linkId": rating["linkId"]}
            if value is not None:
                entry["answer"] = [_answer(rating, value)]
            children.append(entry)
            items.append({"linkId": group["linkId"], "item": children})
    else:
        scored = [i for i in _leaves(form["item"]) if i.get("type") in ("choice", "integer")]
        for item, value in zip(scored, answers, strict=True):
            entry = {"linkId": item["linkId"], "text": item.get("text", "")}
            if value is not None:
                entry["answer"] = [_answer(item, value)]
            items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{form['url']}|{form.get('version', '1')}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": authored_at.isoformat(),
        "item": items,
    }


# Responses --------------------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _checked_plan(plan: CarePlan | None, patient: Patient) -> CarePlan | None:
    if plan is None:
        return None
    if plan.patient_id != patient.pk:
        raise _invalid("plan", "That plan of care is not this patient's.")
    if plan.status not in MEASURABLE_PLAN_STATUSES:
        raise _invalid(
            "plan", f"The plan is {plan.get_status_display().lower()}; measures need a started plan."
        )
    return plan


def _checked_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:  # type: ignore[attr-defined]
        raise _invalid(field, f"Use one of: {', '.join(choices.values)}.")  # type: ignore[attr-defined]
    return value


def response_record(
    *,
    actor: User | None,
    patient: Patient,
    instrument_code: str,
    source: str,
    answers: Sequence[object] | None = None,
    questionnaire_response: dict[str, Any] | None = None,
    activity_names: Sequence[str] = (),
    plan: CarePlan | None = None,
    timepoint: str = Timepoint.FOLLOW_UP,
    authored_at: datetime.datetime | None = None,
    replaces: Response | None = None,
    request: MeasureRequest | None = None,
    policy: ScoringPolicy = DEFAULT_POLICY,
) -> Response:
    """Store one instrument's answers (a list of item values in order, or a FHIR QuestionnaireResponse) with
    their score (tandem.outcomes.scoring.score). Malformed or out-of-range answers raise ValidationError
    naming the field and nothing is written; an incomplete form is stored with the validity the scoring
    gives it.

    Staff sources (paper, api) need an actor who may see the patient's measures; patient sources (a link, the
    tablet) come through `request` (see measure_link_use). A correction names the response it `replaces`."""
    _checked_choice(source, ResponseSource, "source")
    _checked_choice(timepoint, Timepoint, "timepoint")
    try:
        definition = instrument(instrument_code)
    except ScoringError as exc:
        raise _invalid(exc.field, exc.message) from None
    if source in (ResponseSource.PAPER, ResponseSource.API):
        if actor is None or not can_see_measures(actor, patient):
            raise _invalid("patient", "You cannot record measures for this patient.")
    elif request is None or request.patient_id != patient.pk or request.instrument != definition.code:
        raise _invalid("request", "A patient's own answers come through their measure link.")
    plan = _checked_plan(plan, patient)
    now = timezone.now()
    authored = authored_at or now
    if timezone.is_naive(authored):
        raise _invalid("authored_at", "Give the time with its time zone.")
    if authored > now + datetime.timedelta(minutes=5):
        raise _invalid("authored_at", "The form cannot have been filled in the future.")
    if replaces is not None:
        if replaces.patient_id != patient.pk or replaces.instrument != definition.code:
            raise _invalid("replaces", "A correction replaces a response of the same patient and instrument.")
        if Response.objects.filter(replaces=replaces).exists():
            raise _invalid("replaces", "That response has already been corrected; correct the newer one.")
    if (answers is None) == (questionnaire_response is None):
        raise _invalid("answers", "Send either the answers or a QuestionnaireResponse.")
    try:
        if questionnaire_response is not None:
            if not isinstance(questionnaire_response, dict):
                raise ScoringError("Send the QuestionnaireResponse as a JSON object.", field="response")
            values: list[Any] = list(answers_from_response(definition.code, questionnaire_response))
        else:
            values = list(answers) if isinstance(answers, (list, tuple)) else answers  # type: ignore[assignment]
        result = score(definition.code, values, policy)
    except ScoringError as exc:
        raise _invalid(exc.field, exc.message) from None
    document = questionnaire_response or response_json(
        definition.code, values, patient=patient, authored_at=authored, activity_names=activity_names
    )
    with transaction.atomic():
        if replaces is not None:
            # Lock the replaced row, or two corrections of it could both pass the check above.
            Response.objects.select_for_update().get(pk=replaces.pk)
            if Response.objects.filter(replaces=replaces).exists():
                raise _invalid("replaces", "That response has already been corrected; correct the newer one.")
        response = Response.objects.create(
            patient=patient,
            plan=plan,
            instrument=definition.code,
            questionnaire_version=str(questionnaire(definition.code).get("version", "1")),
            questionnaire_response=document,
            answers=values,
            authored_at=authored,
            source=source,
            timepoint=timepoint,
            entered_by=actor if source in (ResponseSource.PAPER, ResponseSource.API) else None,
            request=request,
            replaces=replaces,
        )
        _score_create(response, result)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="QuestionnaireResponse",
            object_id=response.pk,
            patient_id=patient.pk,
            detail=f"{definition.code} {timepoint} via {source}"
            + (f", replaces {replaces.pk}" if replaces else ""),
        )
        # The plan's goals measured by this instrument follow the new score (tandem.outcomes.goals).
        goal_statuses_update(actor=actor, patient=patient, code=definition.code, plan=plan)
    return response


def _score_create(response: Response, result: ScoreResult) -> Score:
    definition = INSTRUMENTS[response.instrument]
    return Score.objects.create(
        response=response,
        patient_id=response.patient_id,
        plan_id=response.plan_id,
        instrument=response.instrument,
        timepoint=response.timepoint,
        effective_at=response.authored_at,
        loinc_code=definition.loinc_score,
        value=result.score,
        exact="" if result.exact is None else str(result.exact),
        unit=result.unit,
        band=result.band or "",
        items_answered=result.items_answered,
        items_total=result.items_total,
        valid=result.valid,
        reason=(result.reason or "")[:300],
        raw_sum=result.raw_sum,
        mcid_key=definition.default_mcid,
        policy=dict(result.policy),
    )


# Links ------------------------------------------------------------------------------------------------------


def measure_link_create(
    *,
    actor: User,
    patient: Patient,
    instrument_code: str,
    plan: CarePlan | None = None,
    timepoint: str = Timepoint.FOLLOW_UP,
    channel: str = LinkChannel.LINK,
    days: int | None = None,
) -> tuple[MeasureRequest, str]:
    """A single-use link to one instrument; answers the row and the raw token, shown this once (for the URL)
    and stored only as its digest. Front desk may make links (it shows no clinical content)."""
    if not can_send_measures(actor, patient):
        raise _invalid("patient", "You cannot send measures to this patient.")
    return _link_create(
        actor=actor,
        patient=patient,
        instrument_code=instrument_code,
        plan=plan,
        timepoint=timepoint,
        channel=channel,
        days=days,
    )


def _link_create(
    *,
    actor: User | None,
    patient: Patient,
    instrument_code: str,
    plan: CarePlan | None,
    timepoint: str,
    channel: str,
    days: int | None,
) -> tuple[MeasureRequest, str]:
    try:
        definition = instrument(instrument_code)
    except ScoringError as exc:
        raise _invalid(exc.field, exc.message) from None
    _checked_choice(timepoint, Timepoint, "timepoint")
    _checked_choice(channel, LinkChannel, "channel")
    plan = _checked_plan(plan, patient)
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_LINK_DAYS
    ):
        raise _invalid("days", f"A link lasts 1 to {MAX_LINK_DAYS} days.")
    lifetime = TABLET_LIFETIME if channel == LinkChannel.TABLET else LINK_LIFETIME
    if days is not None:
        lifetime = datetime.timedelta(days=days)
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        link = MeasureRequest.objects.create(
            patient=patient,
            plan=plan,
            instrument=definition.code,
            timepoint=timepoint,
            channel=channel,
            prefix=token[:12],
            digest=MeasureRequest.digest_of(token),
            created_by=actor,
            expires_at=timezone.now() + lifetime,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="MeasureRequest",
            object_id=link.pk,
            patient_id=patient.pk,
            detail=f"{definition.code} {timepoint} link ({channel}), expires {link.expires_at.isoformat()}",
        )
    return link, token


def measure_link_find(token: object) -> MeasureRequest:
    """The open link of a raw token; LinkUnavailable 404 when unknown, 410 when expired or used."""
    if not isinstance(token, str) or not token.startswith(LINK_PREFIX) or len(token) > 100:
        raise LinkUnavailable(404, "This link is not known.")
    link = MeasureRequest.objects.select_related("patient", "plan").filter(
        digest=MeasureRequest.digest_of(token)
    )
    found = link.first()
    if found is None:
        raise LinkUnavailable(404, "This link is not known.")
    if found.used_at is not None:
        raise LinkUnavailable(410, "This form has already been filled in. Thank you.")
    if found.expires_at <= timezone.now():
        raise LinkUnavailable(410, "This link has expired. Please ask the clinic for a new one.")
    return found


def measure_link_use(
    *, token: str, answers: Sequence[object], activity_names: Sequence[str] = ()
) -> Response:
    """The patient's answers through their link (or the tablet): stored and scored, and the link closed, in
    one transaction; a second use, even at the same moment, gets LinkUnavailable(410)."""
    found = measure_link_find(token)
    with transaction.atomic():
        # Lock the link row, or two submissions at the same moment could both use it.
        link = (
            MeasureRequest.objects.select_for_update(of=("self",))
            .select_related("patient", "plan")
            .get(pk=found.pk)
        )
        if not link.is_open():
            raise LinkUnavailable(410, "This form has already been filled in. Thank you.")
        source = ResponseSource.TABLET if link.channel == LinkChannel.TABLET else ResponseSource.PATIENT_LINK
        response = response_record(
            actor=None,
            patient=link.patient,
            instrument_code=link.instrument,
            source=source,
            answers=answers,
            activity_names=activity_names,
            plan=link.plan,
            timepoint=link.timepoint,
            request=link,
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return response


# Schedules --------------------------------------------------------------------------------------------------


def schedule_set(
    *,
    actor: User,
    plan: CarePlan,
    instruments: Sequence[str],
    at_baseline: bool = True,
    every_visits: int | None = None,
    every_weeks: int | None = None,
    at_discharge: bool = True,
) -> MeasureSchedule:
    """Which instruments a plan measures, and when: baseline, every N finished visits or every N weeks, and
    discharge. Clinicians who may see the patient's chart set it."""
    if not can_see_measures(actor, plan.patient):
        raise _invalid("plan", "You cannot change this plan's measures.")
    codes = list(dict.fromkeys(instruments))
    unknown = [c for c in codes if c not in INSTRUMENTS]
    if unknown or not codes:
        raise _invalid("instruments", f"Choose one or more of: {', '.join(INSTRUMENTS)}.")
    if every_visits is not None and every_weeks is not None:
        raise _invalid("every_weeks", "Repeat every N visits or every N weeks, not both.")
    for field, value in (("every_visits", every_visits), ("every_weeks", every_weeks)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_INTERVAL
        ):
            raise _invalid(field, f"Use a whole number from 1 to {MAX_INTERVAL}.")
    with transaction.atomic():
        schedule, created = MeasureSchedule.objects.update_or_create(
            plan=plan,
            defaults={
                "instruments": codes,
                "at_baseline": bool(at_baseline),
                "every_visits": every_visits,
                "every_weeks": every_weeks,
                "at_discharge": bool(at_discharge),
                "updated_by": actor,
            },
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            object_type="MeasureSchedule",
            object_id=schedule.pk,
            patient_id=plan.patient_id,
            detail=f"{', '.join(codes)}; baseline={at_baseline} visits={every_visits} weeks={every_weeks} "
            f"discharge={at_discharge}",
        )
    return schedule


# The per-plan summary of the clinic's evidence --------------------------------------------------------

REFRESH_MINUTES = 10  # how often huey rebuilds it (tandem.outcomes.tasks.refresh_evidence)


def plan_summary_refresh(organization: Organization | None = None) -> int:
    """Rebuild outcomes.PlanSummary for one clinic (every clinic when None): per plan, its finished visits'
    discipline flags, count and lowest location, its patient, supervisor and first body site, as the evidence
    query used to read them from every encounter and problem. One DELETE and one INSERT ... SELECT per
    clinic, in a transaction, so the dashboard sees the old rows or the new ones, never a mix. Idempotent; the
    number of rows written."""
    organizations = [organization] if organization is not None else list(Organization.objects.order_by("pk"))
    return sum(_plan_summary_rebuild(chosen) for chosen in organizations)


def _plan_summary_rebuild(organization: Organization) -> int:
    quote = connection.ops.quote_name
    summary, plans = quote(PlanSummary._meta.db_table), quote(CarePlan._meta.db_table)
    activities, encounters = quote(Activity._meta.db_table), quote(Encounter._meta.db_table)
    appointments = quote(Appointment._meta.db_table)
    problems, conditions = quote(CarePlan.problems.through._meta.db_table), quote(Condition._meta.db_table)
    # Flags compare with 1 so that they are booleans on PostgreSQL (0/1 on SQLite, as Django stores them).
    sql = f"""
INSERT INTO {summary} (plan_id, organization_id, patient_id, supervisor_id, body_site, dc, pt, lmt, visits,
                       location_id, refreshed_at)
SELECT p.id, p.organization_id, p.patient_id, p.supervising_practitioner_id, COALESCE(st.body_site, ''),
       COALESCE(v.dc, 0) = 1, COALESCE(v.pt, 0) = 1, COALESCE(v.lmt, 0) = 1, COALESCE(v.visits, 0),
       v.location_id, %s
FROM {plans} p
LEFT JOIN (
    SELECT a.plan_id AS plan_id,
           MAX(CASE WHEN e.discipline = 'chiropractic' THEN 1 ELSE 0 END) AS dc,
           MAX(CASE WHEN e.discipline = 'physical-therapy' THEN 1 ELSE 0 END) AS pt,
           MAX(CASE WHEN e.discipline = 'massage-therapy' THEN 1 ELSE 0 END) AS lmt,
           COUNT(*) AS visits,
           MIN(ap.location_id) AS location_id
    FROM {activities} a
    JOIN {encounters} e ON e.activity_id = a.id
    JOIN {appointments} ap ON ap.id = e.appointment_id
    WHERE e.status = %s AND a.plan_id IN (SELECT id FROM {plans} WHERE organization_id = %s)
    GROUP BY a.plan_id
) v ON v.plan_id = p.id
LEFT JOIN (
    SELECT pp.careplan_id AS plan_id, MIN(c.body_site) AS body_site
    FROM {problems} pp JOIN {conditions} c ON c.id = pp.condition_id
    WHERE c.body_site <> '' AND pp.careplan_id IN (SELECT id FROM {plans} WHERE organization_id = %s)
    GROUP BY pp.careplan_id
) st ON st.plan_id = p.id
WHERE p.organization_id = %s
"""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic():
        # Two refreshes of one clinic at once would both delete, then collide on the plan's unique row: the
        # clinic's row is locked for the refresh (PostgreSQL; SQLite's write lock serialises them anyway).
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        PlanSummary.objects.filter(organization=organization).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                sql, [now, EncounterStatus.FINISHED, organization.pk, organization.pk, organization.pk]
            )
            written = cursor.rowcount
    return max(written, 0)


def plan_summary_refreshed_at(organization: Organization) -> datetime.datetime | None:
    """When the clinic's plan summary was last rebuilt (None: never, or the clinic has no plan)."""
    latest = (
        PlanSummary.objects.filter(organization=organization)
        .order_by("-refreshed_at")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    return latest


def plan_summary_ensure(organization: Organization) -> datetime.datetime | None:
    """The clinic's summary time, building the summary first when it was never built (a new install, a clinic
    whose first plans came after the last refresh)."""
    latest = plan_summary_refreshed_at(organization)
    if latest is None and CarePlan.objects.filter(organization=organization).exists():
        plan_summary_refresh(organization)
        latest = plan_summary_refreshed_at(organization)
    return latest
