"""Reading ahead: producing items in a thread of their own while the caller uses earlier ones.

An import spends its time in two kinds of work: parsing and normalizing rows (Python) and
waiting for the database to write the previous batch (the server's work, with the GIL
released). :func:`read_ahead` runs the first in a background thread, a bounded number of
items ahead, so both go on at once. Items arrive in order; an exception raised while
producing is raised to the caller where that item would have been; closing the iterator
(or an exception in the caller) stops the thread and waits for it.

The producer must not use the database: Django's connections belong to one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

Item = TypeVar("Item")

# How long the producer waits on a full queue before checking whether it should stop.
_PUT_TIMEOUT = 0.1


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _End:
    pass


class _Channel(Generic[Item]):
    """The queue between the producer thread and the consumer, with a stop flag."""

    def __init__(self, depth: int) -> None:
        self.items: queue.Queue[Item | _Failure | _End] = queue.Queue(maxsize=depth)
        self.stopped = threading.Event()

    def put(self, item: Item | _Failure | _End) -> bool:
        """Queue ``item``; false when the consumer stopped listening first."""
        while not self.stopped.is_set():
            try:
                self.items.put(item, timeout=_PUT_TIMEOUT)
            except queue.Full:
                continue
            return True
        return False


def _produce(channel: _Channel[Item], produce: Callable[[], Iterator[Item]]) -> None:
    try:
        items = produce()
        try:
            for item in items:
                if not channel.put(item):
                    return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
    except BaseException as error:
        channel.put(_Failure(error))
    else:
        channel.put(_End())


def read_ahead(
    produce: Callable[[], Iterator[Item]], *, depth: int = 2, name: str = "read-ahead"
) -> Iterator[Item]:
    """The items of ``produce()``, made in a daemon thread at most ``depth`` items ahead."""
    channel: _Channel[Item] = _Channel(depth)
    thread = threading.Thread(target=_produce, args=(channel, produce), name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = channel.items.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        channel.stopped.set()
        thread.join()
