"""The plan-of-care API: wiring, errors and who may do what."""

from __future__ import annotations

import json

import pytest
from tests.careplans.conftest import EPISODE, adjustment, exercise, massage

from tandem.audit.models import AuditEvent
from tandem.careplans.models import Activity, CarePlan, Goal, SequenceRule


def _post(client, url, payload, headers):
    return client.post(url, data=json.dumps(payload), content_type="application/json", **headers)


def _patch(client, url, payload, headers):
    return client.patch(url, data=json.dumps(payload), content_type="application/json", **headers)


def test_it_builds_a_plan_through_the_api(alice, patient, client, token_for):
    headers = token_for(alice)
    created = _post(
        client,
        f"/api/v1/patients/{patient.pk}/careplans",
        {"title": EPISODE, "problems": [patient.conditions.get().pk]},
        headers,
    )
    assert created.status_code == 201, created.json()
    plan = created.json()
    assert plan["status"] == "draft" and plan["version_number"] == 1
    assert plan["supervising_practitioner"] == alice.practitioner.pk
    base = f"/api/v1/careplans/{plan['id']}"
    goal = _post(
        client,
        f"{base}/goals",
        {"description": "Less pain", "measure": "nprs", "baseline_value": 7, "target_value": 3},
        headers,
    )
    assert goal.status_code == 201 and goal.json()["direction"] == "decrease"
    assert goal.json()["target_value"] == 3
    adjust = _post(client, f"{base}/activities", adjustment(), headers)
    assert adjust.status_code == 201, adjust.json()
    assert adjust.json()["label"] == "Chiropractic adjustment (activator (instrument-assisted), thoracic)"
    move = _post(client, f"{base}/activities", exercise(), headers).json()
    assert move["exercises"] == [{"name": "Bird dog", "sets": 3, "repetitions": 10, "notes": "slow"}]
    rule = _post(
        client,
        f"{base}/sequence-rules",
        {
            "first_activity": adjust.json()["id"],
            "second_activity": move["id"],
            "relation": "within-after",
            "max_gap_minutes": 30,
        },
        headers,
    )
    assert rule.status_code == 201
    assert rule.json()["text"] == "Therapeutic exercise within 30 minutes after the chiropractic adjustment"
    assert _post(client, f"{base}/activate", {}, headers).json()["status"] == "active"
    detail = client.get(base, **headers).json()
    assert [len(detail[k]) for k in ("goals", "activities", "sequence_rules")] == [1, 2, 1]
    versions = client.get(f"{base}/versions", **headers).json()
    assert [v["number"] for v in versions] == [6, 5, 4, 3, 2, 1]
    assert versions[0]["change_summary"] == "Activated plan (status draft → active)"
    compared = client.get(f"{base}/versions/compare?a=2&b=4", **headers).json()
    assert [(c["section"], c["change"]) for c in compared["changes"]] == [
        ("activities", "added"),
        ("activities", "added"),
    ]
    assert client.get(f"{base}/versions/3", **headers).json()["snapshot"]["activities"]
    listed = client.get(f"/api/v1/patients/{patient.pk}/careplans", **headers).json()
    assert [p["id"] for p in listed] == [plan["id"]]
    assert AuditEvent.objects.filter(actor_id=alice.pk, action="R", object_type="CarePlan").exists()


