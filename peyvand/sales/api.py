"""REST endpoints for leads, pipelines with their stages, and deals (including moving a deal
to another stage): ``/api/v1/leads``, ``/api/v1/pipelines``, ``/api/v1/deals``."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from peyvand.accounts.permissions import require_permission
from peyvand.accounts.request import AuthenticatedRequest
from peyvand.api.common import PageOut, cursor_page, resolve_relations

from .deal_products import deal_products_set
from .deals import deal_create, deal_delete, deal_move_stage, deal_update
from .leads import lead_convert, lead_create, lead_delete, lead_set_status, lead_update
from .models import Deal, DealProduct, Lead, Pipeline, Product, Quote, QuoteLine, Stage
from .pipelines import pipeline_create, pipeline_update
from .quotes import product_save, quote_create, quote_decide, quote_send
from .selectors import (
    DEAL_SORTS,
    LEAD_SORTS,
    deals_filtered,
    deals_visible_to,
    leads_filtered,
    leads_visible_to,
)

router = Router(tags=["sales"])


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    full_name: str
    phone: str
    email: str
    company_name: str
    job_title: str
    province: str
    city: str
    message: str
    estimated_amount: int | None
    source: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    referrer: str
    status: str
    status_reason: str
    owner_id: int | None
    score: int
    score_reasons: list[dict[str, Any]]
    consent_given: bool
    web_form_id: int | None
    extra: dict[str, Any]
    contact_id: int | None
    deal_id: int | None
    converted_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class LeadIn(Schema):
    """Fields of a lead; on PATCH send only those to change. With no ``owner_id`` on create,
    the assignment rules pick the owner."""

    model_config = ConfigDict(extra="forbid")

    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    company_name: str = Field("", max_length=200)
    job_title: str = Field("", max_length=120)
    province: str = ""
    city: str = Field("", max_length=80)
    message: str = ""
    estimated_amount: int | None = Field(None, ge=0)
    source: str = ""
    utm_source: str = Field("", max_length=100)
    utm_medium: str = Field("", max_length=100)
    utm_campaign: str = Field("", max_length=100)
    utm_term: str = Field("", max_length=100)
    utm_content: str = Field("", max_length=100)
    referrer: str = Field("", max_length=500)
    owner_id: int | None = None
    consent_given: bool = False
    extra: dict[str, Any] = {}


class LeadFilters(Schema):
    search: str = ""
    status: str = ""
    owner: str = ""
    source: str = ""
    city: str = ""
    sort: str = "newest"
    cursor: str | None = None
    limit: int = 50


class LeadStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["new", "working", "qualified", "unqualified"]
    reason: str = Field("", max_length=250)


class LeadConvertIn(Schema):
    model_config = ConfigDict(extra="forbid")

    contact_id: int | None = None
    create_deal: bool = True
    deal_title: str = Field("", max_length=200)
    pipeline_id: int | None = None
    amount: int | None = Field(None, ge=0)
    expected_close_date: datetime.date | None = None


class LeadConvertOut(Schema):
    lead: LeadOut
    contact_id: int
    company_id: int | None
    deal_id: int | None


@router.get("/leads", response=PageOut[LeadOut], summary="List leads")
def list_leads(request: AuthenticatedRequest, filters: Query[LeadFilters]) -> dict[str, Any]:
    """Visible leads, filtered (``status=open`` for new, working and qualified ones)."""
    require_permission(request.user, "read", "leads")
    queryset = leads_filtered(request.user, {**filters.dict(), "q": filters.search})
    page = cursor_page(
        queryset,
        ordering=LEAD_SORTS.get(filters.sort, LEAD_SORTS["newest"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/leads", response={201: LeadOut}, summary="Create a lead")
def create_lead(request: AuthenticatedRequest, payload: LeadIn) -> Status[Lead]:
    require_permission(request.user, "write", "leads")
    values = resolve_relations(request.user, payload.dict(exclude_unset=True))
    return Status(201, lead_create(actor=request.user, values=values))


@router.get("/leads/{lead_id}", response=LeadOut, summary="Get a lead")
def get_lead(request: AuthenticatedRequest, lead_id: int) -> Lead:
    require_permission(request.user, "read", "leads")
    return leads_visible_to(request.user).get(pk=lead_id)


@router.patch("/leads/{lead_id}", response=LeadOut, summary="Change a lead")
def update_lead(request: AuthenticatedRequest, lead_id: int, payload: LeadIn) -> Lead:
    require_permission(request.user, "write", "leads")
    lead = leads_visible_to(request.user).get(pk=lead_id)
    values = resolve_relations(request.user, payload.dict(exclude_unset=True))
    return lead_update(actor=request.user, lead=lead, values=values)


@router.post("/leads/{lead_id}/status", response=LeadOut, summary="Qualify or disqualify")
def set_lead_status(request: AuthenticatedRequest, lead_id: int, payload: LeadStatusIn) -> Lead:
    require_permission(request.user, "write", "leads")
    lead = leads_visible_to(request.user).get(pk=lead_id)
    return lead_set_status(
        actor=request.user, lead=lead, status=payload.status, reason=payload.reason
    )


@router.post(
    "/leads/{lead_id}/convert",
    response=LeadConvertOut,
    summary="Convert a lead into contact, company and deal",
)
def convert_lead(
    request: AuthenticatedRequest, lead_id: int, payload: LeadConvertIn
) -> dict[str, Any]:
    require_permission(request.user, "write", "leads")
    lead = leads_visible_to(request.user).get(pk=lead_id)
    data = payload.dict()
    relations = resolve_relations(request.user, {"contact_id": data["contact_id"]})
    deal_values: dict[str, Any] = {}
    if data["pipeline_id"] is not None:
        deal_values["pipeline"] = _pipeline(data["pipeline_id"], "pipeline_id")
    if data["deal_title"]:
        deal_values["title"] = data["deal_title"]
    if data["amount"] is not None:
        deal_values["amount"] = data["amount"]
    if data["expected_close_date"] is not None:
        deal_values["expected_close_date"] = data["expected_close_date"]
    contact, company, deal = lead_convert(
        actor=request.user,
        lead=lead,
        contact=relations["contact"],
        create_deal=data["create_deal"],
        deal_values=deal_values,
    )
    lead.refresh_from_db()
    return {
        "lead": lead,
        "contact_id": contact.pk,
        "company_id": company.pk if company else None,
        "deal_id": deal.pk if deal else None,
    }


@router.delete("/leads/{lead_id}", response={204: None}, summary="Delete a lead")
def delete_lead(request: AuthenticatedRequest, lead_id: int) -> Status[None]:
    require_permission(request.user, "delete", "leads")
    lead_delete(actor=request.user, lead=leads_visible_to(request.user).get(pk=lead_id))
    return Status(204, None)


class StageOut(Schema):
    id: int
    name: str
    position: int
    kind: str
    probability: int
    follow_up_days: int | None


class PipelineOut(Schema):
    id: int
    name: str
    position: int
    is_default: bool
    is_active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return list(obj.stages.order_by("position", "id"))


class StageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    name: str = Field(..., max_length=120)
    kind: Literal["open", "won", "lost"] = "open"
    probability: int = Field(10, ge=0, le=100)
    follow_up_days: int | None = Field(None, ge=1, le=365)


class PipelineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., max_length=120)
    is_default: bool = False
    stages: list[StageIn] = []


class PipelinePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=120)
    is_default: bool | None = None
    is_active: bool | None = None
    stages: list[StageIn] | None = None


@router.get("/pipelines", response=list[PipelineOut], summary="List pipelines and stages")
def list_pipelines(request: AuthenticatedRequest) -> list[Pipeline]:
    require_permission(request.user, "read", "pipelines")
    return list(Pipeline.objects.prefetch_related("stages").order_by("position", "id"))


@router.post("/pipelines", response={201: PipelineOut}, summary="Create a pipeline")
def create_pipeline(request: AuthenticatedRequest, payload: PipelineIn) -> Status[Pipeline]:
    """Stages in order; without stages the pipeline gets the usual six. A pipeline needs an
    open, a won and a lost stage."""
    require_permission(request.user, "write", "pipelines")
    pipeline = pipeline_create(
        actor=request.user,
        name=payload.name,
        is_default=payload.is_default,
        stages=[stage.dict() for stage in payload.stages],
    )
    return Status(201, pipeline)


@router.get("/pipelines/{pipeline_id}", response=PipelineOut, summary="Get a pipeline")
def get_pipeline(request: AuthenticatedRequest, pipeline_id: int) -> Pipeline:
    require_permission(request.user, "read", "pipelines")
    return Pipeline.objects.get(pk=pipeline_id)


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut, summary="Change a pipeline")
def update_pipeline(
    request: AuthenticatedRequest, pipeline_id: int, payload: PipelinePatch
) -> Pipeline:
    """``stages`` lists every stage in the new order: with ``id`` to change one, without to
    add; a stage left out is removed (refused while deals stand in it)."""
    require_permission(request.user, "write", "pipelines")
    pipeline = Pipeline.objects.get(pk=pipeline_id)
    data = payload.dict(exclude_unset=True)
    return pipeline_update(
        actor=request.user,
        pipeline=pipeline,
        name=data.get("name"),
        is_default=data.get("is_default"),
        is_active=data.get("is_active"),
        stages=data.get("stages"),
    )


class DealOut(Schema):
    id: int
    title: str
    pipeline_id: int
    stage_id: int
    status: str
    amount: int
    currency: str
    currency_amount: Decimal | None
    exchange_rate: int | None
    probability: int | None
    win_probability: int
    weighted_amount: int
    forecast_category: str
    expected_close_date: datetime.date | None
    owner_id: int | None
    contact_id: int | None
    other_contact_ids: list[int]
    company_id: int | None
    source: str
    description: str
    close_reason: str
    closed_at: datetime.datetime | None
    stage_entered_at: datetime.datetime
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_other_contact_ids(obj: Deal) -> list[int]:
        return sorted(contact.pk for contact in obj.other_contacts.all())


class DealIn(Schema):
    """Fields of a deal; on PATCH send only those to change. ``amount`` is in Rials; for
    another currency send ``currency_amount`` and ``exchange_rate`` (Rials per unit) and the
    Rial amount is computed. With no ``owner_id`` on create, the assignment rules pick one."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=200)
    pipeline_id: int | None = None
    stage_id: int | None = None
    amount: int = Field(0, ge=0)
    currency: str = "IRR"
    currency_amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    exchange_rate: int | None = Field(None, ge=1)
    probability: int | None = Field(None, ge=0, le=100)
    forecast_category: str = "pipeline"
    expected_close_date: datetime.date | None = None
    owner_id: int | None = None
    contact_id: int | None = None
    other_contact_ids: list[int] = []
    company_id: int | None = None
    source: str = ""
    description: str = ""
    close_reason: str = Field("", max_length=250)


