"""A visit's charges over the API: read, post from the signed notes (422 on a bundling edit, nothing
written), void with a reason; 404 for anyone who may not see the patient's clinical record."""

from __future__ import annotations

import json

import pytest
from tests.billing.conftest import chiro_data, encounter_of, massage_data, pt_data

from tandem.billing.models import Charge

pytestmark = pytest.mark.django_db


def _post(client, url: str, body: dict | None = None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_ben_posts_reads_and_voids_his_visits_charges(client_for, ben, grace, signed_visit):
    note = signed_visit(
        grace, ben, pt_data(("pt-therapeutic-exercise", 33, ["lumbar"]), ("pt-manual-therapy", 7, ["lumbar"]))
    )
    client = client_for(ben)
    url = f"/api/v1/encounters/{note.encounter_id}/charges"
    posted = _post(client, url)
    assert posted.status_code == 201, posted.content
    assert [(c["code"], c["units"], c["minutes"], c["fee"]) for c in posted.json()] == [
        ("97110", 2, 33, "104.00"),
        ("97140", 1, 7, "48.00"),
    ]
    assert [c["code"] for c in client.get(url).json()] == ["97110", "97140"]

    charge_id = posted.json()[1]["id"]
    refused = _post(client, f"/api/v1/charges/{charge_id}/void", {"reason": "   "})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "reason", "message": "Say why the charge is void."}]
    voided = _post(client, f"/api/v1/charges/{charge_id}/void", {"reason": "Manual therapy not performed"})
    assert voided.status_code == 200
    assert (voided.json()["status"], voided.json()["void_reason"]) == (
        "entered-in-error",
        "Manual therapy not performed",
    )
    listed = {c["code"]: c["status"] for c in client.get(url).json()}
    assert listed == {"97110": "billable", "97140": "entered-in-error"}


def test_a_bundling_edit_answers_422_and_writes_nothing(client_for, alice, maya, grace, signed_visit):
    signed_visit(grace, alice, chiro_data(("lumbar", ["L4"])))
    massage = signed_visit(grace, maya, massage_data(["lumbar"], ("massage-myofascial-release", 20)))
    answer = _post(client_for(maya), f"/api/v1/encounters/{massage.encounter_id}/charges")
    assert answer.status_code == 422
    text = json.dumps(answer.json())
    assert "97140" in text and "98940" in text
    assert not Charge.objects.filter(encounter_id=massage.encounter_id).exists()


@pytest.mark.parametrize("who", ["dana", "admin", "outsider"])
def test_others_get_404_and_nothing_changes(who, personas, client_for, ben, grace, signed_visit):
    note = signed_visit(grace, ben, pt_data(("pt-therapeutic-exercise", 30, ["lumbar"])))
    encounter = encounter_of(note)
    client = client_for(personas[who])
    assert client.get(f"/api/v1/encounters/{encounter.pk}/charges").status_code == 404
    assert _post(client, f"/api/v1/encounters/{encounter.pk}/charges").status_code == 404
    assert not Charge.objects.exists()
    charge = _post(client_for(ben), f"/api/v1/encounters/{encounter.pk}/charges").json()[0]
    assert _post(client, f"/api/v1/charges/{charge['id']}/void", {"reason": "x"}).status_code == 404
    assert _post(client, "/api/v1/charges/999999/void", {"reason": "x"}).status_code == 404
    assert Charge.objects.get(pk=charge["id"]).status == "billable"
