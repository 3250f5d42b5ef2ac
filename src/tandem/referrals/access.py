"""Access functions for referrals and external contacts: the object, or Http404 (never a 403)."""

from __future__ import annotations

from django.http import Http404

from tandem.accounts.models import Role, User
from tandem.patients.access import Purpose, can_see_patient, refuse_access
from tandem.referrals.models import ExternalProvider, Referral, ReferralKind, ReferralStatus
from tandem.referrals.workflow import BY_ACTION, Side


def _refuse(user: User, object_type: str, object_id: object, patient_id: int | None) -> Http404:
    return refuse_access(user, object_type, object_id, patient_id, "No such referral.")


def is_requester(user: User, referral: Referral) -> bool:
    """The practitioner who asked; for a referral from an external provider, whoever recorded it."""
    if referral.requester_practitioner_id is not None:
        return user.is_clinician and referral.requester_practitioner_id == user.practitioner.pk
    return referral.created_by_id == user.pk


def is_addressee(user: User, referral: Referral) -> bool:
    """The recipient practitioner, or (discipline referral) any clinician of that discipline in the clinic.

    A draft is not addressed to anybody yet: it has not been disclosed.
    """
    if not user.is_clinician or referral.status == ReferralStatus.DRAFT:
        return False
    if user.organization_id != referral.organization_id:
        return False
    if referral.recipient_practitioner_id is not None:
        return referral.recipient_practitioner_id == user.practitioner.pk
    return (
        bool(referral.recipient_discipline) and referral.recipient_discipline == user.practitioner.discipline
    )


def may_act(user: User, referral: Referral, action: str) -> bool:
    """Whether `user` is on the side of the referral that takes `action` (the status is checked elsewhere).

    The requester sends and cancels; the recipient answers and moves it on. An external provider does not
    sign in, so for a referral to one the requester records its answers.
    """
    transition = BY_ACTION.get(action)
    if transition is None or not user.is_active or user.organization_id != referral.organization_id:
        return False
    if transition.side is Side.REQUESTER:
        return is_requester(user, referral)
    if referral.kind == ReferralKind.EXTERNAL_OUT:
        return is_requester(user, referral)
    return is_addressee(user, referral)


def can_see_referral(user: User, referral: Referral) -> bool:
    if not user.is_active or user.organization_id != referral.organization_id:
        return False
    if not user.is_clinician:
        return False  # front desk and administrators see no clinical content unless on the care team
    if is_requester(user, referral):
        return True
    if is_addressee(user, referral):
        return True
    return can_see_patient(user, referral.patient, Purpose.CLINICAL)


def access_referral(user: User, referral_id: object) -> Referral:
    """The referral, if `user` asked for it, is its addressee (or of its discipline), or sees the patient's
    chart; otherwise Http404. Being the addressee opens this referral only, not the rest of the chart."""
    try:
        referral = Referral.objects.select_related(
            "patient",
            "organization",
            "requester_practitioner__user",
            "requester_external",
            "recipient_practitioner__user",
            "recipient_external",
            "supervising_practitioner__user",
            "created_by",
        ).get(pk=int(str(referral_id)))
    except (Referral.DoesNotExist, ValueError):
        raise _refuse(user, "Referral", referral_id, None) from None
    if not can_see_referral(user, referral):
        raise _refuse(user, "Referral", referral.pk, referral.patient_id)
    return referral


def can_manage_contacts(user: User) -> bool:
    """Clinic administrators and clinicians keep the clinic's address book of external providers."""
    return user.is_active and (user.role == Role.CLINIC_ADMIN or user.is_clinician)


def access_contact(user: User, contact_id: object) -> ExternalProvider:
    """An external provider of the user's clinic (any member of staff may read the address book)."""
    try:
        contact = ExternalProvider.objects.get(pk=int(str(contact_id)))
    except (ExternalProvider.DoesNotExist, ValueError):
        raise Http404("No such contact.") from None
    if user.organization_id is None or contact.organization_id != user.organization_id:
        raise Http404("No such contact.")
    return contact
