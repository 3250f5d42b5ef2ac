"""Small request helpers shared by every app's views and API handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpRequest

if TYPE_CHECKING:
    from tandem.accounts.models import User


def request_user(request: HttpRequest) -> User:
    """The signed-in user. Views run it after login_required; the API's authenticators (token, session)
    answer only active users of the User model."""
    return cast("User", request.user)


def bound_data(request: HttpRequest) -> Any:
    """The data to bind a form to: the POST body on a POST, None (an unbound form) otherwise."""
    return request.POST if request.method == "POST" else None
