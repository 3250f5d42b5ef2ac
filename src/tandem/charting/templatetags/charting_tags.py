"""Template tags of visit documentation.

`{% load charting_tags %}{% charting_chart_panel patient %}` on the patient chart: the patient's recent notes
of every discipline (signed ones, and the viewer's own drafts) with their status and a link, and the body-map
timeline; shown to the clinicians who may see the patient's clinical record (the signed-in user comes from
the request).
"""

from __future__ import annotations

from typing import Any

from django import template

from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.charting.access import can_see_charting
from tandem.charting.selectors import body_map_timeline, notes_for_patient_timeline
from tandem.patients.models import Patient

register = template.Library()

CHART_PANEL_NOTES = 8  # the newest notes listed; the earlier ones fold away
CHART_PANEL_MAPS = 6  # the newest body maps drawn; the earlier ones fold away
CHART_PANEL_MAX_NOTES = 200


@register.inclusion_tag("charting/_chart_panel.html", takes_context=True)
def charting_chart_panel(context: dict[str, Any], patient: Patient, user: Any = None) -> dict[str, Any]:
    if user is None:
        user = context["request"].user
    if not isinstance(user, User) or not can_see_charting(user, patient):
        return {"visible": False, "patient": patient}
    audit_read(actor=user, object_type="Note", object_id="*", patient_id=patient.pk, detail="chart panel")
    notes = list(notes_for_patient_timeline(patient, viewer=user)[:CHART_PANEL_MAX_NOTES])
    timeline = body_map_timeline(patient)
    return {
        "visible": True,
        "patient": patient,
        "notes": notes[:CHART_PANEL_NOTES],
        "earlier_notes": notes[CHART_PANEL_NOTES:],
        "timeline": timeline[-CHART_PANEL_MAPS:],
        "earlier_timeline": timeline[:-CHART_PANEL_MAPS],
    }
