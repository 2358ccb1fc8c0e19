from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "peyvand.portal"
    label = "portal"
