"""Reads of the audit trail, for clinic administrators."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tandem.accounts.models import User
from tandem.audit.models import AuditEvent
from tandem.patients.models import Patient

EXPORT_COLUMNS = (
    "sequence",
    "time",
    "actor",
    "action",
    "outcome",
    "patient id",
    "object",
    "client address",
    "channel",
    "detail",
)
# A cell starting with one of these is run as a formula by spreadsheet programs ("CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def audit_list_for_admin(
    user: User, patient: Patient | None = None, actor: User | None = None
) -> QuerySet[AuditEvent]:
    """The audit entries of the administrator's clinic, newest first, optionally for one patient or one user.

    Entries carry plain ids, not foreign keys (see AuditEvent), so "of this clinic" means: done by one of
    its users, or about one of its patients.
    """
    if not user.is_clinic_admin or user.organization_id is None:
        return AuditEvent.objects.none()
    staff = User.objects.filter(organization_id=user.organization_id).values("pk")
    patients = Patient.objects.filter(organization_id=user.organization_id).values("pk")
    events = AuditEvent.objects.filter(Q(actor_id__in=staff) | Q(patient_id__in=patients))
    if patient is not None:
        events = events.filter(patient_id=patient.pk)
    if actor is not None:
        events = events.filter(actor_id=actor.pk)
    return events.order_by("-sequence")


def patients_by_id(user: User, ids: Iterable[int | None]) -> dict[int, Patient]:
    """The clinic's patients among `ids`, to label a page of entries in one query."""
    wanted = {pk for pk in ids if pk is not None}
    found = Patient.objects.filter(pk__in=wanted, organization_id=user.organization_id)
    return {patient.pk: patient for patient in found.only("pk", "mrn", "given_name", "family_name")}


def _safe_cell(value: Any) -> Any:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def audit_export_rows(events: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The header and one row per entry, times in the clinic's time zone; streamed in chunks."""
    yield list(EXPORT_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        subject = f"{event.object_type}:{event.object_id}" if event.object_id else event.object_type
        yield [
            event.sequence,
            timezone.localtime(event.recorded_at).isoformat(timespec="seconds"),
            _safe_cell(event.actor_label),
            event.get_action_display(),
            event.get_outcome_display(),
            event.patient_id if event.patient_id is not None else "",
            _safe_cell(subject),
            _safe_cell(event.client_address),
            _safe_cell(event.channel),
            _safe_cell(event.detail),
        ]
