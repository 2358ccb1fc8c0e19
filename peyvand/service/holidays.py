"""The Iranian official holidays shipped with the product, loaded onto a business calendar.

``data/iran_holidays.json`` lists the holidays of the current and the next Jalali year
(1405 and 1406). Solar holidays follow the law on official holidays; the lunar ones are
computed from the Umm al-Qura calendar and can differ by a day from the calendar Iran
announces, so every entry stays editable on the calendar.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

SHIPPED_HOLIDAYS = Path(__file__).with_name("data") / "iran_holidays.json"


def shipped_holidays() -> list[tuple[datetime.date, str]]:
    """``(date, Farsi name)`` of every shipped holiday, in date order."""
    data: dict[str, Any] = json.loads(SHIPPED_HOLIDAYS.read_text(encoding="utf-8"))
    return [
        (datetime.date.fromisoformat(item["date"]), str(item["name_fa"]))
        for item in data["holidays"]
    ]


def holidays_load(calendar: Any, holiday_model: Any = None) -> int:
    """Add the shipped holidays to ``calendar`` (dates it already has are left as edited);
    returns how many were added. ``holiday_model`` lets a migration pass its historical
    model."""
    if holiday_model is None:
        from .models import Holiday

        holiday_model = Holiday
    existing = set(holiday_model.objects.filter(calendar=calendar).values_list("date", flat=True))
    new = [
        holiday_model(calendar=calendar, date=date, name=name)
        for date, name in shipped_holidays()
        if date not in existing
    ]
    holiday_model.objects.bulk_create(new)
    return len(new)
