from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "peyvand.marketing"
    label = "marketing"
