"""Factories that go through the services, so test data looks like real data (events too)."""

from __future__ import annotations

import itertools
from typing import Any

from peyvand.contacts.models import Company, Contact
from peyvand.contacts.services import company_create, contact_create

_numbers = itertools.count(1000000)


def make_contact(actor: Any = None, **values: Any) -> Contact:
    defaults: dict[str, Any] = {
        "first_name": "مریم",
        "last_name": "رضایی",
        "phones": [f"0912{next(_numbers):07d}"],
    }
    defaults.update(values)
    return contact_create(actor=actor, values=defaults)


def make_company(actor: Any = None, **values: Any) -> Company:
    defaults: dict[str, Any] = {"name": f"شرکت نمونه {next(_numbers)}"}
    defaults.update(values)
    return company_create(actor=actor, values=defaults)
