"""The report back to the referrer as a PDF letter, rendered by WeasyPrint from an HTML template."""

from __future__ import annotations

import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from tandem.accounts.models import Location, User
from tandem.referrals.models import Referral


def _salutation(referral: Referral) -> str:
    if referral.requester_external is not None:
        return referral.requester_external.name
    practitioner = referral.requester_practitioner
    if practitioner is None:
        return "colleague"
    name = practitioner.user.get_full_name() or practitioner.user.username
    return f"Dr {name}" if practitioner.discipline == "chiropractic" else name


def _referrer_lines(referral: Referral) -> list[str]:
    """The inside address: who the letter goes to and where."""
    if referral.requester_external is not None:
        contact = referral.requester_external
        lines = [
            contact.display_name,
            contact.specialty,
            contact.practice_name,
            *contact.address.splitlines(),
        ]
        return [line.strip() for line in lines if line and line.strip()]
    practitioner = referral.requester_practitioner
    if practitioner is None:
        return []
    return [practitioner.display_name, practitioner.get_discipline_display(), referral.organization.name]


def letter_context(*, referral: Referral, author: User, written_at: datetime.datetime) -> dict[str, Any]:
    location = (
        Location.objects.filter(organization_id=referral.organization_id, active=True).order_by("pk").first()
    )
    practitioner = getattr(author, "practitioner", None)
    return {
        "referral": referral,
        "organization": referral.organization,
        "location": location,
        "patient": referral.patient,
        "conditions": list(referral.conditions.all()),
        "written_on": timezone.localtime(written_at).date(),
        "referrer_lines": _referrer_lines(referral),
        "salutation": _salutation(referral),
        "author_name": author.get_full_name() or author.username,
        "author": practitioner,
    }


def render_letter_html(*, referral: Referral, author: User, written_at: datetime.datetime) -> str:
    context = letter_context(referral=referral, author=author, written_at=written_at)
    return render_to_string("referrals/letter.html", context)


def render_letter_pdf(*, referral: Referral, author: User, written_at: datetime.datetime) -> bytes:
    """The letter as PDF bytes. WeasyPrint (and its Pango) loads only when a letter is written."""
    import weasyprint

    html = render_letter_html(referral=referral, author=author, written_at=written_at)
    return weasyprint.HTML(string=html, base_url=None).write_pdf()
