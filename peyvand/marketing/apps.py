from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "peyvand.marketing"
    label = "marketing"

    def ready(self) -> None:
        from .builtin_conditions import register_builtin_conditions
        from .contact_merging import register_contact_merge_parts

        register_builtin_conditions()
        register_contact_merge_parts()
