from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "peyvand.knowledge"
    label = "knowledge"
