from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "peyvand.service"
    label = "service"
