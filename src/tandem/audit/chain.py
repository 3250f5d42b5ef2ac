"""The audit trail's hash chain. Pure module: each entry's hash covers its fields and the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
CHAINED_FIELDS: tuple[str, ...] = (
    "sequence",
    "recorded_at",
    "actor_id",
    "actor_label",
    "action",
    "outcome",
    "patient_id",
    "object_type",
    "object_id",
    "client_address",
    "channel",
    "detail",
)


def entry_hash(previous_hash: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        [previous_hash] + [_plain(fields[name]) for name in CHAINED_FIELDS], separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class ChainProblem:
    sequence: int
    kind: str  # "altered", "inserted", "deleted" or "truncated"
    message: str


def verify_chain(
    entries: Iterable[Mapping[str, Any]], *, head_sequence: int, head_hash: str
) -> ChainProblem | None:
    """Walk entries in sequence order and report the first break, or None when the chain is whole."""
    expected_sequence = 1
    previous = GENESIS
    for entry in entries:
        sequence = entry["sequence"]
        if sequence > expected_sequence:
            return ChainProblem(
                expected_sequence, "deleted", f"entries {expected_sequence}–{sequence - 1} are missing"
            )
        if sequence < expected_sequence:
            return ChainProblem(sequence, "inserted", f"entry {sequence} appears twice or out of order")
        if entry["previous_hash"] != previous:
            return ChainProblem(
                sequence, "inserted", f"entry {sequence} does not link to the entry before it"
            )
        if entry_hash(previous, entry) != entry["hash"]:
            return ChainProblem(sequence, "altered", f"entry {sequence} was changed after it was written")
        previous = entry["hash"]
        expected_sequence += 1
    last = expected_sequence - 1
    if last < head_sequence:
        return ChainProblem(
            last + 1, "truncated", f"entries {last + 1}–{head_sequence} were removed from the end"
        )
    if last > head_sequence or (head_sequence and previous != head_hash):
        return ChainProblem(last, "inserted", f"entry {last} was added outside Tandem")
    return None
