"""The insights dashboard: KPI tiles and charts over what the viewer may see, each with the
data for its ECharts chart and the rows of its CSV, and the charts people pin to their home
page.

A chart is a :class:`ChartSpec` in :data:`CHARTS`: a key, a title, the kind of chart the
page draws, the roles that may see it and a function from :class:`KpiData` (the figures,
computed lazily, once per request) to :class:`ChartData`. A chart whose figures come from
another module that may not be there yet (CLV, churn risk) returns ``None`` until it is, and
the page shows "not computed yet": adding it is the function in that module (see
:func:`_optional`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from peyvand.accounts.models import Role, Team, User
from peyvand.commerce.selectors import may_read_orders
from peyvand.common.jalali import JalaliMonth
from peyvand.common.money import display_unit, format_money
from peyvand.common.persian import is_farsi, to_persian_digits
from peyvand.contacts.models import Contact, LifecycleStage, Source
from peyvand.contacts.selectors import contacts_visible_to
from peyvand.sales.models import Lead
from peyvand.sales.selectors import leads_visible_to
from peyvand.service.models import Ticket
from peyvand.service.selectors import tickets_visible_to

from .dashboard_models import PinnedChart
from .kpis import (
    KpiFilters,
    MonthRange,
    cac_by_source,
    churn_rate,
    customer_acquisition_cost,
    customer_flows,
    lead_conversion,
    marketing_spend,
    nps_by_month,
    repeat_purchase_rate,
    retention_rate,
    satisfaction,
    service_times,
    stage_transitions,
)
from .kpis.customers import spend_total
from .selectors import rfm_overview

# Who sees the dashboard: the people who steer (managers, administrators) and marketing,
# whose work the customer and lead figures measure. Service figures are for managers.
INSIGHTS_ROLES = (Role.ADMIN, Role.MANAGER, Role.MARKETING)
MANAGER_ROLES = (Role.ADMIN, Role.MANAGER)
DEFAULT_MONTHS = 6
HOME_MONTHS = 6


def may_view_insights(user: User | AnonymousUser | None) -> bool:
    """True for active administrators, managers and marketing (fails closed)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in INSIGHTS_ROLES)


class KpiData:
    """The figures of one request, each computed on first use and scoped to ``user``:
    contacts, buyers (contacts whose orders the user may see) and leads narrowed by the team
    (the owner's) and source filters, tickets by the team filter."""

    def __init__(self, user: User, filters: KpiFilters) -> None:
        self.user = user
        self.filters = filters
        self.period = filters.period

    @cached_property
    def contacts(self) -> QuerySet[Contact]:
        contacts = contacts_visible_to(self.user)
        if self.filters.team_id is not None:
            contacts = contacts.filter(owner__teams__id=self.filters.team_id)
        if self.filters.source is not None:
            contacts = contacts.filter(source=self.filters.source)
        return contacts

    @cached_property
    def buyers(self) -> QuerySet[Contact]:
        """The contacts whose purchases count: the filtered contacts, when the user may see
        their orders."""
        return self.contacts if may_read_orders(self.user) else self.contacts.none()

    @cached_property
    def leads(self) -> QuerySet[Lead]:
        leads = leads_visible_to(self.user)
        if self.filters.team_id is not None:
            leads = leads.filter(owner__teams__id=self.filters.team_id)
        if self.filters.source is not None:
            leads = leads.filter(source=self.filters.source)
        return leads

    @cached_property
    def tickets(self) -> QuerySet[Ticket]:
        tickets = tickets_visible_to(self.user)
        if self.filters.team_id is not None:
            tickets = tickets.filter(team_id=self.filters.team_id)
        return tickets

    @cached_property
    def flows(self) -> Any:
        return customer_flows(self.buyers, self.period)

    @cached_property
    def spend(self) -> dict[str, list[int]]:
        spend = marketing_spend(self.period)
        if self.filters.source is not None:
            spend = {self.filters.source: spend.get(self.filters.source, [0] * self.months)}
        return spend

    @property
    def months(self) -> int:
        return len(self.period.months())

    @cached_property
    def leads_conversion(self) -> Any:
        return lead_conversion(self.leads, self.period)

    @cached_property
    def service_times(self) -> Any:
        return service_times(self.tickets, self.period)

    @cached_property
    def satisfaction(self) -> Any:
        return satisfaction(self.tickets, self.period)

    @cached_property
    def nps(self) -> Any:
        return nps_by_month(self.tickets, self.period)

    @cached_property
    def journey(self) -> Any:
        return stage_transitions(self.contacts, self.period)


