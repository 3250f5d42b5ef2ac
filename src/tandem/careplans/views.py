"""Plan-of-care pages: a patient's plans, the plan builder, its forms, the supervisor's approval queue, the
massage therapist's orders, and the plan's versions side by side.

Every plan object is fetched through an access function (404 for anybody who may not see it, or change it
when the page changes it); every change goes through a service, whose refusal is shown beside the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.forms import ServiceForm, save_with_service
from tandem.accounts.models import User
from tandem.audit.services import audit_read
from tandem.careplans import services
from tandem.careplans.access import (
    access_activity,
    access_careplan,
    access_goal,
    access_sequence_rule,
    can_edit_careplan,
    can_edit_plans_of,
    is_supervisor,
)
from tandem.careplans.forms import (
    ActivityForm,
    CarePlanForm,
    GoalForm,
    SequenceRuleForm,
    activity_initial,
    goal_initial,
)
from tandem.careplans.measures import INSTRUMENTS
from tandem.careplans.models import (
    MAX_VERSION_NUMBER,
    Activity,
    ActivityStatus,
    CarePlan,
    PlanVersion,
)
from tandem.careplans.safety_checks import findings_for_activity, overrides_for_plan
from tandem.careplans.selectors import (
    approval_queue_for,
    careplan_for_builder,
    careplan_list_for_patient,
    massage_orders_for,
    versions_of,
)
from tandem.careplans.versioning import side_by_side
from tandem.core.http import bound_data as _bound
from tandem.core.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.patients.access import access_patient
from tandem.patients.models import Patient


def _read(user: User, obj: Any, patient_id: int, detail: str = "") -> None:
    audit_read(
        actor=user, object_type=type(obj).__name__, object_id=obj.pk, patient_id=patient_id, detail=detail
    )


def _form_page(
    request: HttpRequest,
    *,
    form: ServiceForm,
    action: Callable[[dict[str, Any]], Any],
    plan: CarePlan | None,
    patient: Patient,
    title: str,
    saved_message: Callable[[Any], str],
    template: str = "careplans/plan_item_form.html",
    extra: dict[str, Any] | None = None,
    refresh: Any = None,
) -> HttpResponse:
    """A form about one plan: on a valid submission run the service and go back to the plan builder."""
    if request.method == "GET":
        audit_read(
            actor=request.user,
            object_type="CarePlan" if plan else "Patient",
            object_id=plan.pk if plan else patient.pk,
            patient_id=patient.pk,
            detail="form",
        )
    saved = save_with_service(form, action, refresh=refresh)
    if saved is not None:
        messages.success(request, saved_message(saved))
        target = saved if isinstance(saved, CarePlan) else plan
        assert target is not None
        return redirect("careplan_detail", target.pk)
    context = {"form": form, "plan": plan, "patient": patient, "title": title, **(extra or {})}
    return render(request, template, context)


# Plans -------------------------------------------------------------------------------------------------


@login_required
@require_GET
def careplan_list(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    audit_read(actor=user, object_type="CarePlan", object_id="*", patient_id=patient.pk)
    context = {
        "patient": patient,
        "plans": careplan_list_for_patient(patient),
        "can_create": can_edit_plans_of(user, patient),
    }
    return render(request, "careplans/careplan_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def careplan_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    if not can_edit_plans_of(user, patient):
        raise Http404("No such patient.")
    initial = {"supervising_practitioner": user.practitioner.pk}
    form = CarePlanForm(_bound(request), patient=patient, initial=initial)
    return _form_page(
        request,
        form=form,
        plan=None,
        patient=patient,
        title="New plan of care",
        action=lambda data: services.careplan_create(actor=user, patient=patient, data=form.service_data()),
        saved_message=lambda p: f"Started the plan “{p.title}” (draft).",
    )


@login_required
@require_GET
def careplan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The plan builder: problems, goals, activities by discipline, sequence rules, overrides, approvals."""
    user = _user(request)
    plan = access_careplan(user, plan_id)
    _read(user, plan, plan.patient_id)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "detail": careplan_for_builder(plan),
        "overrides": overrides_for_plan(plan),
        "can_edit": can_edit_careplan(user, plan),
        "is_supervisor": is_supervisor(user, plan),
    }
    return render(request, "careplans/careplan_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def careplan_update(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id, edit=True)
    initial = {
        "title": plan.title,
        "description": plan.description,
        "supervising_practitioner": plan.supervising_practitioner_id,
        "period_start_on": plan.period_start_on,
        "period_end_on": plan.period_end_on,
        "problems": list(plan.problems.values_list("pk", flat=True)),
        "based_on_referral": plan.based_on_referral_id,
        "status": plan.status,
    }
    form = CarePlanForm(_bound(request), patient=plan.patient, plan=plan, initial=initial)
    return _form_page(
        request,
        form=form,
        plan=plan,
        patient=plan.patient,
        title="Edit the plan",
        action=lambda data: services.careplan_update(actor=user, plan=plan, data=form.service_data()),
        saved_message=lambda p: f"Saved the plan (version {p.version_number}).",
        refresh=plan,
    )


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def careplan_activate(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id, edit=True)
    try:
        services.careplan_activate(actor=user, plan=plan)
        messages.success(request, "The plan is active.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("careplan_detail", plan.pk)


# Goals -------------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def goal_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id, edit=True)
    return _form_page(
        request,
        form=GoalForm(_bound(request)),
        plan=plan,
        patient=plan.patient,
        title="Add a goal",
        action=lambda data: services.goal_add(actor=user, plan=plan, data=data),
        saved_message=lambda g: f"Added the goal “{g.description}”.",
        extra={"instruments": INSTRUMENTS.values()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_update(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id, edit=True)
    plan = goal.plan
    return _form_page(
        request,
        form=GoalForm(_bound(request), initial=goal_initial(goal)),
        plan=plan,
        patient=plan.patient,
        title="Edit the goal",
        action=lambda data: services.goal_update(actor=user, goal=goal, data=data),
        saved_message=lambda g: f"Saved the goal “{g.description}”.",
        refresh=goal,
        extra={"instruments": INSTRUMENTS.values()},
    )


# Activities --------------------------------------------------------------------------------------------


def _activity_page(
    request: HttpRequest,
    *,
    plan: CarePlan,
    form: ActivityForm,
    action: Callable[[dict[str, Any]], Activity],
    title: str,
    activity: Activity | None = None,
) -> HttpResponse:
    """The activity form. Picking a discipline re-renders the fields for it (an htmx GET carrying what was
    typed); technique and site changes ask the safety engine for findings before anything is saved."""
    if request.method == "GET" and getattr(request, "htmx", False):
        _read(_user(request), plan, plan.patient_id, detail="activity form fields")
        return render(
            request, "careplans/_activity_fields.html", {"form": form, "plan": plan, "activity": activity}
        )
    return _form_page(
        request,
        form=form,
        action=action,
        plan=plan,
        patient=plan.patient,
        title=title,
        saved_message=lambda a: (
            f"Saved {services.activity_label(a)}"
            + (" — waiting for the supervisor's approval." if a.approval == "pending" else ".")
        ),
        template="careplans/activity_form.html",
        extra={"activity": activity},
    )


def _typed(request: HttpRequest, initial: dict[str, Any]) -> dict[str, Any]:
    """What the person typed so far, carried by the discipline picker's htmx GET."""
    if not request.GET:
        return initial
    typed: dict[str, Any] = {key: request.GET.get(key) for key in request.GET if key != "technique"}
    typed["techniques"] = request.GET.getlist("technique")
    typed["body_sites"] = request.GET.getlist("body_sites")
    return {**initial, **typed}


@login_required
@require_http_methods(["GET", "POST"])
def activity_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id, edit=True)
    form = ActivityForm(_bound(request), patient=plan.patient, initial=_typed(request, {}))

    def save(data: dict[str, Any]) -> Activity:
        fields, reason = form.service_data()
        return services.activity_add(actor=user, plan=plan, data=fields, override_reason=reason)

    return _activity_page(request, plan=plan, form=form, action=save, title="Add an activity")


@login_required
@require_http_methods(["GET", "POST"])
def activity_update(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = access_activity(user, activity_id, edit=True)
    if activity.is_removed:
        raise Http404("No such activity.")
    plan = activity.plan
    initial = _typed(request, activity_initial(activity))
    form = ActivityForm(_bound(request), patient=plan.patient, activity=activity, initial=initial)

    def save(data: dict[str, Any]) -> Activity:
        fields, reason = form.service_data()
        try:
            return services.activity_update(
                actor=user, activity=activity, data=fields, override_reason=reason
            )
        except ValidationError:
            activity.refresh_from_db()
            raise

    return _activity_page(
        request, plan=plan, form=form, action=save, title="Edit the activity", activity=activity
    )


@login_required
@require_POST
def activity_remove(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = access_activity(user, activity_id, edit=True)
    status = request.POST.get("status") or ActivityStatus.CANCELLED
    try:
        services.activity_remove(actor=user, activity=activity, status=status)
        messages.success(request, f"Removed {services.activity_label(activity)} ({status}).")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("careplan_detail", activity.plan_id)


@login_required
@require_POST
def activity_approve(request: HttpRequest, activity_id: int) -> HttpResponse:
    user = _user(request)
    activity = access_activity(user, activity_id)
    try:
        services.activity_approve(actor=user, activity=activity)
        messages.success(request, f"Approved {services.activity_label(activity)}.")
    except ValidationError as exc:
        _refused(request, exc)
    if request.POST.get("next") == "approvals":
        return redirect("careplan_approvals")
    return redirect("careplan_detail", activity.plan_id)


# Sequence rules ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sequence_rule_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id, edit=True)
    activities = [a for a in plan.activities.order_by("id") if not a.is_removed]
    return _form_page(
        request,
        form=SequenceRuleForm(_bound(request), activities=activities),
        plan=plan,
        patient=plan.patient,
        title="Add a sequence rule",
        action=lambda data: services.sequence_rule_add(actor=user, plan=plan, data=data),
        saved_message=lambda r: "Added: " + services.rule_sentence(r, plan.activities.all()) + ".",
    )


@login_required
@require_POST
def sequence_rule_remove(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = _user(request)
    rule = access_sequence_rule(user, rule_id, edit=True)
    try:
        services.sequence_rule_remove(actor=user, rule=rule)
        messages.success(request, "Removed the sequence rule.")
    except ValidationError as exc:
        _refused(request, exc)
    return redirect("careplan_detail", rule.plan_id)


# Queues ------------------------------------------------------------------------------------------------


@login_required
@require_GET
def careplan_approvals(request: HttpRequest) -> HttpResponse:
    """Massage activities waiting for the signed-in supervisor's approval."""
    user = _user(request)
    if not user.is_clinician:
        raise Http404("No such page.")
    pending = list(approval_queue_for(user))
    for activity in pending:
        _read(user, activity, activity.plan.patient_id, detail="approval queue")
    return render(request, "careplans/approvals.html", {"pending": pending})


@login_required
@require_GET
def careplan_my_orders(request: HttpRequest) -> HttpResponse:
    """An LMT's approved massage orders, with the safety findings that apply to her work."""
    user = _user(request)
    if not user.is_clinician:
        raise Http404("No such page.")
    orders = []
    for activity in massage_orders_for(user):
        _read(user, activity, activity.plan.patient_id, detail="massage orders")
        orders.append((activity, findings_for_activity(user, activity)))
    return render(request, "careplans/my_orders.html", {"orders": orders})


# Versions ----------------------------------------------------------------------------------------------


@login_required
@require_GET
def version_list(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_careplan(user, plan_id)
    _read(user, plan, plan.patient_id, detail="versions")
    versions = list(versions_of(plan))
    context = {"plan": plan, "patient": plan.patient, "versions": versions}
    return render(request, "careplans/version_list.html", context)


def _version_number(request: HttpRequest, name: str, default: int) -> int:
    """The version number asked for; Http404 for one no plan can have (not a number, < 1, or too big)."""
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_id(raw, maximum=MAX_VERSION_NUMBER)
    except ValueError:
        raise Http404("No such version.") from None


@login_required
@require_GET
def version_compare(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Two versions side by side, the differences highlighted. Defaults: the previous and the latest."""
    user = _user(request)
    plan = access_careplan(user, plan_id)
    latest = plan.version_number
    a_number = _version_number(request, "a", max(latest - 1, 1))
    b_number = _version_number(request, "b", latest)
    found = {v.number: v for v in plan.versions.filter(number__in=[a_number, b_number])}
    a: PlanVersion | None = found.get(a_number)
    b: PlanVersion | None = found.get(b_number)
    if a is None or b is None:
        raise Http404("No such version.")
    _read(user, plan, plan.patient_id, detail=f"compare versions {a.number} and {b.number}")
    context = {
        "plan": plan,
        "patient": plan.patient,
        "a": a,
        "b": b,
        "sections": side_by_side(a.snapshot, b.snapshot),
        "numbers": list(range(1, latest + 1)),
    }
    return render(request, "careplans/version_compare.html", context)
