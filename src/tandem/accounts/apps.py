from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