@dataclass
class ChartData:
    """What the page draws (``data``, read by ``insights.js`` for ``kind``) and what the
    CSV holds (header first)."""

    data: dict[str, Any]
    csv: list[list[str]]
    is_empty: bool = False


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: Promise
    kind: str  # tiles, lines, bars, heatmap, rfm, sankey, list
    build: Callable[[KpiData], ChartData | None]
    roles: tuple[str, ...] = INSIGHTS_ROLES
    width: int = 6  # Bootstrap columns on a wide screen

    def allowed(self, user: User) -> bool:
        return bool(user.is_superuser or user.role in self.roles)


def _text(value: object) -> str:
    """A figure for a CSV cell (ASCII digits, empty for none)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _labels(months: Sequence[JalaliMonth]) -> list[str]:
    return [month.label() for month in months]


# Tiles --------------------------------------------------------------------------------------


@dataclass
class Tile:
    """One KPI tile: the value of the last month, the change from the month before and the
    values of every month for the sparkline (``None`` where there is no figure)."""

    key: str
    title: str
    unit: str  # percent, number, money, hours, score
    values: list[float | None]
    is_higher_better: bool = True
    note: str = ""

    @property
    def value(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def previous(self) -> float | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 2)

    @property
    def display(self) -> str:
        return display_value(self.value, self.unit)

    @property
    def delta_display(self) -> str:
        if self.delta is None:
            return ""
        sign = "+" if self.delta > 0 else ""
        return sign + display_value(self.delta, self.unit)

    @property
    def is_good(self) -> bool | None:
        if not self.delta:
            return None
        return (self.delta > 0) == self.is_higher_better


def display_value(value: float | None, unit: str) -> str:
    """A figure as people read it: percent with one decimal, money in the display unit,
    hours with one decimal; Persian digits in Persian."""
    if value is None:
        return "—"
    language = get_language() or "fa"
    if unit == "money":
        return format_money(round(value), unit=display_unit(), language=language, whole=True)
    if unit == "percent":
        text = f"{value:.1f}" + ("٪" if is_farsi(language) else "%")
    elif unit == "hours":
        text = f"{value:.1f} " + _("h")
    elif unit == "score":
        text = f"{value:.1f}"
    else:
        text = f"{round(value):,}"
    return to_persian_digits(text) if is_farsi(language) else text


def kpi_tiles(kpis: KpiData) -> list[Tile]:
    """The tiles the viewer's role sees, each over the months of the period."""
    months = kpis.flows.months
    tiles = [
        Tile(
            "retention",
            _("Retention rate"),
            "percent",
            [_percent(retention_rate(row)) for row in months],
        ),
        Tile(
            "churn",
            _("Churn rate"),
            "percent",
            [_percent(churn_rate(row)) for row in months],
            is_higher_better=False,
        ),
        Tile(
            "repeat",
            _("Repeat purchase rate"),
            "percent",
            [_percent(repeat_purchase_rate(row)) for row in months],
        ),
        Tile("new_customers", _("New customers"), "number", [row.new for row in months]),
        Tile(
            "active_customers", _("Active customers"), "number", [row.active_end for row in months]
        ),
        Tile("revenue", _("Net revenue"), "money", [row.revenue for row in months]),
        Tile(
            "cac",
            _("Customer acquisition cost"),
            "money",
            [
                customer_acquisition_cost(spend, row.new)
                for spend, row in zip(spend_total(kpis.spend, kpis.months), months, strict=True)
            ],
            is_higher_better=False,
        ),
        Tile(
            "lead_conversion",
            _("Lead conversion rate"),
            "percent",
            [_percent(row.rate) for row in kpis.leads_conversion.by_month],
        ),
    ]
    clv = _optional("peyvand.intelligence.clv.dashboard", "clv_average")
    clv_value = clv(kpis.user, kpis.filters) if clv else None
    tiles.append(
        Tile(
            "clv",
            _("Customer lifetime value"),
            "money",
            [clv_value] if clv_value is not None else [],
            note="" if clv_value is not None else _("Not computed yet"),
        )
    )
    if kpis.user.is_superuser or kpis.user.role in MANAGER_ROLES:
        satisfaction_rows = kpis.satisfaction.by_month
        nps = [row.nps for row in kpis.nps]
        tiles += [
            Tile("csat", _("CSAT"), "percent", [row.csat_percent for row in satisfaction_rows]),
            Tile("ces", _("CES (1–7)"), "score", [row.average_effort for row in satisfaction_rows]),
            Tile(
                "nps",
                _("NPS"),
                "score",
                nps,
                note="" if any(value is not None for value in nps) else _("Not collected"),
            ),
            Tile(
                "first_response",
                _("First response (median)"),
                "hours",
                [row.median_hours for row in kpis.service_times.first_response_by_month],
                is_higher_better=False,
            ),
            Tile(
                "resolution",
                _("Resolution (median)"),
                "hours",
                [row.median_hours for row in kpis.service_times.resolution_by_month],
                is_higher_better=False,
            ),
        ]
    return tiles


