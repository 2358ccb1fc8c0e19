from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "peyvand.commerce"
    label = "commerce"
