from django.urls import path

from tandem.accounts import views

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/tokens/", views.token_list, name="token_list"),
    path("account/tokens/new", views.token_create_view, name="token_create"),
    path("account/tokens/<int:token_id>/revoke", views.token_revoke_view, name="token_revoke"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new", views.staff_create, name="staff_create"),
    path("staff/<int:user_id>/edit", views.staff_update, name="staff_update"),
    path("settings/", views.organization_detail, name="organization_detail"),
]
