"""Date triggers: the Jalali birthday (the day itself, not the day before or after; Esfand 30
in a year without one), a date's anniversary, and inactivity."""

from __future__ import annotations

import datetime

import jdatetime
import pytest

from peyvand.contacts.tests.factories import make_contact
from peyvand.marketing.journey_models import JourneyRun, JourneyRunLog
from peyvand.marketing.journeys.engine import discount_code
from peyvand.marketing.journeys.library import template_values
from peyvand.marketing.journeys.services import journey_activate, journey_from_template
from peyvand.marketing.journeys.triggers import date_triggers_run, jalali_day_matches
from peyvand.messaging.models import OutboxMessage
from peyvand.timeline.events import event_record

from .journey_helpers import TEHRAN, Clock, active_journey, wait

pytestmark = pytest.mark.django_db


def gregorian(year: int, month: int, day: int) -> datetime.date:
    return jdatetime.date(year, month, day).togregorian()


def tehran_morning(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, 9, tzinfo=TEHRAN)


def test_the_birthday_journey_greets_a_customer_on_their_jalali_birthday() -> None:
    journey = journey_activate(
        actor=None, journey=journey_from_template(actor=None, key="birthday")
    )
    # Born 1370/07/15 (1991-10-07); in 1405 that day is 2026-10-07.
    born = gregorian(1370, 7, 15)
    contact = make_contact(first_name="نگار", birthday=born, phones=["09121112233"])
    make_contact(birthday=gregorian(1370, 7, 16))
    birthday = gregorian(1405, 7, 15)

    for day in (birthday - datetime.timedelta(days=1), birthday):
        Clock(tehran_morning(day)).tick()
        assert OutboxMessage.objects.count() == (1 if day == birthday else 0)
    Clock(tehran_morning(birthday) + datetime.timedelta(hours=5)).tick()

    message = OutboxMessage.objects.get()
    code = discount_code(contact.pk, 1405)
    assert message.recipient == "+989121112233"
    assert message.body_text == f"نگار عزیز، تولدتان مبارک! کد تخفیف ویژه‌ی شما: {code}"
    assert message.category == "marketing"
    run = JourneyRun.objects.get(journey=journey)
    assert (run.contact_id, run.trigger_key) == (contact.pk, "birthday:1405")
    assert JourneyRunLog.objects.get(run=run, outcome="done").detail["discount_code"] == code


def test_the_day_after_the_birthday_starts_nothing() -> None:
    active_journey([wait(days=1)], trigger_kind="birthday", entry_policy="every_time")
    make_contact(birthday=gregorian(1370, 7, 15))
    assert date_triggers_run(now=tehran_morning(gregorian(1405, 7, 16))) == 0
    assert date_triggers_run(now=tehran_morning(gregorian(1405, 7, 14))) == 0
    assert date_triggers_run(now=tehran_morning(gregorian(1405, 7, 15))) == 1
    # Again the same day (another worker, a second pass): nobody twice.
    assert date_triggers_run(now=tehran_morning(gregorian(1405, 7, 15))) == 0
    # And next year again.
    assert date_triggers_run(now=tehran_morning(gregorian(1406, 7, 15))) == 1


def test_tehran_midnight_decides_the_day() -> None:
    active_journey([wait(days=1)], trigger_kind="birthday", entry_policy="every_time")
    make_contact(birthday=gregorian(1370, 7, 15))
    birthday = gregorian(1405, 7, 15)
    # 23:30 UTC the day before is 03:00 on the birthday in Tehran.
    before_utc = datetime.datetime(
        (birthday - datetime.timedelta(days=1)).year,
        (birthday - datetime.timedelta(days=1)).month,
        (birthday - datetime.timedelta(days=1)).day,
        23,
        30,
        tzinfo=datetime.UTC,
    )
    assert date_triggers_run(now=before_utc) == 1


