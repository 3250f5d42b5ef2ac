"""Every change to a referral or an external contact: validated, written and audited in one transaction."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Discipline, Practitioner, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.core.ids import parse_id
from tandem.core.npi import npi_is_valid
from tandem.core.vocabularies import BODY_SITE_CODES, techniques_of
from tandem.patients.models import CareTeamMember, CareTeamRole, Condition, Patient
from tandem.patients.services import care_team_add
from tandem.referrals.access import may_act
from tandem.referrals.models import (
    RESPONSE_TIME,
    SCHEDULING_TIME,
    ExternalProvider,
    PressureLimit,
    Referral,
    ReferralEvent,
    ReferralKind,
    ReferralLetter,
    ReferralPriority,
    ReferralStatus,
)
from tandem.referrals.workflow import BY_ACTION, REASON_REQUIRED, IllegalTransition, Side, next_status

MASSAGE_TECHNIQUES: frozenset[str] = frozenset(t.code for t in techniques_of("massage-therapy"))
REFERRING_DISCIPLINES = frozenset({Discipline.CHIROPRACTIC, Discipline.PHYSICAL_THERAPY})

CONTACT_FIELDS = (
    "name",
    "credentials",
    "specialty",
    "practice_name",
    "phone",
    "fax",
    "email",
    "address",
    "npi",
    "active",
)
# What a referral's author sets. Ids name practitioners, contacts and conditions; the service resolves them
# inside the actor's clinic and the patient's record.
REFERRAL_FIELDS = (
    "kind",
    "priority",
    "reason",
    "needed_by_on",
    "recipient_practitioner",
    "recipient_discipline",
    "requester_contact",
    "recipient_contact",
    "conditions",
    "techniques",
    "body_sites",
    "pressure_limit",
    "precautions",
    "session_count",
    "sessions_per_week",
    "goals",
    "supervising_practitioner",
    "findings",
)
MASSAGE_FIELDS = (
    "techniques",
    "body_sites",
    "pressure_limit",
    "precautions",
    "session_count",
    "sessions_per_week",
    "goals",
    "supervising_practitioner",
)
TEXT_FIELDS = ("reason", "precautions", "goals", "findings")
# A change may not empty these: the message says what to send instead.
NOT_EMPTY_FIELDS: dict[str, str] = {
    "kind": "The kind of a referral cannot be emptied.",
    "priority": f"Priority cannot be emptied; give one of: {', '.join(ReferralPriority.values)}.",
    "reason": "Say why the patient is referred.",
}


# Contacts -----------------------------------------------------------------------------------------


def _contact_apply(contact: ExternalProvider, data: Mapping[str, Any]) -> list[str]:
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    changed = []
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if value is None and name != "active":
            value = ""
        if getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    if contact.npi and not npi_is_valid(contact.npi):
        raise ValidationError({"npi": "An NPI is ten digits, the last a check digit; check the number."})
    contact.full_clean(exclude=["organization"])
    return changed


@transaction.atomic
def contact_create(*, actor: User, data: Mapping[str, Any]) -> ExternalProvider:
    """Add an external provider (family physician, surgeon...) to the clinic's address book."""
    contact = ExternalProvider(organization_id=actor.organization_id)
    changed = _contact_apply(contact, data)
    contact.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="ExternalProvider",
        object_id=contact.pk,
        detail="fields: " + ", ".join(changed),
    )
    return contact


@transaction.atomic
def contact_update(*, actor: User, contact: ExternalProvider, data: Mapping[str, Any]) -> ExternalProvider:
    changed = _contact_apply(contact, data)
    contact.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="ExternalProvider",
        object_id=contact.pk,
        detail="changed: " + ", ".join(changed),
    )
    return contact


# Referral content ---------------------------------------------------------------------------------


def _id(value: object) -> int | None:
    """A database id from an int or its text; None when it is not one (bad text, zero, out of range)."""
    try:
        return parse_id(value)
    except ValueError:
        return None


