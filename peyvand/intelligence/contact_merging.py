"""What a contact merge does to the per-customer intelligence rows (registered with
``contacts.merge_parts`` in ``IntelligenceConfig.ready``): the merged contacts' RFM scores,
lifetime values, churn risks and next best products are dropped. They described a customer
who is now part of the survivor, whose figures the next daily runs compute from the orders
the merge moved; until then the survivor keeps their own. Undo brings nothing back: those
runs compute the restored contact again. So these rows only ever exist for contacts not
merged away, and a viewer who sees every such contact reads them without a join
(``selectors.rows_of``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from peyvand.contacts.merge_parts import Moved, register_contact_merge_part

from .models import CustomerChurn, CustomerRfm, CustomerValue, ProductRecommendation

DERIVED = (CustomerRfm, CustomerValue, CustomerChurn, ProductRecommendation)


class DerivedRowsPart:
    key = "intelligence"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        for model in DERIVED:
            model._default_manager.filter(contact_id__in=list(merged_ids)).delete()
        return {}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        """Nothing to put back: the next runs score the restored contacts."""


def register_contact_merge_parts() -> None:
    register_contact_merge_part(DerivedRowsPart())
