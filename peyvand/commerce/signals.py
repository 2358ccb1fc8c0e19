"""What the commerce app tells the others.

``orders_changed`` is sent inside the transaction of every order write (create, update,
cancel, refund, a merge moving orders) with ``contact_ids``: the customers whose purchase
history just changed, in ascending order. Receivers run in that transaction, so what they
derive from the orders (the intelligence app's purchase-month rollup) commits or rolls back
with them.

A transaction that writes many customers' orders (an import batch) wraps them in
:func:`orders_changed_together`: the writes collect their customers and one signal names
them all at the end, so receivers that lock per customer lock in one order (two such
transactions cannot deadlock over customers they both touch) and once per customer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

orders_changed = Signal()

_batch: ContextVar[set[int] | None] = ContextVar("orders_changed_batch", default=None)


def announce_orders_changed(contact_ids: Iterable[int]) -> None:
    """Send ``orders_changed`` for these customers now, or at the end of the surrounding
    :func:`orders_changed_together`."""
    ids = {int(contact_id) for contact_id in contact_ids}
    batch = _batch.get()
    if batch is not None:
        batch.update(ids)
    elif ids:
        orders_changed.send(sender="commerce.Order", contact_ids=sorted(ids))


@contextmanager
def orders_changed_together() -> Iterator[None]:
    """Collect the customers of the order writes inside and announce them once, sorted, on
    leaving without an error (inside the writes' transaction: enter it after the
    ``atomic``). Nested, the outermost announces."""
    if _batch.get() is not None:
        yield
        return
    batch: set[int] = set()
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    announce_orders_changed(batch)
