"""Sales: leads and the web forms that capture them, pipelines with stages, deals with their
stage history, and the rules that assign new leads and deals to sellers."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.common.iran import PROVINCE_CHOICES
from peyvand.common.money import divide_half_up
from peyvand.contacts.models import Source


class Pipeline(models.Model):
    """A sales process (one per product line or market), made of ordered stages."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(_("default pipeline"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    """An open stage keeps the deal in play; won and lost stages close it."""

    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    """One step of a pipeline, with the default win probability of a deal standing in it."""

    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.CASCADE, related_name="stages", verbose_name=_("pipeline")
    )
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=StageKind.choices, default="open")
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=10, validators=[MaxValueValidator(100)]
    )
    # A deal with no activity for this many days in this stage gets a follow-up task.
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow up after days without activity"), null=True, blank=True
    )

    class Meta:
        ordering = ["pipeline", "position", "id"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind != StageKind.OPEN


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class ForecastCategory(models.TextChoices):
    """How sure the owner is: pipeline < best case < commit; closed deals count as closed."""

    PIPELINE = "pipeline", _("Pipeline")
    BEST_CASE = "best_case", _("Best case")
    COMMIT = "commit", _("Commit")
    OMITTED = "omitted", _("Omitted")


class Currency(models.TextChoices):
    IRR = "IRR", _("Iranian Rial")
    USD = "USD", _("US Dollar")
    EUR = "EUR", _("Euro")
    AED = "AED", _("UAE Dirham")
    CNY = "CNY", _("Chinese Yuan")
    TRY = "TRY", _("Turkish Lira")


class Deal(models.Model):
    """A sales opportunity: what we hope to sell, to whom, for how much, and where it stands.

    ``amount`` is always in Rials; a deal in another currency also keeps the amount in that
    currency and the rate (Rials per unit) used to convert it.
    """

    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="deals", verbose_name=_("stage")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    amount = models.BigIntegerField(_("amount (Rials)"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.IRR
    )
    currency_amount = models.DecimalField(
        _("amount in currency"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    exchange_rate = models.BigIntegerField(
        _("rate (Rials per unit)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Leave empty to use the stage's probability."),
    )
    forecast_category = models.CharField(
        _("forecast category"),
        max_length=12,
        choices=ForecastCategory.choices,
        default=ForecastCategory.PIPELINE,
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_deals",
        verbose_name=_("owner"),
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("contact"),
    )
    other_contacts = models.ManyToManyField(
        "contacts.Contact", blank=True, related_name="+", verbose_name=_("other contacts")
    )
    company = models.ForeignKey(
        "contacts.Company",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
        verbose_name=_("company"),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    description = models.TextField(_("description"), blank=True)
    close_reason = models.CharField(_("won/lost reason"), max_length=250, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    # Order of the card inside its board column (lower first).
    board_position = models.IntegerField(default=0, editable=False)
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["pipeline", "stage", "board_position", "id"], name="deal_board"),
            models.Index(fields=["owner", "status", "-id"], name="deal_owner"),
            models.Index(fields=["status", "expected_close_date"], name="deal_close"),
        ]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")

    def __str__(self) -> str:
        return self.title

    @property
    def win_probability(self) -> int:
        """The deal's own probability, else its stage's; 100 when won and 0 when lost."""
        if self.status == DealStatus.WON:
            return 100
        if self.status == DealStatus.LOST:
            return 0
        return self.probability if self.probability is not None else self.stage.probability

    @property
    def weighted_amount(self) -> int:
        """``amount × probability``, rounded half up to a whole Rial."""
        return divide_half_up(self.amount * self.win_probability, 100)


class DealStageChange(models.Model):
    """One stay of a deal in a stage: when it entered, when it left (``None`` while there)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    # The stage may be removed later; its name stays with the history.
    stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    stage_name = models.CharField(max_length=120)
    from_stage = models.ForeignKey(
        Stage, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["entered_at", "id"]
        indexes = [models.Index(fields=["deal", "entered_at"], name="deal_stage_history")]

    def __str__(self) -> str:
        return f"{self.deal_id} → {self.stage_id}"

    def duration(self, now: datetime.datetime) -> datetime.timedelta:
        return (self.left_at or now) - self.entered_at


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("Working")
    QUALIFIED = "qualified", _("Qualified")
    UNQUALIFIED = "unqualified", _("Unqualified")
    CONVERTED = "converted", _("Converted")


# A lead still being worked on: it can be qualified, converted, scored and followed up.
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.QUALIFIED)


