"""The signed-in user's own account: who am I, and personal API tokens."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status

from tandem.accounts.models import ApiToken, User
from tandem.accounts.services import token_create, token_revoke

router = Router(tags=["accounts"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    discipline: str | None


class TokenIn(Schema):
    name: str = "API token"


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    practitioner = getattr(user, "practitioner", None)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "discipline": practitioner.discipline if practitioner else None,
    }


@router.get("/tokens", response=list[TokenOut])
def token_list(request: HttpRequest) -> Any:
    return list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))


@router.post("/tokens", response={201: NewTokenOut})
def token_new(request: HttpRequest, payload: TokenIn) -> Any:
    token, secret = token_create(user=cast(User, request.user), name=payload.name)
    token.token = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut)
def token_revoke_view(request: HttpRequest, token_id: int) -> Any:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    return token_revoke(token=token, actor=cast(User, request.user))
