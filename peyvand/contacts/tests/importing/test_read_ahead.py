"""Reading ahead in a thread: order, errors where they happened, and a clean stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from peyvand.contacts.importing.read_ahead import read_ahead


def test_items_arrive_in_order_from_another_thread() -> None:
    threads: set[str] = set()

    def produce() -> Iterator[int]:
        for number in range(50):
            threads.add(threading.current_thread().name)
            yield number

    assert list(read_ahead(produce, depth=3, name="reader-test")) == list(range(50))
    assert threads == {"reader-test"}


def test_an_error_while_producing_is_raised_after_the_items_before_it() -> None:
    def produce() -> Iterator[int]:
        yield 1
        yield 2
        raise ValueError("damaged file")

    received = []
    with pytest.raises(ValueError, match="damaged file"):
        for item in read_ahead(produce):
            received.append(item)
    assert received == [1, 2]


def test_closing_early_stops_the_producer_and_closes_its_iterator() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def produce() -> Iterator[int]:
        try:
            for number in range(10_000):
                produced.append(number)
                yield number
        finally:
            closed.set()

    items = read_ahead(produce, depth=2)
    assert next(items) == 0
    items.close()  # type: ignore[attr-defined]

    assert closed.is_set()
    assert len(produced) <= 5
    assert not any(thread.name == "read-ahead" for thread in threading.enumerate())


def test_an_error_in_the_consumer_stops_the_producer() -> None:
    closed = threading.Event()

    def produce() -> Iterator[int]:
        try:
            yield from range(10_000)
        finally:
            closed.set()

    with pytest.raises(RuntimeError):
        for item in read_ahead(produce, depth=1):
            if item == 3:
                raise RuntimeError("disk full")
    assert closed.is_set()
