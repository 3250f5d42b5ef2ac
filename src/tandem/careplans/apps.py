from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "tandem.careplans"
    verbose_name = "Care plans"
