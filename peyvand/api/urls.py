"""The one NinjaAPI at ``/api/v1/``, assembled from each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

from peyvand.accounts.api import router as accounts_router
from peyvand.commerce.api import router as commerce_router
from peyvand.contacts.api import router as contacts_router
from peyvand.contacts.merge_api import router as merge_router
from peyvand.intelligence.recommendations.api import router as recommendations_router
from peyvand.intelligence.sentiment.api import router as sentiment_router
from peyvand.knowledge.api import router as knowledge_router
from peyvand.marketing.api import router as marketing_router
from peyvand.marketing.campaigns.api import router as campaigns_router
from peyvand.marketing.journeys.api import router as journeys_router
from peyvand.messaging.api import router as messaging_router
from peyvand.sales.api import router as sales_router
from peyvand.service.api import router as service_router
from peyvand.timeline.api import router as timeline_router

from .auth import ActiveSessionAuth, TokenAuth
from .errors import install_error_handlers

api = NinjaAPI(
    title="Peyvand API",
    version="1",
    description=(
        "Peyvand CRM. Authenticate with `Authorization: Bearer <token>` (create one with "
        "`peyvand token create --user U`). Errors are returned in the language of "
        "`Accept-Language` (fa or en)."
    ),
    auth=[TokenAuth(), ActiveSessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/", contacts_router)
api.add_router("/", merge_router)
api.add_router("/", timeline_router)
api.add_router("/", sales_router)
api.add_router("/", service_router)
api.add_router("/", knowledge_router)
api.add_router("/", commerce_router)
api.add_router("/", sentiment_router)
api.add_router("/", recommendations_router)
api.add_router("/", marketing_router)
api.add_router("/", campaigns_router)
api.add_router("/", journeys_router)
api.add_router("/", messaging_router)

urlpatterns = [api.urls]
