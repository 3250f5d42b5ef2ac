"""`tandem demo`: the care-coordination step (referrals, plans of care, screenings), via the real services."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from tandem.accounts.models import User
from tandem.careplans.models import Activity, ActivityKind, CarePlan, SequenceRule
from tandem.careplans.safety_checks import planned
from tandem.careplans.selectors import approval_queue_for
from tandem.demo.care import GENERATED_LAST
from tandem.referrals.models import Referral, ReferralKind, ReferralLetter, ReferralStatus
from tandem.referrals.selectors import referral_turnaround
from tandem.safety.models import IntakeScreening, SafetyOverride
from tandem.safety.services import safety_check

DEEP_MASSAGE = {
    "massage-deep-tissue",
    "massage-myofascial-release",
    "massage-trigger-point",
    "massage-sports",
}
MANIPULATION = {"chiro-hvla", "chiro-drop-table"}


def demo(patients: int, seed: int = 42) -> str:
    out = StringIO()
    call_command("demo", patients=patients, seed=seed, without_history=True, verbosity=0, stdout=out)
    return out.getvalue()


def care_counts() -> dict[str, int]:
    models = (Referral, CarePlan, Activity, SequenceRule, IntakeScreening, SafetyOverride, ReferralLetter)
    return {model.__name__: model.objects.count() for model in models}


def test_it_gives_the_key_patients_a_referral_in_every_status(db):
    output = demo(patients=5)

    referrals = Referral.objects.select_related("patient", "requester_external", "recipient_external")
    assert {r.status for r in referrals} == set(ReferralStatus.values)
    assert {r.kind for r in referrals} == set(ReferralKind.values)
    now = timezone.now()
    overdue = [r for r in referrals if r.is_overdue(now)]
    assert [(r.patient.family_name, r.status) for r in overdue] == [("Whitaker", "requested")]
    external_in = referrals.filter(
        kind=ReferralKind.EXTERNAL_IN, requester_external__specialty="Family physician"
    )
    assert external_in.exists()
    out = referrals.get(
        kind=ReferralKind.EXTERNAL_OUT, recipient_external__specialty="Orthopedic spine surgeon"
    )
    assert (out.patient.family_name, out.status, out.priority) == ("Whitaker", "ready", "urgent")
    letters = ReferralLetter.objects.all()
    assert (
        letters.count()
        == Referral.objects.filter(status="completed").exclude(kind="external-out").count()
        > 0
    )
    for letter in letters:
        pdf = bytes(letter.pdf)
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == letter.sha256
    assert "referrals" in output and "plans of care" in output


def test_it_builds_robert_hales_active_plan_with_all_three_disciplines(db):
    demo(patients=5)

    plan = CarePlan.objects.get(patient__mrn="D0000001")
    alice = User.objects.get(username="alice")
    assert plan.status == "active" and plan.supervising_practitioner == alice.practitioner
    assert sorted(plan.problems.values_list("code", flat=True)) == ["M51.362", "M62.830"]
    goals = {g.measure: (g.baseline_value, g.target_value) for g in plan.goals.all()}
    assert goals == {"odi": (48, 30), "nprs": (7, 3)}
    activities = {a.kind: a for a in plan.activities.all()}
    assert set(activities) == set(ActivityKind.values)
    massage = activities[ActivityKind.MEDICAL_MASSAGE]
    assert (massage.approval, massage.approved_by, massage.massage_pressure) == ("approved", alice, "light")
    assert not set(massage.techniques) & DEEP_MASSAGE and "INR" in massage.override_reason
    assert not set(activities[ActivityKind.CHIROPRACTIC_ADJUSTMENT].techniques) & MANIPULATION
    exercises = activities[ActivityKind.THERAPEUTIC_EXERCISE].exercises
    assert len(exercises) >= 3 and all(e["sets"] and e["repetitions"] for e in exercises)
    rules = {(r.first_activity.kind, r.second_activity.kind): r for r in plan.sequence_rules.all()}
    before = rules[(ActivityKind.MEDICAL_MASSAGE, ActivityKind.CHIROPRACTIC_ADJUSTMENT)]
    after = rules[(ActivityKind.CHIROPRACTIC_ADJUSTMENT, ActivityKind.THERAPEUTIC_EXERCISE)]
    assert (before.relation, after.relation, after.max_gap_minutes) == (
        "immediately-before",
        "within-after",
        30,
    )
    assert plan.versions.count() >= 10  # created, goals, activities, approval, rules, activation

    order = plan.based_on_referral
    assert order.kind == "massage-order" and order.status == "in-progress"
    assert order.requester_practitioner == alice.practitioner
    assert order.recipient_practitioner.user.username == "maya"
    assert order.pressure_limit == "light" and not set(order.techniques) & DEEP_MASSAGE
    override = SafetyOverride.objects.get(subject=f"referral:{order.pk}")
    assert override.rule == "massage-anticoagulant-light" and override.overridden_by == alice
    screening = IntakeScreening.objects.get(patient=plan.patient)
    assert screening.red_flags == [] and not screening.urgent_referral_recommended


def test_it_gives_thomas_a_structural_referral_to_alice_and_a_massage_order_for_maya(db):
    demo(patients=5)

    thomas = Referral.objects.filter(patient__mrn="D0000004")
    structural = thomas.get(kind="structural")
    assert structural.requester_practitioner.user.username == "maya"
    assert structural.recipient_practitioner.user.username == "alice"
    assert structural.findings and structural.status == "completed" and structural.letter.pdf
    order = thomas.get(kind="massage-order")
    assert order.status == "accepted" and order.recipient_practitioner.user.username == "maya"


def test_it_leaves_plans_in_every_state_an_approval_pending_and_a_red_flag(db):
    demo(patients=5)

    assert set(CarePlan.objects.values_list("status", flat=True)) == {"draft", "active", "completed"}
    queue = approval_queue_for(User.objects.get(username="alice"))
    assert [a.plan.patient.family_name for a in queue] == ["Whitaker"]
    flagged = IntakeScreening.objects.get(urgent_referral_recommended=True)
    assert flagged.patient.family_name == "Whitaker" and flagged.red_flags


def test_it_honours_the_safety_gates_everywhere(db):
    demo(patients=GENERATED_LAST)

    for activity in Activity.objects.select_related("plan__patient"):
        findings = safety_check(patient=activity.plan.patient, activities=planned(activity))
        assert not [f for f in findings if f.severity == "contraindicated"], activity
        for finding in [f for f in findings if f.severity == "precaution"]:
            override = SafetyOverride.objects.get(
                patient=activity.plan.patient,
                rule=finding.rule,
                technique=finding.technique,
                body_site=finding.body_site,
                subject=f"careplan-activity:{activity.pk}",
            )
            assert override.reason and override.overridden_by.practitioner.discipline != "massage-therapy"
    orders = Referral.objects.filter(kind="massage-order").select_related("patient")
    assert orders.count() > 5
    for order in orders:
        # Asked as the referral service asks it: its techniques on its regions at its pressure limit.
        probe = Activity(
            techniques=order.techniques, body_sites=order.body_sites, massage_pressure=order.pressure_limit
        )
        findings = safety_check(patient=order.patient, activities=planned(probe))
        assert not [f for f in findings if f.severity == "contraindicated"], order
    massages = Activity.objects.filter(kind="medical-massage").select_related("plan__patient")
    thinned = [
        a
        for a in massages
        if any("anticoagulant" in m.risk_flags for m in a.plan.patient.medications.filter(status="active"))
    ]
    assert thinned  # Robert and Grace at least
    for activity in thinned:
        assert not set(activity.techniques) & DEEP_MASSAGE and activity.massage_pressure in (
            "light",
            "moderate",
        )


def test_it_touches_a_bounded_set_of_patients_with_realistic_times(db):
    demo(patients=120)

    mrns = set(Referral.objects.values_list("patient__mrn", flat=True))
    mrns |= set(CarePlan.objects.values_list("patient__mrn", flat=True))
    assert max(mrns) <= f"D{GENERATED_LAST:07d}" and len(mrns) > 30
    assert Counter(Referral.objects.values_list("status", flat=True)).keys() == set(ReferralStatus.values)
    today = timezone.localdate()
    report = referral_turnaround(
        User.objects.get(username="alice"), start=today - datetime.timedelta(90), end=today
    )
    hours = [h for row in report.rows for h in row.to_accept_hours]
    assert len(hours) > 15 and sorted(hours)[len(hours) // 2] > 2  # a median of hours, not of seconds
    sent_days = {r.sent_at.date() for r in Referral.objects.exclude(sent_at=None)}
    assert len(sent_days) > 15
    now = timezone.now()
    for referral in Referral.objects.prefetch_related("events"):
        moments = [e.at for e in referral.events.all()]
        assert moments == sorted(moments) and moments[-1] <= now and referral.created_at == moments[0]


def test_it_creates_nothing_new_when_run_again_and_adds_scenarios_for_a_larger_n(db):
    demo(patients=20)
    existing = {r.pk: (r.status, r.updated_at) for r in Referral.objects.all()}
    before = care_counts()
    output = demo(patients=20)
    assert care_counts() == before and "Nothing to do" in output

    demo(patients=40)
    grown = {r.pk: (r.status, r.updated_at) for r in Referral.objects.all()}
    assert {pk: grown[pk] for pk in existing} == existing
    new_patients = set(Referral.objects.exclude(pk__in=existing).values_list("patient__mrn", flat=True))
    assert new_patients and min(new_patients) > "D0000020"
    assert care_counts()["Referral"] > before["Referral"]
