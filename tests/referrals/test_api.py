"""The referral API: create, read, change a draft, move it along, inbox, contacts."""

from __future__ import annotations

from tandem.audit.models import AuditEvent
from tandem.referrals.models import ExternalProvider, Referral

from .conftest import OVERRIDE, massage_order_data


def _post(client, url, body=None):
    return client.post(url, data=body or {}, content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, data=body, content_type="application/json")


def test_it_creates_sends_and_completes_a_massage_order_over_the_api(alice, maya, patient, token_for, client):
    condition = patient.conditions.get()
    body = massage_order_data(
        recipient_discipline="",
        recipient_practitioner=maya.practitioner.pk,
        conditions=[condition.pk],
        override_reason=OVERRIDE,
    )
    created = client.post(
        f"/api/v1/patients/{patient.pk}/referrals",
        data=body,
        content_type="application/json",
        **token_for(alice),
    )
    assert created.status_code == 201, created.content
    referral = created.json()
    assert referral["status"] == "draft" and referral["status_label"] == "Draft"
    assert referral["requester"] == {
        "kind": "practitioner",
        "id": alice.practitioner.pk,
        "name": "Dr Alice Moreau, DC",
        "discipline": "chiropractic",
    }
    assert referral["recipient"]["name"] == "Maya Lindqvist, LMT"
    assert referral["conditions"] == [condition.pk]
    assert referral["safety_findings"][0]["severity"] == "precaution"
    assert [e["to_status"] for e in referral["events"]] == ["draft"]

    url = f"/api/v1/referrals/{referral['id']}"
    sent = client.post(f"{url}/send", data={}, content_type="application/json", **token_for(alice))
    assert sent.status_code == 200 and sent.json()["status_label"] == "Sent"
    maya_headers = token_for(maya)
    for action, body in (("accept", {}), ("schedule", {"note": "Thu 10:00"}), ("start", {})):
        response = client.post(f"{url}/{action}", data=body, content_type="application/json", **maya_headers)
        assert response.status_code == 200, (action, response.content)
    done = client.post(
        f"{url}/complete",
        data={"report": "Four sessions, light."},
        content_type="application/json",
        **maya_headers,
    )
    assert done.status_code == 200 and done.json()["has_letter"] is True
    read = client.get(url, **token_for(alice)).json()
    assert [e["to_status"] for e in read["events"]] == [
        "draft",
        "requested",
        "accepted",
        "ready",
        "in-progress",
        "completed",
    ]
    assert AuditEvent.objects.filter(
        object_type="Referral", object_id=str(referral["id"]), action="R"
    ).exists()


def test_it_explains_what_is_missing_field_by_field(alice, patient, client_for):
    response = _post(client_for(alice), f"/api/v1/patients/{patient.pk}/referrals", {"kind": "massage-order"})
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"reason", "recipient_practitioner", "techniques", "body_sites", "pressure_limit"} <= fields
    assert not Referral.objects.exists()


def test_it_refuses_codes_outside_the_vocabulary(alice, maya, patient, client_for):
    body = massage_order_data(techniques=["chiro-hvla", "massage-swedish"], body_sites=["lumbar", "tail"])
    response = _post(
        client_for(alice), f"/api/v1/patients/{patient.pk}/referrals", {**body, "override_reason": OVERRIDE}
    )
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert response.status_code == 422
    assert errors["techniques"] == "Not a massage technique: chiro-hvla."
    assert errors["body_sites"] == "Not a body site: tail."


def test_it_refuses_a_massage_order_from_a_massage_therapist(maya, patient, client_for):
    response = _post(client_for(maya), f"/api/v1/patients/{patient.pk}/referrals", massage_order_data())
    assert response.status_code == 422
    assert {
        "field": "kind",
        "message": "A massage order is written by a chiropractor or a physical therapist.",
    } in (response.json()["errors"])


def test_it_changes_a_draft_and_then_no_more(alice, make_order, client_for):
    draft = make_order()
    client = client_for(alice)
    changed = _patch(client, f"/api/v1/referrals/{draft.pk}", {"priority": "urgent", "session_count": 8})
    assert changed.status_code == 200 and changed.json()["priority"] == "urgent"
    assert changed.json()["session_count"] == 8
    _post(client, f"/api/v1/referrals/{draft.pk}/send")
    refused = _patch(client, f"/api/v1/referrals/{draft.pk}", {"priority": "routine"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "status", "message": "Only a draft can be edited; this referral has been sent."}
    ]


