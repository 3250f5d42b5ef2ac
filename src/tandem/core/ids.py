"""Database ids from untrusted input. Pure module."""

from __future__ import annotations

# Largest primary key (bigint) the databases hold; a larger number must never reach a query (OverflowError).
MAX_DB_ID = 2**63 - 1


def parse_id(value: object, *, maximum: int = MAX_DB_ID) -> int:
    """A positive whole number the database can hold, from an int or its text; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(value)
    number = value if isinstance(value, int) else int(str(value).strip())
    if not 1 <= number <= maximum:
        raise ValueError(value)
    return number
