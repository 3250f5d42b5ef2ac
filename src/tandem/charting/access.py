"""Access functions for visits, notes and addenda (DESIGN.md §2). Each answers the object or raises Http404.

Visit documentation is clinical content: the clinicians on the patient's care team, or one who broke the
glass. The front desk and administrators (unless on the team) get 404, like an outsider: never a 403 that
would confirm the visit exists. Who may *change* a note (its author, its supervisor) is the services' rule.
"""

from __future__ import annotations

from django.http import Http404

from tandem.accounts.models import User
from tandem.charting.models import Addendum, Encounter, Note
from tandem.core.ids import parse_id
from tandem.patients.access import Purpose, can_see_patient, refuse_access
from tandem.patients.models import Patient


def can_see_charting(user: User, patient: Patient) -> bool:
    """A clinician who may see the patient's clinical record (care team or break-the-glass)."""
    return user.is_clinician and can_see_patient(user, patient, Purpose.CLINICAL)


def _refuse(user: User, object_type: str, object_id: object, patient_id: int | None) -> Http404:
    return refuse_access(user, object_type, object_id, patient_id, "No such visit.")


def access_encounter(user: User, encounter_id: object) -> Encounter:
    """The encounter, if `user` may see the patient's clinical record; otherwise Http404."""
    try:
        encounter = Encounter.objects.select_related(
            "patient", "practitioner__user", "activity__plan", "appointment"
        ).get(pk=parse_id(encounter_id))
    except (Encounter.DoesNotExist, ValueError, OverflowError):
        raise _refuse(user, "Encounter", encounter_id, None) from None
    if not can_see_charting(user, encounter.patient):
        raise _refuse(user, "Encounter", encounter.pk, encounter.patient_id)
    return encounter


def access_note(user: User, note_id: object) -> Note:
    """The note, if `user` may see the patient's clinical record; otherwise Http404."""
    try:
        note = Note.objects.select_related(
            "patient", "encounter__activity__plan", "author", "signed_by", "cosigned_by", "cosigner__user"
        ).get(pk=parse_id(note_id))
    except (Note.DoesNotExist, ValueError, OverflowError):
        raise _refuse(user, "Note", note_id, None) from None
    if not can_see_charting(user, note.patient):
        raise _refuse(user, "Note", note.pk, note.patient_id)
    return note


def access_addendum(user: User, addendum_id: object) -> Addendum:
    """The addendum, if `user` may see its note; otherwise Http404."""
    try:
        addendum = Addendum.objects.select_related("note__patient", "author").get(pk=parse_id(addendum_id))
    except (Addendum.DoesNotExist, ValueError, OverflowError):
        raise _refuse(user, "Addendum", addendum_id, None) from None
    if not can_see_charting(user, addendum.note.patient):
        raise _refuse(user, "Addendum", addendum.pk, addendum.note.patient_id)
    return addendum
