"""Access functions for safety records: the object, or Http404 (never a 403 that confirms it exists)."""

from __future__ import annotations

from django.http import Http404

from tandem.accounts.models import User
from tandem.patients.access import Purpose, can_see_patient, refuse_access
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
    return refuse_access(user, "IntakeScreening", object_id, patient_id, "No such screening.")
