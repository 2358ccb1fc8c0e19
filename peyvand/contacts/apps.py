from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "peyvand.contacts"
    label = "contacts"
