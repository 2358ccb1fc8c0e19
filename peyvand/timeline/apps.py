from django.apps import AppConfig


class TimelineConfig(AppConfig):
    name = "peyvand.timeline"
    label = "timeline"
