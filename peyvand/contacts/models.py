"""People and companies: the customer record every other part of Peyvand hangs off."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.common.iran import PROVINCE_CHOICES
from peyvand.common.validators import (
    validate_company_national_id,
    validate_economic_code,
    validate_national_id,
    validate_postal_code,
)


class LifecycleStage(models.TextChoices):
    """Where a person stands in the customer loop."""

    SUBSCRIBER = "subscriber", _("Subscriber")
    LEAD = "lead", _("Lead")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CUSTOMER = "customer", _("Customer")
    LOYAL = "loyal", _("Loyal customer")
    ADVOCATE = "advocate", _("Advocate")
    CHURNED = "churned", _("Churned")


# Languages a contact can ask to be written to in (the same two as the interface).
CONTACT_LANGUAGES = [("fa", "فارسی"), ("en", "English")]


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    """How a contact found us."""

    WEBSITE = "website", _("Website")
    REFERRAL = "referral", _("Referral")
    INSTAGRAM = "instagram", _("Instagram")
    TELEGRAM = "telegram", _("Telegram")
    SEARCH = "search", _("Search engine")
    ADVERTISING = "advertising", _("Advertising")
    EXHIBITION = "exhibition", _("Exhibition")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class Tag(models.Model):
    """A label on contacts and companies; ``key`` is the Persian-normalized name (unique)."""

    name = models.CharField(_("name"), max_length=80)
    key = models.CharField(max_length=80, unique=True)
    color = models.CharField(_("color"), max_length=20, default="secondary")

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class CompanySize(models.TextChoices):
    MICRO = "1-10", _("1–10 people")
    SMALL = "11-50", _("11–50 people")
    MEDIUM = "51-200", _("51–200 people")
    LARGE = "201-1000", _("201–1000 people")
    ENTERPRISE = "1000+", _("More than 1000 people")


class Company(models.Model):
    """An organisation we sell to or serve (شرکت / حساب)."""

    name = models.CharField(_("name"), max_length=200)
    national_id = models.CharField(
        _("company national ID"),
        max_length=11,
        blank=True,
        validators=[validate_company_national_id],
    )
    economic_code = models.CharField(
        _("economic code"), max_length=14, blank=True, validators=[validate_economic_code]
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    website = models.URLField(_("website"), blank=True)
    phones = models.JSONField(_("phones"), default=list, blank=True)
    email = models.EmailField(_("email"), blank=True)
    province = models.CharField(_("province"), max_length=40, choices=PROVINCE_CHOICES, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=10, blank=True, validators=[validate_postal_code]
    )
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_companies",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="companies", verbose_name=_("tags"))
    # Dedicated account management: a key account has its owner as the account manager and a
    # team that sees the company, its people and its deals whatever the visibility setting.
    is_key_account = models.BooleanField(_("key account"), default=False)
    account_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="key_accounts",
        verbose_name=_("account team"),
    )
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(editable=False, default="")
    name_key = models.CharField(editable=False, max_length=200, default="", db_index=True)
    # Set when this company was merged into another: hidden everywhere, its events show on
    # the survivor's timeline, and the merge can be undone (as for contacts).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_companies",
        editable=False,
    )
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
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "-id"], name="company_owner"),
            models.Index(fields=["name", "id"], name="company_name"),
            models.Index(fields=["national_id"], name="company_national_id"),
        ]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person: a subscriber, lead or customer, with their details, consent and owner."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    national_id = models.CharField(
        _("national ID"), max_length=10, blank=True, validators=[validate_national_id]
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("company"),
    )
    province = models.CharField(_("province"), max_length=40, choices=PROVINCE_CHOICES, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    address = models.TextField(_("address"), blank=True)
    postal_code = models.CharField(
        _("postal code"), max_length=10, blank=True, validators=[validate_postal_code]
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    # The language messages to this person are written in (blank: the default, Farsi).
    language = models.CharField(
        _("preferred language"), max_length=5, choices=CONTACT_LANGUAGES, blank=True
    )
    lifecycle_stage = models.CharField(
        _("lifecycle stage"),
        max_length=20,
        choices=LifecycleStage.choices,
        default=LifecycleStage.LEAD,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contacts",
        verbose_name=_("owner"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts", verbose_name=_("tags"))
    interests = models.TextField(_("interests"), blank=True)
    concerns = models.TextField(_("concerns"), blank=True)
    description = models.TextField(_("notes"), blank=True)
    custom_fields = models.JSONField(_("custom fields"), default=dict, blank=True)
    search_text = models.TextField(editable=False, default="")
    # Order-independent normalized name (common.persian.name_key), for duplicate blocking.
    name_key = models.CharField(editable=False, max_length=200, default="", db_index=True)
    # Set when this contact was merged into another: it is then hidden everywhere, its events
    # show on the survivor's timeline, and the merge can be undone.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_contacts",
        editable=False,
    )
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
            models.Index(fields=["owner", "-id"], name="contact_owner"),
            models.Index(fields=["lifecycle_stage", "-id"], name="contact_stage"),
            models.Index(fields=["last_name", "first_name", "id"], name="contact_name"),
            models.Index(fields=["city"], name="contact_city"),
            models.Index(fields=["national_id"], name="contact_national_id"),
            models.Index(fields=["-updated_at", "-id"], name="contact_updated"),
        ]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    WORK = "work", _("Work")
    HOME = "home", _("Home")
    OTHER = "other", _("Other")


class ContactPhone(models.Model):
    """One of a contact's phone numbers, stored in E.164."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone"), max_length=20, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default="mobile")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="contact_phone_unique")
        ]

    def __str__(self) -> str:
        return self.number


