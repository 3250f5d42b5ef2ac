"""The plan-of-care pages: builder, forms with live safety findings, queues, versions, the chart panel."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from tests.careplans.conftest import EPISODE, adjustment, exercise, massage

from tandem.careplans import services
from tandem.careplans.models import Activity, CarePlan, Goal


def test_alice_starts_a_plan_from_the_form(alice, patient, client_for):
    client = client_for(alice)
    page = client.get(reverse("careplan_create", args=[patient.pk]))
    assert page.status_code == 200 and "M51.362" in page.content.decode()
    response = client.post(
        reverse("careplan_create", args=[patient.pk]),
        {
            "title": EPISODE,
            "supervising_practitioner": alice.practitioner.pk,
            "period_start_on": "2026-11-02",
            "problems": [patient.conditions.get().pk],
        },
    )
    plan = CarePlan.objects.get()
    assert response.status_code == 302 and response.url == reverse("careplan_detail", args=[plan.pk])
    assert plan.problems.count() == 1


def test_the_form_keeps_what_was_typed_and_shows_errors_beside_fields(alice, patient, client_for):
    response = client_for(alice).post(
        reverse("careplan_create", args=[patient.pk]),
        {
            "title": "Episode",
            "supervising_practitioner": alice.practitioner.pk,
            "period_start_on": "2026-11-02",
            "period_end_on": "2026-10-01",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "The plan ends before it starts." in body and 'value="Episode"' in body
    assert not CarePlan.objects.exists()


def test_the_builder_shows_goals_activities_rules_overrides_and_approvals(
    alice, plan, add_activity, client_for
):
    services.goal_add(
        actor=alice,
        plan=plan,
        data={"description": "Less disability", "measure": "odi", "baseline_value": 48, "target_value": 30},
    )
    rub = add_activity(plan, massage(), override_reason="Light Swedish only; INR stable.")
    adjust = add_activity(plan, adjustment())
    add_activity(plan, exercise())
    services.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={"first_activity": rub.pk, "second_activity": adjust.pk, "relation": "immediately-before"},
    )
    body = client_for(alice).get(reverse("careplan_detail", args=[plan.pk])).content.decode()
    assert "Less disability" in body and "48 → 30" in body
    assert "2× a week × 6 weeks × 20 min" in body
    assert "Medical massage ends immediately before the chiropractic adjustment starts" in body
    assert "Light Swedish only; INR stable." in body  # the override
    assert "Waiting for approval" in body and reverse("careplan_activity_approve", args=[rub.pk]) in body
    assert "Bird dog" in body


def test_maya_sees_the_plan_without_edit_buttons(maya, plan, add_activity, client_for):
    add_activity(plan, massage(), override_reason="Light only.")
    client = client_for(maya)
    body = client.get(reverse("careplan_detail", args=[plan.pk])).content.decode()
    assert plan.title in body
    assert reverse("careplan_activity_add", args=[plan.pk]) not in body
    assert "Approve</button>" not in body
    assert client.get(reverse("careplan_activity_add", args=[plan.pk])).status_code == 404
    assert client.get(reverse("careplan_update", args=[plan.pk])).status_code == 404


def test_picking_a_discipline_rerenders_the_fields_for_it(alice, plan, client_for):
    url = reverse("careplan_activity_add", args=[plan.pk])
    client = client_for(alice)
    page = client.get(url).content.decode()
    assert 'hx-get="' + url + '"' in page and "massage-deep-tissue" not in page
    fragment = client.get(url, {"discipline": "massage-therapy", "weeks": "6"}, HTTP_HX_REQUEST="true")
    body = fragment.content.decode()
    assert "<html" not in body and 'id="activity-fields"' in body
    assert 'value="massage-deep-tissue"' in body and 'value="chiro-hvla"' not in body
    assert 'name="massage_pressure"' in body and 'value="6"' in body
    ticked = client.get(
        url,
        {"discipline": "massage-therapy", "technique": ["massage-swedish"], "body_sites": ["lumbar"]},
        HTTP_HX_REQUEST="true",
    )
    body = ticked.content.decode()
    # One live safety box per ticked technique, posting to the safety engine's fragment before saving.
    assert reverse("safety_check_fragment") in body and '"technique": "massage-swedish"' in body


def test_the_safety_fragment_reports_the_finding_live(alice, patient, client_for):
    response = client_for(alice).post(
        reverse("safety_check_fragment"),
        {"patient": patient.pk, "technique": "massage-deep-tissue", "body_sites": ["lumbar"]},
    )
    assert "contraindicated" in response.content.decode()


def _massage_form(**extra):
    data = {
        "discipline": "massage-therapy",
        "technique": ["massage-deep-tissue"],
        "body_sites": ["lumbar"],
        "massage_pressure": "deep",
        "visits_per_week": "1",
        "weeks": "6",
        "visit_minutes": "45",
    }
    data.update(extra)
    return data


def test_a_contraindicated_massage_is_refused_with_the_finding_beside_the_techniques(alice, plan, client_for):
    response = client_for(alice).post(reverse("careplan_activity_add", args=[plan.pk]), _massage_form())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Contraindicated" in body and 'id="id_techniques-errors"' in body
    assert 'value="massage-deep-tissue" id="id_techniques-massage-deep-tissue" checked' in body
    assert not Activity.objects.exists()


def test_a_precaution_needs_the_reason_and_then_saves_pending(alice, plan, client_for):
    client = client_for(alice)
    url = reverse("careplan_activity_add", args=[plan.pk])
    refused = client.post(url, _massage_form(technique=["massage-swedish"], massage_pressure="light"))
    assert "Precaution" in refused.content.decode() and not Activity.objects.exists()
    saved = client.post(
        url,
        _massage_form(
            technique=["massage-swedish"], massage_pressure="light", override_reason="INR stable; light only."
        ),
    )
    assert saved.status_code == 302
    activity = Activity.objects.get()
    assert activity.approval == "pending" and activity.override_reason == "INR stable; light only."


def test_exercises_are_typed_one_a_line(alice, plan, client_for):
    client = client_for(alice)
    url = reverse("careplan_activity_add", args=[plan.pk])
    data = {
        "discipline": "physical-therapy",
        "technique": ["pt-therapeutic-exercise"],
        "body_sites": ["lumbar"],
        "visits_per_week": "2",
        "weeks": "6",
        "visit_minutes": "30",
    }
    bad = client.post(url, {**data, "exercises": "Bird dog; three; 10"})
    assert "sets and repetitions are whole numbers" in bad.content.decode()
    client.post(url, {**data, "exercises": "Bird dog; 3; 10; slow\nDead bug; 2; 12"})
    assert Activity.objects.get().exercises == [
        {"name": "Bird dog", "sets": 3, "repetitions": 10, "notes": "slow"},
        {"name": "Dead bug", "sets": 2, "repetitions": 12, "notes": ""},
    ]


def test_editing_an_activity_keeps_it_and_versions_it(alice, plan, add_activity, client_for):
    activity = add_activity(plan, adjustment())
    client = client_for(alice)
    url = reverse("careplan_activity_update", args=[activity.pk])
    assert (
        'value="chiro-activator" id="id_techniques-chiro-activator" checked'
        in client.get(url).content.decode()
    )
    data = {
        "discipline": "chiropractic",
        "technique": ["chiro-activator"],
        "body_sites": ["thoracic", "lumbar"],
        "technique_notes": "",
        "visits_per_week": "2",
        "weeks": "6",
        "visit_minutes": "20",
        "status": "scheduled",
    }
    assert client.post(url, data).status_code == 302
    activity.refresh_from_db()
    assert activity.body_sites == ["thoracic", "lumbar"] and activity.status == "scheduled"


def test_the_approval_queue_and_the_approve_button(alice, maya, plan, add_activity, client_for):
    order = add_activity(plan, massage(), override_reason="Light only.")
    client = client_for(alice)
    body = client.get(reverse("careplan_approvals")).content.decode()
    assert plan.patient.full_name in body and "Swedish massage" in body
    response = client.post(reverse("careplan_activity_approve", args=[order.pk]), {"next": "approvals"})
    assert response.status_code == 302 and response.url == reverse("careplan_approvals")
    order.refresh_from_db()
    assert order.approval == "approved"
    assert "Nothing is waiting" in client.get(reverse("careplan_approvals")).content.decode()


def test_maya_pressing_approve_changes_nothing(maya, plan, add_activity, client_for):
    order = add_activity(plan, massage(), override_reason="Light only.")
    client_for(maya).post(reverse("careplan_activity_approve", args=[order.pk]))
    order.refresh_from_db()
    assert order.approval == "pending"


def test_mayas_orders_show_techniques_pressure_and_findings(alice, maya, plan, add_activity, client_for):
    order = add_activity(plan, massage(), override_reason="Light only, INR stable.")
    services.activity_approve(actor=alice, activity=order)
    services.careplan_activate(actor=alice, plan=plan)
    body = client_for(maya).get(reverse("careplan_my_orders")).content.decode()
    assert "Robert Hale" in body and "Swedish massage" in body and "Light" in body
    assert "precaution" in body  # anticoagulant: light work only
    assert "Light only, INR stable." in body


def test_versions_and_the_side_by_side_comparison(alice, plan, add_activity, client_for):
    activity = add_activity(plan, adjustment())
    services.activity_update(actor=alice, activity=activity, data={"weeks": 4})
    client = client_for(alice)
    timeline = client.get(reverse("careplan_versions", args=[plan.pk])).content.decode()
    assert "Changed activity:" in timeline and "v3" in timeline
    compare = client.get(reverse("careplan_version_compare", args=[plan.pk]) + "?a=2&b=3").content.decode()
    assert "careplan-diff-changed" in compare and "careplan-row-changed" in compare
    added = client.get(reverse("careplan_version_compare", args=[plan.pk]) + "?a=1&b=3").content.decode()
    assert "careplan-row-added" in added
    assert client.get(reverse("careplan_version_compare", args=[plan.pk]) + "?a=1&b=99").status_code == 404


def test_goal_and_rule_forms(alice, plan, add_activity, client_for):
    client = client_for(alice)
    url = reverse("careplan_goal_add", args=[plan.pk])
    bad = client.post(
        url,
        {
            "description": "Less pain",
            "measure": "nprs",
            "baseline_value": "7",
            "target_value": "12",
            "lifecycle_status": "proposed",
        },
    )
    assert "scores run from 0 to 10" in bad.content.decode()
    client.post(
        url,
        {
            "description": "Less pain",
            "measure": "nprs",
            "baseline_value": "7",
            "target_value": "3",
            "lifecycle_status": "active",
        },
    )
    assert Goal.objects.get().lifecycle_status == "active"
    first, second = add_activity(plan, adjustment()), add_activity(plan, exercise())
    response = client.post(
        reverse("careplan_rule_add", args=[plan.pk]),
        {
            "first_activity": first.pk,
            "second_activity": second.pk,
            "relation": "within-after",
            "max_gap_minutes": "30",
        },
    )
    assert response.status_code == 302
    assert plan.sequence_rules.get().max_gap_minutes == 30


@pytest.mark.parametrize("persona", ["outsider", "dana", "admin"])
def test_pages_answer_404_off_the_team(persona, personas, plan, client_for):
    client = client_for(personas[persona])
    for name, args in [
        ("careplan_list", [plan.patient_id]),
        ("careplan_create", [plan.patient_id]),
        ("careplan_detail", [plan.pk]),
        ("careplan_versions", [plan.pk]),
        ("careplan_version_compare", [plan.pk]),
        ("careplan_activity_add", [plan.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name


def test_queues_are_for_clinicians(dana, client_for):
    client = client_for(dana)
    assert client.get(reverse("careplan_approvals")).status_code == 404
    assert client.get(reverse("careplan_my_orders")).status_code == 404


def test_maya_gets_404_for_linda_parks_plan(ben, maya, other_patient, client_for):
    plan = services.careplan_create(actor=ben, patient=other_patient, data={"title": "Neck"})
    client = client_for(maya)
    assert client.get(reverse("careplan_detail", args=[plan.pk])).status_code == 404
    assert client.get(reverse("careplan_list", args=[other_patient.pk])).status_code == 404


def _panel(user, patient) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load careplan_tags %}{% careplan_chart_panel patient %}")
    return template.render(Context({"request": request, "patient": patient}))


def test_the_chart_panel_lists_plans_for_the_care_team_only(alice, dana, plan, add_activity):
    add_activity(plan, massage(), override_reason="Light only.")
    shown = _panel(alice, plan.patient)
    assert EPISODE in shown and "1 waiting for approval" in shown
    assert reverse("careplan_create", args=[plan.patient_id]) in shown
    assert _panel(dana, plan.patient).strip() == ""
