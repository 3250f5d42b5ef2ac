"""`{% load safety_tags %}{% safety_chart_panel patient %}`: the safety panel of the patient chart."""

from __future__ import annotations

from typing import Any

from django import template

from tandem.accounts.models import User
from tandem.patients.access import Purpose, can_see_patient
from tandem.patients.models import Patient
from tandem.safety.presenters import screening_summary, site_label
from tandem.safety.selectors import safety_panel_for_chart
from tandem.safety.services import label_of_technique
from tandem.safety.views import urgent_referral_url

register = template.Library()


@register.inclusion_tag("safety/_chart_panel.html", takes_context=True)
def safety_chart_panel(context: template.Context, patient: Patient) -> dict[str, Any]:
    """The latest screening, its red flags and factors, and the overrides on record; nothing for anybody
    who may not see the patient's clinical record."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    if not isinstance(user, User) or not can_see_patient(user, patient, Purpose.CLINICAL):
        return {"visible": False}
    panel = safety_panel_for_chart(user=user, patient=patient)
    screening = panel.screening
    return {
        "visible": True,
        "patient": patient,
        "screening": screening,
        "summary": screening_summary(screening) if screening else None,
        "referral_url": urgent_referral_url(patient, screening) if screening else "",
        "overrides": [(o, label_of_technique(o.technique), site_label(o.body_site)) for o in panel.overrides],
        "can_screen": user.is_clinician,
    }
