"""A visit's charges and superbill."""

from django.urls import URLPattern, path

from tandem.billing import views

urlpatterns: list[URLPattern] = [
    path("encounters/<int:encounter_id>/charges", views.encounter_charges, name="encounter_charges"),
    path(
        "encounters/<int:encounter_id>/superbill.pdf", views.encounter_superbill, name="encounter_superbill"
    ),
    path("charges/<int:charge_id>/void", views.charge_void, name="charge_void"),
]
