"""KPIs with documented formulas (each function's docstring; all in docs/architecture.md):
customers (retention, churn, repeat purchase rate, new customers, CAC, cohorts), leads
(conversion rate), service (first response and resolution times, CSAT, CES, NPS) and the
customer journey between lifecycle stages. Every function takes querysets the caller has
already scoped to the viewer and a range of Jalali months; the figures are SQL aggregates,
so the number of queries does not grow with the data."""

from .common import KpiFilters, MonthRange
from .customers import (
    CustomerFlows,
    CustomerMonth,
    average_order_value,
    cac_by_source,
    churn_rate,
    customer_acquisition_cost,
    customer_flows,
    marketing_spend,
    repeat_purchase_rate,
    retention_rate,
)
from .journey import Transition, stage_transitions
from .leads import LeadConversion, lead_conversion, lead_conversion_rate
from .service import (
    NpsRow,
    ServiceTimes,
    net_promoter_score,
    nps_by_month,
    satisfaction,
    service_times,
)

__all__ = [
    "CustomerFlows",
    "CustomerMonth",
    "KpiFilters",
    "LeadConversion",
    "MonthRange",
    "NpsRow",
    "ServiceTimes",
    "Transition",
    "average_order_value",
    "cac_by_source",
    "churn_rate",
    "customer_acquisition_cost",
    "customer_flows",
    "lead_conversion",
    "lead_conversion_rate",
    "marketing_spend",
    "net_promoter_score",
    "nps_by_month",
    "repeat_purchase_rate",
    "retention_rate",
    "satisfaction",
    "service_times",
    "stage_transitions",
]
