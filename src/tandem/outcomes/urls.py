from django.urls import path

from tandem.outcomes import evidence_views, views

urlpatterns = [
    path("m/<str:token>", views.measure_fill, name="measure_fill"),
    path("patients/<int:patient_id>/measures/link", views.measure_link_send, name="measure_link_send"),
    path(
        "patients/<int:patient_id>/measures/tablet", views.measure_tablet_start, name="measure_tablet_start"
    ),
    path("patients/<int:patient_id>/measures/paper", views.measure_paper_entry, name="measure_paper_entry"),
    path(
        "patients/<int:patient_id>/measures/schedule", views.measure_schedule_set, name="measure_schedule_set"
    ),
    path(
        "careplans/<int:plan_id>/progress-report.pdf", views.progress_report, name="outcome_progress_report"
    ),
    path("outcomes/evidence/", evidence_views.outcomes_evidence, name="outcomes_evidence"),
    path("outcomes/evidence.csv", evidence_views.outcomes_evidence_csv, name="outcomes_evidence_csv"),
]
