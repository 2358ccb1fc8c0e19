"""Due reminders become exactly one in-app notification each, however often the job runs."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from peyvand.accounts.models import Notification, User
from peyvand.timeline.models import Event, Task, TaskStatus
from peyvand.timeline.services import reminders_deliver_due, task_complete, task_create, task_update

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2024, 3, 20, 9, 0, tzinfo=datetime.UTC)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def make_task(sales_user: User) -> Callable[..., Task]:
    def make(title: str, remind_at: datetime.datetime | None, **values: Any) -> Task:
        values.setdefault("assignee", sales_user)
        return task_create(actor=None, values={"title": title, "remind_at": remind_at, **values})

    return make


def _notified_titles() -> list[str]:
    return sorted(Notification.objects.values_list("title", flat=True))


def test_only_due_open_assigned_tasks_are_reminded(
    make_task: Callable[..., Task], sales_user: User
) -> None:
    due = make_task("موعد رسیده", NOW - 10 * MINUTE, due_at=NOW + MINUTE)
    exactly_now = make_task("همین حالا", NOW)
    make_task("آینده", NOW + MINUTE)
    make_task("بی‌یادآوری", None)
    make_task("بی‌مسئول", NOW - MINUTE, assignee=None)
    done = make_task("انجام‌شده", NOW - MINUTE)
    task_complete(actor=None, task=done)
    cancelled = make_task("لغوشده", NOW - MINUTE)
    task_update(actor=None, task=cancelled, values={"status": TaskStatus.CANCELLED})

    assert reminders_deliver_due(now=NOW) == 2

    assert _notified_titles() == ["موعد رسیده", "همین حالا"]
    notification = Notification.objects.get(title="موعد رسیده")
    assert notification.user_id == sales_user.pk
    assert notification.kind == "reminder"
    assert notification.url.endswith(f"/{due.pk}/")
    assert notification.read_at is None
    assert set(Task.objects.exclude(reminded_at=None).values_list("pk", flat=True)) == {
        due.pk,
        exactly_now.pk,
    }
    assert Task.objects.get(pk=due.pk).reminded_at == NOW
    events = Event.objects.filter(verb="task.reminded").order_by("id")
    assert [(e.subject_id, e.payload) for e in events] == [
        (due.pk, {"assignee": sales_user.pk}),
        (exactly_now.pk, {"assignee": sales_user.pk}),
    ]


def test_running_again_delivers_nothing_new(make_task: Callable[..., Task]) -> None:
    make_task("الف", NOW - MINUTE)
    make_task("ب", NOW - 2 * MINUTE)
    assert reminders_deliver_due(now=NOW) == 2
    assert reminders_deliver_due(now=NOW) == 0
    assert reminders_deliver_due(now=NOW + 60 * MINUTE) == 0
    assert Notification.objects.count() == 2
    assert Event.objects.filter(verb="task.reminded").count() == 2


def test_a_future_reminder_fires_when_its_time_comes(make_task: Callable[..., Task]) -> None:
    make_task("بعدا", NOW + 5 * MINUTE)
    assert reminders_deliver_due(now=NOW) == 0
    assert reminders_deliver_due(now=NOW + 5 * MINUTE) == 1
    assert _notified_titles() == ["بعدا"]


def test_the_limit_spreads_work_over_runs(make_task: Callable[..., Task]) -> None:
    for index in range(5):
        make_task(f"کار {index}", NOW - (10 - index) * MINUTE)
    assert reminders_deliver_due(now=NOW, limit=2) == 2
    assert _notified_titles() == ["کار 0", "کار 1"]  # oldest reminders first
    assert reminders_deliver_due(now=NOW, limit=2) == 2
    assert reminders_deliver_due(now=NOW, limit=2) == 1
    assert reminders_deliver_due(now=NOW, limit=2) == 0
    assert Notification.objects.count() == 5


def test_changing_remind_at_rearms_the_reminder(make_task: Callable[..., Task]) -> None:
    task = make_task("پیگیری", NOW - MINUTE)
    assert reminders_deliver_due(now=NOW) == 1

    task = task_update(actor=None, task=task, values={"remind_at": NOW + 30 * MINUTE})
    assert task.reminded_at is None
    assert reminders_deliver_due(now=NOW + 29 * MINUTE) == 0
    assert reminders_deliver_due(now=NOW + 30 * MINUTE) == 1
    assert reminders_deliver_due(now=NOW + 31 * MINUTE) == 0
    assert Notification.objects.filter(title="پیگیری").count() == 2


def test_saving_the_same_remind_at_does_not_rearm(make_task: Callable[..., Task]) -> None:
    task = make_task("پیگیری", NOW - MINUTE)
    reminders_deliver_due(now=NOW)

    # A form posts every field back, the unchanged reminder time included.
    task = task_update(
        actor=None, task=task, values={"title": "پیگیری مهم", "remind_at": NOW - MINUTE}
    )

    assert task.reminded_at == NOW
    assert reminders_deliver_due(now=NOW + MINUTE) == 0
    assert Notification.objects.count() == 1


def test_other_edits_keep_the_delivered_state(make_task: Callable[..., Task]) -> None:
    task = make_task("پیگیری", NOW - MINUTE)
    reminders_deliver_due(now=NOW)
    task = task_update(actor=None, task=task, values={"description": "جزئیات"})
    assert task.reminded_at == NOW
    assert reminders_deliver_due(now=NOW + MINUTE) == 0


def test_reopened_task_with_a_delivered_reminder_is_not_reminded_again(
    make_task: Callable[..., Task],
) -> None:
    task = make_task("پیگیری", NOW - MINUTE)
    reminders_deliver_due(now=NOW)
    task = task_complete(actor=None, task=task)
    task_update(actor=None, task=task, values={"status": TaskStatus.OPEN})
    assert reminders_deliver_due(now=NOW + MINUTE) == 0
    assert Notification.objects.count() == 1


def test_an_unassigned_task_is_reminded_once_assigned(
    make_task: Callable[..., Task], sales_user: User
) -> None:
    task = make_task("بی‌مسئول", NOW - MINUTE, assignee=None)
    assert reminders_deliver_due(now=NOW) == 0
    task_update(actor=None, task=task, values={"assignee": sales_user})
    assert reminders_deliver_due(now=NOW) == 1
    assert Notification.objects.get().user_id == sales_user.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_runs_never_deliver_twice(make_task: Callable[..., Task]) -> None:
    count = 40
    for index in range(count):
        make_task(f"کار {index}", NOW - (index + 1) * MINUTE)

    workers = 4
    barrier = threading.Barrier(workers)
    delivered: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = reminders_deliver_due(now=NOW)
            with lock:
                delivered.append(result)
        except BaseException as error:  # every failure is reported by the assertion below
            with lock:
                failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(delivered) == workers
    assert sum(delivered) == count
    assert Notification.objects.count() == count
    assert Event.objects.filter(verb="task.reminded").count() == count
    assert not Task.objects.filter(reminded_at=None).exists()
