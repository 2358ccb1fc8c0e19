"""Web forms: the builder's checks, the public page visitors fill in (no login, no CSRF token,
embeddable), what a submission turns into, and the protections (honeypot, rate limit)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from peyvand.accounts.models import Role
from peyvand.sales.models import Lead, WebForm
from peyvand.sales.web_forms import DEFAULT_FIELDS, web_form_save
from peyvand.timeline.models import Event

pytestmark = pytest.mark.django_db

PERSIAN_PHONE_ERROR = "یک شماره تلفن معتبر وارد کنید."
ENGLISH_PHONE_ERROR = "Enter a valid phone number."
QUESTION = "بودجه شما چقدر است؟"
CONSENT = "با تماس کارشناسان موافقم"


def _codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(item.code) for item in items] for field, items in error.error_dict.items()}


def _contact_form(**values: Any) -> WebForm:
    """A form asking for a name, a mobile, an email and one question of its own."""
    values.setdefault("name", "فرم تماس")
    values.setdefault("title", "درخواست مشاوره")
    values.setdefault(
        "fields",
        [
            {"name": "first_name", "label": "", "required": False},
            {"name": "last_name", "label": "", "required": True},
            {"name": "phone", "label": "", "required": True},
            {"name": "email", "label": "", "required": False},
            {"name": "question_1", "label": QUESTION, "required": False},
        ],
    )
    values.setdefault("consent_text", CONSENT)
    return web_form_save(actor=None, values=values)


def _answers(**values: str) -> dict[str, str]:
    answers = {"first_name": "سارا", "last_name": "کریمی", "phone": "09121234567"}
    answers.update(values)
    return answers


# --- the builder's service ------------------------------------------------------------------


def test_web_form_save_keeps_the_fields_in_order_with_clean_labels(sales_user: Any) -> None:
    web_form = web_form_save(
        actor=sales_user,
        values={
            "name": " فرم  نمايشگاه ",
            "source": "exhibition",
            "fields": [
                {"name": "phone", "label": "", "required": True},
                {"name": "company_name", "label": "  نام شركت ", "required": 1},
                {"name": "question_2", "label": "چه محصولي؟"},
            ],
        },
    )
    web_form.refresh_from_db()
    assert web_form.name == "فرم نمایشگاه"
    assert web_form.source == "exhibition"
    assert web_form.fields == [
        {"name": "phone", "label": "", "required": True},
        {"name": "company_name", "label": "نام شرکت", "required": True},
        {"name": "question_2", "label": "چه محصولی؟", "required": False},
    ]
    assert web_form.created_by == sales_user
    assert web_form.is_active is True
    assert len(web_form.key) == 16


def test_a_form_without_fields_gets_the_default_ones() -> None:
    web_form = web_form_save(actor=None, values={"name": "پیش‌فرض"})
    assert web_form.fields == list(DEFAULT_FIELDS)


def test_changing_a_form_keeps_its_key() -> None:
    web_form = _contact_form()
    key = web_form.key
    changed = web_form_save(actor=None, values={"title": "عنوان تازه"}, web_form=web_form)
    changed.refresh_from_db()
    assert (changed.key, changed.title, changed.name) == (key, "عنوان تازه", "فرم تماس")
    assert [row["name"] for row in changed.fields] == [
        "first_name",
        "last_name",
        "phone",
        "email",
        "question_1",
    ]


@pytest.mark.parametrize(
    ("fields", "codes"),
    [
        (
            [{"name": "phone"}, {"name": "last_name"}, {"name": "age"}],
            {"fields.2.name": ["invalid_choice"]},
        ),
        (
            [{"name": "phone"}, {"name": "last_name"}, {"name": "phone"}],
            {"fields.2.name": ["unique"]},
        ),
        ([{"name": "first_name"}, {"name": "city"}], {"fields": ["no_contact_field"]}),
        ([{"name": "phone"}, {"name": "email"}], {"fields": ["no_name_field"]}),
        (
            [{"name": "phone"}, {"name": "last_name"}, {"name": "question_1", "label": " "}],
            {"fields.2.label": ["required"]},
        ),
    ],
    ids=["unknown", "duplicate", "no-phone-or-email", "no-name", "question-without-text"],
)
def test_web_form_save_refuses_bad_field_lists(
    fields: list[dict[str, Any]], codes: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as error:
        web_form_save(actor=None, values={"name": "فرم", "fields": fields})
    assert _codes(error.value) == codes
    assert WebForm.objects.count() == 0


def test_the_field_list_errors_say_what_is_wrong() -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            web_form_save(actor=None, values={"name": "فرم", "fields": [{"name": "phone"}]})
        assert error.value.message_dict == {"fields": ["A form needs a name or a company field."]}
        with pytest.raises(ValidationError) as error:
            web_form_save(actor=None, values={"name": "فرم", "fields": [{"name": "last_name"}]})
        assert error.value.message_dict == {"fields": ["A form needs a mobile or an email field."]}


def test_required_consent_needs_a_consent_text() -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        web_form_save(actor=None, values={"name": "فرم", "consent_required": True})
    assert _codes(error.value) == {"consent_text": ["required"]}
    with translation.override("en"):
        assert error.value.message_dict == {
            "consent_text": ["Write the consent text the visitor agrees to."]
        }
    assert WebForm.objects.count() == 0

    web_form = web_form_save(
        actor=None, values={"name": "فرم", "consent_required": True, "consent_text": CONSENT}
    )
    assert (web_form.consent_required, web_form.consent_text) == (True, CONSENT)


def test_an_explicitly_empty_field_list_is_refused() -> None:
    web_form = _contact_form(fields=[{"name": "email"}, {"name": "company_name"}])
    with pytest.raises(ValidationError) as error:
        web_form_save(actor=None, values={"fields": []}, web_form=web_form)
    assert _codes(error.value) == {"fields": ["no_contact_field"]}


def test_read_only_users_cannot_build_forms(make_user: Any) -> None:
    with pytest.raises(PermissionDenied):
        web_form_save(actor=make_user(role=Role.READ_ONLY), values={"name": "فرم"})
    assert WebForm.objects.count() == 0


# --- the public page -------------------------------------------------------------------------


def test_the_public_page_needs_no_login_and_shows_the_fields(client: Client) -> None:
    web_form = _contact_form(introduction="فرم را پر کنید.")
    response = client.get(f"/f/{web_form.key}/")
    assert response.status_code == 200
    content = response.content.decode()
    for name in ("first_name", "last_name", "phone", "email", "question_1", "consent"):
        assert f'name="{name}"' in content
    assert 'name="website_url"' in content  # the honeypot
    assert QUESTION in content
    assert CONSENT in content
    assert "درخواست مشاوره" in content
    assert "فرم را پر کنید." in content
    assert list(response.context["form"].fields) == [
        "first_name",
        "last_name",
        "phone",
        "email",
        "question_1",
        "consent",
        "website_url",
    ]


def test_the_public_page_carries_the_utm_of_its_link_in_hidden_fields(client: Client) -> None:
    web_form = _contact_form()
    response = client.get(
        f"/f/{web_form.key}/?utm_source=google&utm_campaign=spring&ref=https://shop.example/",
    )
    content = response.content.decode()
    assert '<input type="hidden" name="utm_source" value="google">' in content
    assert '<input type="hidden" name="utm_campaign" value="spring">' in content
    assert '<input type="hidden" name="referrer" value="https://shop.example/">' in content
    assert 'name="utm_medium"' not in content


def test_a_submission_becomes_a_lead(client: Client) -> None:
    web_form = _contact_form(source="instagram")
    response = client.post(
        f"/f/{web_form.key}/?utm_source=google&utm_campaign=spring",
        _answers(
            first_name="علي",
            phone="۰۹۱۲ ۱۲۳ ۴۵۶۷",
            email="Sara@Example.com",
            question_1=" ۵۰ ميليون ",
            consent="on",
            utm_medium="cpc",  # a hidden field of the page
            referrer="https://blog.example/post",
        ),
    )
    assert response.status_code == 200
    assert 'id="form-done"' in response.content.decode()
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("علی", "کریمی")
    assert lead.phone == "+989121234567"
    assert lead.email == "sara@example.com"
    assert lead.source == "instagram"
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "spring")
    assert (lead.utm_term, lead.utm_content) == ("", "")
    assert lead.referrer == "https://blog.example/post"
    assert lead.extra == {QUESTION: "۵۰ میلیون"}
    assert lead.consent_given is True
    assert lead.web_form == web_form
    assert (lead.created_by, lead.owner) == (None, None)
    event = Event.objects.get(lead=lead, verb="lead.created")
    assert event.actor is None
    assert event.payload["web_form"] == web_form.pk


def test_posted_hidden_fields_win_over_the_query_string(client: Client) -> None:
    web_form = _contact_form()
    client.post(f"/f/{web_form.key}/?utm_source=google", _answers(utm_source="newsletter"))
    assert Lead.objects.get().utm_source == "newsletter"


def test_no_consent_ticked_means_no_consent(client: Client) -> None:
    web_form = _contact_form()
    client.post(f"/f/{web_form.key}/", _answers())
    lead = Lead.objects.get()
    assert (lead.consent_given, lead.extra, lead.utm_source) == (False, {}, "")


def test_a_thank_you_redirect_is_followed(client: Client) -> None:
    web_form = _contact_form(redirect_url="https://shop.example/thanks")
    response = client.post(f"/f/{web_form.key}/", _answers())
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example/thanks"
    assert Lead.objects.count() == 1


def test_required_consent_must_be_ticked(client: Client) -> None:
    web_form = _contact_form(consent_required=True)
    response = client.post(f"/f/{web_form.key}/", _answers())
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["consent"]
    assert Lead.objects.count() == 0


def test_a_missing_required_answer_is_shown_next_to_its_field(client: Client) -> None:
    web_form = _contact_form()
    response = client.post(f"/f/{web_form.key}/", _answers(last_name=""))
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["last_name"]
    assert 'data-error-for="last_name"' in response.content.decode()
    assert Lead.objects.count() == 0


def test_a_filled_honeypot_gets_the_thank_you_page_and_no_lead(client: Client) -> None:
    web_form = _contact_form(success_message="ممنون از شما")
    response = client.post(f"/f/{web_form.key}/", _answers(website_url="https://spam.example/"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="form-done"' in content
    assert "ممنون از شما" in content
    assert Lead.objects.count() == 0
    assert Event.objects.filter(verb="lead.created").count() == 0


def test_too_many_submissions_from_one_address_get_429(client: Client, settings: Any) -> None:
    settings.PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS = 2
    web_form = _contact_form()
    url = f"/f/{web_form.key}/"
    first = client.post(url, _answers(phone="09121111111"), REMOTE_ADDR="203.0.113.7")
    second = client.post(url, _answers(phone="09122222222"), REMOTE_ADDR="203.0.113.7")
    third = client.post(url, _answers(phone="09123333333"), REMOTE_ADDR="203.0.113.7")
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert 'id="form-throttled"' in third.content.decode()
    assert sorted(Lead.objects.values_list("phone", flat=True)) == [
        "+989121111111",
        "+989122222222",
    ]
    # Another address is not held back.
    other = client.post(url, _answers(phone="09124444444"), REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200
    assert Lead.objects.count() == 3


def test_honeypot_posts_count_towards_the_rate_limit(client: Client, settings: Any) -> None:
    settings.PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS = 1
    web_form = _contact_form()
    url = f"/f/{web_form.key}/"
    assert client.post(url, _answers(website_url="x")).status_code == 200
    assert client.post(url, _answers()).status_code == 429
    assert Lead.objects.count() == 0


def test_an_invalid_mobile_is_shown_in_persian_next_to_the_field(client: Client) -> None:
    web_form = _contact_form()
    response = client.post(f"/f/{web_form.key}/", _answers(phone="12345"))
    assert response.status_code == 422
    assert response["Content-Language"] == "fa"
    assert response.context["form"].errors == {"phone": [PERSIAN_PHONE_ERROR]}
    content = response.content.decode()
    assert f'data-error-for="phone">{PERSIAN_PHONE_ERROR}</div>' in content
    assert Lead.objects.count() == 0


def test_the_public_page_follows_the_language_cookie_not_the_browser(client: Client) -> None:
    """Pages (unlike the API) ignore Accept-Language: the visitor's language cookie or Farsi
    (peyvand.accounts.middleware.language_for)."""
    web_form = _contact_form()
    url = f"/f/{web_form.key}/"

    browser_english = client.post(url, _answers(phone="12345"), HTTP_ACCEPT_LANGUAGE="en")
    assert browser_english.status_code == 422
    assert browser_english.context["form"].errors == {"phone": [PERSIAN_PHONE_ERROR]}

    client.cookies["peyvand_language"] = "en"
    chosen_english = client.post(url, _answers(phone="12345"))
    assert chosen_english.status_code == 422
    assert chosen_english["Content-Language"] == "en"
    content = chosen_english.content.decode()
    assert f'data-error-for="phone">{ENGLISH_PHONE_ERROR}</div>' in content
    assert PERSIAN_PHONE_ERROR not in content


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_inactive_form_is_not_found(client: Client, method: str) -> None:
    web_form = _contact_form(is_active=False)
    response = getattr(client, method)(f"/f/{web_form.key}/", _answers())
    assert response.status_code == 404
    assert Lead.objects.count() == 0


def test_an_unknown_key_is_not_found(client: Client) -> None:
    _contact_form()
    assert client.get("/f/no-such-form/").status_code == 404


def test_the_public_form_needs_no_csrf_token() -> None:
    web_form = _contact_form()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/f/{web_form.key}/", _answers())
    assert response.status_code == 200
    assert Lead.objects.count() == 1
    # The same client is refused on a staff page that needs the token.
    assert strict.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403


def test_the_embedded_page_may_be_framed(client: Client) -> None:
    web_form = _contact_form()
    response = client.get(f"/f/{web_form.key}/?embed=1")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response.headers
    assert response.context["embed"] is True
    assert 'class="card card-body shadow-sm"' not in response.content.decode()
    # Other pages keep refusing to be framed.
    assert client.get("/accounts/login/")["X-Frame-Options"] == "DENY"


def test_the_form_page_itself_is_not_recorded_as_the_referring_page(client: Client) -> None:
    web_form = _contact_form()
    url = f"http://testserver/f/{web_form.key}/"
    client.get(url)  # a direct visit: no Referer, so no hidden "referrer" field
    client.post(url, _answers(), HTTP_REFERER=url)  # the browser sends the page as Referer
    assert Lead.objects.get().referrer == ""


# --- the builder pages -----------------------------------------------------------------------


def test_building_a_form_through_the_page_keeps_the_row_order(
    logged_in: Any, sales_user: Any
) -> None:
    response = logged_in(sales_user).post(
        "/sales/forms/new/",
        {
            "name": "فرم وبینار",
            "source": "website",
            "is_active": "on",
            # Rows in the order they were dragged to; only ticked ones are on the form.
            "field_order": [
                "phone",
                "question_1",
                "last_name",
                "email",
                "first_name",
                "company_name",
            ],
            "field_phone": "1",
            "required_phone": "1",
            "field_question_1": "1",
            "label_question_1": "چند نفر شركت مي‌كنند؟",
            "field_last_name": "1",
            "required_last_name": "1",
            "label_email": "ایمیل کاری",  # not ticked: left out
            "field_first_name": "1",
            "label_first_name": "نام كوچك",
        },
    )
    web_form = WebForm.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/forms/{web_form.pk}/"
    assert (web_form.name, web_form.source, web_form.is_active) == ("فرم وبینار", "website", True)
    assert web_form.fields == [
        {"name": "phone", "label": "", "required": True},
        {"name": "question_1", "label": "چند نفر شرکت می‌کنند؟", "required": False},
        {"name": "last_name", "label": "", "required": True},
        {"name": "first_name", "label": "نام کوچک", "required": False},
    ]
    assert web_form.created_by == sales_user


def test_the_builder_page_shows_the_field_list_errors(logged_in: Any, sales_user: Any) -> None:
    response = logged_in(sales_user).post(
        "/sales/forms/new/",
        {"name": "فرم", "source": "website", "field_order": ["last_name"], "field_last_name": "1"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert [(field, [error.code for error in found]) for field, found in errors.items()] == [
        ("__all__", ["no_contact_field"])
    ]
    assert WebForm.objects.count() == 0


def test_the_form_page_shows_the_iframe_snippet(logged_in: Any, sales_user: Any) -> None:
    web_form = _contact_form(title="مشاوره رایگان")
    response = logged_in(sales_user).get(f"/sales/forms/{web_form.pk}/")
    assert response.status_code == 200
    public_url = f"http://testserver/f/{web_form.key}/"
    assert response.context["public_url"] == public_url
    assert response.context["embed_snippet"] == (
        f'<iframe src="{public_url}?embed=1" title="مشاوره رایگان" '
        'style="width:100%;min-height:560px;border:0" loading="lazy"></iframe>'
    )
    content = response.content.decode()
    assert f"&lt;iframe src=&quot;{public_url}?embed=1&quot;" in content
    assert f'value="{public_url}"' in content


def test_the_form_page_lists_its_leads(client: Client, logged_in: Any, admin_user: Any) -> None:
    web_form = _contact_form()
    client.post(f"/f/{web_form.key}/", _answers(first_name="نرگس", last_name="احمدی"))
    response = logged_in(admin_user).get(f"/sales/forms/{web_form.pk}/")
    assert [lead.full_name for lead in response.context["leads"]] == ["نرگس احمدی"]


def test_editing_a_form_through_the_page_keeps_its_key(logged_in: Any, sales_user: Any) -> None:
    web_form = _contact_form()
    key = web_form.key
    response = logged_in(sales_user).post(
        f"/sales/forms/{web_form.pk}/edit/",
        {
            "name": "فرم تماس ۲",
            "source": "telegram",
            "field_order": ["email", "company_name"],
            "field_email": "1",
            "required_email": "1",
            "field_company_name": "1",
        },
    )
    assert response.status_code == 302
    web_form.refresh_from_db()
    assert (web_form.key, web_form.name, web_form.source) == (key, "فرم تماس ۲", "telegram")
    assert web_form.is_active is False  # the unticked box
    assert web_form.fields == [
        {"name": "email", "label": "", "required": True},
        {"name": "company_name", "label": "", "required": False},
    ]


def test_read_only_users_get_403_on_the_builder(logged_in: Any, make_user: Any) -> None:
    client = logged_in(make_user(role=Role.READ_ONLY))
    assert client.get("/sales/forms/new/").status_code == 403
    assert client.post("/sales/forms/new/", {"name": "فرم", "source": "website"}).status_code == 403
    assert client.get("/sales/forms/").status_code == 200
    assert WebForm.objects.count() == 0
