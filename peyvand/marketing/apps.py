from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "peyvand.marketing"
    label = "marketing"

    def ready(self) -> None:
        from .builtin_conditions import register_builtin_conditions

        register_builtin_conditions()
