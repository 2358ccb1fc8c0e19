from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "peyvand.feedback"
    label = "feedback"