def _practitioner(organization_id: int, value: object) -> Practitioner | None:
    if value in (None, ""):
        return None
    if isinstance(value, Practitioner):
        value = value.pk
    pk = _id(value)
    if pk is None:
        return None
    return (
        Practitioner.objects.select_related("user")
        .filter(pk=pk, user__organization_id=organization_id, user__is_active=True)
        .first()
    )


def _contact(organization_id: int, value: object) -> ExternalProvider | None:
    if value in (None, ""):
        return None
    if isinstance(value, ExternalProvider):
        value = value.pk
    pk = _id(value)
    if pk is None:
        return None
    return ExternalProvider.objects.filter(pk=pk, organization_id=organization_id, active=True).first()


def _codes(value: object) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return ["?"]
    return [str(code).strip() for code in value if str(code).strip()]


def _current(referral: Referral) -> dict[str, Any]:
    """The referral's editable content in the shape `data` has, so an update can start from it."""
    return {
        "kind": referral.kind,
        "priority": referral.priority,
        "reason": referral.reason,
        "needed_by_on": referral.needed_by_on,
        "recipient_practitioner": referral.recipient_practitioner_id,
        "recipient_discipline": referral.recipient_discipline,
        "requester_contact": referral.requester_external_id,
        "recipient_contact": referral.recipient_external_id,
        "conditions": [c.pk for c in referral.conditions.all()] if referral.pk else [],
        "techniques": list(referral.techniques),
        "body_sites": list(referral.body_sites),
        "pressure_limit": referral.pressure_limit,
        "precautions": referral.precautions,
        "session_count": referral.session_count,
        "sessions_per_week": referral.sessions_per_week,
        "goals": referral.goals,
        "supervising_practitioner": referral.supervising_practitioner_id,
        "findings": referral.findings,
    }


