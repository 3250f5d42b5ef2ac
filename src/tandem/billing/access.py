"""Who may make and read the clinic's claim files.

A claim file carries every insured patient's visits of a period with their diagnoses, so it is clinical
content of many patients at once: only the clinicians who bill under their own NPI may export it, the
clinic's chiropractors and physical therapists. Massage therapists bill under their supervisor, and front
desk and administrators see no clinical content (DESIGN.md §2): they get a 404, as does anyone of another
clinic. A patient's superbill names diagnoses: it follows charting's rule (clinicians who see the record).
"""

from __future__ import annotations

from tandem.accounts.models import User
from tandem.billing.models import ClaimFile
from tandem.charting.access import can_see_charting
from tandem.charting.services import SUPERVISED_DISCIPLINES
from tandem.core.ids import parse_id
from tandem.patients.access import Purpose, access_patient, refuse_access
from tandem.patients.models import Patient


def can_export_claims(user: User) -> bool:
    """An active clinician of a clinic whose discipline bills under its own NPI (not a supervised one)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.organization_id is None:
        return False
    if not user.is_clinician:
        return False
    return user.practitioner.discipline not in SUPERVISED_DISCIPLINES


def access_claim_file(user: User, claim_file_id: object) -> ClaimFile:
    """The claim file, if it is the user's clinic's and the user may export claims; otherwise Http404."""
    try:
        claim_file = ClaimFile.objects.select_related("created_by").get(pk=parse_id(claim_file_id))
    except (ClaimFile.DoesNotExist, ValueError, OverflowError):
        raise refuse_access(user, "ClaimFile", claim_file_id, None, "No such claim file.") from None
    if not can_export_claims(user):
        raise refuse_access(user, "ClaimFile", claim_file.pk, None, "No such claim file.")
    if claim_file.organization_id != user.organization_id:
        raise refuse_access(user, "ClaimFile", claim_file.pk, None, "No such claim file.")
    return claim_file


def access_patient_for_billing(user: User, patient_id: int) -> Patient:
    """The patient, if `user` may see their clinical record (a superbill names diagnoses); else Http404."""
    patient = access_patient(user, patient_id, Purpose.CLINICAL)
    if not can_see_charting(user, patient):
        raise refuse_access(user, "Patient", patient.pk, patient.pk)
    return patient
