from django.urls import include, path

from tandem.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("tandem.accounts.urls")),
    path("", include("tandem.patients.urls")),
    path("", include("tandem.audit.urls")),
    path("", include("tandem.safety.urls")),
    path("", include("tandem.referrals.urls")),
    path("", include("tandem.careplans.urls")),
    path("", include("tandem.scheduling.urls")),
    path("", include("tandem.charting.urls")),
    path("", include("tandem.billing.urls")),
    path("", include("tandem.outcomes.urls")),
]
