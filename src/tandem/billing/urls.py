"""A visit's charges and superbill, a patient's period superbill, the clinic's claim files."""

from django.urls import URLPattern, path

from tandem.billing import views

urlpatterns: list[URLPattern] = [
    path("encounters/<int:encounter_id>/charges", views.encounter_charges, name="encounter_charges"),
    path(
        "encounters/<int:encounter_id>/superbill.pdf", views.encounter_superbill, name="encounter_superbill"
    ),
    path("encounters/<int:encounter_id>/claim-file", views.encounter_claim_file, name="encounter_claim_file"),
    path("charges/<int:charge_id>/void", views.charge_void, name="charge_void"),
    path("patients/<int:patient_id>/superbill", views.patient_superbill, name="patient_superbill"),
    path("billing/claims", views.claim_files, name="claim_files"),
    path("billing/claims/capture", views.charges_capture, name="charges_capture"),
    path("billing/claims/<int:claim_file_id>", views.claim_file_detail, name="claim_file_detail"),
    path("billing/claims/<int:claim_file_id>/x12", views.claim_file_download, name="claim_file_download"),
]
