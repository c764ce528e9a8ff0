"""Each session's calendar version: SEQUENCE grows and LAST-MODIFIED / DTSTAMP move on
whenever any writer moves it or changes its status (a database trigger keeps them:
migration 0003_session_sequence), cancelled, declined and expired sessions leave the
feed, and fetching twice with no change gives the same bytes. Group meetings alike."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import icalendar
import pytest
import time_machine
from django.db.models import F
from django.urls import reverse

from booking import calendar
from booking.courses import services as courses
from booking.groups import services as groups
from booking.models import Booking, Group, Session
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in

pytestmark = pytest.mark.django_db

MONDAY = dt.datetime(2027, 1, 4, 15, tzinfo=dt.UTC)
TUESDAY = dt.date(2027, 1, 12)


@dataclass
class World:
    client: object
    member: object
    course: Booking
    group: Group

    @property
    def therapist(self):
        return self.course.therapist.user


@pytest.fixture
def world():
    """A pending four-week course (Tuesdays 10 AM New York) and an eight-week group
    (Wednesdays 6 PM) of one therapist, with one member; the clock stays at MONDAY."""
    with time_machine.travel(MONDAY, tick=False):
        therapist = group_therapist()
        person = client_in()
        course = book(person, therapist, at(TUESDAY, 10), weeks=4)
        group = make_group(therapist)
        member = client_in()
        groups.enrol(client=member, group_id=group.pk)
        yield World(client=person, member=member, course=course, group=group)


def feed(client, person) -> bytes:
    token = calendar.rotate_feed(user=person).token
    response = client.get(reverse("booking:calendar_feed", args=[token]))
    assert response.status_code == 200
    return response.content


def events(content: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(content).walk("VEVENT")}


def uid(session: Session) -> str:
    return f"session-{session.pk}@rapport"


def after(session: Session) -> time_machine.travel:
    return time_machine.travel(session.end + dt.timedelta(hours=1), tick=False)


def first_session(w: World) -> Session:
    return w.course.sessions.order_by("start").first()


def first_meeting(w: World) -> Session:
    return w.group.meetings.order_by("start").first()


def mark_completed(w: World) -> None:
    with after(first_session(w)):
        courses.mark_session(session_id=first_session(w).pk, by=w.therapist, status="completed")


def take_attendance(w: World) -> None:
    with after(first_meeting(w)):
        groups.mark_attendance(
            by=w.therapist, session_id=first_meeting(w).pk, present={w.member.pk: True}
        )


def confirm_then_mark(w: World) -> None:
    courses.confirm_booking(booking_id=w.course.pk, by=w.therapist)
    mark_completed(w)


# Every writer that moves a session or changes its status; "kept": the session stays in
# the feed with a greater SEQUENCE, "gone": it leaves the feed.
WRITERS: dict[str, tuple[Callable[[World], None], Callable[[World], Session], str]] = {
    "therapist confirms the course": (
        lambda w: courses.confirm_booking(booking_id=w.course.pk, by=w.therapist),
        first_session,
        "kept",
    ),
    "client moves the rest of the course": (
        lambda w: courses.move_booking(
            booking_id=w.course.pk, by=w.client, start=at(TUESDAY + dt.timedelta(days=1), 11)
        ),
        first_session,
        "kept",
    ),
    "therapist marks a session completed": (confirm_then_mark, first_session, "kept"),
    "client cancels one session": (
        lambda w: courses.cancel_session(session_id=first_session(w).pk, by=w.client),
        first_session,
        "gone",
    ),
    "therapist cancels one session": (
        lambda w: courses.cancel_session(
            session_id=first_session(w).pk, by=w.therapist, reason="I am ill that day."
        ),
        first_session,
        "gone",
    ),
    "client cancels the rest of the course": (
        lambda w: courses.cancel_booking(booking_id=w.course.pk, by=w.client),
        first_session,
        "gone",
    ),
    "therapist declines the course": (
        lambda w: courses.decline_booking(booking_id=w.course.pk, by=w.therapist),
        first_session,
        "gone",
    ),
    "the request expires": (
        lambda w: courses.expire_pending_bookings(at=w.course.hold_until + dt.timedelta(minutes=1)),
        first_session,
        "gone",
    ),
    "therapist moves the group a week later": (
        lambda w: groups.update_group(
            group_id=w.group.pk,
            by=w.therapist,
            start_date=w.group.start_date + dt.timedelta(weeks=1),
        ),
        first_meeting,
        "kept",
    ),
    "therapist moves the group an hour later": (
        lambda w: groups.update_group(group_id=w.group.pk, by=w.therapist, start_time=dt.time(19)),
        first_meeting,
        "kept",
    ),
    "therapist takes attendance": (take_attendance, first_meeting, "kept"),
    "therapist cancels one meeting": (
        lambda w: groups.cancel_meeting(
            by=w.therapist, session_id=first_meeting(w).pk, reason="Holiday."
        ),
        first_meeting,
        "gone",
    ),
    "therapist cancels the group": (
        lambda w: groups.cancel_group(
            by=w.therapist, group_id=w.group.pk, reason="Too few members."
        ),
        first_meeting,
        "gone",
    ),
    "any bulk update of start or status (admin, raw ORM)": (
        lambda w: Session.objects.filter(pk=first_session(w).pk).update(
            start=F("start") - dt.timedelta(hours=1)
        ),
        first_session,
        "kept",
    ),
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_writer_bumps_the_sessions_calendar_version(client, world, writer):
    change, watched, outcome = WRITERS[writer]
    session = watched(world)
    viewers = [world.therapist, world.client if session.booking_id else world.member]
    before = {v.pk: events(feed(client, v))[uid(session)] for v in viewers}
    for event in before.values():
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED")

    change(world)

    session.refresh_from_db()
    assert session.sequence >= 1
    for viewer in viewers:
        was, now = before[viewer.pk], events(feed(client, viewer))
        if outcome == "gone":
            assert session.status in ("cancelled", "declined", "expired")
            assert uid(session) not in now
            assert session.changed_at > was.decoded("LAST-MODIFIED")
            continue
        event = now[uid(session)]
        assert int(event["SEQUENCE"]) == session.sequence > int(was["SEQUENCE"])
        assert event.decoded("LAST-MODIFIED") > was.decoded("LAST-MODIFIED")
        assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED")
        assert event.decoded("DTSTART") == session.start


def test_a_feed_fetched_again_with_no_change_is_the_same_bytes(client, world):
    first = feed(client, world.therapist)
    with time_machine.travel(MONDAY + dt.timedelta(hours=5, minutes=7), tick=False):
        again = feed(client, world.therapist)

    assert len(events(first)) == 4 + 8
    assert again == first


def test_a_write_that_neither_moves_nor_changes_status_leaves_the_version(world):
    session = first_session(world)
    Session.objects.filter(pk=session.pk).update(cancel_reason="a note", start=F("start"))
    Session.objects.bulk_update([session], ["start", "end", "status"])

    again = Session.objects.get(pk=session.pk)
    assert (again.sequence, again.changed_at) == (0, session.changed_at)


def test_two_changes_within_a_second_still_read_as_two(world):
    session = first_session(world)
    for _ in range(3):
        Session.objects.filter(pk=session.pk).update(start=F("start") + dt.timedelta(minutes=5))

    again = Session.objects.get(pk=session.pk)
    assert again.sequence == 3
    assert again.changed_at >= session.changed_at + dt.timedelta(seconds=3)


def test_cancelled_sessions_leave_the_course_download_too(client, world):
    courses.cancel_session(session_id=first_session(world).pk, by=world.client)
    client.force_login(world.client)
    content = client.get(reverse("booking:booking_ics", args=[world.course.pk])).content

    assert set(events(content)) == {
        uid(s) for s in world.course.sessions.exclude(status="cancelled")
    }
    assert len(events(content)) == 3