def _tiles_chart(kpis: KpiData) -> ChartData:
    tiles = kpi_tiles(kpis)
    months = kpis.period.months()
    header = [_("KPI")] + [month.code() for month in months]
    rows = [header]
    for tile in tiles:
        values = tile.values if len(tile.values) == len(months) else []
        rows.append([tile.title] + [_text(value) for value in values])
    return (
        ChartData(
            data={
                "tiles": [
                    {
                        "key": tile.key,
                        "values": tile.values,
                        "unit": tile.unit,
                        "labels": _labels(months),
                    }
                    for tile in tiles
                ]
            },
            csv=rows,
        )
        if tiles
        else ChartData(data={}, csv=rows, is_empty=True)
    )


# Charts -------------------------------------------------------------------------------------


def _retention_chart(kpis: KpiData) -> ChartData:
    months = kpis.flows.months
    series = {
        "retention": [_percent(retention_rate(row)) for row in months],
        "churn": [_percent(churn_rate(row)) for row in months],
        "repeat": [_percent(repeat_purchase_rate(row)) for row in months],
    }
    names = {
        "retention": _("Retention rate"),
        "churn": _("Churn rate"),
        "repeat": _("Repeat purchase rate"),
    }
    csv = [
        [
            _("Month"),
            _("Active at start"),
            _("Retained"),
            _("Churned"),
            _("New"),
            _("Reactivated"),
            _("Active at end"),
            _("Buyers"),
            _("Orders"),
            _("Net revenue (Rials)"),
            _("Retention %"),
            _("Churn %"),
            _("Repeat purchase %"),
        ]
    ] + [
        [
            row.month.code(),
            *(
                str(getattr(row, name))
                for name in (
                    "active_start",
                    "retained",
                    "churned",
                    "new",
                    "reactivated",
                    "active_end",
                    "buyers",
                    "orders",
                    "revenue",
                )
            ),
            _text(series["retention"][index]),
            _text(series["churn"][index]),
            _text(series["repeat"][index]),
        ]
        for index, row in enumerate(months)
    ]
    return ChartData(
        data={
            "labels": _labels([row.month for row in months]),
            "series": [{"name": names[key], "data": values} for key, values in series.items()],
            "unit": "percent",
        },
        csv=csv,
        is_empty=not any(row.active_start or row.buyers for row in months),
    )


