from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "peyvand.intelligence"
    label = "intelligence"
