"""Referral pages: the inbox, writing a referral, its page with the workflow buttons, the letter, contacts,
and the turnaround report. Access functions fetch, services change, selectors list."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.forms import initial_from, save_with_service
from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.core.http import bound_data as _bound
from tandem.core.http import request_user as _user
from tandem.patients.access import Purpose, access_patient, can_see_patient
from tandem.referrals import services
from tandem.referrals.access import access_contact, access_referral, can_manage_contacts, may_act
from tandem.referrals.forms import ContactForm, ReferralForm, TransitionForm, initial_for, initial_from_query
from tandem.referrals.models import Referral, ReferralStatus
from tandem.referrals.selectors import (
    BOXES,
    INBOX_LIMIT,
    TURNAROUND_EARLIEST,
    TURNAROUND_LATEST,
    audit_listed,
    clamp_turnaround_date,
    contact_list_for_user,
    inbox_counts,
    referral_events,
    referral_list_for_inbox,
    referral_turnaround,
)
from tandem.referrals.services import CONTACT_FIELDS
from tandem.referrals.turnaround import bar_chart, format_hours
from tandem.referrals.workflow import BY_ACTION, actions_from

STATUS_FILTERS = [("open", "Open"), ("", "All"), *ReferralStatus.choices]


# Inbox --------------------------------------------------------------------------------------------


@login_required
@require_GET
def referral_inbox(request: HttpRequest) -> HttpResponse:
    """Tabs: addressed to me, my discipline's inbox, sent by me, overdue. htmx swaps only the list."""
    user = _user(request)
    box = request.GET.get("box", "to-me")
    box = box if box in BOXES else "to-me"
    status = request.GET.get("status", "open")
    now = timezone.now()
    referrals = list(referral_list_for_inbox(user, box, status=status, now=now)[:INBOX_LIMIT])
    audit_listed(user, referrals, f"referral inbox: {box}")
    context = {
        "box": box,
        "boxes": BOXES,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "rows": [(r, r.is_overdue(now)) for r in referrals],
        "counts": inbox_counts(user, now=now),
        "is_clinician": user.is_clinician,
    }
    fragment = request.htmx and not request.htmx.history_restore_request  # type: ignore[attr-defined]
    template = "referrals/_inbox_list.html" if fragment else "referrals/referral_inbox.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Writing and editing ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A new referral for a patient whose chart the clinician sees; ?urgency= and ?reason= prefill it."""
    user = _user(request)
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    if not user.is_clinician:
        raise Http404("No such patient.")
    form = ReferralForm(_bound(request), patient=patient, user=user, initial=initial_from_query(request.GET))
    if request.method == "GET":
        audit_read(
            actor=user,
            object_type="Patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            detail="referral form",
        )

    def create(_: dict[str, Any]) -> Referral:
        data, override = form.service_data()
        return services.referral_create(actor=user, patient=patient, data=data, override_reason=override)

    referral = save_with_service(form, create)
    if referral is not None:
        messages.success(request, "Referral saved as a draft. Check it and send it.")
        return redirect("referral_detail", referral.pk)
    context = {"form": form, "patient": patient, "title": "New referral", "referral": None}
    return render(request, "referrals/referral_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def referral_update(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _user(request)
    referral = access_referral(user, referral_id)
    if referral.status != ReferralStatus.DRAFT or not may_act(user, referral, "send"):
        raise Http404("No such draft.")
    if request.method == "GET":
        audit_read(
            actor=user,
            object_type="Referral",
            object_id=referral.pk,
            patient_id=referral.patient_id,
            detail="form",
        )
    form = ReferralForm(_bound(request), patient=referral.patient, user=user, initial=initial_for(referral))

    def update(_: dict[str, Any]) -> Referral:
        data, override = form.service_data()
        return services.referral_update(actor=user, referral=referral, data=data, override_reason=override)

    saved = save_with_service(form, update, refresh=referral)
    if saved is not None:
        messages.success(request, "Draft saved.")
        return redirect("referral_detail", saved.pk)
    context = {
        "form": form,
        "patient": referral.patient,
        "title": "Edit draft referral",
        "referral": referral,
    }
    return render(request, "referrals/referral_form.html", context)


# The referral's page ------------------------------------------------------------------------------


def _detail_context(user: User, referral: Referral, failed: TransitionForm | None = None) -> dict[str, Any]:
    actions = []
    for transition in actions_from(referral.status):
        if not may_act(user, referral, transition.action):
            continue
        form = failed if failed is not None and failed.action == transition.action else None
        actions.append((transition, form or TransitionForm(action=transition.action)))
    now = timezone.now()
    offered = {transition.action for transition, _ in actions}
    return {
        # A refused step this person is not offered (any more) has no form to show its message in.
        "refusal": failed.non_field_errors() if failed is not None and failed.action not in offered else [],
        "referral": referral,
        "patient": referral.patient,
        "events": referral_events(referral),
        "conditions": list(referral.conditions.all()),
        "actions": actions,
        "can_edit": referral.status == ReferralStatus.DRAFT and may_act(user, referral, "send"),
        "sees_chart": can_see_patient(user, referral.patient, Purpose.CLINICAL),
        "overdue_since": referral.overdue_since(now),
        "letter": getattr(referral, "letter", None),
        "age": referral.patient.age_on(timezone.localdate()),
    }


@login_required
@require_GET
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = _user(request)
    referral = access_referral(user, referral_id)
    audit_read(actor=user, object_type="Referral", object_id=referral.pk, patient_id=referral.patient_id)
    return render(request, "referrals/referral_detail.html", _detail_context(user, referral))


@login_required
@require_POST
def referral_transition(request: HttpRequest, referral_id: int, action: str) -> HttpResponse:
    """One workflow step (send, accept, decline...). A refusal shows the page again with the message."""
    user = _user(request)
    referral = access_referral(user, referral_id)
    form = TransitionForm(request.POST, action=action)
    done = save_with_service(
        form,
        lambda data: services.referral_transition(actor=user, referral=referral, action=action, body=data),
    )
    if done is not None:
        messages.success(request, f"Referral {BY_ACTION[action].done}.")
        return redirect("referral_detail", referral.pk)
    referral = access_referral(user, referral_id)  # what is stored, not the refused change
    return render(request, "referrals/referral_detail.html", _detail_context(user, referral, failed=form))


@login_required
@require_GET
def referral_letter(request: HttpRequest, referral_id: int) -> HttpResponse:
    """The stored PDF letter, shown in the browser (and downloadable) as often as needed."""
    user = _user(request)
    referral = access_referral(user, referral_id)
    letter = getattr(referral, "letter", None)
    if letter is None:
        raise Http404("No letter yet.")
    audit_read(actor=user, object_type="ReferralLetter", object_id=letter.pk, patient_id=referral.patient_id)
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{letter.filename}"'
    return response


# Turnaround ---------------------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[datetime.date, datetime.date, str]:
    """The report's period from ?start=&end= (the last 90 days by default), and what was wrong with it."""
    today = timezone.localdate()
    try:
        end = datetime.date.fromisoformat(request.GET.get("end", "")) if request.GET.get("end") else today
        start = datetime.date.fromisoformat(request.GET["start"]) if request.GET.get("start") else None
    except ValueError:
        return (
            today - datetime.timedelta(days=90),
            today,
            "Dates are written YYYY-MM-DD; showing the last 90 days.",
        )
    problem = ""
    bounded = clamp_turnaround_date(end)
    if (start is not None and clamp_turnaround_date(start) != start) or bounded != end:
        problem = (
            f"Reports cover {TURNAROUND_EARLIEST:%Y-%m-%d} to {TURNAROUND_LATEST:%Y-%m-%d}; "
            "the period was cut to fit."
        )
    end = bounded
    start = clamp_turnaround_date(start if start is not None else end - datetime.timedelta(days=90))
    if start > end:
        return end, start, "The period was reversed; showing it the right way round."
    return start, end, problem


@login_required
@require_GET
def referral_turnaround_report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (user.is_clinician or user.is_clinic_admin):
        raise Http404("No such page.")
    start, end, problem = _period(request)
    report = referral_turnaround(user, start=start, end=end)
    labels = {
        "massage-order": "Massage orders",
        "structural": "Structural",
        "external-in": "From external",
        "external-out": "To external",
    }
    disciplines = {"chiropractic": "DC", "physical-therapy": "PT", "massage-therapy": "LMT"}
    named = [
        (f"{labels.get(r.kind, r.kind)} · {disciplines.get(r.discipline, r.discipline or '—')}", r)
        for r in report.rows
    ]
    chart = bar_chart([(name, r.accept_median, r.schedule_median) for name, r in named])
    rows = [
        {
            "label": name,
            "count": r.count,
            "accepted": len(r.to_accept_hours),
            "scheduled": len(r.to_schedule_hours),
            "accept_median": format_hours(r.accept_median),
            "accept_p90": format_hours(r.accept_p90),
            "schedule_median": format_hours(r.schedule_median),
            "schedule_p90": format_hours(r.schedule_p90),
        }
        for name, r in named
    ]
    context = {"start": start, "end": end, "problem": problem, "chart": chart, "rows": rows}
    return render(request, "referrals/turnaround.html", context)


# Contacts -----------------------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.organization_id is None:
        raise Http404("No such page.")
    contacts = contact_list_for_user(user, include_inactive=request.GET.get("all") == "1")
    context = {
        "contacts": contacts,
        "can_manage": can_manage_contacts(user),
        "show_all": request.GET.get("all") == "1",
    }
    return render(request, "referrals/contact_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can_manage_contacts(user):
        raise Http404("No such page.")
    form = ContactForm(_bound(request), creating=True)
    contact = save_with_service(form, lambda data: services.contact_create(actor=user, data=data))
    if contact is not None:
        messages.success(request, f"Added {contact.display_name} to the contacts.")
        return redirect("contact_list")
    return render(request, "referrals/contact_form.html", {"form": form, "title": "New contact"})


@login_required
@require_http_methods(["GET", "POST"])
def contact_update(request: HttpRequest, contact_id: int) -> HttpResponse:
    user = _user(request)
    contact = access_contact(user, contact_id)
    if not can_manage_contacts(user):
        raise Http404("No such page.")
    form = ContactForm(_bound(request), initial=initial_from(contact, CONTACT_FIELDS))
    saved = save_with_service(
        form, lambda data: services.contact_update(actor=user, contact=contact, data=data), refresh=contact
    )
    if saved is not None:
        messages.success(request, f"Saved {saved.display_name}.")
        return redirect("contact_list")
    return render(
        request, "referrals/contact_form.html", {"form": form, "title": f"Edit {contact.display_name}"}
    )
