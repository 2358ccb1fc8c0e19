from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peyvand.accounts"
    label = "accounts"
