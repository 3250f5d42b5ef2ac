"""Plan booking pages: propose, review (week by week, calendar, what could not be placed), confirm, discard,
re-plan the rest; the front desk sees disciplines and lengths only; batch optimisation for the desk."""

from __future__ import annotations

import datetime
import re

import pytest

from tandem.audit.models import AuditEvent
from tandem.careplans import services as careplans
from tandem.careplans.models import CarePlan
from tandem.scheduling import services
from tandem.scheduling.models import Appointment, AppointmentStatus, PlanBooking, PlanBookingStatus

pytestmark = pytest.mark.django_db

ADJUSTMENT = {
    "kind": "chiropractic-adjustment",
    "techniques": ["chiro-activator"],
    "body_sites": ["thoracic"],
    "visits_per_week": 2,
    "weeks": 6,
    "visit_minutes": 20,
}
EXERCISE = {
    "kind": "therapeutic-exercise",
    "techniques": ["pt-therapeutic-exercise"],
    "body_sites": ["lumbar"],
    "visits_per_week": 1,
    "weeks": 6,
    "visit_minutes": 45,
}
MASSAGE = {
    "kind": "medical-massage",
    "techniques": ["massage-swedish"],
    "body_sites": ["thoracic"],
    "massage_pressure": "light",
    "visits_per_week": 1,
    "weeks": 6,
    "visit_minutes": 45,
}


def concurrent_plan(alice, ben, maya, patient) -> CarePlan:
    """DC 2x/week, PT 1x/week, LMT 1x/week for 6 weeks; massage immediately before the adjustment; the
    massage approved by alice (the supervisor). Robert takes warfarin: light Swedish is a precaution."""
    plan = careplans.careplan_create(
        actor=alice, patient=patient, data={"title": "Low back pain — concurrent"}
    )
    adjust = careplans.activity_add(
        actor=alice, plan=plan, data={**ADJUSTMENT, "preferred_practitioner": alice.practitioner.pk}
    )
    careplans.activity_add(
        actor=alice, plan=plan, data={**EXERCISE, "preferred_practitioner": ben.practitioner.pk}
    )
    rub = careplans.activity_add(
        actor=alice,
        plan=plan,
        data={**MASSAGE, "preferred_practitioner": maya.practitioner.pk},
        override_reason="INR stable; light Swedish only, no pressure over the lumbar spine.",
    )
    careplans.activity_approve(actor=alice, activity=rub)
    careplans.sequence_rule_add(
        actor=alice,
        plan=plan,
        data={"first_activity": rub.pk, "second_activity": adjust.pk, "relation": "immediately-before"},
    )
    careplans.careplan_activate(actor=alice, plan=plan)
    return plan


@pytest.fixture
def plan(alice, ben, maya, patient, clinic_hours) -> CarePlan:
    return concurrent_plan(alice, ben, maya, patient)


def _propose(client, plan: CarePlan, day: datetime.date, method: str = "greedy", **extra) -> PlanBooking:
    location = plan.patient.organization.locations.get(name="Riverside Main")
    response = client.post(
        f"/careplans/{plan.pk}/book",
        {"location": location.pk, "starts_on": day.isoformat(), "method": method},
        **extra,
    )
    assert response.status_code in (200, 302), response.content.decode()[:3000]
    return PlanBooking.objects.filter(plan=plan).latest("id")


def test_the_book_page_defaults_to_where_the_team_works_and_lists_what_will_be_booked(
    client_for, alice, plan, clinic_hours
):
    page = client_for(alice).get(f"/careplans/{plan.pk}/book")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(rf'<option value="{clinic_hours.pk}"[^>]*selected', html)
    assert "2× a week for 6 weeks" in html
    assert "hx-indicator" in html and 'id="propose-progress"' in html
    assert AuditEvent.objects.filter(action="R", object_type="CarePlan", object_id=str(plan.pk)).exists()


def test_proposing_books_nothing_and_the_review_shows_every_visit(client_for, alice, plan, next_monday):
    client = client_for(alice)
    booking = _propose(client, plan, next_monday)
    assert booking.status == PlanBookingStatus.PROPOSED
    assert not Appointment.objects.filter(patient=plan.patient, status__in=("booked", "arrived")).exists()
    proposed = list(booking.appointments.all())
    assert len(proposed) == booking.requested == 24
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert f"24 of {booking.requested}" in html
    assert f"{booking.rules_met} of {booking.rules_total} met" in html
    assert html.count('class="booking-visit') == 24
    for week in range(1, 7):
        assert re.search(rf'<th scope="row">Week {week} ', html)
    assert "Confirm 24 visits" in html and "Discard" in html
    assert "Medical massage (45 min)" in html  # clinicians see the kind of visit
    assert "swedish massage" in client.get(f"/careplans/{plan.pk}/book").content.decode().lower()


