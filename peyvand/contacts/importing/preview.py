"""What a dry run would have written, kept as hashes so memory stays small on a huge file.

A preview writes nothing, so a row that repeats an earlier row of the file (at any distance)
must be matched, and judged "updated" or "skipped", against what the real run would have
written by then. The ledger keeps, for every record the preview created or changed:

* its match keys, as 64-bit hashes of ``kind|value`` pointing at the record's id (negative
  for records the preview would create), and
* its state, as one ``bytes`` of 8-byte hashes: a slot per scalar field (0 when empty)
  followed by the hashes of its list items (phones, emails, tag keys).

No row values are kept, only hashes: about 430 bytes per created record with its keys (a
1M-row preview holds about 0.5 GB at worst), not whole rows.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

LIST_FIELDS = ("phones", "emails", "tags")
_EMPTY = 0


def value_hash(*parts: object) -> int:
    """A stable, non-zero 64-bit hash of ``parts`` (not Python's salted ``hash``)."""
    text = "\x1f".join(str(part) for part in parts)
    digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
    return digest or 1


class PreviewLedger:
    """The keys and compact states of the records a preview created or changed."""

    def __init__(self, scalar_fields: Sequence[str], *, fill_only: Sequence[str] = ()) -> None:
        self.scalar_fields = tuple(scalar_fields)
        # Fields a row only ever fills when empty, even when overwriting (a lead's phone).
        self.fill_only = tuple(self.scalar_fields.index(name) for name in fill_only)
        self.keys: dict[int, int] = {}
        self.states: dict[int, bytes] = {}
        self.next_id = 0

    # --- keys ----------------------------------------------------------------------------

    def match(self, keys: Iterable[tuple[str, str]]) -> int | None:
        """The id of the record an earlier batch of the preview matched or created."""
        for kind, value in keys:
            found = self.keys.get(value_hash(kind, value))
            if found is not None:
                return found
        return None

    def add_keys(self, record_id: int, keys: Iterable[tuple[str, str]]) -> None:
        for kind, value in keys:
            self.keys.setdefault(value_hash(kind, value), record_id)

    def new_id(self) -> int:
        """A (negative) id for a record the preview would create."""
        self.next_id -= 1
        return self.next_id

    # --- states --------------------------------------------------------------------------

    def has_state(self, record_id: int) -> bool:
        return record_id in self.states

    def set_state(self, record_id: int, values: Mapping[str, Any]) -> None:
        """Record the state of a record from its values (scalars and the list fields)."""
        slots = [
            value_hash(values[key]) if values.get(key) not in (None, "") else _EMPTY
            for key in self.scalar_fields
        ]
        items = sorted(
            {
                value_hash(index, item)
                for index, key in enumerate(LIST_FIELDS)
                for item in values.get(key) or ()
            }
        )
        self.states[record_id] = _pack(slots, items)

    def apply(self, record_id: int, values: Mapping[str, Any], *, overwrite: bool) -> bool:
        """Apply a row's values to a known record as the real run would; whether it changed.

        A scalar changes when the row has a different non-empty value and the record's is
        empty (or always with ``overwrite``, except a ``fill_only`` field); a list item
        changes the record when it is new.
        """
        slots, items = _unpack(self.states[record_id], len(self.scalar_fields))
        changed = False
        for position, key in enumerate(self.scalar_fields):
            value = values.get(key)
            if value in (None, ""):
                continue
            incoming = value_hash(value)
            replaces = overwrite and position not in self.fill_only
            if incoming != slots[position] and (replaces or slots[position] == _EMPTY):
                slots[position] = incoming
                changed = True
        known = set(items)
        for index, key in enumerate(LIST_FIELDS):
            for item in values.get(key) or ():
                incoming = value_hash(index, item)
                if incoming not in known:
                    known.add(incoming)
                    changed = True
        if changed:
            self.states[record_id] = _pack(slots, sorted(known))
        return changed


def _pack(slots: list[int], items: list[int]) -> bytes:
    return struct.pack(f"<{len(slots) + len(items)}Q", *slots, *items)


def _unpack(state: bytes, slot_count: int) -> tuple[list[int], list[int]]:
    numbers = list(struct.unpack(f"<{len(state) // 8}Q", state))
    return numbers[:slot_count], numbers[slot_count:]


__all__ = ["LIST_FIELDS", "PreviewLedger", "value_hash"]
