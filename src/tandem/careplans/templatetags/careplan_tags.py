"""Template tags of the plan of care: the chart panel, and snapshot values for the version comparison."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Count, Q

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.careplans.access import can_edit_plans_of
from tandem.careplans.models import REMOVED_ACTIVITY_STATUSES, Approval
from tandem.careplans.selectors import careplan_list_for_patient
from tandem.careplans.services import FIELD_LABELS
from tandem.careplans.versioning import display
from tandem.core.vocabularies import BODY_SITES, TECHNIQUES, label
from tandem.patients.access import Purpose, can_see_patient
from tandem.patients.models import Patient

register = template.Library()


@register.inclusion_tag("careplans/_chart_panel.html", takes_context=True)
def careplan_chart_panel(context: dict[str, Any], patient: Patient) -> dict[str, Any]:
    """`{% careplan_chart_panel patient %}`: the patient's plans, for those who may see clinical content."""
    user = context["request"].user
    visible = isinstance(user, User) and can_see_patient(user, patient, Purpose.CLINICAL)
    if not visible:
        return {"visible": False, "patient": patient}
    audit_read(actor=user, object_type="CarePlan", object_id="*", patient_id=patient.pk, detail="chart panel")
    pending = Q(activities__approval=Approval.PENDING) & ~Q(activities__status__in=REMOVED_ACTIVITY_STATUSES)
    plans = careplan_list_for_patient(patient).annotate(pending_count=Count("activities", filter=pending))
    return {
        "visible": True,
        "patient": patient,
        "plans": list(plans[:10]),
        "can_create": can_edit_plans_of(user, patient),
    }


@register.filter
def technique_label(code: str) -> str:
    return label(TECHNIQUES, code)  # type: ignore[arg-type]


@register.filter
def body_site_label(code: str) -> str:
    return label(BODY_SITES, code)


@register.filter
def snapshot_value(value: Any) -> str:
    return display(value)


@register.filter
def field_label(name: str) -> str:
    text = FIELD_LABELS.get(name, name.replace("_", " "))
    return text[:1].upper() + text[1:]