class DealFilters(Schema):
    search: str = ""
    pipeline: str = ""
    stage: str = ""
    status: str = ""
    owner: str = ""
    company: str = ""
    contact: str = ""
    close_from: datetime.date | None = None
    close_to: datetime.date | None = None
    sort: str = "newest"
    cursor: str | None = None
    limit: int = 50


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage_id: int
    close_reason: str = Field("", max_length=250)
    position: int | None = Field(None, ge=0)


def _pipeline(pipeline_id: int, field: str) -> Pipeline:
    pipeline = Pipeline.objects.filter(pk=pipeline_id, is_active=True).first()
    if pipeline is None:
        raise ValidationError(
            {field: [ValidationError(_("No such record."), code="does_not_exist")]}
        )
    return pipeline


def _deal_values(request: AuthenticatedRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve ids into visible objects; an unknown or invisible id is a field error."""
    errors: dict[str, list[ValidationError]] = {}
    if "pipeline_id" in data:
        pipeline_id = data.pop("pipeline_id")
        if pipeline_id is not None:
            data["pipeline"] = _pipeline(pipeline_id, "pipeline_id")
    if "stage_id" in data:
        stage_id = data.pop("stage_id")
        if stage_id is not None:
            stage = Stage.objects.filter(pk=stage_id).first()
            if stage is None:
                errors["stage_id"] = [ValidationError(_("No such record."), code="does_not_exist")]
            else:
                data["stage"] = stage
    if "other_contact_ids" in data:
        from peyvand.contacts.selectors import contacts_visible_to

        wanted = set(data.pop("other_contact_ids") or [])
        found = list(contacts_visible_to(request.user).filter(pk__in=wanted))
        if len(found) != len(wanted):
            errors["other_contact_ids"] = [
                ValidationError(_("No such record."), code="does_not_exist")
            ]
        data["other_contacts"] = found
    if errors:
        raise ValidationError(errors)
    return resolve_relations(request.user, data)


def _with_children(deal_id: int) -> Deal:
    return Deal.objects.select_related("stage").prefetch_related("other_contacts").get(pk=deal_id)


@router.get("/deals", response=PageOut[DealOut], summary="List deals")
def list_deals(request: AuthenticatedRequest, filters: Query[DealFilters]) -> dict[str, Any]:
    require_permission(request.user, "read", "deals")
    raw = filters.dict()
    values = {key: str(value) for key, value in raw.items() if value not in (None, "")}
    queryset = deals_filtered(request.user, {**values, "q": filters.search})
    page = cursor_page(
        queryset.select_related("stage").prefetch_related("other_contacts"),
        ordering=DEAL_SORTS.get(filters.sort, DEAL_SORTS["newest"]),
        cursor=filters.cursor,
        limit=filters.limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/deals", response={201: DealOut}, summary="Create a deal")
def create_deal(request: AuthenticatedRequest, payload: DealIn) -> Status[Deal]:
    require_permission(request.user, "write", "deals")
    values = _deal_values(request, payload.dict(exclude_unset=True))
    deal = deal_create(actor=request.user, values=values)
    return Status(201, _with_children(deal.pk))


@router.get("/deals/{deal_id}", response=DealOut, summary="Get a deal")
def get_deal(request: AuthenticatedRequest, deal_id: int) -> Deal:
    require_permission(request.user, "read", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    return _with_children(deal.pk)


@router.patch("/deals/{deal_id}", response=DealOut, summary="Change a deal")
def update_deal(request: AuthenticatedRequest, deal_id: int, payload: DealIn) -> Deal:
    require_permission(request.user, "write", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    values = _deal_values(request, payload.dict(exclude_unset=True))
    deal_update(actor=request.user, deal=deal, values=values)
    return _with_children(deal.pk)


@router.post("/deals/{deal_id}/move", response=DealOut, summary="Move a deal to a stage")
def move_deal(request: AuthenticatedRequest, deal_id: int, payload: MoveIn) -> Deal:
    """To a won or lost stage ``close_reason`` is required; ``position`` is the card's place
    in the stage's board column (0 is the top)."""
    require_permission(request.user, "write", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    stage = Stage.objects.filter(pk=payload.stage_id).first()
    if stage is None:
        raise ValidationError(
            {"stage_id": [ValidationError(_("No such record."), code="does_not_exist")]}
        )
    deal_move_stage(
        actor=request.user,
        deal=deal,
        stage=stage,
        close_reason=payload.close_reason,
        position=payload.position,
    )
    return _with_children(deal.pk)


@router.delete("/deals/{deal_id}", response={204: None}, summary="Delete a deal")
def delete_deal(request: AuthenticatedRequest, deal_id: int) -> Status[None]:
    require_permission(request.user, "delete", "deals")
    deal_delete(actor=request.user, deal=deals_visible_to(request.user).get(pk=deal_id))
    return Status(204, None)


class ForecastRowOut(Schema):
    key: int | None
    label: str
    quota: int
    won: int
    commit: int
    best_case: int
    weighted: int
    pipeline: int
    attainment: float | None


class ForecastOut(Schema):
    year: int
    month: int | None
    quarter: int | None
    start: datetime.date
    end: datetime.date
    group: str
    rows: list[ForecastRowOut]
    total: ForecastRowOut


class ForecastQuery(Schema):
    year: int | None = Field(None, ge=1300, le=1500)
    month: int | None = Field(None, ge=1, le=12)
    quarter: int | None = Field(None, ge=1, le=4)
    group: Literal["owner", "team"] = "owner"


@router.get("/forecast", response=ForecastOut, summary="Sales forecast for a Jalali period")
def get_forecast(request: AuthenticatedRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    """Per owner or team for a Jalali month (default: this month) or quarter, over the deals
    the caller may see: quota, won, commit, best case, weighted and pipeline (Rials). ``end``
    is the day after the period."""
    from .forecast import Period, forecast, totals

    require_permission(request.user, "read", "deals")
    current = Period.current_month()
    year = query.year or current.year
    if query.quarter is not None:
        period = Period(year=year, quarter=query.quarter)
    else:
        period = Period(year=year, month=query.month or current.month)
    deals = deals_visible_to(request.user)
    start, end = period.dates()
    return {
        "year": period.year,
        "month": period.month,
        "quarter": period.quarter,
        "start": start,
        "end": end,
        "group": query.group,
        "rows": forecast(deals, period, group=query.group),
        "total": totals(forecast(deals, period, group="owner")),
    }


class ProductOut(Schema):
    id: int
    code: str
    name: str
    description: str
    unit: str
    price: int
    is_taxable: bool
    is_active: bool


class ProductIn(Schema):
    model_config = ConfigDict(extra="forbid")

    code: str = Field("", max_length=40)
    name: str = Field("", max_length=200)
    description: str = ""
    unit: str = Field("عدد", max_length=30)
    price: int = Field(0, ge=0)
    is_taxable: bool = True
    is_active: bool = True


@router.get("/products", response=list[ProductOut], summary="List products")
def list_products(request: AuthenticatedRequest, active: bool = True) -> list[Product]:
    require_permission(request.user, "read", "products")
    products = Product.objects.all()
    return list(products.filter(is_active=True) if active else products)


@router.post("/products", response={201: ProductOut}, summary="Create a product")
def create_product(request: AuthenticatedRequest, payload: ProductIn) -> Status[Product]:
    require_permission(request.user, "write", "products")
    return Status(201, product_save(actor=request.user, values=payload.dict()))


@router.patch("/products/{product_id}", response=ProductOut, summary="Change a product")
def update_product(request: AuthenticatedRequest, product_id: int, payload: ProductIn) -> Product:
    require_permission(request.user, "write", "products")
    product = Product.objects.get(pk=product_id)
    return product_save(
        actor=request.user, values=payload.dict(exclude_unset=True), product=product
    )


class QuoteLineOut(Schema):
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: int
    discount_percent: Decimal
    is_taxable: bool
    gross: int
    discount: int
    vat: int
    total: int


class QuoteOut(Schema):
    id: int
    number: str
    deal_id: int
    status: str
    issued_on: datetime.date
    valid_until: datetime.date | None
    vat_percent: Decimal
    note: str
    subtotal: int
    discount_total: int
    vat_total: int
    total: int
    sent_at: datetime.datetime | None
    sent_to: str
    decided_at: datetime.datetime | None
    decision_note: str
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_lines(obj: Quote) -> list[QuoteLine]:
        return list(obj.lines.all())


class QuoteLineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    product_id: int | None = None
    description: str = Field("", max_length=300)
    quantity: Decimal = Field(Decimal(1), gt=0, max_digits=12, decimal_places=3)
    unit: str = Field("", max_length=30)
    unit_price: int | None = Field(None, ge=0)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100)
    is_taxable: bool | None = None


class QuoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    issued_on: datetime.date | None = None
    valid_until: datetime.date | None = None
    vat_percent: Decimal | None = Field(None, ge=0, le=100)
    note: str = ""
    lines: list[QuoteLineIn]


class QuoteSendIn(Schema):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(..., max_length=254)
    message: str = ""


class QuoteAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    accepted: bool
    note: str = Field("", max_length=250)


def _quote_lines(rows: list[QuoteLineIn]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        data = row.dict(exclude_none=True)
        product_id = data.pop("product_id", None)
        if product_id is not None:
            product = Product.objects.filter(pk=product_id).first()
            if product is None:
                raise ValidationError(
                    {
                        f"lines.{index}.product_id": [
                            ValidationError(_("No such record."), code="does_not_exist")
                        ]
                    }
                )
            data["product"] = product
        lines.append(data)
    return lines


def _visible_quote(request: AuthenticatedRequest, quote_id: int) -> Quote:
    return Quote.objects.filter(deal__in=deals_visible_to(request.user)).get(pk=quote_id)


class DealProductsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lines: list[QuoteLineIn]


@router.get("/deals/{deal_id}/products", response=list[QuoteLineOut], summary="A deal's products")
def list_deal_products(request: AuthenticatedRequest, deal_id: int) -> list[DealProduct]:
    require_permission(request.user, "read", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    return list(deal.line_items.all())


@router.put(
    "/deals/{deal_id}/products", response=list[QuoteLineOut], summary="Set a deal's products"
)
def set_deal_products(
    request: AuthenticatedRequest, deal_id: int, payload: DealProductsIn
) -> list[DealProduct]:
    """Replace the deal's products (the same line fields as a quote; ``[]`` removes them).
    The deal's amount becomes their total after discounts, before VAT."""
    require_permission(request.user, "write", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    deal = deal_products_set(actor=request.user, deal=deal, rows=_quote_lines(payload.lines))
    return list(deal.line_items.all())


@router.get("/deals/{deal_id}/quotes", response=list[QuoteOut], summary="A deal's quotes")
def list_quotes(request: AuthenticatedRequest, deal_id: int) -> list[Quote]:
    require_permission(request.user, "read", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    return list(deal.quotes.prefetch_related("lines").order_by("-id"))


@router.post("/deals/{deal_id}/quotes", response={201: QuoteOut}, summary="Create a quote")
def create_quote(request: AuthenticatedRequest, deal_id: int, payload: QuoteIn) -> Status[Quote]:
    """Lines from the catalogue (``product_id``; its name, unit, price and VAT flag fill what
    is left out) or free text with ``unit_price``; amounts in Rials, rounded half up."""
    require_permission(request.user, "write", "deals")
    deal = deals_visible_to(request.user).get(pk=deal_id)
    values = payload.dict(exclude={"lines"}, exclude_none=True)
    quote = quote_create(
        actor=request.user, deal=deal, lines=_quote_lines(payload.lines), values=values
    )
    return Status(201, quote)


@router.get("/quotes/{quote_id}", response=QuoteOut, summary="Get a quote")
def get_quote(request: AuthenticatedRequest, quote_id: int) -> Quote:
    require_permission(request.user, "read", "deals")
    return _visible_quote(request, quote_id)


@router.get("/quotes/{quote_id}/pdf", summary="The quote as a Persian PDF")
def get_quote_pdf(request: AuthenticatedRequest, quote_id: int) -> HttpResponse:
    from .quote_pdf import quote_pdf

    require_permission(request.user, "read", "deals")
    quote = _visible_quote(request, quote_id)
    response = HttpResponse(quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="quote-{quote.number}.pdf"'
    return response


@router.post("/quotes/{quote_id}/send", response=QuoteOut, summary="Email the quote's PDF")
def send_quote(request: AuthenticatedRequest, quote_id: int, payload: QuoteSendIn) -> Quote:
    require_permission(request.user, "write", "deals")
    quote = _visible_quote(request, quote_id)
    return quote_send(actor=request.user, quote=quote, to=payload.to, message=payload.message)


@router.post("/quotes/{quote_id}/answer", response=QuoteOut, summary="Accepted or rejected")
def answer_quote(request: AuthenticatedRequest, quote_id: int, payload: QuoteAnswerIn) -> Quote:
    require_permission(request.user, "write", "deals")
    quote = _visible_quote(request, quote_id)
    return quote_decide(
        actor=request.user, quote=quote, accepted=payload.accepted, note=payload.note
    )
