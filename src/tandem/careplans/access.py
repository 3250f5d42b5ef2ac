"""Access functions for plans and their parts (DESIGN.md §2). Each answers the object or raises Http404.

Seeing a plan is clinical: the care team, or a clinician who broke the glass. Changing it is for the
chiropractors and physical therapists on the care team; the massage therapist sees the plan but does not edit
it (her massage activities are approved by the plan's supervisor).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model
from django.http import Http404

from tandem.accounts.models import Discipline, User
from tandem.careplans.models import Activity, CarePlan, Goal, SequenceRule
from tandem.core.ids import parse_id
from tandem.patients.access import Purpose, can_see_patient, on_care_team, refuse_access
from tandem.patients.models import Patient

EDITING_DISCIPLINES = (Discipline.CHIROPRACTIC, Discipline.PHYSICAL_THERAPY)

M = TypeVar("M", bound=Model)


def can_edit_plans_of(user: User, patient: Patient) -> bool:
    """A DC or PT on the patient's care team (break-the-glass reads, it does not edit)."""
    if not user.is_clinician:
        return False
    if user.practitioner.discipline not in EDITING_DISCIPLINES:
        return False
    return on_care_team(user, patient)


def can_edit_careplan(user: User, plan: CarePlan) -> bool:
    return user.organization_id == plan.organization_id and can_edit_plans_of(user, plan.patient)


def is_supervisor(user: User, plan: CarePlan) -> bool:
    return user.is_clinician and plan.supervising_practitioner_id == user.practitioner.pk


def _refuse(user: User, object_type: str, object_id: object, patient_id: int | None) -> Http404:
    return refuse_access(user, object_type, object_id, patient_id, "No such plan.")


def _plan_of(obj: Model) -> CarePlan:
    return obj if isinstance(obj, CarePlan) else obj.plan  # type: ignore[attr-defined]


def _access(user: User, model: type[M], object_id: object, *, edit: bool) -> M:
    related = "patient" if model is CarePlan else "plan__patient"
    try:
        obj = model.objects.select_related(related).get(pk=parse_id(object_id))  # type: ignore[attr-defined]
    except (model.DoesNotExist, ValueError, OverflowError):  # type: ignore[attr-defined]
        raise _refuse(user, model.__name__, object_id, None) from None
    plan = _plan_of(obj)
    if not can_see_patient(user, plan.patient, Purpose.CLINICAL):
        raise _refuse(user, model.__name__, obj.pk, plan.patient_id)
    if edit and not can_edit_careplan(user, plan):
        raise _refuse(user, model.__name__, obj.pk, plan.patient_id)
    return obj


def access_careplan(user: User, plan_id: object, *, edit: bool = False) -> CarePlan:
    """The plan, if `user` may see it (and, with `edit`, change it); otherwise Http404."""
    return _access(user, CarePlan, plan_id, edit=edit)


def access_goal(user: User, goal_id: object, *, edit: bool = False) -> Goal:
    return _access(user, Goal, goal_id, edit=edit)


def access_activity(user: User, activity_id: object, *, edit: bool = False) -> Activity:
    return _access(user, Activity, activity_id, edit=edit)


def access_sequence_rule(user: User, rule_id: object, *, edit: bool = False) -> SequenceRule:
    return _access(user, SequenceRule, rule_id, edit=edit)
