"""What a contact merge does to orders (registered with ``contacts.merge_parts`` in
``CommerceConfig.ready``): the merged contacts' orders become the survivor's, and undo moves
them back. Both tell the other apps through ``orders_changed`` (inside the merge's
transaction), so what they derive from a customer's purchases follows the orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from peyvand.contacts.merge_parts import Moved, register_contact_merge_part, restore_rows

from .models import Order
from .signals import announce_orders_changed


class OrderPart:
    # The key plain moves used before orders had a part: older merges undo the same way.
    key = "order"

    def move(self, *, survivor_id: int, merged_ids: Sequence[int]) -> Moved:
        rows = Order.objects.filter(contact_id__in=list(merged_ids))
        moving = {str(pk): owner for pk, owner in rows.values_list("pk", "contact_id")}
        rows.update(contact_id=survivor_id)
        if moving:
            announce_orders_changed([survivor_id, *merged_ids])
        return {self.key: moving}

    def restore(self, *, moved: Mapping[str, Mapping[str, Any]], survivor_id: int) -> None:
        rows = moved.get(self.key, {})
        restore_rows(Order, rows, survivor_id)
        if rows:
            owners = {int(owner) for owner in rows.values()}
            announce_orders_changed([survivor_id, *owners])


def register_contact_merge_parts() -> None:
    register_contact_merge_part(OrderPart())
