from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "peyvand.commerce"
    label = "commerce"

    def ready(self) -> None:
        from .contact_merging import register_contact_merge_parts

        register_contact_merge_parts()
