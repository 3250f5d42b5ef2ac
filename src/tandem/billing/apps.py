from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "tandem.billing"
    verbose_name = "Billing"