class ContactEmail(models.Model):
    """One of a contact's email addresses, lower-cased."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    address = models.CharField(_("email"), max_length=254, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=PhoneKind.choices, default="work")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "address"], name="contact_email_unique")
        ]

    def __str__(self) -> str:
        return self.address


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")


class ConsentStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ConsentMethod(models.TextChoices):
    """How consent was given or withdrawn."""

    WEB_FORM = "web_form", _("Web form")
    VERBAL = "verbal", _("Verbally")
    WRITTEN = "written", _("In writing")
    IMPORT = "import", _("Imported")
    API = "api", _("API")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    SMS_KEYWORD = "sms_keyword", _("SMS keyword")
    AGENT = "agent", _("Recorded by staff")
    PORTAL = "portal", _("Customer portal")


class ContactConsent(models.Model):
    """The current consent of one contact on one channel; its history is in the event log."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=ConsentStatus.choices)
    method = models.CharField(_("method"), max_length=20, choices=ConsentMethod.choices)
    recorded_at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=250, blank=True)

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "channel"], name="contact_consent_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.status}"


class CustomFieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


class CustomFieldObject(models.TextChoices):
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


class CustomField(models.Model):
    """An extra field an administrator defines for contacts or companies.

    Values live in the record's ``custom_fields`` JSON under ``key``: text as a string, numbers
    as numbers, dates as ISO strings, choices as one of ``choices``, booleans as true/false.
    """

    object_type = models.CharField(
        _("record type"), max_length=10, choices=CustomFieldObject.choices
    )
    key = models.SlugField(_("key"), max_length=50)
    label_fa = models.CharField(_("Persian label"), max_length=100)
    label_en = models.CharField(_("English label"), max_length=100, blank=True)
    field_type = models.CharField(_("type"), max_length=10, choices=CustomFieldType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    is_required = models.BooleanField(_("required"), default=False)
    is_searchable = models.BooleanField(_("searchable"), default=False)
    is_filterable = models.BooleanField(_("filterable"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["object_type", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "key"], name="custom_field_key_unique")
        ]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label_fa

    def label(self, language: str) -> str:
        return self.label_en if language == "en" and self.label_en else self.label_fa


class DuplicatePolicy(models.TextChoices):
    """What an import does with a row that matches an existing contact."""

    SKIP = "skip", _("Skip the row")
    FILL_EMPTY = "fill_empty", _("Fill in empty fields only")
    OVERWRITE = "overwrite", _("Overwrite with the file's values")
    CREATE = "create", _("Create a new contact anyway")


class ImportObjectType(models.TextChoices):
    """What the rows of an imported file are."""

    CONTACT = "contact", _("contacts")
    COMPANY = "company", _("companies")
    LEAD = "lead", _("leads")


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Waiting for column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PREVIEWED = "previewed", _("Dry run finished")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class SavedImportMapping(models.Model):
    """A column mapping kept by name, to reuse for files from the same source."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    mapping = models.JSONField(_("mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved import mapping")
        verbose_name_plural = _("saved import mappings")

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One contact (or company) import from a file: its mapping, policy, progress and outcome.

    ``rows_done`` is the checkpoint: it is advanced in the same transaction as each batch,
    so a crash leaves whole batches only and a rerun continues after the last one.
    """

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("format"), max_length=10)
    object_type = models.CharField(
        _("imported records"),
        max_length=10,
        choices=ImportObjectType.choices,
        default=ImportObjectType.CONTACT,
    )
    detected = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(_("mapping"), default=dict, blank=True)
    duplicate_policy = models.CharField(
        _("when a contact already exists"),
        max_length=20,
        choices=DuplicatePolicy.choices,
        default=DuplicatePolicy.FILL_EMPTY,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner of new contacts"),
    )
    tags = models.JSONField(_("tags to add"), default=list, blank=True)
    is_dry_run = models.BooleanField(_("dry run"), default=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.MAPPING
    )
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    rejects_file = models.FileField(upload_to="imports/rejects/", blank=True)
    # Size of the rejects file at the last checkpoint: a resumed run cuts it back to this.
    rejects_bytes = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in {ImportStatus.DONE, ImportStatus.PREVIEWED} else 0
        return min(100, round(100 * self.rows_done / self.total_rows))


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    VCARD = "vcf", "vCard"


