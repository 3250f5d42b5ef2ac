"""Where the current request came from, for audit entries written deep inside services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Origin:
    client_address: str = ""
    channel: str = "cli"


_NO_REQUEST = Origin()
_origin: ContextVar[Origin] = ContextVar("audit_origin", default=_NO_REQUEST)


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(client_address: str, channel: str) -> Iterator[None]:
    token = _origin.set(Origin(client_address, channel))
    try:
        yield
    finally:
        _origin.reset(token)


def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/fhir/"):
        return "fhir"
    return "ui"


class AuditOriginMiddleware:
    """Record each request's client address and channel for the audit entries it causes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # REMOTE_ADDR is the peer gunicorn saw; behind a proxy gunicorn's forwarded_allow_ips rewrites it.
        with origin(request.META.get("REMOTE_ADDR", ""), channel_for_path(request.path)):
            return self.get_response(request)
