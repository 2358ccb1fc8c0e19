from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "peyvand.intelligence"
    label = "intelligence"

    def ready(self) -> None:
        from .segment_conditions import register_intelligence_conditions

        register_intelligence_conditions()