def _fill(referral: Referral, actor: User, data: Mapping[str, Any]) -> list[Condition]:
    """Validate `data` for the referral's patient and copy it onto `referral`; answer the chosen conditions.

    Fields that do not belong to the kind (a massage order's techniques on a structural referral...) are
    cleared, so a form that shows every field cannot leave stray values behind.
    """
    unknown = sorted(set(data) - set(REFERRAL_FIELDS))
    if unknown:
        raise ValidationError({name: "This field cannot be set here." for name in unknown})
    org = referral.organization_id
    errors: dict[str, str] = {}
    text = {name: str(data.get(name) or "").strip() for name in TEXT_FIELDS}
    kind = str(data.get("kind") or "")
    priority = str(data.get("priority") or ReferralPriority.ROUTINE)
    if kind not in ReferralKind.values:
        errors["kind"] = "Choose the kind of referral."
    if priority not in ReferralPriority.values:
        errors["priority"] = f"Priority must be one of: {', '.join(ReferralPriority.values)}."
    if not text["reason"]:
        errors["reason"] = "Say why the patient is referred."
    needed_by_on = data.get("needed_by_on")
    if needed_by_on is not None and not isinstance(needed_by_on, datetime.date):
        errors["needed_by_on"] = "Enter a date."
        needed_by_on = None

    requester = actor.practitioner if actor.is_clinician else None
    requester_contact = _contact(org, data.get("requester_contact"))
    recipient = _practitioner(org, data.get("recipient_practitioner"))
    discipline = str(data.get("recipient_discipline") or "")
    recipient_contact = _contact(org, data.get("recipient_contact"))
    if data.get("recipient_practitioner") not in (None, "") and recipient is None:
        errors["recipient_practitioner"] = "No active practitioner of this clinic has that id."
    if discipline and discipline not in Discipline.values:
        errors["recipient_discipline"] = f"Discipline must be one of: {', '.join(Discipline.values)}."
        discipline = ""

    if kind == ReferralKind.EXTERNAL_IN:
        if requester_contact is None:
            errors["requester_contact"] = "Choose the external provider who referred the patient."
        requester = None
    else:
        requester_contact = None
        if requester is None:
            errors["kind"] = "Only a clinician can refer a patient."
    if kind == ReferralKind.EXTERNAL_OUT:
        if recipient_contact is None:
            errors["recipient_contact"] = "Choose the external provider to refer to."
        recipient, discipline = None, ""
    elif kind in ReferralKind.values:
        recipient_contact = None
        if recipient is not None and discipline:
            discipline = ""  # a named recipient wins over the inbox
        if recipient is None and not discipline and "recipient_practitioner" not in errors:
            errors["recipient_practitioner"] = "Choose a practitioner or a discipline's inbox."
        if recipient is not None and requester is not None and recipient.pk == requester.pk:
            errors["recipient_practitioner"] = "You cannot refer a patient to yourself."
    to_discipline = recipient.discipline if recipient is not None else discipline
    if kind == ReferralKind.MASSAGE_ORDER:
        if requester is not None and requester.discipline not in REFERRING_DISCIPLINES:
            errors["kind"] = "A massage order is written by a chiropractor or a physical therapist."
        if to_discipline and to_discipline != Discipline.MASSAGE_THERAPY:
            errors["recipient_practitioner"] = "A massage order goes to a massage therapist."
    if kind == ReferralKind.STRUCTURAL:
        if requester is not None and requester.discipline != Discipline.MASSAGE_THERAPY:
            errors["kind"] = "A structural referral is made by a massage therapist to a DC or PT."
        if to_discipline and to_discipline not in REFERRING_DISCIPLINES:
            errors["recipient_practitioner"] = (
                "A structural referral goes to a chiropractor or a physical therapist."
            )
        if not text["findings"]:
            errors["findings"] = "Describe what you found and the problem you suspect."
    else:
        text["findings"] = ""

    condition_ids = data.get("conditions") or []
    conditions: list[Condition] = []
    if isinstance(condition_ids, str | int):
        condition_ids = [condition_ids]
    if not isinstance(condition_ids, list | tuple | set):
        condition_ids = [None]
    ids = [_id(getattr(c, "pk", c)) for c in condition_ids]
    wanted = {pk for pk in ids if pk is not None}
    if None in ids:
        wanted = set()
        errors["conditions"] = "Conditions are given by the ids of this patient's problem list."
    if wanted:
        conditions = list(Condition.objects.filter(patient_id=referral.patient_id, pk__in=wanted))
        if len(conditions) != len(wanted):
            errors["conditions"] = "Choose conditions from this patient's problem list."

    massage: dict[str, Any] = {
        "techniques": [],
        "body_sites": [],
        "pressure_limit": "",
        "precautions": "",
        "session_count": None,
        "sessions_per_week": None,
        "goals": "",
        "supervising_practitioner": None,
    }
    if kind == ReferralKind.MASSAGE_ORDER:
        massage.update(_massage_order(org, referral.patient_id, data, text, requester, errors))

    if errors:
        raise ValidationError(errors)
    referral.kind = kind
    referral.priority = priority
    referral.reason = text["reason"]
    referral.needed_by_on = needed_by_on
    referral.findings = text["findings"]
    referral.requester_practitioner = requester
    referral.requester_external = requester_contact
    referral.recipient_practitioner = recipient
    referral.recipient_discipline = discipline
    referral.recipient_external = recipient_contact
    for name, value in massage.items():
        setattr(referral, name, value)
    return conditions


