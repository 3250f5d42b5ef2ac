"""The JSON API under /api/v1/: one NinjaAPI; every app contributes a router from its api.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from tandem.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` with a personal API token (`tandem token create USER`)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Tandem API",
    version="1",
    description="Tandem's JSON API. Authenticate with a session cookie or `Authorization: Bearer <token>`.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
)


def _field_of(location: list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [{"field": _field_of(list(e.get("loc", []))), "message": _plain_message(e)} for e in exc.errors]
    return api.create_response(request, {"detail": "The request is not valid.", "errors": errors}, status=422)


def _plain_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "Invalid value."))
    return message.removeprefix("Value error, ")


@api.exception_handler(DjangoValidationError)
def on_rule_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": "body" if field == "__all__" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": "body", "message": message} for message in exc.messages]
    return api.create_response(request, {"detail": "The request is not valid.", "errors": errors}, status=422)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found.", "errors": []}, status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Sign in or send a valid API token.", "errors": []}, status=401
    )


def _register_routers() -> None:
    from tandem.accounts.api import router as accounts_router
    from tandem.billing.api import router as billing_router
    from tandem.careplans.api import router as careplans_router
    from tandem.charting.api import router as charting_router
    from tandem.outcomes.api import router as outcomes_router
    from tandem.patients.api import router as patients_router
    from tandem.referrals.api import router as referrals_router
    from tandem.safety.api import router as safety_router
    from tandem.scheduling.api import router as scheduling_router

    api.add_router("/", patients_router)
    api.add_router("/", accounts_router)
    api.add_router("/", safety_router)
    api.add_router("/", referrals_router)
    api.add_router("/", careplans_router)
    api.add_router("/", scheduling_router)
    api.add_router("/", billing_router)
    api.add_router("/", charting_router)
    api.add_router("/", outcomes_router)


_register_routers()