class Lead(models.Model):
    """A first sign of interest (سرنخ) not yet a customer: who, how they came, and whether
    they are worth pursuing. Conversion turns it into a contact, a company and a deal."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    province = models.CharField(_("province"), max_length=40, choices=PROVINCE_CHOICES, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    message = models.TextField(_("message"), blank=True)
    estimated_amount = models.BigIntegerField(_("estimated value (Rials)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    utm_source = models.CharField("utm_source", max_length=100, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=100, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=100, blank=True)
    utm_term = models.CharField("utm_term", max_length=100, blank=True)
    utm_content = models.CharField("utm_content", max_length=100, blank=True)
    referrer = models.CharField(_("referring page"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    status_reason = models.CharField(_("reason"), max_length=250, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    score = models.IntegerField(_("score"), default=0)
    score_reasons = models.JSONField(_("score reasons"), default=list, blank=True)
    # From the predictive model (``predictive.py``) once enough leads have an outcome.
    win_probability = models.FloatField(_("predicted chance to win"), null=True, blank=True)
    win_reasons = models.JSONField(_("prediction reasons"), default=list, blank=True)
    consent_given = models.BooleanField(_("agreed to be contacted"), default=False)
    web_form = models.ForeignKey(
        "WebForm",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("web form"),
    )
    # Answers to form fields that have no column of their own.
    extra = models.JSONField(_("other answers"), default=dict, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("contact"),
    )
    deal = models.ForeignKey(
        Deal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
        verbose_name=_("deal"),
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    search_text = models.TextField(editable=False, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "status", "-id"], name="lead_owner"),
            models.Index(fields=["status", "-id"], name="lead_status"),
            models.Index(fields=["source", "created_at"], name="lead_source"),
        ]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        return self.full_name or self.company_name or self.email or self.phone or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class WebForm(models.Model):
    """A public form built in the UI that creates leads: hosted at ``/f/<key>/`` and
    embeddable on any site by a snippet."""

    name = models.CharField(_("name"), max_length=120)
    key = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(_("title shown on the form"), max_length=200, blank=True)
    introduction = models.TextField(_("introduction"), blank=True)
    # [{"name": "phone", "label": "…", "required": true}, …] in display order; names come from
    # ``forms_public.FIELD_TYPES``.
    fields = models.JSONField(_("fields"), default=list)
    consent_text = models.CharField(
        _("consent checkbox text"),
        max_length=300,
        blank=True,
        help_text=_("Leave empty to show no consent checkbox."),
    )
    consent_required = models.BooleanField(_("consent is required"), default=False)
    submit_label = models.CharField(_("button label"), max_length=60, blank=True)
    success_message = models.CharField(_("thank-you message"), max_length=300, blank=True)
    redirect_url = models.URLField(_("redirect after submitting"), blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.WEBSITE
    )
    is_active = models.BooleanField(_("accepting submissions"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name


class AssignmentMethod(models.TextChoices):
    TERRITORY = "territory", _("By territory (province or city)")
    HISTORY = "history", _("By history (who last worked with the contact)")
    ROUND_ROBIN = "round_robin", _("Round-robin within a team")
    LOAD = "load", _("By load (fewest open deals)")


class AssignmentTarget(models.TextChoices):
    LEAD = "lead", _("New leads")
    DEAL = "deal", _("New deals")
    BOTH = "both", _("Leads and deals")


class AssignmentRule(models.Model):
    """One rule that picks an owner for a new lead or deal; rules are tried in order and the
    first that yields an available person wins."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    applies_to = models.CharField(
        _("applies to"),
        max_length=10,
        choices=AssignmentTarget.choices,
        default=AssignmentTarget.BOTH,
    )
    method = models.CharField(_("method"), max_length=20, choices=AssignmentMethod.choices)
    is_active = models.BooleanField(_("active"), default=True)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    cities = models.JSONField(_("cities"), default=list, blank=True)
    sources = models.JSONField(_("only for sources"), default=list, blank=True)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people")
    )
    respect_working_hours = models.BooleanField(
        _("skip people outside working hours"), default=True
    )
    # Round-robin: the id of the last person this rule picked (the next one follows).
    last_assigned_id = models.IntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class ScoringField(models.TextChoices):
    """What a scoring rule looks at: an attribute of the lead or something it did."""

    SOURCE = "source", _("Source")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    JOB_TITLE = "job_title", _("Job title")
    COMPANY_NAME = "company_name", _("Company")
    EMAIL_DOMAIN = "email_domain", _("Email domain")
    PHONE = "phone", _("Phone")
    UTM_SOURCE = "utm_source", _("utm_source")
    UTM_CAMPAIGN = "utm_campaign", _("utm_campaign")
    ESTIMATED_AMOUNT = "estimated_amount", _("Estimated value (Rials)")
    MESSAGE = "message", _("Message")
    ACTIVITIES = "activities", _("Logged calls, meetings and messages (count)")
    SUBMISSIONS = "submissions", _("Form submissions by the same person (count)")


class ScoringOperator(models.TextChoices):
    EQUALS = "equals", _("is")
    CONTAINS = "contains", _("contains")
    IS_SET = "is_set", _("is filled in")
    AT_LEAST = "at_least", _("is at least")


