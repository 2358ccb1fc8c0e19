from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "peyvand.messaging"
    label = "messaging"

    def ready(self) -> None:
        from .contact_merging import register_contact_merge_parts

        register_contact_merge_parts()