def test_it_answers_422_with_field_errors_and_changes_nothing(alice, plan, client, token_for):
    headers = token_for(alice)
    base = f"/api/v1/careplans/{plan.pk}"
    bad = _post(
        client, f"{base}/activities", adjustment(body_sites=["knee-left"], visits_per_week=9), headers
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"body_sites", "visits_per_week"}
    refused = _post(
        client,
        f"{base}/activities",
        massage(techniques=["massage-deep-tissue"], body_sites=["lumbar"], massage_pressure="deep"),
        headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "safety"
    empty = _post(client, f"{base}/goals", {}, headers)
    assert empty.status_code == 422
    compare = client.get(f"{base}/versions/compare?a=1&b=9", **headers)
    assert compare.status_code == 422 and compare.json()["errors"][0]["field"] == "b"
    assert client.get(f"{base}/versions/compare", **headers).status_code == 422
    assert not Activity.objects.exists() and not Goal.objects.exists()
    assert plan.versions.count() == 1


def test_a_second_active_plan_for_the_episode_gets_422(alice, patient, plan, client, token_for):
    headers = token_for(alice)
    assert _post(client, f"/api/v1/careplans/{plan.pk}/activate", {}, headers).status_code == 200
    second = _post(client, f"/api/v1/patients/{patient.pk}/careplans", {"title": EPISODE}, headers).json()
    refused = _post(client, f"/api/v1/careplans/{second['id']}/activate", {}, headers)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "status"
    assert CarePlan.objects.filter(status="active").count() == 1


def test_approval_over_the_api(alice, ben, maya, plan, add_activity, client, token_for):
    order = add_activity(plan, massage(), override_reason="Light Swedish only.")
    url = f"/api/v1/careplan-activities/{order.pk}/approve"
    assert _post(client, url, {}, token_for(maya)).status_code == 422
    assert _post(client, url, {}, token_for(ben)).status_code == 422
    approved = _post(client, url, {}, token_for(alice))
    assert approved.status_code == 200 and approved.json()["approval"] == "approved"
    changed = _patch(
        client, f"/api/v1/careplan-activities/{order.pk}", {"massage_pressure": "moderate"}, token_for(alice)
    )
    assert changed.json()["approval"] == "pending"


def test_maya_reads_the_plan_but_cannot_change_it(maya, plan, add_activity, client, token_for):
    headers = token_for(maya)
    activity = add_activity(plan, adjustment())
    assert client.get(f"/api/v1/careplans/{plan.pk}", **headers).status_code == 200
    assert client.get(f"/api/v1/careplan-activities/{activity.pk}", **headers).status_code == 200
    assert _patch(client, f"/api/v1/careplans/{plan.pk}", {"title": "Mine"}, headers).status_code == 404
    assert _post(client, f"/api/v1/careplans/{plan.pk}/activities", massage(), headers).status_code == 404
    assert (
        _patch(client, f"/api/v1/careplan-activities/{activity.pk}", {"weeks": 2}, headers).status_code == 404
    )
    assert _post(client, f"/api/v1/careplans/{plan.pk}/activate", {}, headers).status_code == 404
    plan.refresh_from_db()
    assert plan.title == EPISODE and plan.version_number == 2


@pytest.mark.parametrize("persona", ["outsider", "dana", "admin"])
def test_people_off_the_team_get_404(persona, personas, plan, add_activity, client, token_for):
    headers = token_for(personas[persona])
    activity = add_activity(plan, adjustment())
    urls = [
        f"/api/v1/patients/{plan.patient_id}/careplans",
        f"/api/v1/careplans/{plan.pk}",
        f"/api/v1/careplans/{plan.pk}/goals",
        f"/api/v1/careplans/{plan.pk}/activities",
        f"/api/v1/careplans/{plan.pk}/sequence-rules",
        f"/api/v1/careplans/{plan.pk}/versions",
        f"/api/v1/careplans/{plan.pk}/versions/1",
        f"/api/v1/careplans/{plan.pk}/versions/compare?a=1&b=2",
        f"/api/v1/careplan-activities/{activity.pk}",
    ]
    assert {url: client.get(url, **headers).status_code for url in urls} == {url: 404 for url in urls}
    assert _post(client, f"/api/v1/careplan-activities/{activity.pk}/approve", {}, headers).status_code == 404
    assert (
        _post(
            client, f"/api/v1/careplans/{plan.pk}/goals", {"description": "x", "measure": "nprs"}, headers
        ).status_code
        == 404
    )


def test_maya_gets_404_for_linda_parks_plans(ben, maya, other_patient, client, token_for):
    headers = token_for(maya)
    plan = _post(
        client, f"/api/v1/patients/{other_patient.pk}/careplans", {"title": "Neck"}, token_for(ben)
    ).json()
    assert client.get(f"/api/v1/patients/{other_patient.pk}/careplans", **headers).status_code == 404
    assert client.get(f"/api/v1/careplans/{plan['id']}", **headers).status_code == 404
    assert client.get(f"/api/v1/careplans/{plan['id']}/versions", **headers).status_code == 404


def test_sequence_rules_of_another_plan_are_refused(alice, patient, plan, add_activity, client, token_for):
    from tandem.careplans import services

    other = services.careplan_create(actor=alice, patient=patient, data={"title": "Neck"})
    mine, theirs = add_activity(plan, adjustment()), add_activity(other, adjustment(body_sites=["cervical"]))
    response = _post(
        client,
        f"/api/v1/careplans/{plan.pk}/sequence-rules",
        {"first_activity": mine.pk, "second_activity": theirs.pk, "relation": "same-day"},
        token_for(alice),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "second_activity"
    assert not SequenceRule.objects.exists()
    rule = services.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={
            "first_activity": mine.pk,
            "second_activity": add_activity(plan, exercise()).pk,
            "relation": "same-day",
        },
    )
    removed = _post(client, f"/api/v1/careplan-sequence-rules/{rule.pk}/remove", {}, token_for(alice))
    assert removed.status_code == 200 and removed.json()["removed_at"]
