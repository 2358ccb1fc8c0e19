"""Sign-in codes through the pages and the local SMTP server: what is typed (any digits),
the email, what is stored (a keyed hash, never the code), expiry on a set clock, five wrong
tries, single use, replacement, the same answer for unknown addresses, the SMS slot, and
the rate limits per address and per client address."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from peyvand.contacts.models import Contact
from peyvand.portal.codes import (
    MAX_WRONG_TRIES,
    SignInAddress,
    code_request,
    code_verify,
    parse_address,
    parse_code,
)
from peyvand.portal.models import SignInCode
from peyvand.portal.senders import SenderNotReady, SmsCodeSender
from peyvand.portal.session import CONTACT_KEY

from .conftest import enter_code, last_code, request_code

pytestmark = pytest.mark.django_db
EMAIL = SignInAddress("email", "maryam@example.ir")


# --- What the customer types --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "channel", "value"),
    [
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "sms", "+989121234567"),
        ("٠٩١٢-١٢٣-٤٥٦٧", "sms", "+989121234567"),
        ("+98 912 123 4567", "sms", "+989121234567"),
        ("9121234567", "sms", "+989121234567"),
        (" Maryam@Example.IR ", "email", "maryam@example.ir"),
        ("user۱۲@example.ir", "email", "user12@example.ir"),
    ],
)
def test_an_address_is_an_email_or_an_iranian_mobile_in_any_digits(
    typed: str, channel: str, value: str
) -> None:
    assert parse_address(typed) == SignInAddress(channel, value)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "required"),
        ("021 8877 6655", "invalid"),
        ("hello", "invalid"),
        ("a@b", "invalid_email"),
    ],
)
def test_anything_else_is_refused_with_a_reason(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as failure:
        parse_address(typed)
    assert failure.value.code == code


def test_a_code_may_be_typed_in_persian_digits_with_spaces() -> None:
    assert parse_code("۱۲۳ ۴۵۶") == "123456"
    with pytest.raises(ValidationError):
        parse_code("12345")


# --- Requesting a code ---------------------------------------------------------------------


def test_a_known_email_gets_a_farsi_email_with_a_code_that_is_stored_only_as_a_hash(
    client: Client, customer: Contact, smtp_settings: Any, at: Any
) -> None:
    now = at(2026, 11, 25, 15, 0)
    response = request_code(client, "MARYAM@example.ir")
    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/code/"
    assert len(smtp_settings.messages) == 1
    recipients, message = smtp_settings.messages[0]
    assert recipients == ["maryam@example.ir"]
    assert message["Subject"] == "کد ورود شما به پیوند"
    body = message.get_content()
    assert "سلام مریم،" in body
    assert "۱۰ دقیقه" in body
    code = last_code(smtp_settings, "maryam@example.ir")
    row = SignInCode.objects.get()
    assert row.contact == customer
    assert (row.channel, row.sent_to, row.wrong_tries) == ("email", "maryam@example.ir", 0)
    assert row.expires_at == now + datetime.timedelta(minutes=10)
    assert len(row.code_hash) == 64 and code not in row.code_hash and code not in row.salt
    stored = [str(value) for value in SignInCode.objects.values_list().get()]
    assert all(code not in value for value in stored)


def test_an_unknown_address_gets_exactly_the_same_answer_and_nothing_is_sent(
    customer: Contact, smtp_settings: Any
) -> None:
    known, unknown = Client(), Client()
    answers = [request_code(known, "maryam@example.ir"), request_code(unknown, "nobody@example.ir")]
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, "/portal/sign-in/code/")] * 2
    pages = [known.get("/portal/sign-in/code/"), unknown.get("/portal/sign-in/code/")]
    texts = [
        page.content.decode().replace("maryam@example.ir", "X").replace("nobody@example.ir", "X")
        for page in pages
    ]
    texts = [text.split('name="csrfmiddlewaretoken" value="')[0] for text in texts]
    assert texts[0] == texts[1]
    assert [recipients for recipients, _m in smtp_settings.messages] == [["maryam@example.ir"]]
    assert SignInCode.objects.count() == 1
    assert enter_code(unknown, "123456").status_code == 422


def test_a_new_request_replaces_the_old_code(
    client: Client, customer: Contact, smtp_settings: Any
) -> None:
    request_code(client, "maryam@example.ir")
    first = last_code(smtp_settings, "maryam@example.ir")
    request_code(client, "maryam@example.ir")
    second = last_code(smtp_settings, "maryam@example.ir")
    assert SignInCode.objects.count() == 1
    if first != second:  # one chance in a million that they are equal
        assert code_verify(address=EMAIL, code=first) is None
    assert code_verify(address=EMAIL, code=second) == customer


def test_a_code_that_could_not_be_delivered_is_not_left_behind(
    client: Client, customer: Contact, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    response = request_code(client, "maryam@example.ir")
    assert (response.status_code, response["Location"]) == (302, "/portal/sign-in/code/")
    assert SignInCode.objects.count() == 0


# --- Checking a code -----------------------------------------------------------------------


def test_the_right_code_signs_in_once(
    client: Client, customer: Contact, smtp_settings: Any
) -> None:
    request_code(client, "maryam@example.ir")
    code = last_code(smtp_settings, "maryam@example.ir")
    response = enter_code(client, "".join("۰۱۲۳۴۵۶۷۸۹"[int(digit)] for digit in code))
    assert (response.status_code, response["Location"]) == (302, "/portal/tickets/")
    assert client.session[CONTACT_KEY] == customer.pk
    assert SignInCode.objects.count() == 0
    assert code_verify(address=EMAIL, code=code) is None  # used up


def test_the_code_expires_after_ten_minutes(customer: Contact, smtp_settings: Any, at: Any) -> None:
    at(2026, 11, 25, 15, 0)
    code_request(address=EMAIL)
    code = last_code(smtp_settings, "maryam@example.ir")
    at(2026, 11, 25, 15, 9, 59)
    assert code_verify(address=EMAIL, code="000000" if code != "000000" else "111111") is None
    assert code_verify(address=EMAIL, code=code) == customer

    code_request(address=EMAIL)
    code = last_code(smtp_settings, "maryam@example.ir")
    at(2026, 11, 25, 15, 19, 59)
    assert code_verify(address=EMAIL, code=code) is None
    assert SignInCode.objects.count() == 0


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_four_wrong_tries_still_leave_the_code_usable(
    customer: Contact, smtp_settings: Any
) -> None:
    code_request(address=EMAIL)
    code = last_code(smtp_settings, "maryam@example.ir")
    for _try in range(MAX_WRONG_TRIES - 1):
        assert code_verify(address=EMAIL, code=_wrong(code)) is None
    assert SignInCode.objects.get().wrong_tries == 4
    assert code_verify(address=EMAIL, code=code) == customer


def test_the_fifth_wrong_try_kills_the_code(customer: Contact, smtp_settings: Any) -> None:
    code_request(address=EMAIL)
    code = last_code(smtp_settings, "maryam@example.ir")
    for _try in range(MAX_WRONG_TRIES):
        assert code_verify(address=EMAIL, code=_wrong(code)) is None
    assert SignInCode.objects.count() == 0
    assert code_verify(address=EMAIL, code=code) is None


def test_a_wrong_code_on_the_page_says_so_and_does_not_sign_in(
    client: Client, customer: Contact, smtp_settings: Any
) -> None:
    request_code(client, "maryam@example.ir")
    code = last_code(smtp_settings, "maryam@example.ir")
    response = enter_code(client, _wrong(code))
    assert response.status_code == 422
    assert "این کد اشتباه است یا منقضی شده" in response.content.decode()
    assert CONTACT_KEY not in client.session
    response = enter_code(client, "12")
    assert response.status_code == 422
    assert "کد همان ۶ رقمی است که برایتان فرستادیم." in response.content.decode()


def test_a_code_sent_to_one_address_does_not_work_for_another_address_of_the_contact(
    customer: Contact, smtp_settings: Any
) -> None:
    code_request(address=EMAIL)
    code = last_code(smtp_settings, "maryam@example.ir")
    assert code_verify(address=SignInAddress("sms", "+989121234567"), code=code) is None
    assert code_verify(address=EMAIL, code=code) == customer


def test_the_code_page_without_a_request_goes_back_to_the_sign_in_page(client: Client) -> None:
    response = client.get("/portal/sign-in/code/")
    assert (response.status_code, response["Location"]) == (302, "/portal/sign-in/")


# --- SMS is not set up yet -----------------------------------------------------------------


def test_the_sms_slot_refuses_with_a_clear_error(customer: Contact) -> None:
    sender = SmsCodeSender()
    assert sender.is_ready() is False
    with pytest.raises(SenderNotReady, match="SMS is not set up"):
        sender.send(
            contact=customer, address="+989121234567", code="123456", minutes=10, reference="r"
        )


@pytest.mark.parametrize("number", ["۰۹۱۲ ۱۲۳ ۴۵۶۷", "09359998877"])
def test_a_mobile_number_gets_the_same_sms_not_set_up_answer_known_or_not(
    client: Client, customer: Contact, smtp_settings: Any, number: str
) -> None:
    page = client.get("/portal/sign-in/")
    assert "ورود با شماره موبایل به پیامک نیاز دارد" in page.content.decode()
    response = request_code(client, number)
    assert response.status_code == 422
    assert (
        "ورود با شماره موبایل به پیامک نیاز دارد که هنوز راه‌اندازی نشده است. "
        "با نشانی ایمیل خود وارد شوید." in response.content.decode()
    )
    assert SignInCode.objects.count() == 0
    assert smtp_settings.messages == []


# --- Rate limits ---------------------------------------------------------------------------


def test_codes_per_address_are_limited_for_known_and_unknown_addresses_alike(
    customer: Contact, smtp_settings: Any, settings: Any
) -> None:
    settings.PEYVAND_PORTAL_CODES_PER_ADDRESS = 2
    for address in ("maryam@example.ir", "nobody@example.ir"):
        statuses = [request_code(Client(), address).status_code for _n in range(3)]
        assert statuses == [302, 302, 429]
    assert len(smtp_settings.messages) == 2
    page = request_code(Client(), "MARYAM@example.ir")
    assert page.status_code == 429
    assert "تعداد تلاش‌ها زیاد است" in page.content.decode()


def test_codes_per_client_address_are_limited(
    client: Client, customer: Contact, smtp_settings: Any, settings: Any
) -> None:
    settings.PEYVAND_PORTAL_CODES_PER_CLIENT = 3
    statuses = [request_code(client, f"person{n}@example.ir").status_code for n in range(3)]
    assert statuses == [302, 302, 302]
    assert request_code(client, "maryam@example.ir").status_code == 429
    assert smtp_settings.messages == []
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert request_code(other, "maryam@example.ir").status_code == 302


def test_failed_code_checks_are_limited_per_address(
    customer: Contact, smtp_settings: Any, settings: Any
) -> None:
    settings.PEYVAND_PORTAL_VERIFY_PER_ADDRESS = 3
    attacker = Client(REMOTE_ADDR="10.0.0.9")
    request_code(attacker, "maryam@example.ir")
    code = last_code(smtp_settings, "maryam@example.ir")
    statuses = [enter_code(attacker, _wrong(code)).status_code for _n in range(3)]
    assert statuses == [422, 422, 422]
    # Even the right code is refused now, from anywhere, until the window passes.
    owner = Client()
    request_code(owner, "maryam@example.ir")
    fresh = last_code(smtp_settings, "maryam@example.ir")
    assert enter_code(owner, fresh).status_code == 429
    assert SignInCode.objects.get().wrong_tries == 0


def test_failed_code_checks_per_address_also_add_up_over_the_day(
    customer: Contact, smtp_settings: Any, settings: Any
) -> None:
    """A slow guesser who stays under the per-window limit and moves between client
    addresses still meets the daily limit for the address."""
    settings.PEYVAND_PORTAL_VERIFY_PER_ADDRESS = 100
    settings.PEYVAND_PORTAL_VERIFY_PER_ADDRESS_PER_DAY = 5
    settings.PEYVAND_PORTAL_CODES_PER_ADDRESS = 100
    for number in range(5):
        guesser = Client(REMOTE_ADDR=f"10.0.1.{number}")
        request_code(guesser, "maryam@example.ir")
        assert enter_code(guesser, "000000").status_code == 422
    owner = Client(REMOTE_ADDR="10.0.2.1")
    request_code(owner, "maryam@example.ir")
    code = last_code(smtp_settings, "maryam@example.ir")
    assert enter_code(owner, code).status_code == 429
    assert CONTACT_KEY not in owner.session


def test_failed_code_checks_are_limited_per_client_address(
    client: Client, customer: Contact, smtp_settings: Any, settings: Any
) -> None:
    settings.PEYVAND_PORTAL_VERIFY_PER_CLIENT = 2
    request_code(client, "nobody@example.ir")
    assert [enter_code(client, "123456").status_code for _n in range(2)] == [422, 422]
    request_code(client, "maryam@example.ir")
    code = last_code(smtp_settings, "maryam@example.ir")
    assert enter_code(client, code).status_code == 429
    assert CONTACT_KEY not in client.session


def test_a_contact_who_chose_english_gets_the_email_in_english(
    client: Client, customer: Contact, smtp_settings: Any
) -> None:
    customer.language = "en"
    customer.save(update_fields=["language"])
    request_code(client, "maryam@example.ir")
    _recipients, message = smtp_settings.messages[0]
    assert message["Subject"] == "Your sign-in code for پیوند"
    assert "It is valid for 10 minutes and works once." in message.get_content()
