"""Charge capture (tandem.billing.capture): the charges of every signed visit are posted under its billing
clinician without anyone pressing a button; a visit the rules refuse is reported and nothing is written;
void charges and visits that did not take place are left alone; running it again posts nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.audit.models import AuditEvent
from tandem.billing import capture
from tandem.billing.models import BillingSettings, Charge, ChargeStatus
from tandem.billing.services import billing_settings_for, charge_void, charges_post
from tandem.billing.tasks import post_charges
from tandem.charting import services as charting
from tandem.charting.models import Encounter, EncounterStatus

from .conftest import chiro_data, encounter_of, massage_data, pt_data

pytestmark = pytest.mark.django_db


def _charges() -> list[tuple[int, int, str, str, str]]:
    """Every charge: encounter, who posted it, code with modifiers, status, id (to see replacements)."""
    return sorted(
        (c.encounter_id, c.created_by_id, c.code_with_modifiers, c.status, str(c.pk))
        for c in Charge.objects.all()
    )


def test_it_posts_each_signed_visit_under_its_billing_clinician(alice, ben, maya, grace, signed_visit):
    chiro = signed_visit(grace, alice, chiro_data(("lumbar", ["L5"])))
    massage = signed_visit(grace, maya, massage_data(["thoracic"], ("massage-myofascial-release", 22)))
    pt = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))

    result = capture.charges_capture(organization=grace.organization)

    assert result.refused == ()
    assert sorted((c.visit.biller.user.username, c.codes) for c in result.posted) == [
        ("alice", ("98940×1", "97140-59×1")),  # maya's massage bills under alice, her co-signer
        ("ben", ("97110×2",)),
    ]
    assert sorted((e, who, code) for e, who, code, _status, _pk in _charges()) == sorted(
        [
            (chiro.encounter_id, alice.pk, "98940"),
            (massage.encounter_id, alice.pk, "97140-59"),
            (pt.encounter_id, ben.pk, "97110"),
        ]
    )
    day = timezone.localdate().isoformat()
    assert {c.visit.label for c in result.posted} == {
        f"Grace Tran, {day}, {alice.practitioner.display_name}",
        f"Grace Tran, {day}, {ben.practitioner.display_name}",
    }


def test_running_it_again_posts_nothing(alice, ben, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L5"])))
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    assert len(capture.charges_capture(organization=grace.organization).posted) == 2
    before = _charges()
    events = AuditEvent.objects.count()

    again = capture.charges_capture(organization=grace.organization)

    assert again.posted == () and again.refused == ()
    assert _charges() == before and AuditEvent.objects.count() == events


def test_a_note_that_bills_nothing_of_its_own_does_not_make_the_visit_post_again(ben, grace, signed_visit):
    # Two PT visits of ben the same day are one visit for billing; the dry-needling one carries no charge
    # (the note cannot bill it), yet the visit was coded with it.
    exercise = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    needling = signed_visit(grace, ben, pt_data(("pt-dry-needling", 15, ["lumbar"])))
    first = capture.charges_capture(organization=grace.organization)
    assert [c.visit.encounter_ids for c in first.posted] == [
        sorted([exercise.encounter_id, needling.encounter_id])
    ]
    assert not Charge.objects.filter(encounter_id=needling.encounter_id).exists()
    before = _charges()

    assert capture.charges_capture(organization=grace.organization).posted == ()
    assert _charges() == before


def test_a_note_signed_after_the_visit_was_charged_codes_the_visit_again(alice, maya, grace, signed_visit):
    chiro = signed_visit(grace, alice, chiro_data(("lumbar", ["L5"])))
    capture.charges_capture(organization=grace.organization)
    assert [code for _e, _w, code, _s, _pk in _charges()] == ["98940"]

    massage = signed_visit(grace, maya, massage_data(["thoracic"], ("massage-deep-tissue", 15)))
    result = capture.charges_capture(organization=grace.organization)

    assert [c.codes for c in result.posted] == [("98940×1", "97140-59×1")]
    assert sorted((e, code) for e, _w, code, _s, _pk in _charges()) == sorted(
        [(chiro.encounter_id, "98940"), (massage.encounter_id, "97140-59")]
    )


def test_it_leaves_a_visit_whose_charges_a_person_voided(ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    for charge in charges_post(actor=ben, encounter=encounter_of(note)):
        charge_void(actor=ben, charge=charge, reason="Billed on paper")
    before = _charges()

    result = capture.charges_capture(organization=grace.organization)

    assert result.posted == () and result.refused == ()
    assert _charges() == before and {status for _e, _w, _c, status, _pk in before} == {"entered-in-error"}


@pytest.mark.parametrize("status", [EncounterStatus.CANCELLED, EncounterStatus.ENTERED_IN_ERROR])
def test_it_never_posts_a_visit_that_did_not_take_place(status, ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    Encounter.objects.filter(pk=note.encounter_id).update(
        status=status, cancel_reason="Wrong patient", cancelled_at=timezone.now(), cancelled_by=ben
    )

    result = capture.charges_capture(organization=grace.organization)

    assert result.posted == () and result.refused == () and not Charge.objects.exists()
    assert capture.visits_to_charge(grace.organization) == ([], [])


def test_a_bundling_edit_is_reported_and_nothing_is_written(alice, maya, ben, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L4", "L5"])))
    signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    pt = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    events = AuditEvent.objects.count()

    result = capture.charges_capture(organization=grace.organization)

    assert [c.visit.biller.user for c in result.posted] == [ben]
    assert [r.visit.biller.user for r in result.refused] == [alice]
    reasons = " ".join(result.refused[0].messages)
    assert "97140" in reasons and "98940" in reasons and "lumbar" in reasons.lower()
    assert {e for e, *_rest in _charges()} == {pt.encounter_id}
    # Only ben's posting was audited: the refusal wrote nothing at all.
    assert AuditEvent.objects.count() == events + 1
    # And it is reported again on the next run, still writing nothing.
    again = capture.charges_capture(organization=grace.organization)
    assert again.posted == () and [r.messages for r in again.refused] == [result.refused[0].messages]


def test_a_code_without_a_fee_is_reported(ben, grace, signed_visit):
    settings_row = billing_settings_for(grace.organization)
    fees = {code: price for code, price in settings_row.fees.items() if code != "97110"}
    BillingSettings.objects.filter(pk=settings_row.pk).update(fees=fees)
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))

    result = capture.charges_capture(organization=grace.organization)

    assert result.posted == () and not Charge.objects.exists()
    assert result.refused[0].messages == (
        "The fee schedule has no price for 97110: add it in billing settings.",
    )


def test_a_massage_note_waits_for_its_cosignature(alice, maya, grace, signed_visit):
    note = signed_visit(grace, maya, massage_data(["thoracic"], ("massage-swedish", 30)), cosign=False)
    to_charge, waiting = capture.visits_to_charge(grace.organization)
    assert to_charge == [] and [v.encounter_ids for v in waiting] == [[note.encounter_id]]
    assert waiting[0].biller == alice.practitioner
    assert capture.charges_capture(organization=grace.organization).posted == ()

    charting.note_cosign(actor=alice, note=note)
    result = capture.charges_capture(organization=grace.organization)

    assert [c.codes for c in result.posted] == [("97124×2",)]
    assert Charge.objects.get().created_by == alice


def test_a_visit_of_an_earlier_day_is_posted_on_its_date_of_service(ben, grace, signed_visit):
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])), days_ago=3)
    capture.charges_capture(organization=grace.organization)
    assert Charge.objects.get().service_on == timezone.localdate() - datetime.timedelta(days=3)


def test_another_clinics_visits_are_not_touched(ben, grace, signed_visit, outsider):
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])))
    result = capture.charges_capture(organization=outsider.organization)
    assert result.posted == () and not Charge.objects.exists()


def test_a_person_who_may_not_export_claims_may_not_run_it(maya, dana, outsider, ben, grace, signed_visit):
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])))
    for person in (maya, dana, outsider):
        with pytest.raises(ValidationError, match="Only a clinician who bills"):
            capture.charges_capture(organization=grace.organization, actor=person)
    assert not Charge.objects.exists()


def test_a_person_running_it_is_audited(alice, ben, grace, signed_visit):
    pt = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])))
    capture.charges_capture(organization=grace.organization, actor=alice)
    event = AuditEvent.objects.filter(detail__startswith="charge capture").get()
    assert event.actor_id == alice.pk and f"[[{pt.encounter_id}]]" in event.detail
    assert Charge.objects.get().created_by == ben  # the charge is ben's: he bills it


def test_finding_the_visits_takes_two_queries_whatever_their_number(alice, ben, maya, grace, signed_visit):
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])))
    organization = grace.organization
    with CaptureQueriesContext(connection) as one:
        assert len(capture.visits_to_charge(organization)[0]) == 1
    signed_visit(grace, alice, chiro_data(("lumbar", ["L5"])), days_ago=1)
    signed_visit(grace, ben, pt_data(("pt-manual-therapy", 20, ["lumbar"])), days_ago=2)
    signed_visit(grace, maya, massage_data(["thoracic"], ("massage-swedish", 30)), days_ago=2, cosign=False)
    signed_visit(grace, alice, chiro_data(("thoracic", ["T4"])), days_ago=3)
    with CaptureQueriesContext(connection) as five:
        to_charge, waiting = capture.visits_to_charge(organization)
        labels = [visit.label for visit in to_charge + waiting]  # names read what was selected with them
    assert len(to_charge) == 4 and len(waiting) == 1 and all("Grace Tran" in label for label in labels)
    assert len(one.captured_queries) == len(five.captured_queries) == 2


def test_a_run_with_nothing_to_do_is_cheap(ben, grace, signed_visit):
    for days_ago in range(4):
        signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])), days_ago=days_ago)
    organization = grace.organization
    capture.charges_capture(organization=organization)
    assert Charge.objects.count() == 4
    with CaptureQueriesContext(connection) as idle:
        capture.charges_capture(organization=organization)
    assert len(idle.captured_queries) <= 2


# The command and the periodic job ------------------------------------------------------------------------


def test_the_command_prints_what_it_posted_and_what_was_refused(alice, maya, ben, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L4"])))
    signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"])))
    out = io.StringIO()

    call_command("post_charges", "--organization", str(grace.organization_id), stdout=out)

    lines = out.getvalue().splitlines()
    day = timezone.localdate().isoformat()
    assert any(
        line.startswith(f"posted: Grace Tran, {day}, ") and line.endswith(": 97110×2") for line in lines
    )
    refused = [line for line in lines if line.startswith("refused: Grace Tran")]
    assert len(refused) == 1 and "97140" in refused[0] and "98940" in refused[0]
    assert lines[-1] == "1 visit(s) posted, 1 refused."
    out = io.StringIO()
    call_command("post_charges", stdout=out)  # every organization; nothing new
    assert out.getvalue().splitlines()[-2:] == [refused[0], "0 visit(s) posted, 1 refused."]


def test_the_command_refuses_an_unknown_organization(db):
    with pytest.raises(CommandError, match="No organization 'Nowhere'"):
        call_command("post_charges", "--organization", "Nowhere")


def test_the_periodic_job_runs_every_ten_minutes_and_posts(ben, grace, signed_visit):
    at = datetime.datetime(2026, 12, 3, 9, 0)
    due = post_charges.task_class().validate_datetime
    assert due(at.replace(minute=10)) and due(at.replace(minute=50)) and not due(at.replace(minute=15))
    signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 20, ["lumbar"])))

    post_charges.call_local()

    assert [c.status for c in Charge.objects.all()] == [ChargeStatus.BILLABLE]
