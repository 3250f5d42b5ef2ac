"""Massage activities wait for the plan's supervising DC or PT; a change to an approved one sends it back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from tests.careplans.conftest import adjustment, massage

from tandem.careplans import services
from tandem.careplans.models import Approval
from tandem.careplans.selectors import approval_queue_for, massage_orders_for

REASON = "Light Swedish only; INR stable, cleared by the GP."


@pytest.fixture
def order(plan, add_activity):
    return add_activity(plan, massage(), override_reason=REASON)


def test_a_massage_starts_pending_and_other_kinds_need_no_approval(plan, add_activity, order):
    assert order.approval == Approval.PENDING
    assert order.approved_by is None and order.approved_at is None
    assert add_activity(plan, adjustment()).approval == Approval.NOT_REQUIRED


def test_the_supervisor_approves(alice, order):
    services.activity_approve(actor=alice, activity=order)
    order.refresh_from_db()
    assert order.approval == Approval.APPROVED
    assert order.approved_by == alice and order.approved_at is not None
    assert order.plan.versions.order_by("-number").first().change_summary.startswith("Approved activity:")


def test_maya_cannot_approve(maya, order):
    with pytest.raises(ValidationError) as refused:
        services.activity_approve(actor=maya, activity=order)
    assert "supervising clinician" in str(refused.value)
    order.refresh_from_db()
    assert order.approval == Approval.PENDING


def test_ben_approves_only_when_he_supervises_the_plan(alice, ben, plan, order):
    with pytest.raises(ValidationError):
        services.activity_approve(actor=ben, activity=order)
    services.careplan_update(actor=alice, plan=plan, data={"supervising_practitioner": ben.practitioner.pk})
    order.refresh_from_db()
    services.activity_approve(actor=ben, activity=order)
    order.refresh_from_db()
    assert order.approval == Approval.APPROVED and order.approved_by == ben
    # Alice led the plan but no longer supervises it.
    second = services.activity_add(
        actor=ben, plan=plan, data=massage(body_sites=["cervical"]), override_reason="Light only, as agreed."
    )
    with pytest.raises(ValidationError):
        services.activity_approve(actor=alice, activity=second)


@pytest.mark.parametrize(
    "change",
    [
        {"techniques": ["massage-swedish", "massage-lymphatic-drainage"]},
        {"body_sites": ["thoracic", "cervical"]},
        {"massage_pressure": "moderate"},
    ],
)
def test_a_change_to_techniques_sites_or_pressure_sends_it_back_to_pending(alice, order, change):
    services.activity_approve(actor=alice, activity=order)
    services.activity_update(actor=alice, activity=order, data=change, override_reason=REASON)
    order.refresh_from_db()
    assert order.approval == Approval.PENDING
    assert order.approved_by is None and order.approved_at is None
    assert "back to pending approval" in order.plan.versions.order_by("-number").first().change_summary


def test_a_change_of_frequency_keeps_the_approval(alice, order):
    services.activity_approve(actor=alice, activity=order)
    services.activity_update(actor=alice, activity=order, data={"weeks": 8})
    order.refresh_from_db()
    assert order.approval == Approval.APPROVED


def test_an_approved_activity_cannot_be_approved_twice(alice, order):
    services.activity_approve(actor=alice, activity=order)
    with pytest.raises(ValidationError):
        services.activity_approve(actor=alice, activity=order)


def test_the_queue_shows_pending_massage_on_plans_i_supervise(alice, ben, maya, order):
    assert list(approval_queue_for(alice)) == [order]
    assert list(approval_queue_for(ben)) == []
    assert list(approval_queue_for(maya)) == []


def test_maya_sees_approved_orders_of_active_plans_on_her_patients(alice, maya, ben, plan, order):
    assert list(massage_orders_for(maya)) == []  # pending, and the plan is a draft
    services.activity_approve(actor=alice, activity=order)
    assert list(massage_orders_for(maya)) == []  # still a draft
    services.careplan_activate(actor=alice, plan=plan)
    assert list(massage_orders_for(maya)) == [order]
    services.activity_remove(actor=alice, activity=order)
    assert list(massage_orders_for(maya)) == []


def test_a_second_approval_from_a_stale_page_is_refused_and_versions_once(alice, order):
    from tandem.careplans.models import Activity

    stale = Activity.objects.get(pk=order.pk)  # loaded by a second tab while still pending
    services.activity_approve(actor=alice, activity=order)
    with pytest.raises(ValidationError):
        services.activity_approve(actor=alice, activity=stale)
    summaries = list(order.plan.versions.values_list("change_summary", flat=True))
    assert sum(s.startswith("Approved activity:") for s in summaries) == 1