class ExportJob(models.Model):
    """A large export built in the background; the file is kept for its owner to download."""

    object_type = models.CharField(max_length=10, default="contact")
    file_format = models.CharField(_("format"), max_length=10, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    selected_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.object_type} {self.file_format} #{self.pk}"


class MergeRecord(models.Model):
    """What every merge keeps to be undone: the merged ids, the survivor's values before,
    the tags it gained and the related rows moved to it (``{key: {row id: old owner id}}``)."""

    merged_ids = models.JSONField(default=list)
    survivor_before = models.JSONField(default=dict)
    added_tag_ids = models.JSONField(default=list)
    moved = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self) -> str:
        return f"{self.merged_ids} → {self.survivor_id}"  # type: ignore[attr-defined]


class ContactMerge(MergeRecord):
    """One merge of contacts into a survivor, with what is needed to undo it."""

    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges")
    added_phone_ids = models.JSONField(default=list)
    added_email_ids = models.JSONField(default=list)

    class Meta(MergeRecord.Meta):
        pass


class CompanyMerge(MergeRecord):
    """One merge of companies into a survivor (its phones are in ``survivor_before``)."""

    survivor = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="merges")

    class Meta(MergeRecord.Meta):
        verbose_name = _("company merge")
        verbose_name_plural = _("company merges")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DISMISSED = "dismissed", _("Not duplicates")
    MERGED = "merged", _("Merged")


class QueuedPair(models.Model):
    """A pair of records the duplicate scan thinks are one, its score, reasons and review."""

    score = models.FloatField(_("score"))
    reasons = models.JSONField(default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-score", "id"]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"  # type: ignore[attr-defined]


class DuplicateCandidate(QueuedPair):
    """A pair of contacts the duplicate scan thinks are one person, waiting for review."""

    first = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")

    class Meta(QueuedPair.Meta):
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique")
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_status_score")]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")


class CompanyDuplicateCandidate(QueuedPair):
    """A pair of companies the duplicate scan thinks are one organisation."""

    first = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")

    class Meta(QueuedPair.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"], name="company_duplicate_pair_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "-score"], name="company_duplicate_status")]
        verbose_name = _("possible duplicate company")
        verbose_name_plural = _("possible duplicate companies")
