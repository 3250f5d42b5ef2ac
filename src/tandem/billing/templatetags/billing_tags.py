"""Template tags of billing.

`{% load billing_tags %}{% billing_chart_panel patient %}` on the patient chart: the form of a period
superbill (this month by default), shown to the clinicians who may see the patient's clinical record.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from tandem.accounts.models import User
from tandem.charting.access import can_see_charting
from tandem.patients.models import Patient

register = template.Library()


@register.inclusion_tag("billing/_chart_panel.html", takes_context=True)
def billing_chart_panel(context: dict[str, Any], patient: Patient, user: Any = None) -> dict[str, Any]:
    if user is None:
        user = context["request"].user
    if not isinstance(user, User) or not can_see_charting(user, patient):
        return {"visible": False, "patient": patient}
    today = timezone.localdate()
    return {
        "visible": True,
        "patient": patient,
        "values": {"from": today.replace(day=1).isoformat(), "to": today.isoformat()},
        "errors": {},
    }