def test_the_front_desk_sees_disciplines_and_lengths_only(client_for, dana, plan, next_monday):
    client = client_for(dana)
    booking = _propose(client, plan, next_monday)
    pages = {
        f"/careplans/{plan.pk}/book": "Massage therapy, 45 min",
        f"/bookings/{booking.pk}/": "Massage therapy (45 min)",
    }
    for url, shown in pages.items():
        html = client.get(url).content.decode()
        assert shown in html
        for clinical in (
            "Swedish",
            "swedish",
            "Activator",
            "activator",
            "thoracic",
            "Thoracic",
            "Warfarin",
            "M51",
        ):
            assert clinical not in html, (url, clinical)


def test_confirming_books_all_visits_and_links_each_practitioners_week(
    client_for, alice, ben, maya, plan, next_monday
):
    client = client_for(alice)
    booking = _propose(client, plan, next_monday)
    response = client.post(f"/bookings/{booking.pk}/confirm", follow=True)
    html = response.content.decode()
    assert "Booked 24 visits for Robert Hale." in html
    booked = Appointment.objects.filter(booking=booking, status=AppointmentStatus.BOOKED)
    assert booked.count() == 24
    assert 'id="booking-done"' in html
    for person in (alice, ben, maya):
        assert person.practitioner.display_name in html.split('id="booking-done"')[1]
    assert "Re-plan the rest" in html
    # Confirming again is refused plainly and changes nothing.
    again = client.post(f"/bookings/{booking.pk}/confirm", follow=True).content.decode()
    assert "This proposal is already confirmed." in again
    assert booked.count() == 24


def test_a_slot_taken_since_the_proposal_books_nothing_and_says_which(
    client_for, alice, dana, other_patient, plan, next_monday, ben
):
    client = client_for(alice)
    booking = _propose(client, plan, next_monday)
    victim = booking.appointments.filter(practitioner=ben.practitioner).order_by("starts_at").first()
    services.appointment_book(
        actor=dana,
        patient=other_patient,
        data={
            "practitioner": ben.practitioner.pk,
            "room": victim.room_id,
            "starts_at": victim.starts_at,
            "minutes": victim.minutes,
        },
    )
    html = client.post(f"/bookings/{booking.pk}/confirm", follow=True).content.decode()
    assert "Taken since the proposal" in html and "Nothing was booked: propose again." in html
    assert not Appointment.objects.filter(patient=plan.patient, status=AppointmentStatus.BOOKED).exists()
    booking.refresh_from_db()
    assert booking.status == PlanBookingStatus.PROPOSED


def test_discarding_removes_the_proposed_visits(client_for, alice, plan, next_monday):
    client = client_for(alice)
    booking = _propose(client, plan, next_monday)
    response = client.post(f"/bookings/{booking.pk}/discard")
    assert response.status_code == 302 and response["Location"] == f"/careplans/{plan.pk}/book"
    booking.refresh_from_db()
    assert booking.status == PlanBookingStatus.DISCARDED
    assert not booking.appointments.exists()


def test_re_planning_after_a_cancellation_proposes_only_the_missing_visit(
    client_for, alice, dana, plan, next_monday
):
    client = client_for(alice)
    first = _propose(client, plan, next_monday)
    client.post(f"/bookings/{first.pk}/confirm")
    cancelled = first.appointments.filter(discipline="physical-therapy").order_by("starts_at").last()
    services.appointment_cancel(actor=dana, appointment=cancelled, reason="Practitioner away")
    detail = client.get(f"/appointments/{cancelled.pk}/").content.decode()
    assert f'id="replan" href="/careplans/{plan.pk}/book"' in detail
    page = client.get(f"/careplans/{plan.pk}/book").content.decode()
    assert "Re-plan the rest" in page
    second = _propose(client, plan, next_monday)
    assert second.pk != first.pk and second.requested == 1
    (visit,) = second.appointments.all()
    assert visit.discipline == "physical-therapy"
    week = lambda a: (services.local(a.starts_at).date() - first.series_start_on).days // 7  # noqa: E731
    assert week(visit) == week(cancelled)


def test_proposing_when_nothing_is_missing_says_so_and_leaves_no_proposal(
    client_for, alice, plan, next_monday
):
    client = client_for(alice)
    first = _propose(client, plan, next_monday)
    client.post(f"/bookings/{first.pk}/confirm")
    location = plan.patient.organization.locations.get(name="Riverside Main")
    response = client.post(
        f"/careplans/{plan.pk}/book",
        {"location": location.pk, "starts_on": next_monday.isoformat(), "method": "greedy"},
        follow=True,
    )
    assert "Nothing to propose" in response.content.decode()
    assert not PlanBooking.objects.filter(plan=plan, status=PlanBookingStatus.PROPOSED).exists()


def test_proposing_by_htmx_follows_with_a_client_redirect(client_for, alice, plan, next_monday):
    client = client_for(alice)
    location = plan.patient.organization.locations.get(name="Riverside Main")
    response = client.post(
        f"/careplans/{plan.pk}/book",
        {"location": location.pk, "starts_on": next_monday.isoformat(), "method": "greedy"},
        HTTP_HX_REQUEST="true",
    )
    booking = PlanBooking.objects.get(plan=plan)
    assert response["HX-Redirect"] == f"/bookings/{booking.pk}/"


