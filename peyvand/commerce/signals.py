"""What the commerce app tells the others.

``orders_changed`` is sent inside the transaction of every order write (create, update,
cancel, refund) with ``contact_ids``: the customers whose purchase history just changed.
Receivers run in that transaction, so what they derive from the orders (the intelligence
app's purchase-month rollup) commits or rolls back with them."""

from __future__ import annotations

from django.dispatch import Signal

orders_changed = Signal()
