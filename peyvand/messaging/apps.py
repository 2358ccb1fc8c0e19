from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "peyvand.messaging"
    label = "messaging"

    def ready(self) -> None:
        from peyvand.contacts.merge_parts import register_contact_movable

        # A merged contact's messages, queued or sent, are the survivor's: consent is
        # checked against the survivor and the frequency cap counts what the person got.
        register_contact_movable("messaging.OutboxMessage", "outbox")
