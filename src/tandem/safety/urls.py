from django.urls import path

from tandem.safety import views

urlpatterns = [
    path("patients/<int:patient_id>/screening/new", views.screening_create, name="screening_create"),
    path("screenings/<int:screening_id>/", views.screening_detail, name="screening_detail"),
    path("safety/check-fragment", views.safety_check_fragment, name="safety_check_fragment"),
]
