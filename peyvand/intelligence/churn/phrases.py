"""A churn reason in words, in the reader's language: ``{"feature", "value", "impact"}`` as
stored per customer (``CustomerChurn.reasons``) → "No purchase for 210 days". Worded when
shown, so the same stored reason reads in Farsi or English."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _number(value: float) -> str:
    from peyvand.intelligence.dashboard import display_value

    return display_value(value, "number")


def _money(value: float) -> str:
    from peyvand.intelligence.dashboard import display_value

    return display_value(value, "money")


def _purchases(days: int) -> Callable[[float], str]:
    def phrase(value: float) -> str:
        if not value:
            return _("No purchase in the last %(days)s days") % {"days": _number(days)}
        return ngettext(
            "%(count)s purchase in the last %(days)s days",
            "%(count)s purchases in the last %(days)s days",
            int(value),
        ) % {"count": _number(value), "days": _number(days)}

    return phrase


def _spend(days: int) -> Callable[[float], str]:
    def phrase(value: float) -> str:
        return _("Spent %(amount)s in the last %(days)s days") % {
            "amount": _money(value),
            "days": _number(days),
        }

    return phrase


def _trend(value: float) -> str:
    if value < 0:
        return _("Spend fell %(percent)s%% vs the previous quarter") % {"percent": _number(-value)}
    return _("Spend rose %(percent)s%% vs the previous quarter") % {"percent": _number(value)}


def _score(label: Callable[[], str]) -> Callable[[float], str]:
    def phrase(value: float) -> str:
        return _("%(score_name)s score %(score)s of 5") % {
            "score_name": label(),
            "score": _number(value),
        }

    return phrase


def _counted(
    wording: Callable[[int], str], zero: Callable[[], str] | None = None
) -> Callable[[float], str]:
    """A count phrase: ``wording(n)`` is the (plural-aware) text with ``%(count)s``."""

    def phrase(value: float) -> str:
        if not value and zero is not None:
            return zero()
        return wording(int(value)) % {"count": _number(value)}

    return phrase


PHRASES: Mapping[str, Callable[[float], str]] = {
    "days_since_last_purchase": lambda value: (
        _("No purchase for %(days)s days") % {"days": _number(value)}
    ),
    "tenure_days": lambda value: _("Customer for %(days)s days") % {"days": _number(value)},
    "average_gap_days": lambda value: (
        _("Buys every %(days)s days on average") % {"days": _number(value)}
    ),
    "purchases_30": _purchases(30),
    "purchases_90": _purchases(90),
    "purchases_365": _purchases(365),
    "spend_30": _spend(30),
    "spend_90": _spend(90),
    "spend_365": _spend(365),
    "purchases_total": _counted(
        lambda n: ngettext("%(count)s purchase in all", "%(count)s purchases in all", n)
    ),
    "spend_total": lambda value: _("Spent %(amount)s in all") % {"amount": _money(value)},
    "spend_trend_percent": _trend,
    "recency_score": _score(lambda: _("RFM recency")),
    "frequency_score": _score(lambda: _("RFM frequency")),
    "monetary_score": _score(lambda: _("RFM monetary")),
    "refunds_365": _counted(
        lambda n: ngettext(
            "%(count)s refund in the last year", "%(count)s refunds in the last year", n
        )
    ),
    "cancellations_365": _counted(
        lambda n: ngettext(
            "%(count)s cancelled order in the last year",
            "%(count)s cancelled orders in the last year",
            n,
        )
    ),
    "events_90": _counted(
        lambda n: ngettext(
            "%(count)s activity in the last 90 days",
            "%(count)s activities in the last 90 days",
            n,
        ),
        lambda: _("No activity in the last 90 days"),
    ),
    "open_tickets": _counted(
        lambda n: ngettext("%(count)s open ticket", "%(count)s open tickets", n),
        lambda: _("No open ticket"),
    ),
    "tickets_90": _counted(
        lambda n: ngettext(
            "%(count)s ticket in the last 90 days", "%(count)s tickets in the last 90 days", n
        )
    ),
    "last_survey_score": lambda value: (
        _("Last survey score %(score)s of 100") % {"score": _number(value)}
    ),
}
# What a missing value means, for the features that can be missing.
MISSING: Mapping[str, Callable[[], str]] = {
    "average_gap_days": lambda: _("Only one purchase"),
    "spend_trend_percent": lambda: _("No purchase in the quarter before last"),
    "recency_score": lambda: _("No purchase in the RFM window"),
    "frequency_score": lambda: _("No purchase in the RFM window"),
    "monetary_score": lambda: _("No purchase in the RFM window"),
    "last_survey_score": lambda: _("No survey answered"),
}


# Count and spend features over a window of days: nothing in a window is implied by nothing
# in a longer one, or by a last purchase longer ago than the window.
_WINDOW_DAYS: Mapping[str, int] = {
    f"{kind}_{days}": days for kind in ("purchases", "spend") for days in (30, 90, 365)
}


def _said_by_another(reason: Mapping[str, Any], others: list[Mapping[str, Any]]) -> bool:
    days = _WINDOW_DAYS.get(str(reason.get("feature", "")))
    if days is None or reason.get("value") != 0:
        return False
    for other in others:
        if other is reason or other.get("value") is None:
            continue
        feature = str(other.get("feature", ""))
        if feature == "days_since_last_purchase" and other["value"] >= days:
            return True
        if _WINDOW_DAYS.get(feature, 0) > days and other["value"] == 0:
            return True
    return False


def reasons_text(reasons: list[Mapping[str, Any]]) -> list[str]:
    """A customer's stored reasons in words, each said once: "no purchase in 90 days" goes
    when "no purchase in 365 days" (or "no purchase for 400 days") is there too, and reasons
    that read the same (three RFM scores missing for want of a purchase) show once."""
    texts: list[str] = []
    for reason in reasons:
        if _said_by_another(reason, reasons):
            continue
        text = reason_text(reason)
        if text not in texts:
            texts.append(text)
    return texts


def reason_text(reason: Mapping[str, Any]) -> str:
    """One stored reason in words (a feature the wording does not know: "name: value")."""
    feature = str(reason.get("feature", ""))
    value = reason.get("value")
    if value is None:
        missing = MISSING.get(feature)
        return missing() if missing else _("%(feature)s: unknown") % {"feature": feature}
    phrase = PHRASES.get(feature)
    if phrase is None:
        return f"{feature}: {_number(float(value))}"
    return phrase(float(value))
