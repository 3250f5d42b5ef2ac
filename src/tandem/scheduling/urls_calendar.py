"""The calendar pages, one appointment, a patient's schedule and booking one visit (views_calendar)."""

from django.urls import URLPattern, path

from tandem.scheduling import views_calendar as views

urlpatterns: list[URLPattern] = [
    path("schedule/", views.schedule_home, name="schedule_home"),
    path(
        "schedule/locations/<int:location_id>/day", views.calendar_location_day, name="calendar_location_day"
    ),
    path(
        "schedule/locations/<int:location_id>/week",
        views.calendar_location_week,
        name="calendar_location_week",
    ),
    path(
        "schedule/practitioners/<int:practitioner_id>/day",
        views.calendar_practitioner_day,
        name="calendar_practitioner_day",
    ),
    path(
        "schedule/practitioners/<int:practitioner_id>/week",
        views.calendar_practitioner_week,
        name="calendar_practitioner_week",
    ),
    path("schedule/rooms/<int:room_id>/day", views.calendar_room_day, name="calendar_room_day"),
    path("schedule/rooms/<int:room_id>/week", views.calendar_room_week, name="calendar_room_week"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:appointment_id>/move", views.appointment_move, name="appointment_move"),
    path("appointments/<int:appointment_id>/status", views.appointment_status, name="appointment_status"),
    path("appointments/<int:appointment_id>/cancel", views.appointment_cancel, name="appointment_cancel"),
    path("patients/<int:patient_id>/schedule", views.patient_schedule, name="patient_schedule"),
    path("patients/<int:patient_id>/appointments/new", views.appointment_create, name="appointment_create"),
]
