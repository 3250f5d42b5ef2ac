"""Visit documentation pages: document a visit, the note (editor or signed), sign, co-sign, addenda, queue,
override a draft's precautions, call off a visit."""

from django.urls import URLPattern, path

from tandem.charting import views

urlpatterns: list[URLPattern] = [
    path(
        "appointments/<int:appointment_id>/document", views.appointment_document, name="appointment_document"
    ),
    path("notes/<int:note_id>/", views.note_detail, name="note_detail"),
    path("notes/<int:note_id>/autosave", views.note_autosave, name="note_autosave"),
    path("notes/<int:note_id>/sign", views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/cosign", views.note_cosign, name="note_cosign"),
    path("notes/<int:note_id>/override", views.note_override, name="note_override"),
    path("encounters/<int:encounter_id>/cancel", views.encounter_cancel, name="encounter_cancel"),
    path("notes/<int:note_id>/addenda", views.note_addendum_add, name="note_addendum_add"),
    path("addenda/<int:addendum_id>/sign", views.addendum_sign, name="addendum_sign"),
    path("cosign/", views.cosign_queue, name="cosign_queue"),
]
