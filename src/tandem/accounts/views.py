"""Signing in and out, personal API tokens, and the clinic administrator's staff and settings pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tandem.accounts.forms import (
    USER_FORM_FIELDS,
    StaffCreateForm,
    StaffUpdateForm,
    TokenCreateForm,
    initial_from,
    save_with_service,
)
from tandem.accounts.models import ApiToken, Location, Room, User
from tandem.accounts.services import token_create, token_revoke, user_create, user_update
from tandem.core.http import bound_data as _bound

login = auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True)
# Django's LogoutView answers POST only, so a link or a prefetch cannot sign anybody out.
logout = auth_views.LogoutView.as_view()


def _require_clinic_admin(user: Any) -> User:
    """Administration pages exist only for clinic administrators; everybody else gets 404."""
    if not user.is_clinic_admin or user.organization_id is None:
        raise Http404("No such page.")
    return user


def _access_staff_member(admin: User, user_id: int) -> User:
    member = User.objects.filter(pk=user_id, organization_id=admin.organization_id).first()
    if member is None:
        raise Http404("No such user.")
    return member


# API tokens ---------------------------------------------------------------------------------------


def _token_page(request: HttpRequest, form: TokenCreateForm, new_secret: str = "") -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    context = {"tokens": tokens, "form": form, "new_secret": new_secret}
    return render(request, "accounts/token_list.html", context)


@login_required
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    return _token_page(request, TokenCreateForm())


@login_required
@require_POST
def token_create_view(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    created = save_with_service(form, lambda data: token_create(user=request.user, name=data["name"]))
    if created is None:
        return _token_page(request, form)
    # Rendered, not redirected: the secret is shown this once and never stored anywhere but its digest.
    return _token_page(request, TokenCreateForm(), new_secret=created[1])


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    token_revoke(token=token, actor=request.user)
    messages.success(request, f"Token “{token.name}” revoked; it no longer works.")
    return redirect("token_list")


# Staff (clinic administrators) --------------------------------------------------------------------


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    admin = _require_clinic_admin(request.user)
    staff = (
        User.objects.filter(organization_id=admin.organization_id)
        .select_related("practitioner")
        .order_by("-is_active", "last_name", "first_name", "username")
    )
    return render(request, "accounts/staff_list.html", {"staff": staff})


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    admin = _require_clinic_admin(request.user)
    form = StaffCreateForm(_bound(request))

    def create(data: dict[str, Any]) -> User:
        return user_create(
            actor=admin,
            data=form.user_data(),
            password=data["password"],
            practitioner=form.practitioner_data(),
        )

    member = save_with_service(form, create)
    if member is not None:
        messages.success(request, f"{member.display_name} can now sign in as “{member.username}”.")
        return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "member": None})


@login_required
@require_http_methods(["GET", "POST"])
def staff_update(request: HttpRequest, user_id: int) -> HttpResponse:
    admin = _require_clinic_admin(request.user)
    member = _access_staff_member(admin, user_id)
    form = StaffUpdateForm(_bound(request), initial=initial_from(member, (*USER_FORM_FIELDS, "is_active")))
    saved = save_with_service(
        form, lambda data: user_update(actor=admin, user=member, data=data), refresh=member
    )
    if saved is not None:
        messages.success(request, f"Saved {saved.display_name}.")
        return redirect("staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "member": member})


@login_required
@require_GET
def organization_detail(request: HttpRequest) -> HttpResponse:
    admin = _require_clinic_admin(request.user)
    rooms = Prefetch("rooms", queryset=Room.objects.order_by("name"))
    locations = Location.objects.filter(organization_id=admin.organization_id).prefetch_related(rooms)
    context = {"organization": admin.organization, "locations": locations.order_by("name")}
    return render(request, "accounts/organization_detail.html", context)
