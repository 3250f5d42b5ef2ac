"""Database errors worth telling apart from the rest."""

from __future__ import annotations

from django.db import OperationalError

DEADLOCK_DETECTED = "40P01"


def is_deadlock(exc: BaseException) -> bool:
    """Whether PostgreSQL aborted a statement to break a cycle of waits (SQLSTATE 40P01, deadlock detected).

    The other transactions in the cycle go on; the aborted statement changed nothing and may be run again.
    Two appointments inserted at the same instant can wait on each other this way while the exclusion
    constraints check them (each sees the other's uncommitted row). SQLite has no such error.
    """
    return isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED
