"""Writing to and checking the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.utils import timezone

from tandem.audit.chain import CHAINED_FIELDS, ChainProblem, entry_hash, verify_chain
from tandem.audit.context import current_origin
from tandem.audit.models import AuditAction, AuditChainHead, AuditEvent, AuditOutcome


def _entry_fields(
    *,
    sequence: int,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object,
    patient_id: int | None,
    outcome: str,
    detail: str,
) -> dict[str, Any]:
    origin = current_origin()
    return {
        "sequence": sequence,
        "recorded_at": timezone.now(),
        "actor_id": getattr(actor, "pk", None),
        "actor_label": getattr(actor, "username", "") or "system",
        "action": str(action),
        "outcome": str(outcome),
        "patient_id": patient_id,
        "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else "",
        "client_address": origin.client_address,
        "channel": origin.channel,
        "detail": detail[:2000],
    }


def _append(entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Chain `entries` (fields without sequence) after the current head, in one transaction."""
    with transaction.atomic():
        # Lock the head row, or two transactions could chain to the same previous entry.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        events: list[AuditEvent] = []
        sequence, previous = head.sequence, head.hash
        for entry in entries:
            sequence += 1
            fields = _entry_fields(sequence=sequence, **entry)
            digest = entry_hash(previous, fields)
            events.append(AuditEvent(previous_hash=previous, hash=digest, **fields))
            previous = digest
        if events:
            AuditEvent.objects.bulk_create(events)
            AuditChainHead.objects.filter(id=1).update(sequence=sequence, hash=previous)
    return events


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object = "",
    patient_id: int | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    detail: str = "",
) -> AuditEvent:
    """Append one entry to the audit trail, chained to the one before it.

    Call it inside the transaction that makes the change, so the change and its entry commit together.
    """
    entry = {
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "patient_id": patient_id,
        "outcome": outcome,
        "detail": detail,
    }
    return _append([entry])[0]


def audit_read(
    *, actor: Any, object_type: str, object_id: object, patient_id: int | None, detail: str = ""
) -> None:
    audit_read_many(
        actor=actor, object_type=object_type, object_id=object_id, patient_ids=[patient_id], detail=detail
    )


def audit_read_many(
    *,
    actor: Any,
    object_type: str,
    object_id: object,
    patient_ids: Iterable[int | None],
    detail: str = "",
) -> None:
    """One read entry per patient (a list that names several patients), written in one transaction."""
    entries = [
        {
            "actor": actor,
            "action": AuditAction.READ,
            "object_type": object_type,
            "object_id": object_id,
            "patient_id": patient_id,
            "outcome": AuditOutcome.SUCCESS,
            "detail": detail,
        }
        for patient_id in patient_ids
    ]
    _append(entries)


def _entries() -> Iterator[dict[str, Any]]:
    fields = [*CHAINED_FIELDS, "previous_hash", "hash"]
    yield from AuditEvent.objects.order_by("sequence").values(*fields).iterator(chunk_size=5000)


def audit_verify() -> tuple[int, ChainProblem | None]:
    """Check the whole chain; answer how many entries were read and the first problem, if any."""
    head = AuditChainHead.objects.filter(id=1).first()
    count = AuditEvent.objects.count()
    problem = verify_chain(
        _entries(), head_sequence=head.sequence if head else 0, head_hash=head.hash if head else "0" * 64
    )
    return count, problem