def _customers_chart(kpis: KpiData) -> ChartData:
    months = kpis.flows.months
    series = [
        {"name": _("New"), "data": [row.new for row in months]},
        {"name": _("Reactivated"), "data": [row.reactivated for row in months]},
        {"name": _("Churned"), "data": [-row.churned for row in months]},
    ]
    csv = [[_("Month"), _("New"), _("Reactivated"), _("Churned"), _("Active at end")]] + [
        [
            row.month.code(),
            str(row.new),
            str(row.reactivated),
            str(row.churned),
            str(row.active_end),
        ]
        for row in months
    ]
    return ChartData(
        data={"labels": _labels([row.month for row in months]), "series": series, "stack": True},
        csv=csv,
        is_empty=not any(row.new or row.churned or row.reactivated for row in months),
    )


def _cohorts_chart(kpis: KpiData) -> ChartData:
    cohorts = kpis.flows.cohorts
    width = max((len(cohort.buyers) for cohort in cohorts), default=0)
    cells = []
    for row, cohort in enumerate(cohorts):
        for offset, share in enumerate(cohort.percents[1:], start=1):
            cells.append([offset - 1, row, share])
    csv = [[_("First purchase month"), _("Customers")] + [f"+{step}" for step in range(1, width)]]
    csv += [
        [cohort.month.code(), str(cohort.size)] + [_text(share) for share in cohort.percents[1:]]
        for cohort in cohorts
    ]
    return ChartData(
        data={
            "x": [f"+{step}" for step in range(1, width)],
            "y": [f"{cohort.month.label()} ({cohort.size})" for cohort in cohorts],
            "cells": cells,
            "max": 100,
            "unit": "percent",
        },
        csv=csv,
        is_empty=not any(cohort.size for cohort in cohorts) or width < 2,
    )


def _rfm_chart(kpis: KpiData) -> ChartData:
    overview = rfm_overview(kpis.user)
    cells: list[list[Any]] = []
    largest = 0
    csv = [[_("R"), _("FM"), _("Segment"), _("Customers")]]
    for recency, row in overview.grid:
        for fm_index, (count, segment) in enumerate(row):
            cells.append([fm_index, recency - 1, count, str(segment.label)])
            largest = max(largest, count)
            csv.append([str(recency), str(fm_index + 1), str(segment.label), str(count)])
    return ChartData(
        data={
            "x": [f"FM {score}" for score in range(1, 6)],
            "y": [f"R {score}" for score in range(1, 6)],
            "cells": cells,
            "max": largest,
            "unit": "number",
        },
        csv=csv,
        is_empty=overview.run is None,
    )


def _journey_chart(kpis: KpiData) -> ChartData:
    labels = dict(LifecycleStage.choices)

    def name(stage: str) -> str:
        return str(labels.get(stage, stage)) if stage else _("New contact")

    nodes: dict[str, str] = {}
    links = []
    for item in kpis.journey:
        source, target = f"from:{item.source}", f"to:{item.target}"
        nodes[source] = name(item.source)
        nodes[target] = name(item.target)
        links.append({"source": source, "target": target, "value": item.contacts})
    csv = [[_("From stage"), _("To stage"), _("Changes")]] + [
        [name(item.source), name(item.target), str(item.contacts)] for item in kpis.journey
    ]
    return ChartData(
        data={
            "nodes": [{"name": key, "label": label} for key, label in nodes.items()],
            "links": links,
        },
        csv=csv,
        is_empty=not links,
    )