class ScoringRule(models.Model):
    """Points a lead earns (or loses) when a condition on its attributes or behaviour holds;
    the lead's score is the sum, and the rules that fired are its reasons."""

    name = models.CharField(_("name"), max_length=120)
    field = models.CharField(_("field"), max_length=20, choices=ScoringField.choices)
    operator = models.CharField(_("condition"), max_length=10, choices=ScoringOperator.choices)
    value = models.CharField(_("value"), max_length=200, blank=True)
    points = models.IntegerField(
        _("points"), validators=[MinValueValidator(-1000), MaxValueValidator(1000)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-points", "id"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return self.name


class Quota(models.Model):
    """A sales target for one person or one team in one Jalali month (amount in Rials),
    set by a manager; the forecast measures against it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
        verbose_name=_("person"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="quotas",
        verbose_name=_("team"),
    )
    year = models.PositiveSmallIntegerField(_("Jalali year"))
    month = models.PositiveSmallIntegerField(
        _("Jalali month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    amount = models.BigIntegerField(_("target (Rials)"), validators=[MinValueValidator(0)])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["year", "month", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, team__isnull=True)
                | models.Q(user__isnull=True, team__isnull=False),
                name="quota_for_user_or_team",
            ),
            models.UniqueConstraint(
                fields=["user", "year", "month"],
                condition=models.Q(user__isnull=False),
                name="quota_unique_user_month",
            ),
            models.UniqueConstraint(
                fields=["team", "year", "month"],
                condition=models.Q(team__isnull=False),
                name="quota_unique_team_month",
            ),
        ]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.year}/{self.month}"


class LeadSourceCost(models.Model):
    """Money spent on a lead source or campaign in a period, for cost per lead."""

    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=100, blank=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    amount = models.BigIntegerField(_("cost (Rials)"), validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-start", "id"]
        verbose_name = _("lead source cost")
        verbose_name_plural = _("lead source costs")

    def __str__(self) -> str:
        return f"{self.source or self.utm_campaign}: {self.amount}"


class Product(models.Model):
    """Something we sell: code, name, unit, price in Rials, and whether VAT applies."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    unit = models.CharField(_("unit"), max_length=30, default="عدد")
    price = models.BigIntegerField(_("price (Rials)"), validators=[MinValueValidator(0)])
    is_taxable = models.BooleanField(_("subject to VAT"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    search_text = models.TextField(editable=False, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Quote(models.Model):
    """A pro-forma invoice (پیش‌فاکتور) for a deal: numbered per Jalali year, lines with
    discounts and VAT, totals kept in Rials as computed when it was last saved."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="quotes", verbose_name=_("deal")
    )
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issued_on = models.DateField(_("date"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    vat_percent = models.DecimalField(
        _("VAT (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.TextField(_("terms and notes"), blank=True)
    subtotal = models.BigIntegerField(_("subtotal"), default=0, editable=False)
    discount_total = models.BigIntegerField(_("discount"), default=0, editable=False)
    vat_total = models.BigIntegerField(_("VAT"), default=0, editable=False)
    total = models.BigIntegerField(_("total"), default=0, editable=False)
    decision_note = models.CharField(_("customer's answer"), max_length=250, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.EmailField(_("sent to"), blank=True)
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return self.number


class PricedLine(models.Model):
    """A product (or free text) with a quantity, unit price and discount; its amounts are
    computed by ``quotes.build_lines`` and stored."""

    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    unit_price = models.BigIntegerField(_("unit price (Rials)"), validators=[MinValueValidator(0)])
    discount_percent = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    is_taxable = models.BooleanField(_("subject to VAT"), default=True)
    gross = models.BigIntegerField(default=0, editable=False)
    discount = models.BigIntegerField(default=0, editable=False)
    vat = models.BigIntegerField(default=0, editable=False)
    total = models.BigIntegerField(default=0, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class QuoteLine(PricedLine):
    """One line of a quote, with the quote's VAT."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        pass


class DealProduct(PricedLine):
    """One product on a deal (before VAT, which the quote adds): while a deal has products,
    its amount is their total."""

    deal = models.ForeignKey(
        Deal, on_delete=models.CASCADE, related_name="line_items", verbose_name=_("deal")
    )

    class Meta(PricedLine.Meta):
        verbose_name = _("deal product")
        verbose_name_plural = _("deal products")


class LeadScoreModel(models.Model):
    """A predictive lead score trained on won/lost history (logistic regression): the
    weights per feature, how many outcomes it learned from, and when."""

    weights = models.JSONField(default=dict)
    bias = models.FloatField(default=0.0)
    samples = models.PositiveIntegerField(default=0)
    positives = models.PositiveIntegerField(default=0)
    trained_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-trained_at", "-id"]
        verbose_name = _("predictive lead score model")
        verbose_name_plural = _("predictive lead score models")

    def __str__(self) -> str:
        return f"{self.trained_at:%Y-%m-%d} ({self.samples})"
