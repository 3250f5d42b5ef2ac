"""`tandem demo`: the past weeks lived through (issue #5 item 8): visits checked in, documented in every
discipline, signed, co-signed and charged through the real services, at the times they would have had."""

from __future__ import annotations

import datetime
from io import StringIO

from django.core.management import call_command
from django.db.models import Count, Q
from django.test import Client
from django.utils import timezone

from tandem.billing.exports import claim_batch_for
from tandem.billing.models import Charge, Coverage
from tandem.billing.x12 import render_837p, validate_837p
from tandem.charting.models import Encounter, EncounterStatus, Note, NoteStatus
from tandem.scheduling.models import Appointment, AppointmentStatus


def test_the_demo_documents_signs_cosigns_and_charges_its_past_visits(db):
    out = StringIO()
    call_command("demo", patients=30, seed=42, verbosity=1, stdout=out)
    now = timezone.now()

    assert "The past weeks, lived through:" in out.getvalue()
    signed = Note.objects.filter(status=NoteStatus.FINAL).select_related("encounter__appointment")
    assert set(signed.values_list("discipline", flat=True)) == {
        "chiropractic",
        "physical-therapy",
        "massage-therapy",
    }
    for note in signed:
        encounter = note.encounter
        appointment = encounter.appointment
        # The times it would have had: started on time, finished at the end, signed after it; all past.
        assert (
            encounter.status == EncounterStatus.FINISHED and appointment.status == AppointmentStatus.FULFILLED
        )
        assert encounter.started_at == appointment.starts_at and encounter.ended_at == appointment.ends_at
        assert appointment.arrived_at is not None and appointment.arrived_at < appointment.starts_at
        assert encounter.ended_at < note.signed_at < now
        assert note.late_entry == (note.signed_at - encounter.ended_at > datetime.timedelta(days=1))
        assert note.digest and note.data and note.body_marks and note.subjective
    massage = signed.filter(discipline="massage-therapy")
    assert massage.exists() and all(n.needs_cosign for n in massage)
    cosigned = massage.filter(cosigned_at__isnull=False)
    assert cosigned.exists()
    for note in cosigned.select_related("encounter__activity__plan__supervising_practitioner"):
        assert note.cosigned_by == note.encounter.activity.plan.supervising_practitioner.user
        assert note.signed_at < note.cosigned_at < now
    # A co-signature not yet due (tomorrow morning) waits in the queue; nothing else is left unsigned.
    assert not massage.filter(
        cosigned_at__isnull=True, signed_at__lt=now - datetime.timedelta(days=1)
    ).exists()
    # Nothing past is left booked; a visit under way has an open encounter with a draft.
    assert not Appointment.objects.filter(status=AppointmentStatus.BOOKED, ends_at__lt=now).exists()
    open_visits = Encounter.objects.filter(status=EncounterStatus.IN_PROGRESS)
    assert all(e.appointment.ends_at > now for e in open_visits)

    charges = Charge.objects.select_related("note")
    assert charges.exists()
    assert all(c.note.status == NoteStatus.FINAL and not c.note.awaits_cosign for c in charges)
    billed_notes = set(charges.values_list("note_id", flat=True))
    uncharged = signed.exclude(pk__in=billed_notes).filter(
        Q(needs_cosign=False) | Q(cosigned_at__isnull=False)
    )
    assert uncharged.count() <= signed.count() // 4, "most signed visits carry charges"
    assert Coverage.objects.exists()

    # The 837P of last week (Monday to Sunday) passes pyx12.
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 7)
    export = claim_batch_for(
        charges.first().organization,
        monday,
        monday + datetime.timedelta(days=6),
        interchange_control_number=1,
        created_at=timezone.localtime(),
    )
    assert export.batch is not None and export.batch.claims
    assert validate_837p(render_837p(export.batch)) == []
    assert not [reason for reason in export.skipped if "self-pay" not in reason], export.skipped

    # A chart with many visits lists the newest and folds the rest away.
    busiest = (
        Note.objects.filter(status=NoteStatus.FINAL, discipline="chiropractic")
        .values_list("patient_id", flat=True)
        .annotate(count=Count("pk"))
        .order_by("-count", "patient_id")
        .first()
    )
    notes = Note.objects.filter(patient_id=busiest, status=NoteStatus.FINAL).order_by(
        "-encounter__started_at"
    )
    assert notes.count() > 8
    lead = notes.first().encounter.activity.plan.supervising_practitioner.user
    client = Client()
    client.force_login(lead)
    page = client.get(f"/patients/{busiest}/").content.decode()
    assert f"Earlier notes ({notes.count() - 8})" in page
    assert f"Earlier visits ({notes.exclude(body_marks=[]).count() - 6})" in page
    assert page.index(f"/notes/{notes.first().pk}/") < page.index("Earlier notes (")
    assert page.index("Earlier notes (") < page.index(f"/notes/{notes.last().pk}/")

    # The trail is whole: every replayed write was audited at the real time, in order.
    verify = StringIO()
    call_command("audit", "verify", stdout=verify)
    assert "Audit trail intact" in verify.getvalue()
