"""Deal pages: the Kanban board (columns, counts, Toman totals, filters, the 90-day window
for closed deals, a query count that does not grow with the deals), the list with keyset
pages, the create / edit / delete forms, the move endpoint the board calls, and the deal
page with its stage history and timeline."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.accounts.models import Role, User
from peyvand.common.persian import to_persian_digits
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.sales.deals import deal_move_stage
from peyvand.sales.models import Deal, DealStageChange, Pipeline, Stage
from peyvand.sales.selectors import pipeline_default
from peyvand.timeline.models import Event

from .factories import make_deal, make_pipeline, stage_of

pytestmark = pytest.mark.django_db

JSON = {"accept": "application/json"}


@pytest.fixture
def pipeline() -> Pipeline:
    default = pipeline_default()
    assert default is not None
    return default


@pytest.fixture
def stages(pipeline: Pipeline) -> list[Stage]:
    """The six default stages: four open (10, 25, 50, 75 %), won, lost."""
    return list(pipeline.stages.order_by("position", "id"))


@pytest.fixture
def english_seller(make_user: Callable[..., User]) -> User:
    """A seller who reads the pages in English (messages compared as written in the code)."""
    return make_user(language="en")


@dataclass
class Column:
    stage: int
    count: str
    total: str
    cards: list[int]


def board(response: Any) -> list[Column]:
    """The columns of a rendered board, in page order."""
    text = response.content.decode()
    columns = []
    for chunk in text.split('<section class="board-column')[1:]:
        stage = re.search(r'data-stage="(\d+)"', chunk)
        count = re.search(r'data-role="count">([^<]*)<', chunk)
        total = re.search(r'data-role="total">([^<]*)<', chunk)
        assert stage and count and total
        cards = [int(pk) for pk in re.findall(r'data-deal="(\d+)"', chunk)]
        columns.append(Column(int(stage.group(1)), count.group(1), total.group(1), cards))
    return columns


def close_deal(deal: Deal, kind: str, *, days_ago: int) -> Deal:
    """Close ``deal`` in its pipeline's won or lost stage, ``days_ago`` days ago."""
    deal = deal_move_stage(
        actor=None, deal=deal, stage=stage_of(deal.pipeline, kind), close_reason="دلیل"
    )
    Deal.objects.filter(pk=deal.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    deal.refresh_from_db()
    return deal


# --- the board ---------------------------------------------------------------------------


def test_the_board_has_a_column_per_stage_with_counts_and_toman_totals(
    sales_user: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    first = make_deal(actor=sales_user, amount=1_500_000_000, title="لپ‌تاپ")
    second = make_deal(actor=sales_user, amount=250_000, title="ماوس")
    odd = make_deal(actor=sales_user, amount=125_005, title="کابل", stage=stages[1])
    won = close_deal(make_deal(actor=sales_user, amount=10_000_000), "won", days_ago=89)

    response = logged_in(sales_user).get("/sales/deals/")

    assert response.status_code == 200
    columns = board(response)
    assert [column.stage for column in columns] == [stage.pk for stage in stages]
    assert [column.count for column in columns] == ["۲", "۱", "۰", "۰", "۱", "۰"]
    assert [column.total for column in columns] == [
        "۱۵۰٬۰۲۵٬۰۰۰ تومان · ۱۰٪",
        "۱۲٬۵۰۰٫۵ تومان · ۲۵٪",
        "۰ تومان · ۵۰٪",
        "۰ تومان · ۷۵٪",
        "۱٬۰۰۰٬۰۰۰ تومان",
        "۰ تومان",
    ]
    assert columns[0].cards == [second.pk, first.pk]  # the newest card on top
    assert (columns[1].cards, columns[4].cards) == ([odd.pk], [won.pk])
    page = response.content.decode()
    # Open: 1,500,250,000 + 125,005 Rials; weighted: 150,025,000 + 31,251 Rials.
    assert '<span id="open-total">۱۵۰٬۰۳۷٬۵۰۰٫۵ تومان</span>' in page
    assert '<span id="weighted-total">۱۵٬۰۰۵٬۶۲۵٫۱ تومان</span>' in page
    assert "<span>۱۵۰٬۰۰۰٬۰۰۰ تومان</span>" in page  # the first card's amount


def test_closed_deals_older_than_90_days_leave_the_board_but_not_the_list(
    sales_user: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    recent_win = close_deal(make_deal(actor=sales_user, amount=10), "won", days_ago=89)
    old_win = close_deal(make_deal(actor=sales_user, amount=20), "won", days_ago=91)
    old_loss = close_deal(make_deal(actor=sales_user, amount=30), "lost", days_ago=120)
    open_old = make_deal(actor=sales_user, amount=40)
    Deal.objects.filter(pk=open_old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    client = logged_in(sales_user)

    columns = board(client.get("/sales/deals/"))
    assert [(column.count, column.cards) for column in columns[4:]] == [
        ("۱", [recent_win.pk]),
        ("۰", []),
    ]
    assert (columns[4].total, columns[5].total) == ("۱ تومان", "۰ تومان")
    assert columns[0].cards == [open_old.pk]  # open deals stay whatever their age

    lost_only = board(client.get("/sales/deals/", {"status": "lost"}))
    assert [column.cards for column in lost_only] == [[], [], [], [], [], [old_loss.pk]]
    listed = client.get("/sales/deals/list/", {"status": "won"}).context["deals"]
    assert [deal.pk for deal in listed] == [old_win.pk, recent_win.pk]


def test_the_board_filters_by_owner(
    make_user: Callable[..., User], sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    other = make_user(teams=tuple(sales_user.teams.all()))
    mine = make_deal(owner=sales_user, amount=1_000)
    theirs = [make_deal(owner=other, amount=2_000) for _ in range(2)]
    nobody = make_deal(amount=5)
    manager = make_user(role=Role.MANAGER, teams=tuple(sales_user.teams.all()))
    client = logged_in(manager)

    everyone = board(client.get("/sales/deals/"))[0]
    assert (everyone.count, everyone.total) == ("۴", "۵۰۰٫۵ تومان · ۱۰٪")

    only_other = board(client.get("/sales/deals/", {"owner": other.pk}))[0]
    assert only_other.cards == [theirs[1].pk, theirs[0].pk]
    assert (only_other.count, only_other.total) == ("۲", "۴۰۰ تومان · ۱۰٪")
    only_mine = board(client.get("/sales/deals/", {"owner": sales_user.pk}))[0]
    assert (only_mine.cards, only_mine.count) == ([mine.pk], "۱")
    unowned = board(client.get("/sales/deals/", {"owner": "none"}))[0]
    assert (unowned.cards, unowned.count) == ([nobody.pk], "۱")
    junk = board(client.get("/sales/deals/", {"owner": "abc"}))[0]
    assert (junk.cards, junk.count) == ([], "۰")


def test_the_board_shows_another_pipeline_when_asked(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    other = make_pipeline("عمده‌فروشی")
    make_deal(actor=sales_user)
    elsewhere = make_deal(actor=sales_user, pipeline=other)
    columns = board(logged_in(sales_user).get("/sales/deals/", {"pipeline": other.pk}))
    assert [column.stage for column in columns] == list(
        other.stages.order_by("position").values_list("pk", flat=True)
    )
    assert columns[0].cards == [elsewhere.pk]
    assert logged_in(sales_user).get("/sales/deals/", {"pipeline": 999_999}).status_code == 404


def _spread_deals(count: int, owners: list[User], stages: list[Stage]) -> None:
    """Deals in every open stage, each with its own contact and company and an owner."""
    for index in range(count):
        company = make_company(name=f"شرکت {index} {timezone.now().timestamp()}")
        contact = make_contact(company=company, last_name=f"مشتری {index}")
        make_deal(
            owner=owners[index % len(owners)],
            title=f"معامله {index}",
            amount=1_000 * (index + 1),
            contact=contact,
            company=company,
            stage=stages[index % 4],
            expected_close_date=datetime.date(2025, 6, 1),
        )


BOARD_QUERIES = 14


def test_the_board_query_count_does_not_grow_with_the_deals(
    make_user: Callable[..., User],
    stages: list[Stage],
    logged_in: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    owners = [make_user() for _ in range(3)]
    admin = make_user(role=Role.ADMIN)
    client = logged_in(admin)
    _spread_deals(5, owners, stages)
    client.get("/sales/deals/")  # warm caches (content types, sessions)

    with django_assert_max_num_queries(BOARD_QUERIES) as few:
        few_page = client.get("/sales/deals/")
    _spread_deals(35, owners, stages)
    with django_assert_max_num_queries(BOARD_QUERIES) as many:
        many_page = client.get("/sales/deals/")

    assert sum(len(column.cards) for column in board(few_page)) == 5
    assert sum(len(column.cards) for column in board(many_page)) == 40
    assert len(few.captured_queries) == len(many.captured_queries) == BOARD_QUERIES


# --- the list ----------------------------------------------------------------------------


def next_link(response: Any) -> str | None:
    match = re.search(r'<a [^>]*href="([^"]+)" id="next-page"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def test_the_list_pages_by_keyset_and_keeps_the_filters(
    make_user: Callable[..., User], sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    other = make_user(teams=tuple(sales_user.teams.all()))
    mine = [make_deal(owner=sales_user, title=f"معامله {index}") for index in range(55)]
    make_deal(owner=other, title="معامله همکار")
    client = logged_in(sales_user)

    first = client.get("/sales/deals/list/", {"owner": sales_user.pk})
    assert first.status_code == 200
    assert [deal.pk for deal in first.context["deals"]] == [deal.pk for deal in mine[::-1][:50]]
    link = next_link(first)
    assert link is not None and link.startswith("?")
    assert f"owner={sales_user.pk}" in link and "cursor=" in link

    second = client.get(f"/sales/deals/list/{link}")
    assert [deal.pk for deal in second.context["deals"]] == [deal.pk for deal in mine[4::-1]]
    assert next_link(second) is None
    assert client.get("/sales/deals/list/", {"cursor": "not-a-cursor"}).status_code == 404


def test_the_list_filters_by_status_search_owner_and_sorts_by_amount(
    make_user: Callable[..., User], sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    other = make_user(teams=tuple(sales_user.teams.all()))
    laptops = make_deal(owner=sales_user, title="خرید لپ‌تاپ", amount=900)
    printers = make_deal(owner=other, title="خرید چاپگر", amount=5_000)
    won = close_deal(make_deal(owner=other, title="سرور", amount=100), "won", days_ago=1)
    client = logged_in(sales_user)

    def listed(**query: Any) -> list[int]:
        return [deal.pk for deal in client.get("/sales/deals/list/", query).context["deals"]]

    assert listed() == [won.pk, printers.pk, laptops.pk]
    assert listed(status="won") == [won.pk]
    assert listed(status="open", owner=other.pk) == [printers.pk]
    assert listed(q="خريد") == [printers.pk, laptops.pk]  # Arabic yeh still finds خرید
    assert listed(sort="amount") == [printers.pk, laptops.pk, won.pk]
    assert listed(sort="oldest") == [laptops.pk, printers.pk, won.pk]
    page = client.get("/sales/deals/list/").content.decode()
    assert "۹۰ تومان" in page and next_link(client.get("/sales/deals/list/")) is None


def test_the_list_sorted_by_close_date_pages_through_dated_deals(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    start = datetime.date(2025, 6, 1)
    deals = [
        make_deal(owner=sales_user, expected_close_date=start + datetime.timedelta(days=index))
        for index in range(51)
    ]
    client = logged_in(sales_user)
    first = client.get("/sales/deals/list/", {"sort": "close"})
    assert [deal.pk for deal in first.context["deals"]] == [deal.pk for deal in deals[:50]]
    link = next_link(first)
    assert link is not None
    assert [deal.pk for deal in client.get(f"/sales/deals/list/{link}").context["deals"]] == [
        deals[50].pk
    ]


def test_the_list_sorted_by_close_date_shows_only_dated_deals(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    undated = [make_deal(owner=sales_user) for _ in range(3)]
    dated = [
        make_deal(owner=sales_user, expected_close_date=datetime.date(2025, 6, day))
        for day in (9, 2)
    ]
    client = logged_in(sales_user)
    page = client.get("/sales/deals/list/", {"sort": "close"})
    assert [deal.pk for deal in page.context["deals"]] == [dated[1].pk, dated[0].pk]
    assert next_link(page) is None
    newest = client.get("/sales/deals/list/")
    assert {deal.pk for deal in undated} <= {deal.pk for deal in newest.context["deals"]}


# --- create, edit, delete ----------------------------------------------------------------


def deal_form(pipeline: Pipeline, **values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "خرید سرور",
        "pipeline": pipeline.pk,
        "stage": "",
        "amount": "",
        "currency": "IRR",
        "currency_amount": "",
        "exchange_rate": "",
        "probability": "",
        "forecast_category": "pipeline",
        "expected_close_date": "",
        "owner": "",
        "contact": "",
        "company": "",
        "source": "",
        "close_reason": "",
        "description": "",
    }
    data.update(values)
    return data


def test_creating_a_deal_from_the_form_reads_the_contact_picker_and_a_jalali_date(
    sales_user: User, pipeline: Pipeline, logged_in: Callable[[User], Client]
) -> None:
    contact = make_contact(actor=sales_user, first_name="رضا", last_name="محمدی")
    client = logged_in(sales_user)
    page = client.get("/sales/deals/new/").content.decode()
    assert f'<option value="رضا محمدی #{contact.pk}"></option>' in page

    response = client.post(
        "/sales/deals/new/",
        deal_form(
            pipeline,
            contact=f"رضا محمدی #{to_persian_digits(str(contact.pk))}",
            expected_close_date="۱۴۰۴/۰۱/۱۵",
            source="website",
        ),
    )

    deal = Deal.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/sales/deals/{deal.pk}/")
    assert (deal.title, deal.amount, deal.contact) == ("خرید سرور", 0, contact)
    assert deal.expected_close_date == datetime.date(2025, 4, 4)
    assert (deal.owner, deal.created_by) == (sales_user, sales_user)
    assert (deal.stage, deal.status, deal.source) == (stage_of(pipeline), "open", "website")


def test_creating_a_deal_reads_the_amount_in_toman(
    sales_user: User, pipeline: Pipeline, logged_in: Callable[[User], Client]
) -> None:
    client = logged_in(sales_user)
    response = client.post("/sales/deals/new/", deal_form(pipeline, amount="۱۲٬۵۰۰"))
    deal = Deal.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/sales/deals/{deal.pk}/")
    assert deal.amount == 125_000
    page = client.get(response["Location"]).content.decode()
    assert '<dd class="col-7" id="deal-amount">۱۲٬۵۰۰ تومان' in page


@pytest.mark.parametrize(
    "picked",
    ["رضا محمدی", "رضا محمدی #999999", "#"],
)
def test_an_unknown_contact_in_the_picker_is_a_field_error(
    english_seller: User,
    pipeline: Pipeline,
    logged_in: Callable[[User], Client],
    picked: str,
) -> None:
    make_contact(actor=english_seller, first_name="رضا", last_name="محمدی")
    response = logged_in(english_seller).post(
        "/sales/deals/new/", deal_form(pipeline, contact=picked)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "contact": ["Choose one of the suggestions (a name followed by #number)."]
    }
    assert [error.code for error in form.errors.as_data()["contact"]] == ["does_not_exist"]
    assert not Deal.objects.exists()


def test_a_contact_the_user_cannot_see_cannot_be_picked(
    make_user: Callable[..., User],
    english_seller: User,
    pipeline: Pipeline,
    logged_in: Callable[[User], Client],
) -> None:
    stranger = make_user()  # in no team with the seller: their contact is not visible
    hidden = make_contact(owner=stranger, first_name="پنهان")
    response = logged_in(english_seller).post(
        "/sales/deals/new/", deal_form(pipeline, contact=f"{hidden} #{hidden.pk}")
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["contact"]
    assert not Deal.objects.exists()


def test_a_lost_deal_created_without_a_reason_is_a_field_error(
    english_seller: User,
    stages: list[Stage],
    pipeline: Pipeline,
    logged_in: Callable[[User], Client],
) -> None:
    response = logged_in(english_seller).post(
        "/sales/deals/new/", deal_form(pipeline, stage=stages[5].pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"close_reason": ["Say why the deal was lost."]}
    assert not Deal.objects.exists()


def test_editing_a_deal_saves_the_changes_and_records_them(
    sales_user: User, pipeline: Pipeline, logged_in: Callable[[User], Client]
) -> None:
    company = make_company(actor=sales_user, name="فولاد نمونه")
    deal = make_deal(actor=sales_user, title="قرارداد اولیه", amount=0)
    client = logged_in(sales_user)
    assert client.get(f"/sales/deals/{deal.pk}/edit/").status_code == 200

    response = client.post(
        f"/sales/deals/{deal.pk}/edit/",
        deal_form(
            pipeline,
            title="قرارداد نهایی",
            owner=sales_user.pk,
            company=f"{company} #{company.pk}",
            stage=deal.stage_id,
            probability="40",
        ),
    )

    assert (response.status_code, response["Location"]) == (302, f"/sales/deals/{deal.pk}/")
    deal.refresh_from_db()
    assert (deal.title, deal.company, deal.probability) == ("قرارداد نهایی", company, 40)
    event = Event.objects.get(deal=deal, verb="deal.updated")
    assert event.payload["changes"] == {
        "title": ["قرارداد اولیه", "قرارداد نهایی"],
        "probability": [None, 40],
        "company": [None, company.pk],
    }
    assert event.company == company


def test_editing_a_deal_keeps_or_changes_its_amount_in_toman(
    sales_user: User, pipeline: Pipeline, logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=sales_user, title="قرارداد", amount=1_500_000)
    client = logged_in(sales_user)
    page = client.get(f"/sales/deals/{deal.pk}/edit/").content.decode()
    assert 'name="amount" value="150000"' in page  # shown in Toman

    response = client.post(
        f"/sales/deals/{deal.pk}/edit/",
        deal_form(pipeline, title="قرارداد", amount="۲۰٬۰۰۰", owner=sales_user.pk),
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == 200_000


def test_deleting_a_deal_keeps_a_trace_on_the_contacts_timeline(
    make_user: Callable[..., User], sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    contact = make_contact(actor=sales_user)
    deal = make_deal(actor=sales_user, contact=contact, title="حذفی")
    manager = make_user(role=Role.MANAGER, teams=tuple(sales_user.teams.all()))

    assert logged_in(manager).get(f"/sales/deals/{deal.pk}/delete/").status_code == 405
    response = logged_in(manager).post(f"/sales/deals/{deal.pk}/delete/")

    assert (response.status_code, response["Location"]) == (302, "/sales/deals/")
    assert not Deal.objects.filter(pk=deal.pk).exists()
    event = Event.objects.get(verb="deal.deleted")
    assert (event.contact, event.actor, event.summary) == (contact, manager, "حذفی")
    assert event.payload["deleted"]["title"] == "حذفی"


# --- the move endpoint -------------------------------------------------------------------


def test_moving_a_deal_answers_json_for_the_board(
    english_seller: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=english_seller)
    client = logged_in(english_seller)

    moved = client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stages[2].pk}, headers=JSON)
    assert moved.status_code == 200
    assert moved.json() == {"id": deal.pk, "stage": stages[2].pk, "status": "open"}

    won = client.post(
        f"/sales/deals/{deal.pk}/move/",
        {"stage": stages[4].pk, "close_reason": "قیمت بهتر"},
        headers=JSON,
    )
    assert won.json() == {"id": deal.pk, "stage": stages[4].pk, "status": "won"}
    deal.refresh_from_db()
    assert (deal.stage, deal.status, deal.close_reason) == (stages[4], "won", "قیمت بهتر")
    assert list(Event.objects.filter(deal=deal).order_by("id").values_list("verb", flat=True)) == [
        "deal.created",
        "deal.stage_changed",
        "deal.won",
    ]


def test_moving_to_a_lost_stage_without_a_reason_is_422_and_changes_nothing(
    english_seller: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=english_seller)
    before = Deal.objects.values().get(pk=deal.pk)

    response = logged_in(english_seller).post(
        f"/sales/deals/{deal.pk}/move/", {"stage": stages[5].pk}, headers=JSON
    )

    assert response.status_code == 422
    assert response.json() == {"errors": {"close_reason": ["Say why the deal was lost."]}}
    assert Deal.objects.values().get(pk=deal.pk) == before
    assert list(DealStageChange.objects.filter(deal=deal).values_list("stage", "left_at")) == [
        (stages[0].pk, None)
    ]
    assert list(Event.objects.filter(deal=deal).values_list("verb", flat=True)) == ["deal.created"]


def test_a_stage_of_another_pipeline_or_no_stage_is_422(
    english_seller: User, logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=english_seller)
    elsewhere = stage_of(make_pipeline("عمده‌فروشی"), index=1)
    client = logged_in(english_seller)
    expected = {"errors": {"stage": ["Choose a stage of this pipeline."]}}

    for stage in (elsewhere.pk, "", "abc", 999_999):
        response = client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stage}, headers=JSON)
        assert (response.status_code, response.json()) == (422, expected)
    deal.refresh_from_db()
    assert deal.stage == stage_of(deal.pipeline)


def test_the_plain_move_form_redirects_back_with_a_message(
    english_seller: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=english_seller)
    client = logged_in(english_seller)

    refused = client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stages[5].pk}, follow=True)
    assert refused.redirect_chain == [(f"/sales/deals/{deal.pk}/", 302)]
    assert [str(message) for message in refused.context["messages"]] == [
        "Say why the deal was lost."
    ]

    moved = client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stages[1].pk}, follow=True)
    assert [str(message) for message in moved.context["messages"]] == [
        f"Moved to {stages[1].name}."
    ]
    deal.refresh_from_db()
    assert deal.stage == stages[1]


def column_order(stage: Stage) -> list[int]:
    return list(
        Deal.objects.filter(stage=stage)
        .order_by("board_position", "-id")
        .values_list("pk", flat=True)
    )


def test_position_reorders_the_cards_of_a_column(
    sales_user: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    first, second, third = (make_deal(actor=sales_user, title=f"کارت {n}") for n in range(3))
    newcomer = make_deal(actor=sales_user, stage=stages[1])
    client = logged_in(sales_user)
    assert column_order(stages[0]) == [third.pk, second.pk, first.pk]

    def move(deal: Deal, stage: Stage, position: int) -> None:
        response = client.post(
            f"/sales/deals/{deal.pk}/move/",
            {"stage": stage.pk, "position": position},
            headers=JSON,
        )
        assert response.status_code == 200

    move(first, stages[0], 0)
    assert column_order(stages[0]) == [first.pk, third.pk, second.pk]
    assert list(
        Deal.objects.filter(stage=stages[0])
        .order_by("board_position")
        .values_list("board_position", flat=True)
    ) == [0, 1, 2]
    move(third, stages[0], 10)  # past the end: last
    assert column_order(stages[0]) == [first.pk, second.pk, third.pk]
    move(newcomer, stages[0], 1)
    assert column_order(stages[0]) == [first.pk, newcomer.pk, second.pk, third.pk]
    assert column_order(stages[1]) == []
    move(second, stages[0], -3)  # before the start: first
    assert column_order(stages[0]) == [second.pk, first.pk, newcomer.pk, third.pk]

    assert board(client.get("/sales/deals/"))[0].cards == column_order(stages[0])
    # Reordering inside a column writes no event; the newcomer's move does.
    assert list(
        Event.objects.filter(verb__startswith="deal.")
        .exclude(verb="deal.created")
        .values_list("deal", "verb")
    ) == [(newcomer.pk, "deal.stage_changed")]


# --- the deal page -----------------------------------------------------------------------


def test_the_deal_page_shows_the_stage_history_and_the_move_on_the_timeline(
    sales_user: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=sales_user, amount=1_500_000_000)
    client = logged_in(sales_user)
    for stage in (stages[1], stages[3]):
        client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stage.pk}, headers=JSON)

    response = client.get(f"/sales/deals/{deal.pk}/")

    assert response.status_code == 200
    assert [row["change"].stage_name for row in response.context["history"]] == [
        stages[0].name,
        stages[1].name,
        stages[3].name,
    ]
    page = response.content.decode()
    history = page[page.index('id="stage-history"') :].split("</ul>")[0]
    assert re.findall(r"<li [^>]*><span>([^<]+)</span>", history) == [
        stages[0].name,
        stages[1].name,
        stages[3].name,
    ]
    timeline = page[page.index('id="timeline-list"') :]
    assert re.findall(r'data-verb="([^"]+)"', timeline) == [
        "deal.stage_changed",
        "deal.stage_changed",
        "deal.created",
    ]
    assert f"<span>{stages[1].name} → {stages[3].name}</span>" in timeline
    assert f"<span>{stages[0].name} → {stages[1].name}</span>" in timeline
    assert '<span class="badge text-bg-primary" id="deal-status">' in page
    # The stage's probability (75 %) and the weighted amount: 1,125,000,000 Rials.
    assert re.search(r"<dd class=\"col-7\">۷۵٪ · \S+ ۱۱۲٬۵۰۰٬۰۰۰ تومان</dd>", page)


def test_the_timeline_titles_a_stage_move_in_words(
    sales_user: User, stages: list[Stage], logged_in: Callable[[User], Client]
) -> None:
    deal = make_deal(actor=sales_user)
    client = logged_in(sales_user)
    client.post(f"/sales/deals/{deal.pk}/move/", {"stage": stages[1].pk}, headers=JSON)
    events = client.get(f"/sales/deals/{deal.pk}/").context["events"]
    assert [event.verb for event in events] == ["deal.stage_changed", "deal.created"]
    assert [event.label for event in events if event.label.startswith("deal.")] == []


def test_the_boards_weighted_total_uses_each_deals_own_probability(
    sales_user: User, logged_in: Callable[[User], Client]
) -> None:
    # A 10% stage; one deal says 50%: 1,000,005 × 50% = 500,002.5 → 500,003 Rials, and
    # 2,000,000 × 10% = 200,000 Rials: 700,003 Rials = 70,000.3 Toman.
    make_deal(actor=sales_user, amount=1_000_005, probability=50)
    make_deal(actor=sales_user, amount=2_000_000)
    page = logged_in(sales_user).get("/sales/deals/").content.decode()
    assert '<span id="weighted-total">۷۰٬۰۰۰٫۳ تومان</span>' in page