def test_a_bad_start_date_is_refused_beside_the_field(client_for, alice, plan, clinic_hours):
    response = client_for(alice).post(
        f"/careplans/{plan.pk}/book",
        {"location": clinic_hours.pk, "starts_on": "next week", "method": "greedy"},
    )
    assert response.status_code == 422
    assert 'id="id_starts_on-errors"' in response.content.decode()
    assert not PlanBooking.objects.exists()


def test_a_refusal_by_htmx_comes_back_as_200_so_htmx_shows_it(client_for, alice, plan, clinic_hours):
    response = client_for(alice).post(
        f"/careplans/{plan.pk}/book",
        {"location": clinic_hours.pk, "starts_on": "soon", "method": "greedy"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="id_starts_on-errors"' in response.content.decode()
    assert not PlanBooking.objects.exists()


def test_a_plan_with_only_an_unapproved_massage_says_why(
    client_for, alice, maya, patient, clinic_hours, next_monday
):
    plan = careplans.careplan_create(actor=alice, patient=patient, data={"title": "Massage only"})
    careplans.activity_add(actor=alice, plan=plan, data=MASSAGE, override_reason="INR stable; light only.")
    response = client_for(alice).post(
        f"/careplans/{plan.pk}/book",
        {"location": clinic_hours.pk, "starts_on": next_monday.isoformat(), "method": "greedy"},
    )
    assert response.status_code == 422
    assert "waits for the supervisor" in response.content.decode()
    assert not PlanBooking.objects.exists()


def test_what_could_not_be_placed_is_listed_with_its_reason(client_for, alice, admin, plan, next_monday):
    for weekday in range(6):  # maya stops working: no massage can be placed
        services.working_hours_set(
            actor=admin,
            practitioner=plan.activities.get(kind="medical-massage").preferred_practitioner,
            location=plan.patient.organization.locations.get(name="Riverside Main"),
            weekday=weekday,
            data={},
        )
    client = client_for(alice)
    booking = _propose(client, plan, next_monday)
    html = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert len(booking.unplaced) == 6
    unplaced = html.split('id="booking-unplaced"')[1].split("</ul>")[0]
    assert unplaced.count("<li>") == 6 and "Week 1" in unplaced
    assert booking.unplaced[0]["reason"] in html


@pytest.mark.parametrize("verb", ["", "confirm", "discard"])
def test_outsiders_and_maya_off_the_team_get_404(
    client_for, outsider, maya, ben, other_patient, plan, next_monday, verb
):
    booking = _propose(client_for(ben), plan, next_monday)
    url = f"/bookings/{booking.pk}/{verb}"
    method = "get" if not verb else "post"
    assert getattr(client_for(outsider), method)(url).status_code == 404
    linda_plan = careplans.careplan_create(actor=ben, patient=other_patient, data={"title": "Neck"})
    assert client_for(maya).get(f"/careplans/{linda_plan.pk}/book").status_code == 404
    booking.refresh_from_db()
    assert booking.status == PlanBookingStatus.PROPOSED


def test_the_desk_optimises_a_location_and_links_each_proposal(
    client_for, dana, plan, clinic_hours, next_monday
):
    response = client_for(dana).post(
        f"/schedule/locations/{clinic_hours.pk}/optimise",
        {"starts_on": next_monday.isoformat(), "weeks": "6", "method": "greedy"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    booking = PlanBooking.objects.get(plan=plan)
    assert f'href="/bookings/{booking.pk}/"' in html
    assert "24 of 24" in html and "100%" in html


def test_clinicians_cannot_run_the_batch(client_for, alice, clinic_hours):
    assert client_for(alice).get(f"/schedule/locations/{clinic_hours.pk}/optimise").status_code == 404


def test_the_batch_refuses_too_many_weeks_beside_the_field(client_for, dana, clinic_hours, next_monday):
    response = client_for(dana).post(
        f"/schedule/locations/{clinic_hours.pk}/optimise",
        {"starts_on": next_monday.isoformat(), "weeks": "60", "method": "greedy"},
    )
    assert response.status_code == 422 and 'id="id_weeks-errors"' in response.content.decode()


def test_a_booked_or_one_off_visit_offers_no_re_plan(client_for, alice, dana, plan, next_monday, patient):
    client = client_for(alice)
    first = _propose(client, plan, next_monday)
    client.post(f"/bookings/{first.pk}/confirm")
    booked = first.appointments.order_by("starts_at").first()
    assert 'id="replan"' not in client.get(f"/appointments/{booked.pk}/").content.decode()
    riverside = plan.patient.organization.locations.get(name="Riverside Main")
    one_off = services.appointment_book(
        actor=dana,
        patient=patient,
        data={
            "practitioner": alice.practitioner.pk,
            "room": riverside.rooms.get(name="Adjusting 2").pk,
            "starts_at": datetime.datetime.combine(
                next_monday + datetime.timedelta(weeks=8), datetime.time(9)
            ).isoformat(),
            "minutes": 30,
        },
    )
    assert one_off.activity_id is None
    services.appointment_cancel(actor=dana, appointment=one_off, reason="Patient unwell")
    assert 'id="replan"' not in client.get(f"/appointments/{one_off.pk}/").content.decode()
