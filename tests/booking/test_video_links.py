"""Private video links (issue 18, item 4; PRODUCT rule 9): a telehealth session's link is
shown only to the group's enrolled members (or the course's client) and the therapist,
only from 24 h before it starts until it ends; never in a calendar feed, an e-mail's
subject or a group event e-mail; in a reminder only when it is sent inside that window.

The matrix runs through ``booking.video`` (the one place that decides) and then through
each place that shows it: "my sessions", the therapist's home, the group page, the .ics
feed and the e-mails. The API is in tests/api/test_video_links_api.py."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from booking import calendar, video
from booking.courses import services as courses
from booking.groups import services as groups
from booking.models import Enrolment
from notifications import dispatch
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.factories import make_records_viewer

pytestmark = pytest.mark.django_db

THERAPIST_ROOM = "https://video.example.com/maya-room"
GROUP_ROOM = "https://video.example.com/grief-group-7f3a"
ROOMS = (THERAPIST_ROOM, GROUP_ROOM)
JOIN = "Join the video room"


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def room():
    """A telehealth group with its own room, full (2 seats) with one on its waitlist."""
    therapist = group_therapist(display_name="Maya Lindqvist", video_url=THERAPIST_ROOM)
    group = make_group(therapist, capacity=2, video_url=GROUP_ROOM)
    member, second = client_in(name="Dana Reyes"), client_in()
    waitlisted, outsider, left = client_in(), client_in(), client_in()
    groups.enrol(client=left, group_id=group.pk)
    groups.leave(client=left, group_id=group.pk)
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    assert groups.enrol(client=waitlisted, group_id=group.pk).status == "waitlisted"
    meetings = list(group.meetings.order_by("start"))
    return SimpleNamespace(
        therapist=therapist,
        group=group,
        member=member,
        waitlisted=waitlisted,
        outsider=outsider,
        left=left,
        other_therapist=group_therapist(video_url="https://video.example.com/other"),
        staff=make_records_viewer(),
        first=meetings[0],
        second=meetings[1],
    )


def moment(meeting, name: str) -> dt.datetime:
    return {
        "long_before": meeting.start - dt.timedelta(days=3),
        "just_before_window": meeting.start - dt.timedelta(hours=24, seconds=1),
        "window_opens": meeting.start - dt.timedelta(hours=24),
        "an_hour_before": meeting.start - dt.timedelta(hours=1),
        "during": meeting.start + dt.timedelta(minutes=30),
        "at_the_end": meeting.end,
        "after": meeting.end + dt.timedelta(hours=2),
    }[name]


OPEN = ("window_opens", "an_hour_before", "during")
CLOSED = ("long_before", "just_before_window", "at_the_end", "after")


# --- The rule (booking.video) -------------------------------------------------------------------


@pytest.mark.parametrize("when", OPEN + CLOSED)
@pytest.mark.parametrize(
    "who", ["member", "therapist", "waitlisted", "outsider", "left", "other_therapist", "staff"]
)
def test_the_visibility_matrix(room, who, when):
    user = getattr(room, who)
    user = user.user if who == "other_therapist" else user
    user = room.therapist.user if who == "therapist" else user
    expected = GROUP_ROOM if who in ("member", "therapist") and when in OPEN else None
    assert video.video_link(room.first, user, at=moment(room.first, when)) == expected


def test_anonymous_visitors_never_get_a_link(room):
    from django.contrib.auth.models import AnonymousUser

    assert video.video_link(room.first, AnonymousUser(), at=room.first.start) is None


def test_without_a_group_room_the_therapists_room_is_used(room):
    plain = make_group(room.therapist, title="Plain", start_time=dt.time(8))
    groups.enrol(client=room.member, group_id=plain.pk)
    first = plain.meetings.order_by("start").first()
    assert video.video_link(first, room.member, at=first.start) == THERAPIST_ROOM


def test_a_cancelled_meeting_and_an_in_person_group_have_no_link(room):
    groups.cancel_meeting(by=room.therapist.user, session_id=room.first.pk, reason="Ill")
    room.first.refresh_from_db()
    assert video.video_link(room.first, room.member, at=room.first.start) is None

    therapist = group_therapist(
        video_url=THERAPIST_ROOM,
        formats=["telehealth", "in_person"],
        office_city="Albany",
        office_state="NY",
    )
    office = make_group(therapist, format="in_person", video_url=GROUP_ROOM)
    groups.enrol(client=room.member, group_id=office.pk)
    first = office.meetings.order_by("start").first()
    assert video.video_link(first, room.member, at=first.start) is None
    assert video.video_link(first, therapist.user, at=first.start) is None


def test_course_sessions_follow_the_same_window():
    therapist = bookable_therapist(video_url=THERAPIST_ROOM)
    client = client_in()
    booking = book(client, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=2)
    first = booking.sessions.order_by("start").first()
    assert video.video_link(first, client, at=first.start) is None  # pending: not yet
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first.refresh_from_db()
    for person in (client, therapist.user):
        assert video.video_link(first, person, at=moment(first, "window_opens")) == THERAPIST_ROOM
        assert video.video_link(first, person, at=moment(first, "during")) == THERAPIST_ROOM
        for when in CLOSED:
            assert video.video_link(first, person, at=moment(first, when)) is None
    assert video.video_link(first, client_in(), at=first.start) is None


# --- Pages ----------------------------------------------------------------------------------------


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_my_sessions_shows_the_member_the_join_button_only_in_the_window(client, room):
    url = reverse("booking:my_sessions")
    with time_machine.travel(moment(room.first, "just_before_window"), tick=False):
        html = page(client, room.member, url)
    assert JOIN not in html and GROUP_ROOM not in html
    with time_machine.travel(moment(room.first, "window_opens"), tick=False):
        html = page(client, room.member, url)
    assert html.count(f'href="{GROUP_ROOM}"') == 1 and JOIN in html
    with time_machine.travel(moment(room.first, "during"), tick=False):  # under way: "past"
        html = page(client, room.member, url)
    assert html.count(f'href="{GROUP_ROOM}"') == 1
    with time_machine.travel(moment(room.first, "at_the_end"), tick=False):
        html = page(client, room.member, url)
    assert JOIN not in html and GROUP_ROOM not in html
    for someone in (room.waitlisted, room.outsider, room.left):
        with time_machine.travel(moment(room.first, "during"), tick=False):
            html = page(client, someone, url)
        assert JOIN not in html and not any(r in html for r in ROOMS)


def test_my_sessions_shows_a_course_client_the_join_button_from_24_hours_before(client):
    therapist = bookable_therapist(video_url=THERAPIST_ROOM)
    client_user = client_in()
    booking = book(client_user, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=2)
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.order_by("start").first()
    url = reverse("booking:my_sessions")
    with time_machine.travel(moment(first, "just_before_window"), tick=False):
        assert THERAPIST_ROOM not in page(client, client_user, url)
    with time_machine.travel(moment(first, "an_hour_before"), tick=False):
        html = page(client, client_user, url)
    assert html.count(f'href="{THERAPIST_ROOM}"') == 1


def test_the_therapists_home_shows_the_group_room_only_in_the_window(client, room):
    home = reverse("booking:dashboard_home")
    with time_machine.travel(moment(room.first, "just_before_window"), tick=False):
        html = page(client, room.therapist.user, home)
    assert "Group: Grief and loss group" in text(html)  # listed, not yet joinable
    assert JOIN not in html and not any(r in html for r in ROOMS)
    assert "Add your video room link" not in html
    with time_machine.travel(moment(room.first, "an_hour_before"), tick=False):
        html = page(client, room.therapist.user, home)
    assert html.count(f'href="{GROUP_ROOM}"') == 1 and THERAPIST_ROOM not in html


def test_the_group_page_shows_a_member_their_next_meetings_join_button(client, room):
    url = reverse("booking:group_detail", args=[room.group.pk])
    with time_machine.travel(moment(room.first, "long_before"), tick=False):
        html = page(client, room.member, url)
    assert JOIN not in html and GROUP_ROOM not in html
    assert "The link to join a meeting shows here and in your sessions from 24 hours" in html
    with time_machine.travel(moment(room.second, "an_hour_before"), tick=False):
        html = page(client, room.member, url)
        own = page(client, room.therapist.user, url)
        others = [page(client, u, url) for u in (room.waitlisted, room.outsider, room.left)]
        client.logout()
        others.append(client.get(url).content.decode())
    assert html.count(f'href="{GROUP_ROOM}"') == 1
    assert "the meeting of Wed, " in text(html)
    assert own.count(f'href="{GROUP_ROOM}"') == 1
    for other in others:
        assert JOIN not in other and not any(r in other for r in ROOMS)


def group_post(**changes) -> dict:
    return {
        "title": "Monday process group",
        "kind": "interpersonal_process",
        "modality": "group",
        "format": "telehealth",
        "weekdays": "0",
        "start_time": "12:00",
        "meeting_minutes": "90",
        "start_date": next_weekday(0).isoformat(),
        "weeks": "10",
        "capacity": "8",
        "states": ["NY"],
        **changes,
    }


def test_the_group_form_takes_the_groups_room(client):
    therapist = group_therapist(video_url=THERAPIST_ROOM)
    client.force_login(therapist.user)
    form = client.get(reverse("booking:create_group")).content.decode()
    assert 'name="video_url"' in form and "Group video room link" in form
    response = client.post(reverse("booking:create_group"), group_post(video_url=GROUP_ROOM))
    assert response.status_code == 302
    group = therapist.groups.get()
    assert group.video_url == GROUP_ROOM
    edit = client.get(reverse("booking:edit_group", args=[group.pk])).content.decode()
    assert f'value="{GROUP_ROOM}"' in edit


@pytest.mark.parametrize("url", ["http://video.example.com/room", "javascript:alert(1)"])
def test_the_group_form_refuses_an_address_that_is_not_https(client, url):
    therapist = group_therapist()
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post(video_url=url))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_video_url_error"' in html
    assert "Give the full address of the video room, starting with https://" in html
    assert not therapist.groups.exists()


# --- Calendar feeds -------------------------------------------------------------------------------


def events(feed: bytes) -> list:
    return [c for c in icalendar.Calendar.from_ical(feed).walk() if c.name == "VEVENT"]


def test_the_calendar_never_carries_the_link_even_inside_the_window(room):
    with time_machine.travel(moment(room.first, "during"), tick=False):
        feeds = [calendar.feed_for(u) for u in (room.member, room.therapist.user)]
    for feed in feeds:
        assert not any(r.encode() in feed for r in ROOMS)
        found = events(feed)
        assert len(found) == 8
        for event in found:
            assert str(event["location"]) == (
                "Video session (join link on Rapport from 24 h before)"
            )
            assert str(event["url"]) == f"{settings.SITE_URL}/groups/{room.group.pk}/"


def test_a_course_in_the_calendar_says_the_same_and_carries_no_link():
    therapist = bookable_therapist(video_url=THERAPIST_ROOM)
    client_user = client_in()
    booking = book(client_user, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=2)
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.order_by("start").first()
    with time_machine.travel(first.start, tick=False):
        feed = calendar.booking_calendar(booking, client_user)
    assert THERAPIST_ROOM.encode() not in feed
    assert {str(e["location"]) for e in events(feed)} == {video.LINK_LATER}


# --- E-mails --------------------------------------------------------------------------------------


def sent_to(person) -> list:
    return [m for m in mail.outbox if m.to == [person.email]]


def test_a_meeting_reminder_inside_the_window_carries_the_groups_link(room):
    mail.outbox.clear()
    for offset in (dt.timedelta(hours=24), dt.timedelta(hours=1)):
        with time_machine.travel(room.first.start - offset, tick=False):
            dispatch.dispatch()
    for person in (room.member, room.therapist.user):
        reminders = sent_to(person)
        assert len(reminders) == 2
        for message in reminders:
            assert GROUP_ROOM in message.body and THERAPIST_ROOM not in message.body
            assert not any(r in message.subject for r in ROOMS) and "http" not in message.subject
    for someone in (room.waitlisted, room.outsider, room.left):
        assert sent_to(someone) == []


def test_a_reminder_sent_before_the_window_carries_no_link():
    therapist = group_therapist(video_url=THERAPIST_ROOM, reminder_minutes=[2880, 60])
    group = make_group(therapist)  # no room of its own: the therapist's
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    first = group.meetings.order_by("start").first()
    mail.outbox.clear()
    with time_machine.travel(first.start - dt.timedelta(hours=48), tick=False):
        dispatch.dispatch()
    early = sent_to(member)
    assert len(early) == 1
    assert THERAPIST_ROOM not in early[0].body
    assert f"on Rapport from 24 hours before: {settings.SITE_URL}/my/sessions/" in early[0].body
    mail.outbox.clear()
    with time_machine.travel(first.start - dt.timedelta(hours=1), tick=False):
        dispatch.dispatch()
    assert THERAPIST_ROOM in sent_to(member)[0].body


def test_a_course_reminder_keeps_the_therapists_room_whenever_it_is_sent():
    """Courses are unchanged: the therapist chooses when reminders go (up to two weeks
    ahead) and each carries their room, as the profile form says."""
    therapist = bookable_therapist(video_url=THERAPIST_ROOM, reminder_minutes=[2880])
    client_user = client_in()
    booking = book(client_user, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=1)
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.get()
    mail.outbox.clear()
    with time_machine.travel(first.start - dt.timedelta(hours=48), tick=False):
        dispatch.dispatch()
    assert THERAPIST_ROOM in sent_to(client_user)[0].body


def test_group_event_emails_carry_no_link(room, django_capture_on_commit_callbacks):
    newcomer = client_in()
    mail.outbox.clear()
    with time_machine.travel(moment(room.first, "an_hour_before"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            groups.leave(client=room.member, group_id=room.group.pk)  # offers the seat
        offered = Enrolment.objects.get(client=room.waitlisted, group=room.group)
        assert offered.status == "offered"
        with django_capture_on_commit_callbacks(execute=True):
            groups.accept_offer(client=room.waitlisted, group_id=room.group.pk)
            groups.enrol(client=newcomer, group_id=room.group.pk)
            groups.cancel_meeting(by=room.therapist.user, session_id=room.second.pk, reason="Ill")
    kinds = {m.subject for m in mail.outbox}
    assert {"Rapport: A seat in your group is free: 24 h to take it"} <= kinds
    assert {"Rapport: A group meeting is cancelled"} <= kinds
    assert len(mail.outbox) >= 4
    for message in mail.outbox:
        assert not any(r in message.body or r in message.subject for r in ROOMS)
