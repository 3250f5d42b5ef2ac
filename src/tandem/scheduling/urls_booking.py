"""Plan booking, batch optimisation, the waitlist, availability and calendar feeds (views_booking)."""

from django.urls import URLPattern, path

from tandem.scheduling import views_booking as views

urlpatterns: list[URLPattern] = [
    path("careplans/<int:plan_id>/book", views.plan_booking_new, name="plan_booking_new"),
    path("bookings/<int:booking_id>/", views.plan_booking_detail, name="plan_booking_detail"),
    path("bookings/<int:booking_id>/confirm", views.plan_booking_confirm, name="plan_booking_confirm"),
    path("bookings/<int:booking_id>/discard", views.plan_booking_discard, name="plan_booking_discard"),
    path("schedule/locations/<int:location_id>/optimise", views.location_optimise, name="location_optimise"),
    path("waitlist/", views.waitlist, name="waitlist"),
    path("patients/<int:patient_id>/waitlist/new", views.waitlist_add, name="waitlist_add"),
    path("waitlist/<int:entry_id>/accept", views.waitlist_accept, name="waitlist_accept"),
    path("waitlist/<int:entry_id>/decline", views.waitlist_decline, name="waitlist_decline"),
    path("waitlist/<int:entry_id>/remove", views.waitlist_remove, name="waitlist_remove"),
    path(
        "schedule/practitioners/<int:practitioner_id>/availability",
        views.practitioner_availability,
        name="practitioner_availability",
    ),
    path("schedule/time-off/<int:time_off_id>/remove", views.time_off_remove, name="time_off_remove"),
    path("patients/<int:patient_id>/availability", views.patient_availability, name="patient_availability"),
    path(
        "schedule/practitioners/<int:practitioner_id>/calendar.ics",
        views.practitioner_ics,
        name="practitioner_ics",
    ),
    path("patients/<int:patient_id>/calendar.ics", views.patient_ics, name="patient_ics"),
    path("schedule/feeds/", views.calendar_feeds, name="calendar_feeds"),
    path("schedule/feeds/<int:feed_id>/revoke", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("calendar/<str:token>.ics", views.calendar_feed_ics, name="calendar_feed_ics"),
]
