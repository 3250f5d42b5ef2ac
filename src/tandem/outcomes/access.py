"""Who may do what with a patient's outcome measures. Scores and answers are clinical content: the clinicians
who may see the chart (charting.access.can_see_charting). Sending a link or handing over the tablet is
front-desk work too: anyone who may see the patient's demographics. Refusals are 404, never 403."""

from __future__ import annotations

from django.http import Http404

from tandem.accounts.models import User
from tandem.careplans.access import access_careplan
from tandem.careplans.models import CarePlan
from tandem.charting.access import can_see_charting
from tandem.patients.access import Purpose, access_patient, can_see_patient, refuse_access
from tandem.patients.models import Patient


def can_see_measures(user: User, patient: Patient) -> bool:
    """Scores, answers, due measures: clinical content."""
    return can_see_charting(user, patient)


def can_send_measures(user: User, patient: Patient) -> bool:
    """Make a link or open the tablet form: whoever may see the patient's demographics."""
    return can_see_patient(user, patient, Purpose.DEMOGRAPHICS)


def access_patient_measures(user: User, patient_id: object) -> Patient:
    """The patient, if `user` may see their scores; otherwise Http404 (audited)."""
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    if not can_see_measures(user, patient):
        raise Http404("No such patient.")
    return patient


def access_plan_measures(user: User, plan_id: object, *, object_type: str = "CarePlan") -> CarePlan:
    """The plan, if `user` may see it and its patient's scores; otherwise Http404 (audited as a refusal to
    `object_type`: the plan itself, or what of it was asked for)."""
    plan = access_careplan(user, plan_id)
    if not can_see_measures(user, plan.patient):
        raise refuse_access(user, object_type, plan.pk, plan.patient_id, "No such plan.")
    return plan


def access_patient_for_links(user: User, patient_id: object) -> Patient:
    """The patient, if `user` may send them a measure link; otherwise Http404 (audited)."""
    return access_patient(user, patient_id, Purpose.DEMOGRAPHICS)
