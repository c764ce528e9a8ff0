"""Private video links in the API (issue 18, item 4): `me/sessions/` items carry
`video_url` only for who may join now (the group's enrolled members, the course's client,
the therapist) from 24 h before a session until it ends; the therapist writes and reads a
group's own room through `me/groups/`; the public `groups/` answers never carry it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from booking.courses import services as courses
from booking.groups import services as groups
from booking.models import Group
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/me/sessions/"
MY_GROUPS = "/api/v1/me/groups/"
GROUPS = "/api/v1/groups/"
THERAPIST_ROOM = "https://video.example.com/maya-room"
GROUP_ROOM = "https://video.example.com/grief-group-7f3a"


@pytest.fixture
def group():
    therapist = group_therapist(video_url=THERAPIST_ROOM)
    return make_group(therapist, capacity=1, video_url=GROUP_ROOM)


def links(as_user, user) -> list:
    response = as_user(user).get(SESSIONS)
    assert response.status_code == 200
    return [s["video_url"] for s in response.json()["results"]]


def test_my_sessions_carry_the_link_only_for_the_member_and_therapist_in_the_window(as_user, group):
    member, waitlisted = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=waitlisted, group_id=group.pk)
    first = group.meetings.order_by("start").first()
    for person in (member, group.therapist.user):
        with time_machine.travel(first.start - dt.timedelta(hours=24, seconds=1), tick=False):
            assert links(as_user, person) == [None] * 8
        with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
            assert links(as_user, person) == [GROUP_ROOM] + [None] * 7
        with time_machine.travel(first.start + dt.timedelta(minutes=5), tick=False):
            assert links(as_user, person) == [GROUP_ROOM] + [None] * 7
        with time_machine.travel(first.end, tick=False):
            assert links(as_user, person) == [None] * 8
    with time_machine.travel(first.start, tick=False):
        assert links(as_user, waitlisted) == []
        assert links(as_user, client_in()) == []


def test_a_course_session_carries_the_therapists_room_in_the_window(as_user):
    therapist = bookable_therapist(video_url=THERAPIST_ROOM)
    client = client_in()
    booking = book(client, therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=2)
    courses.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=25), tick=False):
        assert links(as_user, client) == [None, None]
    with time_machine.travel(first.start - dt.timedelta(hours=23), tick=False):
        assert links(as_user, client) == [THERAPIST_ROOM, None]
        assert links(as_user, therapist.user) == [THERAPIST_ROOM, None]


def test_the_public_group_answers_never_carry_the_room_the_therapists_own_do(as_user, api, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    first = group.meetings.order_by("start").first()
    with time_machine.travel(first.start, tick=False):
        public = [
            as_user(member).get(f"{GROUPS}{group.pk}/"),
            as_user(group.therapist.user).get(f"{GROUPS}{group.pk}/"),
            api.get(f"{GROUPS}{group.pk}/"),
            api.get(GROUPS),
            as_user(member).get(GROUPS),
            as_user(group.therapist.user).get(f"{GROUPS}{group.pk}/roster/"),
        ]
        own = as_user(group.therapist.user).get(f"{MY_GROUPS}{group.pk}/")
        own_list = as_user(group.therapist.user).get(MY_GROUPS)
    for response in public:
        assert response.status_code == 200
        assert b"video_url" not in response.content and GROUP_ROOM.encode() not in response.content
    assert own.json()["video_url"] == GROUP_ROOM
    assert own_list.json()["results"][0]["video_url"] == GROUP_ROOM


def body(**changes) -> dict:
    return {
        "title": "Thursday grief group",
        "modality": "group",
        "kind": "grief",
        "format": "telehealth",
        "weekday": 3,
        "start_time": "18:30",
        "start_date": next_weekday(3).isoformat(),
        "weeks": 10,
        "capacity": 8,
        "states": ["NY"],
        **changes,
    }


def test_the_therapist_writes_the_groups_room(as_user):
    therapist = group_therapist(video_url=THERAPIST_ROOM)
    api = as_user(therapist.user)
    created = api.post(MY_GROUPS, body(video_url=GROUP_ROOM), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["video_url"] == GROUP_ROOM
    pk = created.json()["id"]
    assert Group.objects.get(pk=pk).video_url == GROUP_ROOM

    patched = api.patch(f"{MY_GROUPS}{pk}/", {"capacity": 6}, format="json")
    assert patched.json()["video_url"] == GROUP_ROOM  # untouched by other changes
    moved = api.patch(f"{MY_GROUPS}{pk}/", {"video_url": f"{GROUP_ROOM}-b"}, format="json")
    assert moved.json()["video_url"] == f"{GROUP_ROOM}-b"
    cleared = api.put(f"{MY_GROUPS}{pk}/", body(video_url=""), format="json")
    assert cleared.status_code == 200 and cleared.json()["video_url"] == ""
    assert Group.objects.get(pk=pk).video_url == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://video.example.com/room",
        "javascript:alert(1)",
        "video.example.com/room",
        "https://",
        "https://video.example.com/a room",
        "https://video.example.com/" + "x" * 300,
    ],
)
def test_only_an_https_address_is_accepted(as_user, url):
    therapist = group_therapist()
    response = as_user(therapist.user).post(MY_GROUPS, body(video_url=url), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["video_url"]
    assert not Group.objects.exists()


def test_the_service_refuses_a_bad_room_too():
    from django.core.exceptions import ValidationError

    therapist = group_therapist()
    with pytest.raises(ValidationError) as refused:
        make_group(therapist, video_url="ftp://video.example.com/room")
    assert list(refused.value.message_dict) == ["video_url"]
    assert "https://" in refused.value.message_dict["video_url"][0]