def test_it_says_why_a_step_is_not_allowed(alice, maya, order, client_for):
    client = client_for(maya)
    declined = _post(client, f"/api/v1/referrals/{order.pk}/decline", {"reason": "Fully booked for a month."})
    assert declined.json()["status"] == "rejected"
    refused = _post(client, f"/api/v1/referrals/{order.pk}/schedule")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "status", "message": "A declined referral cannot be scheduled."}
    ]
    no_reason = _post(client_for(alice), f"/api/v1/referrals/{order.pk}/cancel", {"reason": ""})
    assert no_reason.status_code == 422


def test_it_lists_the_inbox_by_box(alice, maya, order, client_for):
    to_maya = client_for(maya).get("/api/v1/referrals/inbox?box=to-me").json()
    assert [r["id"] for r in to_maya] == [order.pk]
    assert client_for(maya).get("/api/v1/referrals/inbox?box=sent").json() == []
    assert [r["id"] for r in client_for(alice).get("/api/v1/referrals/inbox?box=sent").json()] == [order.pk]
    assert client_for(alice).get("/api/v1/referrals/inbox?box=nonsense").status_code == 422
    assert client_for(maya).get("/api/v1/referrals/inbox?box=to-me&status=completed").json() == []


def test_it_lists_a_patients_referrals_for_the_care_team(ben, order, client_for):
    listed = client_for(ben).get(f"/api/v1/patients/{order.patient_id}/referrals")
    assert listed.status_code == 200 and [r["id"] for r in listed.json()] == [order.pk]


def test_it_keeps_the_contacts(alice, admin, dana, outsider, client_for):
    created = _post(
        client_for(admin),
        "/api/v1/contacts",
        {"name": "Dr Raj Patel", "credentials": "MD", "specialty": "Orthopedic surgeon", "npi": "1234567893"},
    )
    assert created.status_code == 201
    contact_id = created.json()["id"]
    assert _post(client_for(alice), "/api/v1/contacts", {"name": ""}).status_code == 422
    for wrong in ("12", "1234567890"):  # too short; ten digits with a wrong check digit
        assert _post(client_for(alice), "/api/v1/contacts", {"name": "X", "npi": wrong}).json()["errors"] == [
            {"field": "npi", "message": "An NPI is ten digits, the last a check digit; check the number."}
        ]
    assert _post(client_for(dana), "/api/v1/contacts", {"name": "Dr Who"}).status_code == 404
    assert [c["name"] for c in client_for(dana).get("/api/v1/contacts").json()] == ["Dr Raj Patel"]
    assert client_for(outsider).get(f"/api/v1/contacts/{contact_id}").status_code == 404
    assert client_for(outsider).get("/api/v1/contacts").json() == []
    patched = _patch(client_for(alice), f"/api/v1/contacts/{contact_id}", {"fax": "503-555-0111"})
    assert patched.json()["fax"] == "503-555-0111"
    assert client_for(alice).delete(f"/api/v1/contacts/{contact_id}").status_code == 204
    assert ExternalProvider.objects.get(pk=contact_id).active is False
    assert client_for(alice).get("/api/v1/contacts").json() == []


BIG = 10**30


def test_it_answers_ids_out_of_range_with_the_field_at_fault(
    alice, maya, patient, contact, make_order, client_for
):
    url = f"/api/v1/patients/{patient.pk}/referrals"
    order = massage_order_data(recipient_discipline="", recipient_practitioner=maya.practitioner.pk)
    for field, body in (
        ("conditions", {**order, "conditions": [BIG]}),
        ("conditions", {**order, "conditions": [0]}),
        ("recipient_practitioner", {**order, "recipient_practitioner": BIG}),
        ("supervising_practitioner", {**order, "supervising_practitioner": BIG}),
        ("recipient_contact", {"kind": "external-out", "reason": "MRI?", "recipient_contact": BIG}),
        ("requester_contact", {"kind": "external-in", "reason": "LBP", "requester_contact": BIG}),
    ):
        response = _post(client_for(alice), url, {**body, "override_reason": OVERRIDE})
        assert response.status_code == 422, (field, response.content)
        assert field in {e["field"] for e in response.json()["errors"]}, (field, response.json())
    draft = make_order()
    response = _patch(client_for(alice), f"/api/v1/referrals/{draft.pk}", {"conditions": [BIG]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "conditions"
    assert not Referral.objects.exclude(pk=draft.pk).exists()


def test_it_refuses_to_empty_the_priority_of_a_draft(alice, make_order, client_for):
    draft = make_order(priority="urgent")
    response = _patch(client_for(alice), f"/api/v1/referrals/{draft.pk}", {"priority": None})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "priority"
    assert Referral.objects.get(pk=draft.pk).priority == "urgent"
    changed = _patch(client_for(alice), f"/api/v1/referrals/{draft.pk}", {"priority": "stat"})
    assert changed.status_code == 200 and changed.json()["priority"] == "stat"
