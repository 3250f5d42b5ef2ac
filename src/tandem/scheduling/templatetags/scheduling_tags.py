"""Template tags of the schedule.

`{% load scheduling_tags %}{% scheduling_chart_panel patient %}` on the patient chart shows the patient's next
five visits with a link to their schedule, to whoever may see the schedule (care team, front desk, admin); the
signed-in user comes from the request. `{% scheduling_chart_panel patient user %}` names the user explicitly.
"""

from __future__ import annotations

from typing import Any

from django import template

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.patients.models import Patient
from tandem.scheduling.access import can_schedule_for
from tandem.scheduling.selectors import appointment_list_for_patient_upcoming

register = template.Library()

CHART_PANEL_VISITS = 5


@register.inclusion_tag("scheduling/_cal_chart_panel.html", takes_context=True)
def scheduling_chart_panel(context: dict[str, Any], patient: Patient, user: Any = None) -> dict[str, Any]:
    if user is None:
        user = context["request"].user
    if not isinstance(user, User) or not can_schedule_for(user, patient):
        return {"visible": False, "patient": patient}
    audit_read(
        actor=user, object_type="Appointment", object_id="*", patient_id=patient.pk, detail="chart panel"
    )
    return {
        "visible": True,
        "patient": patient,
        "upcoming": appointment_list_for_patient_upcoming(patient, limit=CHART_PANEL_VISITS),
    }
