from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "peyvand.feedback"
    label = "feedback"

    def ready(self) -> None:
        """Give the feedback events their label and icon on the timeline."""
        from django.utils.translation import gettext_lazy as _

        from peyvand.timeline.presentation import VERB_LABELS

        VERB_LABELS.setdefault("feedback.csat_sent", (_("Satisfaction survey sent"), "send"))
        VERB_LABELS.setdefault(
            "feedback.csat_answered", (_("Customer rated the support"), "star-half")
        )
