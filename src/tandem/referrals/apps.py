from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "tandem.referrals"
    verbose_name = "Referrals"
