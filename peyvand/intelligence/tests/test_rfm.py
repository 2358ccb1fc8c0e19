"""RFM: quintile scores, the segment grid, runs and their movement, and the RFM page.

Expected scores are worked out here independently of the SQL (percent rank by counting), so a
wrong window function, tie rule or CASE would show up as a difference.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from peyvand.accounts.models import Role, Team, User
from peyvand.commerce.models import Order, OrderStatus
from peyvand.contacts.models import Contact
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import CustomerRfm, RfmRun, RfmSegment
from peyvand.intelligence.purchase_months import purchase_months_refresh
from peyvand.intelligence.rfm import SEGMENT_GRID, rfm_compute, segment_for

pytestmark = pytest.mark.django_db

AS_OF = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
_order_numbers = itertools.count(1)


def buy(
    contact: Contact,
    days_ago: float,
    total: int,
    status: str = OrderStatus.COMPLETED,
    refunded: int = 0,
) -> Order:
    """An order placed ``days_ago`` before AS_OF (test setup, straight into the table; its
    rollup rows recomputed as the order services do)."""
    number = next(_order_numbers)
    order = Order.objects.create(
        contact=contact,
        source="test",
        external_id=str(number),
        status=status,
        placed_at=AS_OF - datetime.timedelta(days=days_ago),
        subtotal=total,
        total=total,
        refunded_total=refunded,
    )
    purchase_months_refresh([contact.pk])
    return order


def expected_score(value: float, values: list[float]) -> int:
    """1 + ⌊5 · (rank − 1) / (n − 1)⌋, capped at 5; ties share the lowest rank."""
    below = sum(1 for other in values if other < value)
    if len(values) == 1:
        return 1
    return min(5, 1 + (5 * below) // (len(values) - 1))


def test_every_cell_of_the_grid_has_exactly_one_segment() -> None:
    cells = [
        (recency, fm)
        for _segment, recencies, fms in SEGMENT_GRID
        for recency in recencies
        for fm in fms
    ]
    assert sorted(cells) == [(r, fm) for r in range(1, 6) for fm in range(1, 6)]
    assert {segment for segment, _r, _fm in SEGMENT_GRID} == set(RfmSegment)


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), RfmSegment.CHAMPIONS),
        ((5, 4, 3), RfmSegment.CHAMPIONS),  # FM = ⌈3.5⌉ = 4
        ((4, 5, 4), RfmSegment.LOYAL),
        ((5, 2, 3), RfmSegment.POTENTIAL_LOYALIST),
        ((5, 1, 1), RfmSegment.NEW),
        ((4, 1, 1), RfmSegment.PROMISING),
        ((3, 3, 3), RfmSegment.NEED_ATTENTION),
        ((3, 1, 2), RfmSegment.ABOUT_TO_SLEEP),
        ((2, 3, 4), RfmSegment.AT_RISK),
        ((1, 5, 5), RfmSegment.CANNOT_LOSE),
        ((2, 2, 1), RfmSegment.HIBERNATING),
        ((1, 2, 2), RfmSegment.HIBERNATING),
        ((1, 1, 1), RfmSegment.LOST),
    ],
)
def test_segment_of_scores(scores: tuple[int, int, int], segment: RfmSegment) -> None:
    assert segment_for(*scores) == segment


def test_scores_out_of_range_are_refused() -> None:
    with pytest.raises(ValueError):
        segment_for(0, 3, 3)


def _customers(count: int) -> list[Contact]:
    return [make_contact(first_name=f"مشتری {index}") for index in range(count)]


def test_a_run_scores_by_quintiles_and_agrees_with_the_grid() -> None:
    people = _customers(12)
    # Person i bought (i % 4) + 1 times, the last time 10·i + 1 days ago, spending varied.
    for index, person in enumerate(people):
        for purchase in range(index % 4 + 1):
            buy(person, days_ago=10 * index + 1 + 30 * purchase, total=1_000_000 * (7 - index % 7))
    run = rfm_compute(as_of=AS_OF, window_days=365)

    lasts = {p.pk: -(10 * i + 1) for i, p in enumerate(people)}  # later purchase → bigger
    counts = {p.pk: i % 4 + 1 for i, p in enumerate(people)}
    spend = {p.pk: (i % 4 + 1) * 1_000_000 * (7 - i % 7) for i, p in enumerate(people)}
    rows = {row.contact_id: row for row in CustomerRfm.objects.all()}
    assert run.customers == len(rows) == 12
    for person in people:
        row = rows[person.pk]
        scores = (
            expected_score(lasts[person.pk], list(lasts.values())),
            expected_score(counts[person.pk], list(counts.values())),
            expected_score(spend[person.pk], list(spend.values())),
        )
        assert (row.recency_score, row.frequency_score, row.monetary_score) == scores
        assert row.segment == segment_for(*scores)
        assert row.frequency == counts[person.pk]
        assert row.monetary == spend[person.pk]
        assert row.previous_segment is None
    assert sum(run.segment_counts.values()) == 12
    assert run.movement == {
        "": {
            segment: count
            for segment, count in run.segment_counts.items()
            if count  # every customer is new to RFM in the first run
        }
    }


def test_ties_share_the_lowest_score() -> None:
    people = _customers(6)
    for index, person in enumerate(people):
        buy(person, days_ago=5 + index, total=1_000_000)
    buy(people[0], days_ago=50, total=1_000_000)
    rfm_compute(as_of=AS_OF, window_days=365)
    scores = dict(CustomerRfm.objects.values_list("contact_id", "frequency_score"))
    # Five one-time buyers tie at rank 1 (score 1); the one repeat buyer ranks last (5).
    assert sorted(scores.values()) == [1, 1, 1, 1, 1, 5]
    assert scores[people[0].pk] == 5


def test_only_purchases_in_the_window_count_at_their_net_value() -> None:
    kept, refunded, pending, old = _customers(4)
    partly = OrderStatus.PARTIALLY_REFUNDED
    buy(kept, days_ago=10, total=5_000_000, status=partly, refunded=2_000_000)
    buy(kept, days_ago=20, total=1_000_000, status=OrderStatus.CANCELLED)
    buy(refunded, days_ago=10, total=9_000_000, status=OrderStatus.REFUNDED, refunded=9_000_000)
    buy(pending, days_ago=1, total=9_000_000, status=OrderStatus.PENDING)
    buy(old, days_ago=400, total=9_000_000)
    buy(kept, days_ago=-1, total=9_000_000)  # after as_of: not yet
    run = rfm_compute(as_of=AS_OF, window_days=365)
    assert run.customers == 1
    row = CustomerRfm.objects.get()
    assert (row.contact_id, row.frequency, row.monetary) == (kept.pk, 1, 3_000_000)
    assert row.last_purchase_at == AS_OF - datetime.timedelta(days=10)
    # A single customer is at rank 0 on every measure.
    assert row.code == "111"
    assert row.segment == RfmSegment.LOST


def test_a_second_run_keeps_the_previous_segment_and_drops_lapsed_customers() -> None:
    stays, lapses, arrives = _customers(3)
    buy(stays, days_ago=100, total=1_000_000)
    buy(lapses, days_ago=300, total=1_000_000)
    first = rfm_compute(as_of=AS_OF, window_days=365)
    before = dict(CustomerRfm.objects.values_list("contact_id", "segment"))
    assert set(before) == {stays.pk, lapses.pk}

    later = AS_OF + datetime.timedelta(days=90)
    buy(arrives, days_ago=-80, total=5_000_000)  # 80 days after AS_OF
    buy(stays, days_ago=-85, total=5_000_000)
    second = rfm_compute(as_of=later, window_days=365)
    rows = {row.contact_id: row for row in CustomerRfm.objects.all()}
    assert set(rows) == {stays.pk, arrives.pk}  # the lapsed customer's purchase is 390 days old
    assert rows[stays.pk].previous_segment == before[stays.pk]
    assert rows[arrives.pk].previous_segment is None
    assert second.movement[before[lapses.pk]] == {"": 1}
    assert second.movement[""] == {rows[arrives.pk].segment: 1}
    assert second.movement[before[stays.pk]] == {rows[stays.pk].segment: 1}
    assert RfmRun.objects.count() == 2 and first.pk != second.pk
    assert rows[stays.pk].frequency == 2


def test_a_run_without_changes_rewrites_nothing_and_settles_the_previous_segment() -> None:
    """Rows whose figures and segment stay are left as they are; a segment that moved in the
    last run reads as "stayed" once the next run finds it unchanged."""
    first, second = _customers(2)
    buy(first, days_ago=10, total=1_000_000)
    rfm_compute(as_of=AS_OF, window_days=365)
    assert CustomerRfm.objects.get(contact=first).previous_segment is None
    buy(second, days_ago=100, total=100_000)  # older and smaller: first now ranks above
    rfm_compute(as_of=AS_OF, window_days=365)
    moved = CustomerRfm.objects.get(contact=first)
    assert moved.previous_segment == RfmSegment.LOST  # alone, it scored 111
    assert moved.segment == RfmSegment.POTENTIAL_LOYALIST  # R 5, F 1 (a tie), M 5
    rows_before = {row.contact_id: row for row in CustomerRfm.objects.all()}
    run = rfm_compute(as_of=AS_OF, window_days=365)
    rows = {row.contact_id: row for row in CustomerRfm.objects.all()}
    assert {pk: row.code for pk, row in rows.items()} == {
        pk: row.code for pk, row in rows_before.items()
    }
    assert all(row.previous_segment == row.segment for row in rows.values())
    assert run.movement == {row.segment: {row.segment: 1} for row in rows.values()}
    assert run.customers == 2


@pytest.mark.parametrize("bought_after_as_of", [False, True])
def test_window_edges_inside_months_count_exactly(bought_after_as_of: bool) -> None:
    """The window starts and ends inside Jalali months: whole months come from the rollup,
    the partial ones from the orders, and the figures are those of the exact window (worked
    out here from the orders alone). With a purchase after ``as_of`` in its month, that month
    is read from the orders too."""
    import random

    rng = random.Random(11 + bought_after_as_of)
    people = _customers(12)
    as_of = AS_OF + datetime.timedelta(days=9, hours=5)  # mid-month in Tehran
    window = 200
    start = as_of - datetime.timedelta(days=window)
    bought: dict[int, list[tuple[datetime.datetime, int]]] = {}
    for person in people:
        for _index in range(rng.randint(1, 6)):
            # Around both edges and in between, some just outside.
            anchor = rng.choice((start, as_of, start + (as_of - start) / 2))
            when = anchor + datetime.timedelta(hours=rng.uniform(-72, 72))
            total = rng.randint(1, 50) * 100_000
            buy(person, days_ago=(AS_OF - when).total_seconds() / 86400, total=total)
            bought.setdefault(person.pk, []).append((when, total))
    if bought_after_as_of:
        buy(people[0], days_ago=(AS_OF - as_of).total_seconds() / 86400 - 0.5, total=100_000)
    rfm_compute(as_of=as_of, window_days=window)
    rows = {row.contact_id: row for row in CustomerRfm.objects.all()}
    expected = {}
    for pk, purchases in bought.items():
        inside = [(when, total) for when, total in purchases if start <= when < as_of]
        if inside:
            expected[pk] = (len(inside), sum(total for _when, total in inside))
    assert {pk: (row.frequency, row.monetary) for pk, row in rows.items()} == expected
    for pk, row in rows.items():
        last = max(when for when, _total in bought[pk] if start <= when < as_of)
        assert abs((row.last_purchase_at - last).total_seconds()) < 0.001


def test_an_empty_shop_makes_an_empty_run() -> None:
    run = rfm_compute(as_of=AS_OF, window_days=30)
    assert run.customers == 0
    assert set(run.segment_counts.values()) == {0}
    assert run.movement == {}


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def teams() -> tuple[Team, Team]:
    return Team.objects.create(name="فروش تهران"), Team.objects.create(name="فروش شیراز")


def _member(make_user: Callable[..., User], team: Team, role: str = Role.SALES) -> User:
    return make_user(role=role, teams=(team,))


def test_the_page_counts_only_customers_the_user_may_see(
    client: Any, make_user: Callable[..., User], teams: tuple[Team, Team]
) -> None:
    tehran, shiraz = teams
    mine = _member(make_user, tehran)
    theirs = _member(make_user, shiraz)
    for days in (5, 40, 80):
        buy(make_contact(actor=mine, owner=mine), days_ago=days, total=2_000_000)
    buy(make_contact(actor=theirs, owner=theirs), days_ago=3, total=9_000_000)
    rfm_compute(as_of=timezone.now(), window_days=365)
    client.force_login(mine)
    with translation.override("en"):
        response = client.get("/insights/rfm/")
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.customers == 3
    assert sum(row.customers for row in overview.segments) == 3
    assert sum(count for _r, cells in overview.grid for count, _segment in cells) == 3
    assert "Recompute now" not in response.content.decode()

    client.force_login(theirs)
    assert client.get("/insights/rfm/").context["overview"].customers == 1


def test_the_page_costs_the_same_queries_for_more_customers(
    client: Any, make_user: Callable[..., User], teams: tuple[Team, Team]
) -> None:
    manager = _member(make_user, teams[0], Role.MANAGER)
    client.force_login(manager)

    def queries() -> int:
        rfm_compute(as_of=timezone.now(), window_days=365)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/insights/rfm/").status_code == 200
        return len(captured)

    buy(make_contact(actor=manager, owner=manager), days_ago=2, total=1_000_000)
    few = queries()
    for days in range(1, 30):
        buy(make_contact(actor=manager, owner=manager), days_ago=days, total=days * 100_000)
    assert queries() == few


def test_segments_download_as_csv(client: Any, admin_user: User) -> None:
    buy(make_contact(actor=admin_user), days_ago=2, total=1_000_000)
    rfm_compute(as_of=timezone.now(), window_days=365)
    admin_user.language = "en"  # pages follow the user's language
    admin_user.save(update_fields=["language"])
    client.force_login(admin_user)
    with translation.override("en"):
        response = client.get("/insights/rfm/?download=segments")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Segment,Customers")
    assert len(lines) == 1 + len(RfmSegment)


def test_only_managers_and_admins_recompute_by_hand(
    client: Any,
    make_user: Callable[..., User],
    teams: tuple[Team, Team],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(_member(make_user, teams[0]))
    assert client.post("/insights/rfm/recompute/").status_code == 403
    client.force_login(_member(make_user, teams[0], Role.MANAGER))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/insights/rfm/recompute/")
    assert response.status_code == 302
    assert client.get("/insights/rfm/recompute/").status_code == 405


def test_signed_out_visitors_are_sent_to_sign_in(client: Any) -> None:
    response = client.get("/insights/rfm/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
