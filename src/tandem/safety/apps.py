from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "tandem.safety"
    verbose_name = "Safety"
