from django.urls import path

from tandem.patients import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new", views.patient_create, name="patient_create"),
    path("patients/emergency-access", views.break_glass_open, name="break_glass_open"),
    path("patients/<int:patient_id>/", views.patient_chart, name="patient_chart"),
    path("patients/<int:patient_id>/edit", views.patient_update, name="patient_update"),
    path("patients/<int:patient_id>/conditions/new", views.condition_create, name="condition_create"),
    path("conditions/<int:condition_id>/edit", views.condition_update, name="condition_update"),
    path("patients/<int:patient_id>/medications/new", views.medication_create, name="medication_create"),
    path("medications/<int:medication_id>/edit", views.medication_update, name="medication_update"),
    path("patients/<int:patient_id>/allergies/new", views.allergy_create, name="allergy_create"),
    path("allergies/<int:allergy_id>/edit", views.allergy_update, name="allergy_update"),
    path("patients/<int:patient_id>/care-team/add", views.care_team_add, name="care_team_add"),
    path("care-team/<int:member_id>/end", views.care_team_end, name="care_team_end"),
    path("icd10/search", views.icd10_search, name="icd10_search"),
]
