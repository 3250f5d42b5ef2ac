"""Browsing and exporting the audit trail: clinic administrators only."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from tandem.accounts.models import Role
from tandem.audit.models import AuditAction, AuditEvent
from tandem.audit.services import audit_record
from tandem.core.personas import PersonaSpec, clinic, persona_user


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("url_name", ["audit_list", "audit_export"])
@pytest.mark.parametrize("persona", ["alice", "ben", "maya", "dana", "outsider"])
def test_it_answers_404_to_everybody_but_the_clinic_admin(personas, patient, client_for, url_name, persona):
    assert client_for(personas[persona]).get(reverse(url_name)).status_code == 404


def test_it_lists_entries_newest_first(admin, patient, client_for):
    page = client_for(admin).get(reverse("audit_list")).content.decode()
    newest = AuditEvent.objects.order_by("-sequence").first()
    assert f'<td class="num">{newest.sequence}</td>' in page
    sequences = [int(s) for s in re.findall(r'<td class="num">(\d+)</td>', page)]
    assert sequences == sorted(sequences, reverse=True) and len(sequences) > 5


def test_it_filters_by_patient_mrn_and_records_the_look(admin, patient, other_patient, client_for):
    response = client_for(admin).get(reverse("audit_list"), {"patient": patient.mrn})
    rows = response.context["rows"]
    assert rows and all(event.patient_id == patient.pk for event, _ in rows)
    look = AuditEvent.objects.filter(actor_id=admin.pk, object_type="AuditEvent").latest("sequence")
    assert look.action == AuditAction.EXECUTE and look.patient_id == patient.pk


def test_it_filters_by_user(admin, alice, patient, client_for):
    rows = client_for(admin).get(reverse("audit_list"), {"user": "alice"}).context["rows"]
    assert rows and {event.actor_id for event, _ in rows} == {alice.pk}


def test_it_explains_an_unknown_patient_beside_the_filter(admin, patient, client_for):
    page = client_for(admin).get(reverse("audit_list"), {"patient": "NOPE-1"}).content.decode()
    assert 'id="id_patient-errors"' in page and "No patient of this clinic" in page


def test_it_exports_the_filtered_entries_as_csv(admin, patient, other_patient, client_for):
    response = client_for(admin).get(reverse("audit_export"), {"patient": patient.mrn})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == [
        "sequence",
        "time",
        "actor",
        "action",
        "outcome",
        "patient id",
        "object",
        "client address",
        "channel",
        "detail",
    ]
    assert len(rows) > 3 and {row[5] for row in rows[1:]} == {str(patient.pk)}
    assert rows[1][1].endswith(("-04:00", "-05:00"))  # clinic time (America/New_York), not UTC
    assert AuditEvent.objects.filter(actor_id=admin.pk, detail__startswith="audit export").exists()


def test_it_neutralises_spreadsheet_formulas_in_the_export(admin, alice, patient, client_for):
    audit_record(actor=alice, action=AuditAction.EXECUTE, object_type="Patient", detail="=HYPERLINK(evil)")
    rows = _csv(client_for(admin).get(reverse("audit_export"), {"user": "alice"}))
    assert "'=HYPERLINK(evil)" in [row[9] for row in rows]


def test_another_clinics_admin_sees_none_of_this_clinics_entries(patient, client_for):
    other, _ = clinic("Elsewhere Physio")
    their_admin = persona_user(other, PersonaSpec("erin", "Erin", "Bloom", Role.CLINIC_ADMIN))
    rows = _csv(client_for(their_admin).get(reverse("audit_export")))
    assert str(patient.pk) not in {row[5] for row in rows[1:]}
    assert "alice" not in {row[2] for row in rows[1:]}
