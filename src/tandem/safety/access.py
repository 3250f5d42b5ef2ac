"""Access functions for safety records: the object, or Http404 (never a 403 that confirms it exists)."""

from __future__ import annotations

from django.http import Http404

from tandem.accounts.models import User
from tandem.audit.models import AuditAction, AuditOutcome
from tandem.audit.services import audit_record
from tandem.patients.access import Purpose, can_see_patient
from tandem.safety.models import IntakeScreening


def access_screening(user: User, screening_id: object) -> IntakeScreening:
    """An intake screening of a patient the user may see clinically (care team or break-the-glass)."""
    try:
        screening = IntakeScreening.objects.select_related("patient", "screened_by").get(
            pk=int(str(screening_id))
        )
    except (IntakeScreening.DoesNotExist, ValueError):
        raise _refuse(user, screening_id, None) from None
    if not can_see_patient(user, screening.patient, Purpose.CLINICAL):
        raise _refuse(user, screening.pk, screening.patient_id)
    return screening


def _refuse(user: User, object_id: object, patient_id: int | None) -> Http404:
    audit_record(
        actor=user,
        action=AuditAction.READ,
        object_type="IntakeScreening",
        object_id=object_id,
        patient_id=patient_id,
        outcome=AuditOutcome.MINOR_FAILURE,
        detail="access refused",
    )
    return Http404("No such screening.")
