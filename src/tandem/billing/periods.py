"""Billing periods typed by a person (claim files, period superbills): parsed and checked without Django.

A period is inclusive, from its first to its last date of service, at most MAX_PERIOD_DAYS long (a claim
file or a superbill of more than a year is a typing mistake far more often than a wish). The default claim
period is last week, Monday to Sunday, the week a clinic usually bills on Monday.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

MAX_PERIOD_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be used; `errors` maps the field ("from", "to") to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors.items()))


@dataclass(frozen=True)
class Period:
    first_day: datetime.date
    last_day: datetime.date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


def _day(value: object, label: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ValueError(f"{label} must be a date such as 2026-11-30, not a time.")
    if isinstance(value, datetime.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValueError(f"Give {label.lower()} (YYYY-MM-DD).")
    if len(text) != 10:
        raise ValueError(f"{label} must be a date such as 2026-11-30, got {text[:40]!r}.")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{label} must be a date such as 2026-11-30, got {text!r}.") from None


def period_parse(first: object, last: object, *, max_days: int = MAX_PERIOD_DAYS) -> Period:
    """The period from `first` to `last` (dates or "YYYY-MM-DD" text); PeriodError naming each bad field."""
    errors: dict[str, str] = {}
    days: dict[str, datetime.date] = {}
    for field, value, label in (("from", first, "The first day"), ("to", last, "The last day")):
        try:
            days[field] = _day(value, label)
        except ValueError as exc:
            errors[field] = str(exc)
    if errors:
        raise PeriodError(errors)
    period = Period(days["from"], days["to"])
    if period.first_day > period.last_day:
        raise PeriodError(
            {"to": f"The period ends ({period.last_day}) before it starts ({period.first_day})."}
        )
    if period.days > max_days:
        raise PeriodError(
            {"to": f"The period is {period.days} days long; keep it to {max_days} days at most (a year)."}
        )
    return period


def last_week(today: datetime.date) -> Period:
    """Monday to Sunday of the week before the one `today` is in."""
    monday = today - datetime.timedelta(days=today.weekday() + 7)
    return Period(monday, monday + datetime.timedelta(days=6))
