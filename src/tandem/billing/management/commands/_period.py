"""Shared argument parsing of the billing commands: dates and the organization."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError

from tandem.accounts.models import Organization


def parse_day(value: str, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"{option} must be a date such as 2026-11-30, got {value!r}.") from None


def parse_period(first: str, last: str) -> tuple[datetime.date, datetime.date]:
    first_day, last_day = parse_day(first, "--from"), parse_day(last, "--to")
    if first_day > last_day:
        raise CommandError(f"--from ({first_day}) is after --to ({last_day}).")
    return first_day, last_day


def organization_named(value: str | None, candidates: list[Organization]) -> Organization:
    """The organization given by id or exact name; without one, the only candidate."""
    if value:
        lookup = {"pk": int(value)} if value.isdigit() else {"name": value}
        found = Organization.objects.filter(**lookup)
        organization = found.first()
        if organization is None:
            raise CommandError(f"No organization {value!r}.")
        return organization
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise CommandError("Nothing found for that period in any organization.")
    names = ", ".join(f"{o.pk} ({o.name})" for o in candidates)
    raise CommandError(f"Several organizations match: choose one with --organization: {names}.")