def _massage_order(
    org: int,
    patient_id: int,
    data: Mapping[str, Any],
    text: dict[str, str],
    requester: Practitioner | None,
    errors: dict,
) -> dict[str, Any]:
    techniques = _codes(data.get("techniques"))
    body_sites = _codes(data.get("body_sites"))
    bad_techniques = [code for code in techniques if code not in MASSAGE_TECHNIQUES]
    bad_sites = [code for code in body_sites if code not in BODY_SITE_CODES]
    if bad_techniques:
        errors["techniques"] = f"Not a massage technique: {', '.join(bad_techniques)}."
    elif not techniques:
        errors["techniques"] = "Choose at least one massage technique."
    if bad_sites:
        errors["body_sites"] = f"Not a body site: {', '.join(bad_sites)}."
    elif not body_sites:
        errors["body_sites"] = "Choose the regions to treat."
    pressure = str(data.get("pressure_limit") or "")
    if pressure not in PressureLimit.values:
        errors["pressure_limit"] = "Set the pressure limit: light, moderate, firm or deep."
    counts: dict[str, int | None] = {}
    for name, low, high, message in (
        ("session_count", 1, 52, "Between 1 and 52 sessions."),
        ("sessions_per_week", 1, 7, "Between 1 and 7 sessions a week."),
    ):
        value = data.get(name)
        if value in (None, ""):
            counts[name] = None
            errors[name] = message
            continue
        try:
            number = int(str(value))
        except ValueError:
            number = 0
        if not low <= number <= high:
            errors[name] = message
        counts[name] = number
    supervising_value = data.get("supervising_practitioner")
    supervising = _practitioner(org, supervising_value) if supervising_value not in (None, "") else requester
    if supervising is None or supervising.discipline not in REFERRING_DISCIPLINES:
        errors["supervising_practitioner"] = (
            "The supervising clinician is a chiropractor or physical therapist."
        )
    elif not _supervises(supervising, requester, patient_id):
        errors["supervising_practitioner"] = (
            "The supervising clinician is you or a chiropractor or physical therapist on the patient's "
            "care team."
        )
    return {
        "techniques": list(dict.fromkeys(techniques)),
        "body_sites": list(dict.fromkeys(body_sites)),
        "pressure_limit": pressure,
        "precautions": text["precautions"],
        "goals": text["goals"],
        "supervising_practitioner": supervising,
        **counts,
    }


def _supervises(supervising: Practitioner, requester: Practitioner | None, patient_id: int) -> bool:
    """The referring clinician, or a colleague on the patient's active care team, may supervise the order."""
    if requester is not None and supervising.pk == requester.pk:
        return True
    return (
        CareTeamMember.objects.active_on(timezone.localdate())
        .filter(patient_id=patient_id, practitioner=supervising)
        .exists()
    )


# Safety -------------------------------------------------------------------------------------------


def _finding_as_dict(finding: Any) -> dict[str, Any]:
    if hasattr(finding, "as_dict"):
        raw = finding.as_dict()
    elif dataclasses.is_dataclass(finding) and not isinstance(finding, type):
        raw = dataclasses.asdict(finding)
    elif isinstance(finding, Mapping):
        raw = dict(finding)
    else:
        raw = {"message": str(finding)}
    return {
        key: value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        for key, value in raw.items()
    }


def is_supervisor(actor: User, referral: Referral) -> bool:
    """Whether `actor` is the massage order's supervising clinician."""
    return (
        actor.is_clinician
        and referral.supervising_practitioner_id is not None
        and referral.supervising_practitioner_id == actor.practitioner.pk
    )


def _check_override_author(actor: User, referral: Referral, override_reason: str) -> None:
    """Only the order's supervising clinician may give a reason to proceed past a precaution (as on a plan
    of care, where only the plan's supervisor may)."""
    if not override_reason.strip() or is_supervisor(actor, referral):
        return
    supervisor = referral.supervising_practitioner
    who = f" ({supervisor.display_name})" if supervisor is not None else ""
    raise ValidationError(
        {"override_reason": f"Only the order's supervising clinician{who} may override a precaution."}
    )


def _safety_check(*, actor: User, referral: Referral, override_reason: str) -> None:
    """Run the massage order's techniques, regions and pressure limit through the safety gate against the
    patient's record as it is now (DESIGN.md invariant 5).

    The gate raises ValidationError({"safety": [...]}) when a contraindication blocks the order, or when a
    precaution has no override on record for this referral and the supervising clinician gives no reason;
    otherwise the findings are kept on the referral for its page.
    """
    if referral.kind != ReferralKind.MASSAGE_ORDER:
        referral.safety_findings = []
        return
    from tandem.safety.engine import PlannedActivity
    from tandem.safety.services import safety_gate

    _check_override_author(actor, referral, override_reason)
    activities = [
        PlannedActivity(technique, tuple(referral.body_sites), pressure=referral.pressure_limit)
        for technique in referral.techniques
    ]
    findings = safety_gate(
        actor=actor,
        patient=referral.patient,
        activities=activities,
        override_reason=override_reason,
        subject=f"referral:{referral.pk}",
    )
    referral.safety_findings = [_finding_as_dict(f) for f in findings or []]
    if override_reason.strip():
        referral.safety_override_reason = override_reason.strip()


