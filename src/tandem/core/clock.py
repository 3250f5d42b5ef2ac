"""The moment the services stamp on what happens in a visit's life (booked, checked in, started, signed).

It is the real time, except inside `replaying(at)`, which the demo generator uses to live through the clinic's
past weeks with the real services: the visits it books, checks in, documents and signs then carry the times
they would have had. Who may do something (care teams, break-the-glass) and the audit trail keep the real
time: the audit records when the rows were really written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_replayed: ContextVar[datetime.datetime | None] = ContextVar("tandem_clock_replayed", default=None)


def now() -> datetime.datetime:
    """The moment services stamp: timezone-aware, the real time unless a replay is under way."""
    moment = _replayed.get()
    return moment if moment is not None else timezone.now()


def localdate() -> datetime.date:
    """Today in the clinic's time zone, by `now()`."""
    return timezone.localdate(now())


def is_replaying() -> bool:
    return _replayed.get() is not None


@contextmanager
def replaying(at: datetime.datetime) -> Iterator[None]:
    """Services called inside stamp `at` as the current moment. Replays nest, each restoring the outer."""
    if timezone.is_naive(at):
        raise ValueError("Replay at a timezone-aware moment.")
    token = _replayed.set(at)
    try:
        yield
    finally:
        _replayed.reset(token)
