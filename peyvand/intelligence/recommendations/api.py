"""``GET /api/v1/contacts/{id}/recommendations``: a contact's next best products, as the 360
page shows them (a contact the caller may not see is "not found")."""

from __future__ import annotations

import datetime

from ninja import Router, Schema

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.contacts.selectors import contacts_visible_to

router = Router(tags=["intelligence"])


class NextProductOut(Schema):
    rank: int
    product_id: int
    code: str
    name: str
    price: int
    score: float
    is_popular: bool


class RecommendationsOut(Schema):
    contact_id: int
    computed_at: datetime.datetime | None
    is_popular_only: bool
    products: list[NextProductOut]


@router.get(
    "/contacts/{contact_id}/recommendations",
    response=RecommendationsOut,
    summary="A contact's next best products",
)
def contact_recommendations_api(
    request: AuthenticatedRequest, contact_id: int
) -> RecommendationsOut:
    """Up to 10 products, best first: bought by customers who bought what this contact bought
    (``score``: summed co-purchase similarity), filled by best sellers (``is_popular``,
    ``score``: popularity from 0 to 1). A contact who never bought gets the best sellers
    (``is_popular_only``). Needs the orders read permission."""
    from peyvand.intelligence.selectors import contact_recommendations

    require_permission(request.user, "read", "contacts")
    require_permission(request.user, "read", "orders")
    contact = contacts_visible_to(request.user).get(pk=contact_id)
    found = contact_recommendations(request.user, contact)
    return RecommendationsOut(
        contact_id=contact.pk,
        computed_at=found.run.as_of if found.run else None,
        is_popular_only=found.is_popular_only,
        products=[
            NextProductOut(
                rank=item.rank,
                product_id=item.product.pk,
                code=item.product.code,
                name=item.product.name,
                price=item.product.price,
                score=item.score,
                is_popular=item.is_popular,
            )
            for item in found.products
        ],
    )
