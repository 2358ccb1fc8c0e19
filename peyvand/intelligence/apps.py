from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "peyvand.intelligence"
    label = "intelligence"

    def ready(self) -> None:
        from peyvand.commerce.signals import orders_changed

        from .contact_merging import register_contact_merge_parts
        from .purchase_months import orders_changed_receiver
        from .segment_conditions import register_intelligence_conditions

        register_intelligence_conditions()
        register_contact_merge_parts()
        orders_changed.connect(orders_changed_receiver, dispatch_uid="purchase_months")