def _leads_chart(kpis: KpiData) -> ChartData:
    conversion = kpis.leads_conversion
    csv = [[_("Breakdown"), _("Value"), _("Leads"), _("Converted"), _("Conversion %")]]
    for title, rows in (
        (_("Month"), conversion.by_month),
        (_("Source"), conversion.by_source),
        (_("Team"), conversion.by_team),
    ):
        csv += [
            [title, str(row.label), str(row.created), str(row.converted), _text(_percent(row.rate))]
            for row in rows
        ]
    return ChartData(
        data={
            "labels": [row.label for row in conversion.by_month],
            "series": [
                {"name": _("Leads"), "data": [row.created for row in conversion.by_month]},
                {"name": _("Converted"), "data": [row.converted for row in conversion.by_month]},
            ],
            "line": {
                "name": _("Conversion %"),
                "data": [_percent(row.rate) for row in conversion.by_month],
            },
        },
        csv=csv,
        is_empty=not any(row.created for row in conversion.by_month),
    )


def _cac_chart(kpis: KpiData) -> ChartData:
    rows = cac_by_source(kpis.flows, kpis.spend)
    sources = dict(Source.choices)

    def label(source: str) -> str:
        return str(sources.get(source, source or _("Campaigns")))

    csv = [[_("Source"), _("Spend (Rials)"), _("New customers"), _("CAC (Rials)")]] + [
        [label(row["source"]), str(row["spend"]), str(row["new"]), _text(row["cac"])]
        for row in rows
    ]
    return ChartData(
        data={
            "labels": [label(row["source"]) for row in rows],
            "series": [{"name": _("CAC"), "data": [row["cac"] for row in rows]}],
            "unit": "money",
        },
        csv=csv,
        # Without spend there is no cost to show (new customers alone are in other charts).
        is_empty=not any(row["spend"] for row in rows),
    )


def _service_chart(kpis: KpiData) -> ChartData:
    times = kpis.service_times
    csv = [
        [_("Measure"), _("Breakdown"), _("Value"), _("Tickets"), _("Mean hours"), _("Median hours")]
    ]
    for measure, by_month, by_team in (
        (_("First response"), times.first_response_by_month, times.first_response_by_team),
        (_("Resolution"), times.resolution_by_month, times.resolution_by_team),
    ):
        for breakdown, rows in ((_("Month"), by_month), (_("Team"), by_team)):
            csv += [
                [
                    measure,
                    breakdown,
                    row.label,
                    str(row.tickets),
                    _text(row.mean_hours),
                    _text(row.median_hours),
                ]
                for row in rows
            ]
    return ChartData(
        data={
            "labels": [row.label for row in times.first_response_by_month],
            "series": [
                {
                    "name": _("First response (median hours)"),
                    "data": [row.median_hours for row in times.first_response_by_month],
                },
                {
                    "name": _("Resolution (median hours)"),
                    "data": [row.median_hours for row in times.resolution_by_month],
                },
            ],
            "unit": "hours",
        },
        csv=csv,
        is_empty=not any(
            row.tickets for row in times.first_response_by_month + times.resolution_by_month
        ),
    )


