from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tandem.audit.models import AuditEvent
from tandem.audit.services import audit_verify


def _without_append_only_guard() -> None:
    """What someone with direct database access could do: remove the guard first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_no_change ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
            cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_it_chains_every_entry_and_verifies(patient, capsys):
    assert AuditEvent.objects.count() >= 5
    call_command("audit", "verify")
    assert "Audit trail intact" in capsys.readouterr().out


def test_the_database_refuses_to_change_an_entry(patient):
    event = AuditEvent.objects.order_by("sequence").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_verify_reports_an_altered_entry(patient):
    _without_append_only_guard()
    third = AuditEvent.objects.get(sequence=3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = %s WHERE id = %s", ["mallory", third.pk])
    count, problem = audit_verify()
    assert problem is not None
    assert (problem.sequence, problem.kind) == (3, "altered")
    with pytest.raises(CommandError, match="entry 3 .altered"):
        call_command("audit", "verify")


def test_verify_reports_a_deleted_entry(patient):
    _without_append_only_guard()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = 2")
    _, problem = audit_verify()
    assert problem is not None
    assert (problem.sequence, problem.kind) == (2, "deleted")


def test_verify_reports_entries_removed_from_the_end(patient):
    _without_append_only_guard()
    last = AuditEvent.objects.order_by("-sequence").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE sequence = %s", [last.sequence])
    _, problem = audit_verify()
    assert problem is not None
    assert (problem.sequence, problem.kind) == (last.sequence, "truncated")


def test_verify_reports_an_inserted_entry(patient):
    _without_append_only_guard()
    second = AuditEvent.objects.get(sequence=2)
    with connection.cursor() as cursor:
        # Re-number to make room, then slip a forged entry in with a made-up hash.
        cursor.execute("UPDATE audit_auditevent SET sequence = sequence + 1000 WHERE sequence >= 3")
        cursor.execute(
            "INSERT INTO audit_auditevent (sequence, recorded_at, actor_id, actor_label, action, outcome,"
            " patient_id, object_type, object_id, client_address, channel, detail, previous_hash, hash)"
            " VALUES (3, %s, NULL, 'mallory', 'R', '0', NULL, 'Patient', '1', '', 'ui', '', %s, %s)",
            [second.recorded_at, second.hash, "f" * 64],
        )
    _, problem = audit_verify()
    assert problem is not None
    assert problem.sequence == 3
    assert problem.kind == "altered"


def test_each_entry_records_actor_action_patient_object_and_origin(alice, patient, token_for, client):
    client.get(f"/api/v1/patients/{patient.pk}/conditions", REMOTE_ADDR="10.1.2.3", **token_for(alice))
    entry = AuditEvent.objects.order_by("-sequence").first()
    assert (entry.actor_id, entry.actor_label, entry.action, entry.outcome) == (alice.pk, "alice", "R", "0")
    assert (entry.patient_id, entry.object_type) == (patient.pk, "Condition")
    assert (entry.client_address, entry.channel) == ("10.1.2.3", "api")
    assert entry.recorded_at is not None