def _recheck(*, actor: User, referral: Referral, action: str) -> None:
    """Before a step that commits to carrying out a massage order (accept, schedule, start), check it again
    against the patient's current record: a problem or medication recorded since it was sent may make it
    unsafe. Nobody overrides here; a precaution passes only with an override given for this referral."""
    if referral.kind != ReferralKind.MASSAGE_ORDER:
        return
    try:
        _safety_check(actor=actor, referral=referral, override_reason="")
    except ValidationError as exc:
        problems = exc.message_dict.get("safety", [])
        supervisor = referral.supervising_practitioner
        who = supervisor.display_name if supervisor is not None else "the supervising clinician"
        raise ValidationError(
            {
                "safety": [
                    *problems,
                    f"The patient's record has changed since this order was written, so it cannot be "
                    f"{BY_ACTION[action].done} as it stands. Decline it or ask {who} to review it.",
                ]
            }
        ) from None


# Lifecycle ----------------------------------------------------------------------------------------


def _event(referral: Referral, *, actor: User, from_status: str, note: str, at: datetime.datetime) -> None:
    ReferralEvent.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=referral.status,
        actor=actor,
        at=at,
        note=note,
    )


def _audit(referral: Referral, *, actor: User, action: str, detail: str) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="Referral",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail=detail,
    )


@transaction.atomic
def referral_create(
    *, actor: User, patient: Patient, data: Mapping[str, Any], override_reason: str = ""
) -> Referral:
    """Write a referral as a draft. The caller has checked that the actor sees the patient's chart.

    A massage order goes through the safety gate now, and again when it is sent.
    """
    referral = Referral(
        organization_id=patient.organization_id,
        patient=patient,
        created_by=actor,
        status=ReferralStatus.DRAFT,
    )
    conditions = _fill(referral, actor, data)
    referral.save()
    referral.conditions.set(conditions)
    _safety_check(actor=actor, referral=referral, override_reason=override_reason)
    referral.save(update_fields=["safety_findings", "safety_override_reason"])
    _event(referral, actor=actor, from_status="", note="", at=timezone.now())
    _audit(referral, actor=actor, action=AuditAction.CREATE, detail=f"{referral.kind} draft")
    return referral


@transaction.atomic
def referral_update(
    *, actor: User, referral: Referral, data: Mapping[str, Any], override_reason: str = ""
) -> Referral:
    """Change a draft (its author only). Changed techniques, regions or pressure limit go through the safety
    gate again."""
    referral = Referral.objects.select_for_update().get(pk=referral.pk)
    if referral.status != ReferralStatus.DRAFT:
        raise ValidationError({"status": "Only a draft can be edited; this referral has been sent."})
    if not may_act(actor, referral, "send"):
        raise ValidationError({"actor": "Only the author of a draft can edit it."})
    emptied = [name for name in NOT_EMPTY_FIELDS if name in data and data[name] in (None, "")]
    if emptied:
        raise ValidationError({name: NOT_EMPTY_FIELDS[name] for name in emptied})
    before = _current(referral)
    merged = {**before, **data}
    merged["kind"] = referral.kind if "kind" not in data else data["kind"]
    conditions = _fill(referral, actor, merged)
    after = _current(referral)
    after["conditions"] = sorted(c.pk for c in conditions)
    before["conditions"] = sorted(before["conditions"])
    changed = [name for name in after if after[name] != before[name]]
    referral.save()
    referral.conditions.set(conditions)
    if {"techniques", "body_sites", "pressure_limit", "kind"} & set(changed) or override_reason.strip():
        _safety_check(actor=actor, referral=referral, override_reason=override_reason)
        referral.save(update_fields=["safety_findings", "safety_override_reason"])
    _audit(referral, actor=actor, action=AuditAction.UPDATE, detail="changed: " + ", ".join(changed))
    return referral


