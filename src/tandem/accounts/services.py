"""Accounts: API tokens and user administration."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import ApiToken, Practitioner, Role, User
from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record

TOKEN_PREFIX = "tdm_"


@transaction.atomic
def token_create(*, user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    """Make a personal API token; answer the row and the token, which is shown this once and never again."""
    name = name.strip() or "API token"
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=secret[:12], digest=ApiToken.digest_of(secret)
    )
    audit_record(
        actor=actor or user,
        action=AuditAction.CREATE,
        object_type="ApiToken",
        object_id=token.pk,
        detail=f"token for {user.username}",
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="ApiToken",
            object_id=token.pk,
            detail="revoked",
        )
    return token


def token_authenticate(secret: str) -> User | None:
    """The active user behind a bearer token, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch last_used_at at most once a minute, so a busy client does not turn every read into a write.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


USER_FIELDS = ("username", "first_name", "last_name", "email", "role", "is_active")
PRACTITIONER_FIELDS = ("discipline", "credentials", "license_number", "license_state", "npi")


@transaction.atomic
def user_create(
    *, actor: User, data: Mapping[str, Any], password: str, practitioner: Mapping[str, Any] | None = None
) -> User:
    """A clinic admin adds a staff member; clinicians also get their professional record."""
    user = User(organization_id=actor.organization_id)
    for name in USER_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    errors: dict[str, list[str]] = {}
    try:
        user.full_clean(exclude=["password", "organization"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if user.role == Role.CLINICIAN and not practitioner:
        errors["discipline"] = ["A clinician needs a discipline and a license."]
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    if user.role == Role.CLINICIAN and practitioner:
        record = Practitioner(
            user=user, **{k: v for k, v in practitioner.items() if k in PRACTITIONER_FIELDS}
        )
        record.full_clean(exclude=["user"])
        record.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="User",
        object_id=user.pk,
        detail=f"user {user.username} ({user.role})",
    )
    return user


@transaction.atomic
def user_update(*, actor: User, user: User, data: Mapping[str, Any]) -> User:
    changed = []
    for name in ("first_name", "last_name", "email", "role", "is_active"):
        if name in data and getattr(user, name) != data[name]:
            setattr(user, name, data[name])
            changed.append(name)
    if user.pk == actor.pk and ("is_active" in changed or "role" in changed):
        raise ValidationError({"role": "You cannot change your own role or deactivate yourself."})
    user.full_clean(exclude=["password", "organization"])
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="User",
        object_id=user.pk,
        detail="changed: " + ", ".join(changed),
    )
    return user
