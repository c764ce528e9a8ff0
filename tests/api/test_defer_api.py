"""Time off over booked weeks on the API (PRODUCT.md, JSON API): `POST me/time-off/`
answers the sessions already booked on those days, and `POST sessions/{id}/defer/`
moves one of them to one week after the course's last session."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from booking.courses import services
from booking.groups import services as groups
from booking.models import Session
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import (
    NY,
    at,
    book,
    bookable_therapist,
    client_in,
    committed,
    next_weekday,
)
from tests.factories import make_verifier

pytestmark = pytest.mark.django_db

TIME_OFF = "/api/v1/me/time-off/"
WEEK = dt.timedelta(weeks=1)


def defer_url(session_or_id) -> str:
    pk = getattr(session_or_id, "pk", session_or_id)
    return reverse("api-v1:session-defer", kwargs={"pk": pk})


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(NY).date()


def week_of(day: dt.date) -> dict:
    monday = day - dt.timedelta(days=day.weekday())
    return {
        "start_date": monday.isoformat(),
        "end_date": (monday + dt.timedelta(days=6)).isoformat(),
    }


@pytest.fixture
def course():
    therapist = group_therapist()  # IPT courses and groups
    booking = book(client_in(), therapist, at(next_weekday(1), 10), weeks=12)
    return services.confirm_booking(booking_id=booking.pk, by=therapist.user)


def session_in_week(booking, week: int) -> Session:
    return booking.sessions.get(week=week)


# --- me/time-off/ ----------------------------------------------------------------------------


def test_new_time_off_answers_the_sessions_already_booked_in_it(as_user, course):
    therapist = course.therapist
    third = session_in_week(course, 3)
    # One Wednesday meeting, the day after the third session: the same week.
    meeting = make_group(therapist, start_date=local_day(third.start), weeks=1).meetings.get()
    services.cancel_session(session_id=session_in_week(course, 4).pk, by=course.client)

    response = as_user(therapist.user).post(
        TIME_OFF, week_of(local_day(third.start)), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "start_date", "end_date", "affected"}
    assert [
        (item["id"], dt.datetime.fromisoformat(item["start"])) for item in body["affected"]
    ] == sorted([(third.pk, third.start), (meeting.pk, meeting.start)], key=lambda x: x[1])
    # Nothing was cancelled: the therapist decides.
    assert Session.objects.filter(pk__in=[third.pk, meeting.pk], status="confirmed").count() == 2


def test_time_off_over_free_days_answers_no_affected_sessions(as_user, course):
    last = session_in_week(course, 12)
    response = as_user(course.therapist.user).post(
        TIME_OFF, week_of(local_day(last.start) + 2 * WEEK), format="json"
    )
    assert response.status_code == 201
    assert response.json()["affected"] == []


def test_the_time_off_list_keeps_its_contract(as_user, course):
    caller = as_user(course.therapist.user)
    caller.post(TIME_OFF, week_of(local_day(session_in_week(course, 3).start)), format="json")
    [item] = caller.get(TIME_OFF).json()
    assert set(item) == {"id", "start_date", "end_date"}


# --- sessions/{id}/defer/ --------------------------------------------------------------------


def test_the_therapist_defers_a_session_and_gets_the_booking(as_user, course):
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    was = third.start
    as_user(course.therapist.user).post(TIME_OFF, week_of(local_day(was)), format="json")

    with committed():
        response = as_user(course.therapist.user).post(defer_url(third))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == course.pk
    assert body["skipped"] == [local_day(was).isoformat()]
    moved = next(s for s in body["sessions"] if s["id"] == third.pk)
    assert dt.datetime.fromisoformat(moved["start"]) == at(local_day(last.start) + WEEK, 10)
    assert body["sessions"][-1]["id"] == third.pk  # in order: the last one now
    assert [m.to for m in mail.outbox if "moved one session" in m.body] == [
        [course.client.email],
        [course.therapist.user.email],
    ]


def test_deferring_into_a_taken_week_is_a_409_naming_the_week_and_why(as_user, course):
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    book(client_in(), course.therapist, last.start + WEEK, weeks=1)

    response = as_user(course.therapist.user).post(defer_url(third))

    assert response.status_code == 409
    body = response.json()
    assert body["detail"]
    assert [dt.datetime.fromisoformat(c) for c in body["conflicts"]] == [last.start + WEEK]
    assert body["reasons"] == ["already booked"]
    third.refresh_from_db()
    assert third.start == at(local_day(third.start), 10) and third.week == 3


def test_a_group_meeting_is_not_deferred_but_managed_with_the_group(as_user):
    therapist = group_therapist()
    group = make_group(therapist)
    groups.enrol(client=client_in(), group_id=group.pk)
    meeting = group.meetings.first()
    response = as_user(therapist.user).post(defer_url(meeting))
    assert response.status_code == 409
    assert "group" in response.json()["detail"]


@pytest.mark.parametrize("who", ["client", "another therapist", "staff"])
def test_anyone_but_the_sessions_therapist_finds_no_such_session(as_user, course, who):
    third = session_in_week(course, 3)
    caller = {
        "client": lambda: course.client,
        "another therapist": lambda: bookable_therapist().user,
        "staff": make_verifier,
    }[who]()
    response = as_user(caller).post(defer_url(third))
    missing = as_user(caller).post(defer_url(2_000_000_000))
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    third.refresh_from_db()
    assert third.week == 3


def test_deferring_needs_a_signed_in_caller(api, course):
    assert api.post(defer_url(session_in_week(course, 3))).status_code == 401


def test_the_schema_documents_defer_and_the_affected_sessions(api):
    response = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    schema = response.json()
    defer = schema["paths"]["/api/v1/sessions/{id}/defer/"]["post"]
    assert defer["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Booking"
    }
    assert defer["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Conflict"
    }
    assert "requestBody" not in defer
    created = schema["paths"]["/api/v1/me/time-off/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    affected = schema["components"]["schemas"][ref]["properties"]["affected"]
    assert affected["items"]["$ref"] == "#/components/schemas/AffectedSession"