def _transition(
    *, actor: User, referral: Referral, action: str, note: str = "", **changes: Any
) -> tuple[Referral, str, datetime.datetime]:
    """Lock the row, check the table and the actor's side, and move the status; the caller saves."""
    # Lock the referral's row, or two clinicians of a discipline could both accept the same referral.
    locked = Referral.objects.select_for_update().select_related("patient").get(pk=referral.pk)
    try:
        target = next_status(locked.status, action)
    except IllegalTransition as exc:
        raise ValidationError({"status": str(exc)}) from None
    if not may_act(actor, locked, action):
        side = BY_ACTION[action].side
        who = "who made the referral" if side is Side.REQUESTER else "it is addressed to"
        raise ValidationError({"actor": f"Only the practitioner {who} can {action} it."})
    from_status = locked.status
    now = timezone.now()
    locked.status = target
    for name, value in changes.items():
        setattr(locked, name, value)
    return locked, from_status, now


def _finish(
    referral: Referral, *, actor: User, from_status: str, note: str, at: datetime.datetime, action: str
) -> Referral:
    referral.save()
    _event(referral, actor=actor, from_status=from_status, note=note, at=at)
    _audit(
        referral,
        actor=actor,
        action=AuditAction.UPDATE,
        detail=f"{action}: {from_status} → {referral.status}",
    )
    return referral


@transaction.atomic
def referral_send(*, actor: User, referral: Referral, note: str = "", override_reason: str = "") -> Referral:
    """Send a draft to its recipient; the answer is due within the priority's response time."""
    referral, from_status, now = _transition(actor=actor, referral=referral, action="send")
    _safety_check(actor=actor, referral=referral, override_reason=override_reason)
    referral.sent_at = now
    referral.response_due_at = now + RESPONSE_TIME[referral.priority]
    return _finish(referral, actor=actor, from_status=from_status, note=note.strip(), at=now, action="send")


@transaction.atomic
def referral_accept(*, actor: User, referral: Referral, note: str = "") -> Referral:
    """Accept a referral addressed to the actor (or the actor's discipline).

    Whoever accepts a discipline referral becomes its recipient; for a massage order or structural referral
    the recipient joins the patient's care team, if not on it already.
    """
    referral, from_status, now = _transition(actor=actor, referral=referral, action="accept")
    _recheck(actor=actor, referral=referral, action="accept")
    referral.accepted_at = now
    referral.scheduling_due_at = now + SCHEDULING_TIME
    if referral.recipient_practitioner_id is None and referral.recipient_discipline:
        referral.recipient_practitioner = actor.practitioner
    if referral.kind in (ReferralKind.MASSAGE_ORDER, ReferralKind.STRUCTURAL, ReferralKind.EXTERNAL_IN):
        _join_care_team(actor=actor, referral=referral)
    return _finish(referral, actor=actor, from_status=from_status, note=note.strip(), at=now, action="accept")


def _join_care_team(*, actor: User, referral: Referral) -> None:
    practitioner = referral.recipient_practitioner
    if practitioner is None:
        return
    already = CareTeamMember.objects.filter(
        patient_id=referral.patient_id, practitioner=practitioner, ended_on__isnull=True
    ).exists()
    if not already:
        care_team_add(
            actor=actor, patient=referral.patient, practitioner=practitioner, role=CareTeamRole.MEMBER
        )


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def referral_decline(*, actor: User, referral: Referral, reason: str) -> Referral:
    reason = _required(reason, "reason", "Say why you decline the referral.")
    referral, from_status, now = _transition(actor=actor, referral=referral, action="decline")
    referral.declined_at = now
    referral.status_reason = reason
    return _finish(referral, actor=actor, from_status=from_status, note=reason, at=now, action="decline")


