"""Template helpers of the referral pages, and the chart panel:

{% load referral_tags %}{% referral_chart_panel patient %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tandem.accounts.models import User
from tandem.core.vocabularies import BODY_SITES, label, technique
from tandem.patients.access import Purpose, can_see_patient
from tandem.patients.models import Patient
from tandem.referrals.models import Referral
from tandem.referrals.selectors import referral_list_for_patient

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "")


@register.filter
def technique_label(code: str) -> str:
    found = technique(code)
    return found.label if found else code


@register.filter
def body_site_label(code: str) -> str:
    return label(BODY_SITES, code)


@register.simple_tag
def referral_status(referral: Referral) -> SafeString:
    return format_html(
        '<span class="pill referral-status referral-status-{}">{}</span>',
        referral.status,
        referral.get_status_display(),
    )


@register.simple_tag
def referral_priority(referral: Referral) -> SafeString:
    if referral.priority == "routine":
        return format_html('<span class="muted">{}</span>', referral.get_priority_display())
    return format_html(
        '<span class="badge referral-priority-{}">{}</span>',
        referral.priority,
        referral.get_priority_display(),
    )


@register.inclusion_tag("referrals/_chart_panel.html", takes_context=True)
def referral_chart_panel(context: template.Context, patient: Patient) -> dict[str, Any]:
    """The patient's referrals, for the chart; nothing for someone who does not see the chart."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not can_see_patient(user, patient, Purpose.CLINICAL):
        return {"visible": False}
    now = timezone.now()
    referrals = list(referral_list_for_patient(user, patient)[:20])
    return {
        "visible": True,
        "patient": patient,
        "rows": [(r, r.is_overdue(now)) for r in referrals],
        "can_refer": user.is_clinician,
    }
