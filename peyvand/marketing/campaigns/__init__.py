"""Campaigns: building, launching (freeze the audience, personalize, queue through the
outbox), the A/B decision, statistics, pages and API. Models are in
``marketing/campaign_models.py``."""