@transaction.atomic
def referral_schedule(*, actor: User, referral: Referral, note: str = "") -> Referral:
    """The first visit is booked (until scheduling lands this is the recipient's word for it)."""
    referral, from_status, now = _transition(actor=actor, referral=referral, action="schedule")
    _recheck(actor=actor, referral=referral, action="schedule")
    referral.scheduled_at = now
    return _finish(
        referral, actor=actor, from_status=from_status, note=note.strip(), at=now, action="schedule"
    )


@transaction.atomic
def referral_start(*, actor: User, referral: Referral, note: str = "") -> Referral:
    referral, from_status, now = _transition(actor=actor, referral=referral, action="start")
    _recheck(actor=actor, referral=referral, action="start")
    referral.started_at = now
    return _finish(referral, actor=actor, from_status=from_status, note=note.strip(), at=now, action="start")


@transaction.atomic
def referral_complete(
    *,
    actor: User,
    referral: Referral,
    report: str,
    outcome: str = "",
    recommendations: str = "",
    note: str = "",
) -> Referral:
    """Complete the referral with the report back to the referrer, kept as a PDF letter.

    For a referral to an external provider the report is theirs, recorded here; no letter is written.
    """
    report = _required(report, "report", "Write the report back to the referrer: the treatment provided.")
    referral, from_status, now = _transition(actor=actor, referral=referral, action="complete")
    referral.completed_at = now
    referral.report = report
    referral.outcome = (outcome or "").strip()
    referral.recommendations = (recommendations or "").strip()
    _finish(referral, actor=actor, from_status=from_status, note=note.strip(), at=now, action="complete")
    if referral.kind != ReferralKind.EXTERNAL_OUT:
        referral_letter_create(actor=actor, referral=referral, at=now)
    return referral


@transaction.atomic
def referral_cancel(*, actor: User, referral: Referral, reason: str) -> Referral:
    reason = _required(reason, "reason", "Say why you cancel the referral.")
    referral, from_status, now = _transition(actor=actor, referral=referral, action="cancel")
    referral.cancelled_at = now
    referral.status_reason = reason
    return _finish(referral, actor=actor, from_status=from_status, note=reason, at=now, action="cancel")


def referral_transition(*, actor: User, referral: Referral, action: str, body: Mapping[str, Any]) -> Referral:
    """Run the service of `action` with the fields of `body` it takes (reason, report, note...)."""
    text = {
        key: str(body.get(key) or "") for key in ("reason", "report", "outcome", "recommendations", "note")
    }
    override = str(body.get("override_reason") or "")
    if action == "send":
        return referral_send(actor=actor, referral=referral, note=text["note"], override_reason=override)
    if action in REASON_REQUIRED:
        service = referral_decline if action == "decline" else referral_cancel
        return service(actor=actor, referral=referral, reason=text["reason"])
    if action == "complete":
        return referral_complete(
            actor=actor,
            referral=referral,
            report=text["report"],
            outcome=text["outcome"],
            recommendations=text["recommendations"],
            note=text["note"],
        )
    services = {"accept": referral_accept, "schedule": referral_schedule, "start": referral_start}
    if action not in services:
        raise ValidationError({"action": f"Unknown action {action!r}."})
    return services[action](actor=actor, referral=referral, note=text["note"])


# The letter ---------------------------------------------------------------------------------------


@transaction.atomic
def referral_letter_create(
    *, actor: User, referral: Referral, at: datetime.datetime | None = None
) -> ReferralLetter:
    """Render the report back to the referrer to PDF and store it with its SHA-256 digest."""
    from tandem.referrals.letters import render_letter_pdf

    at = at or timezone.now()
    pdf = render_letter_pdf(referral=referral, author=actor, written_at=at)
    letter = ReferralLetter.objects.create(
        referral=referral,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=at,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="ReferralLetter",
        object_id=letter.pk,
        patient_id=referral.patient_id,
        detail=f"referral {referral.pk}; sha256 {letter.sha256[:16]}",
    )
    return letter
