"""Reminders for overdue measures: a fresh single-use link e-mailed to the patient (no clinical content in the
message beyond the questionnaire's name). At most one reminder per due measure every REMIND_EVERY days."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tandem.audit.models import AuditAction
from tandem.audit.services import audit_record
from tandem.outcomes.models import LinkChannel, MeasureRequest
from tandem.outcomes.selectors import DueMeasure, measures_overdue
from tandem.outcomes.services import _link_create

REMIND_EVERY = datetime.timedelta(days=7)
logger = logging.getLogger(__name__)


@dataclass
class MeasureReminderRun:
    overdue: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # no e-mail address, or reminded recently


def _recently_reminded(due: DueMeasure, now: datetime.datetime) -> bool:
    return MeasureRequest.objects.filter(
        plan=due.plan,
        instrument=due.instrument,
        timepoint=due.timepoint,
        emailed_at__gt=now - REMIND_EVERY,
    ).exists()


def reminder_message(due: DueMeasure, url: str, expires_at: datetime.datetime) -> EmailMultiAlternatives:
    patient = due.plan.patient
    context = {
        "first_name": patient.preferred_name or patient.given_name,
        "clinic": due.plan.organization.name,
        "instrument": due.instrument_name,
        "url": url,
        "expires_at": timezone.localtime(expires_at),
    }
    message = EmailMultiAlternatives(
        subject=f"{context['clinic']}: a short questionnaire before your next visit",
        body=render_to_string("outcomes/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[patient.email],
    )
    message.attach_alternative(render_to_string("outcomes/email/reminder.html", context), "text/html")
    return message


def measure_reminders_send(
    *, base_url: str, organization_ids: list[int], dry_run: bool = False, now: datetime.datetime | None = None
) -> MeasureReminderRun:
    """E-mail a fresh link for every overdue measure of the clinics' scheduled plans (see the module)."""
    run = MeasureReminderRun()
    now = now or timezone.now()
    for organization_id in organization_ids:
        for due in measures_overdue(organization_id, timezone.localdate(now)):
            run.overdue += 1
            if not due.plan.patient.email or _recently_reminded(due, now):
                run.skipped += 1
                continue
            if dry_run:
                continue
            try:
                with transaction.atomic():
                    link, token = _link_create(
                        actor=None,
                        patient=due.plan.patient,
                        instrument_code=due.instrument,
                        plan=due.plan,
                        timepoint=due.timepoint,
                        channel=LinkChannel.LINK,
                        days=None,
                    )
                    url = base_url.rstrip("/") + reverse("measure_fill", args=[token])
                    reminder_message(due, url, link.expires_at).send()
                    MeasureRequest.objects.filter(pk=link.pk).update(emailed_at=timezone.now())
                    audit_record(
                        actor=None,
                        action=AuditAction.EXECUTE,
                        object_type="MeasureRequest",
                        object_id=link.pk,
                        patient_id=due.plan.patient_id,
                        detail=f"{due.instrument} {due.timepoint} reminder e-mailed",
                    )
            except Exception as exc:  # one failed message (SMTP down...) must not stop the others
                run.failed += 1
                logger.warning("Measure reminder for plan %s failed: %s", due.plan.pk, exc)
                continue
            run.sent += 1
    return run
