from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "peyvand.integrations"
    label = "integrations"
