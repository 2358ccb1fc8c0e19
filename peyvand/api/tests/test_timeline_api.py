"""``/api/v1/activities``, ``/api/v1/contacts/{id}/timeline`` and ``/api/v1/tasks``."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from peyvand.accounts.models import Role, Team
from peyvand.contacts.tests.factories import make_company, make_contact
from peyvand.timeline.models import Activity, Event, Task

from . import delete, get, patch_json, post_json, quick_user, token_client, without_times

pytestmark = pytest.mark.django_db

TEHRAN = datetime.timezone(datetime.timedelta(hours=3, minutes=30))


def _parse(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


@pytest.fixture
def teams() -> tuple[Team, Team]:
    return Team.objects.create(name="فروش تهران"), Team.objects.create(name="فروش شیراز")


@pytest.fixture
def user(teams):
    return quick_user(Role.SALES, teams=(teams[0],))


@pytest.fixture
def client(user):
    return token_client(user)


@pytest.fixture
def contact(user):
    return make_contact(actor=user, first_name="سارا", last_name="محمدی")


@pytest.fixture
def hidden_contact(teams):
    return make_contact(actor=quick_user(Role.SALES, teams=(teams[1],)))


# --- Activities --------------------------------------------------------------------------


def test_a_note_is_logged_on_a_contact(client, user, contact):
    before = timezone.now()
    response = post_json(
        client, "/activities", {"contact_id": contact.pk, "body": "  قیمت را پرسید.  "}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert without_times(body, "created_at", "occurred_at") == {
        "id": body["id"],
        "kind": "note",
        "contact_id": contact.pk,
        "company_id": None,
        "subject": "",
        "body": "قیمت را پرسید.",
        "direction": "",
        "duration_seconds": None,
        "outcome": "",
        "location": "",
        "created_by_id": user.pk,
    }
    assert before <= _parse(body["occurred_at"]) <= timezone.now()
    event = Event.objects.get(verb="note.logged")
    assert (event.contact_id, event.subject_id, event.actor_id, event.summary) == (
        contact.pk,
        body["id"],
        user.pk,
        "قیمت را پرسید.",
    )
    assert get(client, f"/activities/{body['id']}").json() == body


def test_a_call_keeps_its_details(client, contact):
    company = make_company(actor=contact.owner)
    response = post_json(
        client,
        "/activities",
        {
            "kind": "call",
            "contact_id": contact.pk,
            "company_id": company.pk,
            "subject": "پیگیری",
            "occurred_at": "2024-03-01T10:00:00+03:30",
            "direction": "outbound",
            "duration_seconds": 95,
            "outcome": "answered",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["company_id"], body["direction"], body["duration_seconds"]) == (
        "call",
        company.pk,
        "outbound",
        95,
    )
    assert _parse(body["occurred_at"]) == datetime.datetime(2024, 3, 1, 10, 0, tzinfo=TEHRAN)


@pytest.mark.parametrize("payload", [{}, {"body": ""}, {"body": "   \n "}])
def test_a_note_without_text_is_refused(client, contact, payload):
    response = post_json(client, "/activities", {"contact_id": contact.pk, **payload})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "body"],
                "field": "body",
                "msg": "Write the text of the note.",
                "type": "required",
            }
        ]
    }
    assert not Activity.objects.exists()


def test_an_activity_on_a_contact_the_user_cannot_see_is_no_such_record(
    client, hidden_contact, contact
):
    responses = [
        post_json(client, "/activities", {"contact_id": contact_id, "body": "سلام"})
        for contact_id in (hidden_contact.pk, contact.pk + hidden_contact.pk + 100)
    ]

    expected = {
        "detail": [
            {
                "loc": ["body", "contact_id"],
                "field": "contact_id",
                "msg": "No such record.",
                "type": "does_not_exist",
            }
        ]
    }
    assert [(response.status_code, response.json()) for response in responses] == [
        (422, expected),
        (422, expected),
    ]
    assert not Activity.objects.exists()
    assert not Event.objects.filter(contact=hidden_contact).exclude(verb="contact.created").exists()


def test_an_activity_needs_a_contact_or_a_company(client):
    response = post_json(client, "/activities", {"body": "بی‌صاحب"})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "contact_id"],
                "field": "contact_id",
                "msg": "Choose a contact, company, deal or lead.",
                "type": "required",
            }
        ]
    }


def test_an_unknown_kind_is_refused(client, contact):
    response = post_json(
        client, "/activities", {"contact_id": contact.pk, "kind": "fax", "body": "x"}
    )

    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [
        ("kind", "literal_error")
    ]


def test_an_activity_is_edited_and_deleted(client, user, contact, teams):
    created = post_json(
        client, "/activities", {"contact_id": contact.pk, "subject": "جلسه", "body": "اول"}
    ).json()

    patched = patch_json(client, f"/activities/{created['id']}", {"body": "دوم"})

    assert patched.status_code == 200, patched.content
    assert patched.json() == {**created, "body": "دوم"}
    assert Event.objects.get(verb="note.updated").payload == {"changes": {"body": ["اول", "دوم"]}}
    kind_change = patch_json(client, f"/activities/{created['id']}", {"kind": "call"})
    assert [item["field"] for item in kind_change.json()["detail"]] == ["kind"]

    assert delete(client, f"/activities/{created['id']}").status_code == 403  # sales
    manager = token_client(quick_user(Role.MANAGER, teams=(teams[0],)))
    assert delete(manager, f"/activities/{created['id']}").status_code == 204
    assert get(client, f"/activities/{created['id']}").status_code == 404
    assert Event.objects.filter(verb="note.deleted", subject_id=created["id"]).count() == 1


def test_a_note_cannot_be_emptied_by_an_edit(client, contact):
    note = post_json(client, "/activities", {"contact_id": contact.pk, "body": "متن"}).json()

    response = patch_json(client, f"/activities/{note['id']}", {"body": ""})

    assert response.status_code == 422
    assert [item["field"] for item in response.json()["detail"]] == ["body"]


def test_the_activity_list_filters_by_contact_and_kind(client, user, contact, hidden_contact):
    other = make_contact(actor=user)
    note = post_json(client, "/activities", {"contact_id": contact.pk, "body": "یک"}).json()
    call = post_json(
        client, "/activities", {"contact_id": contact.pk, "kind": "call", "body": "دو"}
    ).json()
    elsewhere = post_json(client, "/activities", {"contact_id": other.pk, "body": "سه"}).json()
    Activity.objects.create(
        kind="note", contact=hidden_contact, body="پنهان", occurred_at=timezone.now()
    )

    def ids(**params):
        return [item["id"] for item in get(client, "/activities", params).json()["items"]]

    assert ids() == [elsewhere["id"], call["id"], note["id"]]
    assert ids(contact=contact.pk) == [call["id"], note["id"]]
    assert ids(contact=contact.pk, kind="note") == [note["id"]]
    assert ids(contact=hidden_contact.pk) == []


# --- A contact's timeline ------------------------------------------------------------------


def test_the_timeline_is_newest_first_and_filters_by_kind(client, user, contact):
    def log(kind: str, body: str, when: str) -> int:
        response = post_json(
            client,
            "/activities",
            {"contact_id": contact.pk, "kind": kind, "body": body, "occurred_at": when},
        )
        assert response.status_code == 201, response.content
        return int(response.json()["id"])

    january = log("note", "یادداشت دی", "2024-01-10T10:00:00+03:30")
    march = log("call", "تماس اسفند", "2024-03-01T10:00:00+03:30")
    february = log("note", "یادداشت بهمن", "2024-02-10T10:00:00+03:30")
    task = post_json(client, "/tasks", {"title": "پیگیری", "contact_id": contact.pk}).json()

    response = get(client, f"/contacts/{contact.pk}/timeline")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(item["verb"], item["subject_id"]) for item in items] == [
        ("task.created", task["id"]),
        ("contact.created", contact.pk),
        ("call.logged", march),
        ("note.logged", february),
        ("note.logged", january),
    ]
    note_event = items[3]
    assert without_times(note_event, "id", "occurred_at", "payload") == {
        "verb": "note.logged",
        "actor_id": user.pk,
        "subject_type": "activity",
        "subject_id": february,
        "contact_id": contact.pk,
        "company_id": None,
        "summary": "یادداشت بهمن",
    }
    assert _parse(note_event["occurred_at"]) == datetime.datetime(2024, 2, 10, 10, tzinfo=TEHRAN)
    assert note_event["payload"]["body"] == "یادداشت بهمن"

    notes = get(client, f"/contacts/{contact.pk}/timeline", {"kind": "note"}).json()
    assert [item["subject_id"] for item in notes["items"]] == [february, january]
    assert notes["next_cursor"] is None
    mixed = client.get(f"/api/v1/contacts/{contact.pk}/timeline?kind=note&kind=call").json()
    assert [item["subject_id"] for item in mixed["items"]] == [march, february, january]
    records = get(client, f"/contacts/{contact.pk}/timeline", {"kind": "record"}).json()
    assert [item["verb"] for item in records["items"]] == ["contact.created"]

    first = get(client, f"/contacts/{contact.pk}/timeline", {"limit": 3}).json()
    rest = get(
        client, f"/contacts/{contact.pk}/timeline", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [item["id"] for item in first["items"] + rest["items"]] == [i["id"] for i in items]
    assert rest["next_cursor"] is None


def test_the_timeline_of_a_contact_the_user_cannot_see_is_not_found(client, hidden_contact):
    response = get(client, f"/contacts/{hidden_contact.pk}/timeline")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# --- Tasks ---------------------------------------------------------------------------------


def test_a_task_is_created_read_changed_completed_reopened_and_deleted(client, user, contact):
    response = post_json(
        client,
        "/tasks",
        {
            "title": "  پیگیری   پیش‌فاکتور ",
            "description": "قیمت نهایی را بفرست",
            "due_at": "2030-01-10T10:00:00+03:30",
            "remind_at": "2030-01-10T09:00:00+03:30",
            "priority": "high",
            "contact_id": contact.pk,
        },
    )

    assert response.status_code == 201, response.content
    task = response.json()
    assert without_times(task, "created_at", "due_at", "remind_at") == {
        "id": task["id"],
        "title": "پیگیری پیش‌فاکتور",
        "description": "قیمت نهایی را بفرست",
        "priority": "high",
        "status": "open",
        "assignee_id": user.pk,
        "created_by_id": user.pk,
        "contact_id": contact.pk,
        "company_id": None,
        "completed_at": None,
    }
    assert _parse(task["due_at"]) == datetime.datetime(2030, 1, 10, 10, tzinfo=TEHRAN)
    assert _parse(task["remind_at"]) == datetime.datetime(2030, 1, 10, 9, tzinfo=TEHRAN)
    fetched = get(client, f"/tasks/{task['id']}").json()
    assert without_times(fetched, "due_at", "remind_at") == without_times(
        task, "due_at", "remind_at"
    )
    assert _parse(fetched["due_at"]) == _parse(task["due_at"])

    renamed = patch_json(client, f"/tasks/{task['id']}", {"priority": "urgent"})
    assert renamed.json() == {**fetched, "priority": "urgent"}

    before = timezone.now()
    done = patch_json(client, f"/tasks/{task['id']}", {"status": "done"})
    after = timezone.now()
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done"
    assert before <= _parse(done.json()["completed_at"]) <= after
    assert Event.objects.filter(verb="task.completed", subject_id=task["id"]).count() == 1

    reopened = patch_json(client, f"/tasks/{task['id']}", {"status": "open"})
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("open", None)

    assert delete(client, f"/tasks/{task['id']}").status_code == 204  # sales may delete tasks
    assert get(client, f"/tasks/{task['id']}").json() == {"detail": "Not found."}
    assert not Task.objects.exists()


def test_a_reminder_after_the_due_time_is_refused(client, user):
    expected = {
        "detail": [
            {
                "loc": ["body", "remind_at"],
                "field": "remind_at",
                "msg": "The reminder must be before the due time.",
                "type": "after_due",
            }
        ]
    }
    response = post_json(
        client,
        "/tasks",
        {
            "title": "تماس",
            "due_at": "2030-01-10T10:00:00+03:30",
            "remind_at": "2030-01-10T10:00:01+03:30",
        },
    )
    assert (response.status_code, response.json()) == (422, expected)
    assert not Task.objects.exists()

    created = post_json(client, "/tasks", {"title": "تماس", "due_at": "2030-01-10T10:00:00Z"})
    moved = patch_json(
        client, f"/tasks/{created.json()['id']}", {"remind_at": "2030-01-11T10:00:00Z"}
    )
    assert (moved.status_code, moved.json()) == (422, expected)
    assert Task.objects.get().remind_at is None


@pytest.mark.parametrize(
    ("payload", "field", "kind"),
    [
        ({}, "title", "missing"),
        ({"title": "x", "priority": "soon"}, "priority", "literal_error"),
        ({"title": "x", "due_at": "tomorrow"}, "due_at", "datetime_from_date_parsing"),
        ({"title": "x", "status": "done"}, "status", "extra_forbidden"),
    ],
)
def test_bad_task_input_is_a_field_error(client, payload, field, kind):
    response = post_json(client, "/tasks", payload)

    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [(field, kind)]


def test_a_task_on_a_contact_the_user_cannot_see_is_no_such_record(client, hidden_contact):
    response = post_json(client, "/tasks", {"title": "x", "contact_id": hidden_contact.pk})

    assert response.status_code == 422
    assert [(item["field"], item["type"]) for item in response.json()["detail"]] == [
        ("contact_id", "does_not_exist")
    ]


def test_the_task_list_filters_and_hides_other_teams_tasks(client, user, teams):
    teammate = quick_user(Role.SALES, teams=(teams[0],))
    stranger = quick_user(Role.SALES, teams=(teams[1],))
    mine = post_json(client, "/tasks", {"title": "من"}).json()
    for_stranger = post_json(client, "/tasks", {"title": "برای او", "assignee_id": stranger.pk})
    teammates = post_json(token_client(teammate), "/tasks", {"title": "همکار"}).json()
    hidden = post_json(token_client(stranger), "/tasks", {"title": "پنهان"}).json()
    done = post_json(client, "/tasks", {"title": "تمام"}).json()
    patch_json(client, f"/tasks/{done['id']}", {"status": "done"})
    given = for_stranger.json()

    def ids(**params):
        response = get(client, "/tasks", params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert given["assignee_id"] == stranger.pk
    assert ids() == [teammates["id"], given["id"], mine["id"]]
    assert ids(status="done") == [done["id"]]
    assert ids(status="all") == [done["id"], teammates["id"], given["id"], mine["id"]]
    assert ids(assignee="me") == [mine["id"]]
    assert ids(assignee=str(teammate.pk)) == [teammates["id"]]
    assert get(client, f"/tasks/{hidden['id']}").status_code == 404
    assert patch_json(client, f"/tasks/{hidden['id']}", {"title": "x"}).status_code == 404
    assert delete(client, f"/tasks/{hidden['id']}").status_code == 404
