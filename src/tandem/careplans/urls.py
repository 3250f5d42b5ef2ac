from django.urls import URLPattern, path

from tandem.careplans import views

urlpatterns: list[URLPattern] = [
    path("patients/<int:patient_id>/careplans/", views.careplan_list, name="careplan_list"),
    path("patients/<int:patient_id>/careplans/new", views.careplan_create, name="careplan_create"),
    path("careplans/approvals/", views.careplan_approvals, name="careplan_approvals"),
    path("careplans/my-orders/", views.careplan_my_orders, name="careplan_my_orders"),
    path("careplans/<int:plan_id>/", views.careplan_detail, name="careplan_detail"),
    path("careplans/<int:plan_id>/edit", views.careplan_update, name="careplan_update"),
    path("careplans/<int:plan_id>/activate", views.careplan_activate, name="careplan_activate"),
    path("careplans/<int:plan_id>/goals/new", views.goal_add, name="careplan_goal_add"),
    path("careplan-goals/<int:goal_id>/edit", views.goal_update, name="careplan_goal_update"),
    path("careplans/<int:plan_id>/activities/new", views.activity_add, name="careplan_activity_add"),
    path(
        "careplan-activities/<int:activity_id>/edit", views.activity_update, name="careplan_activity_update"
    ),
    path(
        "careplan-activities/<int:activity_id>/remove",
        views.activity_remove,
        name="careplan_activity_remove",
    ),
    path(
        "careplan-activities/<int:activity_id>/approve",
        views.activity_approve,
        name="careplan_activity_approve",
    ),
    path("careplans/<int:plan_id>/sequence-rules/new", views.sequence_rule_add, name="careplan_rule_add"),
    path(
        "careplan-sequence-rules/<int:rule_id>/remove",
        views.sequence_rule_remove,
        name="careplan_rule_remove",
    ),
    path("careplans/<int:plan_id>/versions/", views.version_list, name="careplan_versions"),
    path("careplans/<int:plan_id>/versions/compare", views.version_compare, name="careplan_version_compare"),
]
