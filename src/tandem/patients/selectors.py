"""Reads of patient data, always scoped to the person asking."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import Role, User
from tandem.audit.services import audit_read
from tandem.patients.models import (
    AllergyIntolerance,
    BreakGlassAccess,
    CareTeamMember,
    CareTeamRole,
    Condition,
    MedicationStatement,
    Patient,
)


def _parse_date(text: str) -> datetime.date | None:
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def patient_list_for_user(user: User, query: str = "") -> QuerySet[Patient]:
    """Patients the user may see, matching the search: names, MRN, birth date or phone digits.

    Clinicians see the patients of their current care teams; front desk and admins the whole clinic.
    """
    patients = Patient.objects.filter(organization_id=user.organization_id)
    if user.role in (Role.FRONT_DESK, Role.CLINIC_ADMIN):
        pass
    elif user.is_clinician:
        today = timezone.localdate()
        memberships = CareTeamMember.objects.active_on(today).filter(
            patient=OuterRef("pk"), practitioner=user.practitioner
        )
        patients = patients.filter(Exists(memberships))
    else:
        return Patient.objects.none()
    for term in query.split()[:5]:
        birth_date = _parse_date(term)
        digits = re.sub(r"\D", "", term)
        condition = (
            Q(family_name__istartswith=term)
            | Q(given_name__istartswith=term)
            | Q(preferred_name__istartswith=term)
            | Q(mrn__iexact=term)
        )
        if birth_date:
            condition |= Q(birth_date=birth_date)
        if len(digits) >= 4 and len(digits) == len(term.replace("-", "").replace(" ", "")):
            condition |= Q(phone__contains=digits[-4:])
        patients = patients.filter(condition)
    return patients.order_by("family_name", "given_name", "pk")


@dataclass
class Chart:
    patient: Patient
    conditions: list[Condition]
    medications: list[MedicationStatement]
    allergies: list[AllergyIntolerance]
    care_team: list[CareTeamMember]
    risk_flags: list[str]
    break_glass: list[BreakGlassAccess] = field(default_factory=list)


def patient_chart(*, user: User, patient: Patient) -> Chart:
    """The whole clinical chart of a patient the user has clinical access to (checked by the caller)."""
    conditions = list(Condition.objects.filter(patient=patient).order_by("clinical_status", "code"))
    medications = list(MedicationStatement.objects.filter(patient=patient).order_by("status", "medication"))
    allergies = list(AllergyIntolerance.objects.filter(patient=patient).order_by("substance"))
    care_team = list(care_team_for_patient(patient))
    flags = sorted({flag for m in medications if m.status == "active" for flag in m.risk_flags})
    chart = Chart(patient, conditions, medications, allergies, care_team, flags)
    today = timezone.localdate()
    leads = {
        m.practitioner.user_id for m in care_team if m.role == CareTeamRole.LEAD and m.is_active_on(today)
    }
    if user.pk in leads:
        # The lead is shown who opened the chart through break-the-glass.
        chart.break_glass = list(
            BreakGlassAccess.objects.filter(patient=patient)
            .select_related("user")
            .order_by("-started_at")[:20]
        )
    audit_read(actor=user, object_type="Patient", object_id=patient.pk, patient_id=patient.pk, detail="chart")
    return chart


def care_team_for_patient(patient: Patient) -> QuerySet[CareTeamMember]:
    return (
        CareTeamMember.objects.filter(patient=patient)
        .select_related("practitioner__user")
        .order_by("ended_on", "role", "started_on")
    )


def break_glass_for_lead(user: User) -> QuerySet[BreakGlassAccess]:
    """Recent break-the-glass openings of patients the user leads."""
    if not user.is_clinician:
        return BreakGlassAccess.objects.none()
    led = CareTeamMember.objects.filter(
        practitioner=user.practitioner, role=CareTeamRole.LEAD, ended_on__isnull=True
    )
    since = timezone.now() - datetime.timedelta(days=30)
    return (
        BreakGlassAccess.objects.filter(patient__in=led.values("patient"), started_at__gte=since)
        .select_related("user", "patient")
        .order_by("-started_at")
    )