def _satisfaction_chart(kpis: KpiData) -> ChartData:
    rows = kpis.satisfaction.by_month
    nps = kpis.nps
    csv = [
        [
            _("Month"),
            _("CSAT answers"),
            _("CSAT %"),
            _("Average CSAT"),
            _("Average CES"),
            _("NPS answers"),
            _("NPS"),
        ]
    ] + [
        [
            row.key,
            str(row.answered),
            _text(row.csat_percent),
            _text(row.average_score),
            _text(row.average_effort),
            str(nps_row.answers),
            _text(nps_row.nps),
        ]
        for row, nps_row in zip(rows, nps, strict=True)
    ]
    return ChartData(
        data={
            "labels": [row.label for row in rows],
            "series": [
                {"name": _("CSAT %"), "data": [row.csat_percent for row in rows]},
                {"name": _("NPS"), "data": [row.nps for row in nps]},
            ],
            "unit": "percent",
            "nps_collected": any(row.answers for row in nps),
        },
        csv=csv,
        is_empty=not any(row.answered for row in rows) and not any(row.answers for row in nps),
    )


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` when that module exists (the CLV and churn work add theirs), else
    ``None``: the chart then says "not computed yet"."""
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return None
    found = getattr(loaded, name, None)
    return found if callable(found) else None


def _clv_chart(kpis: KpiData) -> ChartData | None:
    """Hook: ``peyvand.intelligence.clv.dashboard.clv_distribution(user, filters)`` returns
    ``{"labels": [bucket…], "values": [customers…]}`` (or ``None`` before the first run)."""
    source = _optional("peyvand.intelligence.clv.dashboard", "clv_distribution")
    result = source(kpis.user, kpis.filters) if source else None
    if not result:
        return None
    csv = [[_("Lifetime value"), _("Customers")]] + [
        [str(label), str(value)]
        for label, value in zip(result["labels"], result["values"], strict=True)
    ]
    return ChartData(
        data={
            "labels": result["labels"],
            "series": [{"name": _("Customers"), "data": result["values"]}],
        },
        csv=csv,
        is_empty=not any(result["values"]),
    )


def _churn_risk_chart(kpis: KpiData) -> ChartData | None:
    """Hook: ``peyvand.intelligence.churn.dashboard.churn_risk_list(user, filters)`` returns
    ``[{"name", "url", "probability" (0–1), "percent", "clv", "clv_text", "reasons"}…]``
    most at risk first (or ``None`` before the first run), already scoped to the user."""
    source = _optional("peyvand.intelligence.churn.dashboard", "churn_risk_list")
    result = source(kpis.user, kpis.filters) if source else None
    if result is None:
        return None
    csv = [[_("Customer"), _("Churn probability"), _("Lifetime value (Rials)"), _("Reasons")]]
    csv += [
        [
            str(row["name"]),
            _text(row["probability"]),
            _text(row.get("clv")),
            "; ".join(row.get("reasons", [])),
        ]
        for row in result
    ]
    return ChartData(data={"rows": list(result)}, csv=csv, is_empty=not result)


CHARTS: dict[str, ChartSpec] = {
    spec.key: spec
    for spec in (
        ChartSpec("kpis", gettext_lazy("Key figures"), "tiles", _tiles_chart, width=12),
        ChartSpec(
            "retention",
            gettext_lazy("Retention, churn and repeat purchases"),
            "lines",
            _retention_chart,
        ),
        ChartSpec(
            "customers",
            gettext_lazy("New, reactivated and churned customers"),
            "bars",
            _customers_chart,
        ),
        ChartSpec(
            "cohorts",
            gettext_lazy("Cohort retention by first-purchase month"),
            "heatmap",
            _cohorts_chart,
        ),
        ChartSpec("rfm", gettext_lazy("RFM grid"), "heatmap", _rfm_chart),
        ChartSpec("clv", gettext_lazy("Customer lifetime value distribution"), "bars", _clv_chart),
        ChartSpec(
            "churn_risk", gettext_lazy("Customers at risk of churning"), "list", _churn_risk_chart
        ),
        ChartSpec(
            "journey", gettext_lazy("Customer journey between stages"), "sankey", _journey_chart
        ),
        ChartSpec("leads", gettext_lazy("Lead conversion"), "bars", _leads_chart),
        ChartSpec("cac", gettext_lazy("Acquisition cost by source"), "bars", _cac_chart),
        ChartSpec(
            "service",
            gettext_lazy("First response and resolution times"),
            "lines",
            _service_chart,
            roles=MANAGER_ROLES,
        ),
        ChartSpec(
            "satisfaction",
            gettext_lazy("CSAT and NPS"),
            "lines",
            _satisfaction_chart,
            roles=MANAGER_ROLES,
        ),
    )
}


def charts_for(user: User) -> list[ChartSpec]:
    """The charts ``user`` may see, in page order (none unless they may view insights)."""
    if not may_view_insights(user):
        return []
    return [spec for spec in CHARTS.values() if spec.allowed(user)]


@dataclass
class RenderedChart:
    spec: ChartSpec
    chart: ChartData | None  # None: not computed yet
    tiles: list[Tile] = field(default_factory=list)
    is_pinned: bool = False

    @property
    def element_id(self) -> str:
        return f"chart-{self.spec.key}"


def render_charts(
    kpis: KpiData, specs: Sequence[ChartSpec], pinned: set[str]
) -> list[RenderedChart]:
    rendered = []
    for spec in specs:
        rendered.append(
            RenderedChart(
                spec=spec,
                chart=spec.build(kpis),
                tiles=kpi_tiles(kpis) if spec.kind == "tiles" else [],
                is_pinned=spec.key in pinned,
            )
        )
    return rendered


# Filters ------------------------------------------------------------------------------------


def parse_filters(
    query: QueryDict, months: int = DEFAULT_MONTHS
) -> tuple[KpiFilters, dict[str, list[str]]]:
    """The dashboard's filters from the query string (``start``, ``end``: Jalali months like
    ``1405/01``; ``team``: a team id; ``source``: a contact source), with field errors for
    bad values (which then fall back to the default: the last ``months`` months, no team,
    any source)."""
    default = MonthRange.recent(months)
    errors: dict[str, list[str]] = {}
    chosen = {"start": default.first, "end": default.last}
    for name in chosen:
        text = query.get(name, "").strip()
        if text:
            try:
                chosen[name] = JalaliMonth.parse(text)
            except ValidationError as error:
                errors[name] = list(error.messages)
    try:
        period = MonthRange(chosen["start"], chosen["end"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        period = default
    team_id: int | None = None
    team_text = query.get("team", "").strip()
    if team_text:
        if team_text.isdigit() and Team.objects.filter(pk=int(team_text)).exists():
            team_id = int(team_text)
        else:
            errors["team"] = [_("Choose one of the teams.")]
    source: str | None = query.get("source", "").strip() or None
    if source is not None and source not in Source.values:
        errors["source"] = [_("Choose one of the sources.")]
        source = None
    return KpiFilters(period=period, team_id=team_id, source=source), errors


# Pins ---------------------------------------------------------------------------------------


def pinned_keys(user: User) -> list[str]:
    return list(
        PinnedChart.objects.filter(user=user)
        .order_by("position", "id")
        .values_list("chart_key", flat=True)
    )


def chart_pin(*, user: User, chart_key: str) -> PinnedChart:
    """Pin a chart the user may see to the end of their home page (pinning twice keeps one)."""
    spec = CHARTS.get(chart_key)
    if spec is None or spec not in charts_for(user):
        raise ValidationError({"chart": [_("This chart does not exist or is not yours to see.")]})
    existing = PinnedChart.objects.filter(user=user, chart_key=chart_key).first()
    if existing is not None:
        return existing
    last = (
        PinnedChart.objects.filter(user=user)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    pin = PinnedChart(user=user, chart_key=chart_key, position=(last or 0) + 1)
    pin.full_clean()
    pin.save()
    return pin


def chart_unpin(*, user: User, chart_key: str) -> None:
    """Take a chart off the user's own home page (only theirs: pins are looked up by user)."""
    PinnedChart.objects.filter(user=user, chart_key=chart_key).delete()


def home_charts(user: User) -> list[RenderedChart]:
    """The charts ``user`` pinned, over the last months of their own records, for the home
    page; pins of charts they may no longer see are skipped. No query for people who may
    not see insights."""
    if not may_view_insights(user):
        return []
    keys = pinned_keys(user)
    if not keys:
        return []
    allowed = {spec.key: spec for spec in charts_for(user)}
    specs = [allowed[key] for key in keys if key in allowed]
    if not specs:
        return []
    kpis = KpiData(user, KpiFilters(period=MonthRange.recent(HOME_MONTHS)))
    return render_charts(kpis, specs, set(keys))