def test_esfand_30_is_greeted_on_esfand_29_in_a_year_without_it() -> None:
    # 1403 is a leap year (it has Esfand 30), 1404 is not.
    assert jdatetime.date(1403, 1, 1).isleap() and not jdatetime.date(1404, 1, 1).isleap()
    born = gregorian(1399, 12, 30)
    assert jalali_day_matches(born, gregorian(1404, 12, 29))
    assert not jalali_day_matches(born, gregorian(1404, 12, 28))
    assert not jalali_day_matches(born, gregorian(1403, 12, 29))
    assert jalali_day_matches(born, gregorian(1403, 12, 30))

    active_journey([wait(days=1)], trigger_kind="birthday", entry_policy="every_time")
    contact = make_contact(birthday=born)
    make_contact(birthday=gregorian(1399, 12, 29))
    assert date_triggers_run(now=tehran_morning(gregorian(1404, 12, 28))) == 0
    assert date_triggers_run(now=tehran_morning(gregorian(1404, 12, 29))) == 2
    assert JourneyRun.objects.filter(contact=contact).count() == 1


def test_discount_codes_are_personal_and_yearly() -> None:
    assert discount_code(1, 1405) == discount_code(1, 1405)
    assert len({discount_code(1, 1405), discount_code(2, 1405), discount_code(1, 1406)}) == 3
    assert discount_code(1, 1405).startswith("BD") and len(discount_code(1, 1405)) == 10


def test_anniversary_of_the_created_date() -> None:
    journey = active_journey(
        [wait(days=1)], trigger_kind="date_anniversary", entry_policy="every_time"
    )
    contact = make_contact()
    created = contact.created_at.astimezone(TEHRAN).date()
    jalali_created = jdatetime.date.fromgregorian(date=created)
    one_year_on = gregorian(jalali_created.year + 1, jalali_created.month, jalali_created.day)
    assert date_triggers_run(now=tehran_morning(created)) == 0
    assert date_triggers_run(now=tehran_morning(one_year_on + datetime.timedelta(days=1))) == 0
    assert date_triggers_run(now=tehran_morning(one_year_on)) == 1
    assert JourneyRun.objects.get(journey=journey).contact == contact


def test_inactivity_starts_each_quiet_stretch_once() -> None:
    journey = active_journey(
        [wait(days=1)],
        trigger_kind="inactivity",
        trigger_params={"days": 30},
        entry_policy="every_time",
    )
    quiet = make_contact()
    busy = make_contact()
    clock = Clock(quiet.created_at + datetime.timedelta(days=31))
    event_record(
        actor=None,
        verb="note.logged",
        subject=busy,
        contact=busy,
        occurred_at=clock.now - datetime.timedelta(days=2),
    )
    assert date_triggers_run(now=clock.now) == 1
    clock.advance(days=1)
    # The same quiet stretch (its key is the day of the last activity) starts no second run.
    assert date_triggers_run(now=clock.now) == 0
    assert [run.contact_id for run in JourneyRun.objects.filter(journey=journey)] == [quiet.pk]


def test_every_template_is_valid_and_starts_as_a_draft() -> None:
    from peyvand.marketing.journeys.library import TEMPLATES

    for template in TEMPLATES:
        journey = journey_from_template(actor=None, key=template.key)
        assert journey.status == "draft"
        assert journey.definition["steps"], template.key
        assert template_values(template.key) is not None


def test_post_purchase_has_no_marketing_before_day_14() -> None:
    steps = template_values("post_purchase")["definition"]["steps"]  # type: ignore[index]
    day = 0
    for item in steps:
        if item["kind"] == "wait":
            day += item["params"]["days"]
        elif item["kind"].startswith("send_") and item["params"]["category"] == "marketing":
            assert day >= 14


def test_anniversary_of_a_date_custom_field() -> None:
    from peyvand.contacts.services import custom_field_save

    custom_field_save(
        actor=None,
        values={
            "object_type": "contact",
            "key": "contract_date",
            "label_fa": "تاریخ قرارداد",
            "field_type": "date",
        },
    )
    journey = active_journey(
        [wait(days=1)],
        trigger_kind="date_anniversary",
        trigger_params={"field": "contract_date"},
        entry_policy="every_time",
    )
    signed = make_contact(custom_fields={"contract_date": gregorian(1402, 3, 10).isoformat()})
    make_contact(custom_fields={"contract_date": gregorian(1402, 3, 11).isoformat()})
    make_contact()
    assert date_triggers_run(now=tehran_morning(gregorian(1404, 3, 10))) == 1
    assert JourneyRun.objects.get(journey=journey).contact == signed


def test_an_unknown_custom_field_is_refused() -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        active_journey(
            [wait(days=1)], trigger_kind="date_anniversary", trigger_params={"field": "nothing"}
        )
    assert list(caught.value.message_dict) == ["trigger_params.field"]
