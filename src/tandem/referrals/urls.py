from django.urls import URLPattern, path

from tandem.referrals import views
from tandem.referrals.workflow import ACTIONS

urlpatterns: list[URLPattern] = [
    path("referrals/", views.referral_inbox, name="referral_inbox"),
    path("referrals/turnaround", views.referral_turnaround_report, name="referral_turnaround"),
    path("patients/<int:patient_id>/referrals/new", views.referral_create, name="referral_create"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/edit", views.referral_update, name="referral_update"),
    path("referrals/<int:referral_id>/letter.pdf", views.referral_letter, name="referral_letter"),
    # One URL per workflow action (referral_send, referral_accept, ...), all served by one view.
    *[
        path(
            f"referrals/<int:referral_id>/{action}",
            views.referral_transition,
            {"action": action},
            name=f"referral_{action}",
        )
        for action in ACTIONS
    ],
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new", views.contact_create, name="contact_create"),
    path("contacts/<int:contact_id>/edit", views.contact_update, name="contact_update"),
]
