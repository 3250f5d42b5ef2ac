"""Billing periods typed by a person (tandem.billing.periods, pure): parsed, checked, last week's default."""

from __future__ import annotations

import datetime

import pytest

from tandem.billing.periods import MAX_PERIOD_DAYS, PeriodError, last_week, period_parse

D = datetime.date


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2026-11-23", "2026-11-29", (D(2026, 11, 23), D(2026, 11, 29), 7)),
        (" 2026-11-23 ", "2026-11-23", (D(2026, 11, 23), D(2026, 11, 23), 1)),
        (D(2026, 1, 1), D(2026, 12, 31), (D(2026, 1, 1), D(2026, 12, 31), 365)),
        ("2024-01-01", "2024-12-31", (D(2024, 1, 1), D(2024, 12, 31), 366)),  # a leap year is still a year
    ],
)
def test_it_parses_a_period(first, last, expected):
    period = period_parse(first, last)
    assert (period.first_day, period.last_day, period.days) == expected


@pytest.mark.parametrize(
    ("first", "last", "errors"),
    [
        ("", "2026-11-29", {"from": "Give the first day (YYYY-MM-DD)."}),
        (None, None, {"from": "Give the first day (YYYY-MM-DD).", "to": "Give the last day (YYYY-MM-DD)."}),
        (
            "2026-13-01",
            "2026-11-29",
            {"from": "The first day must be a date such as 2026-11-30, got '2026-13-01'."},
        ),
        (
            "next monday",
            "2026-11-29",
            {"from": "The first day must be a date such as 2026-11-30, got 'next monday'."},
        ),
        ("2026-11-01", "20261130", {"to": "The last day must be a date such as 2026-11-30, got '20261130'."}),
        (
            datetime.datetime(2026, 11, 1, 8),
            "2026-11-30",
            {"from": "The first day must be a date such as 2026-11-30, not a time."},
        ),
        ("2026-11-30", "2026-11-01", {"to": "The period ends (2026-11-01) before it starts (2026-11-30)."}),
        (
            "2025-01-01",
            "2026-01-02",
            {"to": f"The period is 367 days long; keep it to {MAX_PERIOD_DAYS} days at most (a year)."},
        ),
        (42, [], {"from": "Give the first day (YYYY-MM-DD).", "to": "Give the last day (YYYY-MM-DD)."}),
    ],
)
def test_it_refuses_a_bad_period_naming_the_field(first, last, errors):
    with pytest.raises(PeriodError) as caught:
        period_parse(first, last)
    assert caught.value.errors == errors


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (D(2026, 12, 3), D(2026, 11, 23)),  # a Thursday
        (D(2026, 11, 30), D(2026, 11, 23)),  # a Monday bills the week that just ended
        (D(2026, 12, 6), D(2026, 11, 23)),  # a Sunday
        (D(2027, 1, 1), D(2026, 12, 21)),  # across the year
    ],
)
def test_last_week_runs_monday_to_sunday_of_the_week_before(today, monday):
    period = last_week(today)
    assert (period.first_day, period.last_day) == (monday, monday + datetime.timedelta(days=6))
    assert period.first_day.weekday() == 0 and period.last_day.weekday() == 6
