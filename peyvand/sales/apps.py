from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "peyvand.sales"
    label = "sales"
