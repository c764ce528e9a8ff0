"""Attendance through the API (issue 18, item 5): its therapist reads every meeting held
and marks one (`groups/{id}/attendance/`, `groups/{id}/attendance/{session_id}/`); a member
reads their own marks; anyone else gets a 404 (PRODUCT rule 11). Marking goes through the
one service: a meeting still to come or cancelled, a client who was not a member, a
meeting of another group are refused and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from booking.groups import services as groups
from booking.models import Attendance, Session
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in
from tests.factories import make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db


def sheet_url(group) -> str:
    return f"/api/v1/groups/{group.pk}/attendance/"


def meeting_url(group, meeting) -> str:
    return f"/api/v1/groups/{group.pk}/attendance/{meeting.pk}/"


def marks(*pairs) -> dict:
    return {"marks": [{"client": c.pk, "present": p} for c, p in pairs]}


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def after(meeting: Session, minutes: int = 5):
    return time_machine.travel(meeting.end + dt.timedelta(minutes=minutes), tick=False)


def add_meeting(group, start: dt.datetime) -> Session:
    """Another meeting in the same week (a Mon/Wed/Thu program meets three times a week):
    its own Session row, as enrolment books it."""
    week = group.meetings.count() + 1
    return Session.objects.create(
        group=group,
        therapist_id=group.therapist_id,
        week=week,
        start=start,
        end=start + dt.timedelta(minutes=group.meeting_minutes),
        status=Session.Status.CONFIRMED,
    )


@pytest.fixture
def group():
    return make_group(group_therapist(), weeks=4)


@pytest.fixture
def ana(group):
    member = client_in(name="Ana Alvarez")
    groups.enrol(client=member, group_id=group.pk)
    return member


@pytest.fixture
def bo(group):
    member = client_in(name="Bo Brown")
    groups.enrol(client=member, group_id=group.pk)
    return member


def meetings(group) -> list[Session]:
    return list(group.meetings.order_by("start"))


# --- The therapist marks ---------------------------------------------------------------------


def test_the_therapist_marks_a_meeting_and_gets_its_marks(as_user, group, ana, bo):
    first = meetings(group)[0]
    with after(first):
        response = as_user(group.therapist.user).put(
            meeting_url(group, first), marks((ana, True), (bo, False)), format="json"
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (when(body["start"]), when(body["end"])) == (first.start, first.end)
    assert {k: v for k, v in body.items() if k not in ("start", "end")} == {
        "session": first.pk,
        "marks": [
            {"client": ana.pk, "name": "Ana Alvarez", "present": True},
            {"client": bo.pk, "name": "Bo Brown", "present": False},
        ],
    }
    rows = dict(Attendance.objects.filter(session=first).values_list("client_id", "present"))
    assert rows == {ana.pk: True, bo.pk: False}
    first.refresh_from_db()
    assert first.status == "completed"


def test_marking_again_updates_the_mark(as_user, group, ana, bo):
    first = meetings(group)[0]
    api = as_user(group.therapist.user)
    with after(first):
        api.put(meeting_url(group, first), marks((ana, False)), format="json")
        response = api.put(meeting_url(group, first), marks((ana, True)), format="json")
    assert response.status_code == 200
    assert response.json()["marks"] == [
        {"client": ana.pk, "name": "Ana Alvarez", "present": True},
        {"client": bo.pk, "name": "Bo Brown", "present": None},
    ]
    assert list(Attendance.objects.values_list("client_id", "present")) == [(ana.pk, True)]


def test_the_therapist_reads_every_meeting_held_oldest_first_with_a_mark_per_member(
    as_user, group, ana, bo
):
    first, second, third, _ = meetings(group)
    # A program that meets twice a week: the Friday after the first meeting too.
    friday = add_meeting(group, first.start + dt.timedelta(days=2))
    with after(first):
        groups.mark_attendance(by=group.therapist.user, session_id=first.pk, present={ana.pk: True})
    with after(friday):
        groups.mark_attendance(
            by=group.therapist.user, session_id=friday.pk, present={ana.pk: False, bo.pk: True}
        )
    with after(second):
        body = as_user(group.therapist.user).get(sheet_url(group)).json()

    assert [m["session"] for m in body] == [first.pk, friday.pk, second.pk]  # not the third
    assert set(body[0]) == {"session", "start", "end", "marks"}
    by_meeting = {m["session"]: {x["name"]: x["present"] for x in m["marks"]} for m in body}
    assert by_meeting == {
        first.pk: {"Ana Alvarez": True, "Bo Brown": None},
        friday.pk: {"Ana Alvarez": False, "Bo Brown": True},
        second.pk: {"Ana Alvarez": None, "Bo Brown": None},
    }
    assert third.pk not in by_meeting


def test_a_cancelled_meeting_is_not_listed_and_cannot_be_marked(as_user, group, ana):
    first, second, *_ = meetings(group)
    groups.cancel_meeting(by=group.therapist.user, session_id=second.pk, reason="Snow day")
    api = as_user(group.therapist.user)
    with after(second):
        assert [m["session"] for m in api.get(sheet_url(group)).json()] == [first.pk]
        response = api.put(meeting_url(group, second), marks((ana, True)), format="json")
    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"
    assert not Attendance.objects.exists()


def test_a_meeting_not_yet_started_is_refused_and_nothing_is_written(as_user, group, ana):
    first = meetings(group)[0]
    with time_machine.travel(first.start - dt.timedelta(minutes=1), tick=False):
        response = as_user(group.therapist.user).put(
            meeting_url(group, first), marks((ana, True)), format="json"
        )
    assert response.status_code == 409
    assert "not happened yet" in response.json()["detail"]
    assert not Attendance.objects.exists()
    first.refresh_from_db()
    assert first.status == "confirmed"


def test_a_client_who_is_not_a_member_is_a_400_on_marks_and_nothing_is_written(as_user, group, ana):
    first = meetings(group)[0]
    stranger = client_in()
    with after(first):
        response = as_user(group.therapist.user).put(
            meeting_url(group, first), marks((ana, True), (stranger, False)), format="json"
        )
    assert response.status_code == 400
    assert str(stranger.pk) in " ".join(response.json()["marks"])
    assert not Attendance.objects.exists()  # not even Ana's mark


def test_a_member_who_joined_later_is_not_on_earlier_meetings_and_cannot_be_marked_there(
    as_user, group, ana
):
    first, second, *_ = meetings(group)
    with after(first):
        late = client_in(name="Cy Late")
        groups.enrol(client=late, group_id=group.pk)
        api = as_user(group.therapist.user)
        refused = api.put(meeting_url(group, first), marks((late, True)), format="json")
    assert refused.status_code == 400 and "marks" in refused.json()
    with after(second):
        body = api.get(sheet_url(group)).json()
    assert [[x["name"] for x in m["marks"]] for m in body] == [
        ["Ana Alvarez"],
        ["Ana Alvarez", "Cy Late"],
    ]


def test_a_member_who_left_stays_on_the_meetings_they_were_in(as_user, group, ana, bo):
    first, second, *_ = meetings(group)
    with after(first):
        groups.leave(client=bo, group_id=group.pk)
    with after(second):
        body = as_user(group.therapist.user).get(sheet_url(group)).json()
    assert [[x["name"] for x in m["marks"]] for m in body] == [
        ["Ana Alvarez", "Bo Brown"],
        ["Ana Alvarez"],
    ]


def test_a_meeting_of_another_group_is_a_400_on_session(as_user, group, ana):
    other = make_group(group.therapist, start_time=dt.time(8))
    theirs = meetings(other)[0]
    with after(theirs):
        response = as_user(group.therapist.user).put(
            meeting_url(group, theirs), marks((ana, True)), format="json"
        )
    assert response.status_code == 400
    assert "session" in response.json()
    assert not Attendance.objects.exists()


def test_a_client_marked_twice_in_one_request_is_a_400_on_marks(as_user, group, ana):
    first = meetings(group)[0]
    with after(first):
        response = as_user(group.therapist.user).put(
            meeting_url(group, first), marks((ana, True), (ana, False)), format="json"
        )
    assert response.status_code == 400
    assert "marks" in response.json()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"marks": []}, {"marks": [{"client": 1}]}, {"marks": [{"client": 2**40, "present": 1}]}],
)
def test_a_malformed_body_is_a_400_on_marks(as_user, group, ana, body):
    first = meetings(group)[0]
    with after(first):
        response = as_user(group.therapist.user).put(meeting_url(group, first), body, format="json")
    assert response.status_code == 400
    assert "marks" in response.json()


def test_a_form_body_is_a_415_and_writes_nothing(as_user, group, ana):
    first = meetings(group)[0]
    with after(first):
        response = as_user(group.therapist.user).put(
            meeting_url(group, first),
            f"client={ana.pk}&present=true",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 415
    assert not Attendance.objects.exists()


# --- Who may mark and read ---------------------------------------------------------------------


def test_another_therapist_gets_a_404_and_writes_nothing(as_user, group, ana):
    first = meetings(group)[0]
    other = as_user(group_therapist().user)
    with after(first):
        assert other.get(sheet_url(group)).status_code == 404
        assert other.get(meeting_url(group, first)).status_code == 404
        response = other.put(meeting_url(group, first), marks((ana, True)), format="json")
        assert response.status_code == 404
        assert not Attendance.objects.exists()
        own = as_user(group.therapist.user)
        assert (
            own.put(meeting_url(group, first), marks((ana, True)), format="json").status_code == 200
        )


def test_a_member_gets_a_404_when_marking(as_user, group, ana):
    first = meetings(group)[0]
    with after(first):
        response = as_user(ana).put(meeting_url(group, first), marks((ana, True)), format="json")
        assert as_user(ana).get(meeting_url(group, first)).status_code == 404
        assert response.status_code == 404
        assert not Attendance.objects.exists()
        assert as_user(ana).get(sheet_url(group)).status_code == 200  # their own marks


def test_a_member_reads_only_their_own_marks(as_user, group, ana, bo):
    first, second, *_ = meetings(group)
    with after(first):
        groups.mark_attendance(
            by=group.therapist.user, session_id=first.pk, present={ana.pk: False, bo.pk: True}
        )
    with after(second):
        body = as_user(ana).get(sheet_url(group)).json()
    assert [set(m) for m in body] == [{"session", "start", "end", "present"}] * 2
    assert [(m["session"], m["present"]) for m in body] == [(first.pk, False), (second.pk, None)]
    assert [(when(m["start"]), when(m["end"])) for m in body] == [
        (first.start, first.end),
        (second.start, second.end),
    ]


def test_a_former_member_reads_the_marks_of_the_meetings_they_were_in(as_user, group, ana):
    first, second, third, _ = meetings(group)
    with after(first):
        groups.mark_attendance(by=group.therapist.user, session_id=first.pk, present={ana.pk: True})
        groups.leave(client=ana, group_id=group.pk)
    with after(third):
        body = as_user(ana).get(sheet_url(group)).json()
    assert [(m["session"], m["present"]) for m in body] == [(first.pk, True)]


def test_anyone_else_gets_a_404_and_anonymous_callers_a_401(as_user, group, ana):
    first = meetings(group)[0]
    elsewhere = client_in()  # a member of the therapist's other group
    groups.enrol(client=elsewhere, group_id=make_group(group.therapist, start_time=dt.time(8)).pk)
    staff = make_records_viewer(make_verifier())
    with after(first):
        for user in (client_in(), elsewhere, staff, make_verifier()):
            assert as_user(user).get(sheet_url(group)).status_code == 404
        assert as_user(ana).get("/api/v1/groups/2000000000/attendance/").status_code == 404
        assert APIClient().get(sheet_url(group)).status_code == 401
        assert as_user(ana).get(sheet_url(group)).status_code == 200


def test_a_client_on_the_waitlist_only_gets_a_404(as_user, group, ana):
    groups.update_group(group_id=group.pk, by=group.therapist.user, capacity=1)
    waiting = client_in()
    groups.enrol(client=waiting, group_id=group.pk)
    with after(meetings(group)[0]):
        assert as_user(waiting).get(sheet_url(group)).status_code == 404
        assert as_user(ana).get(sheet_url(group)).status_code == 200


# --- Queries ---------------------------------------------------------------------------------


def _sheet_queries(as_user, group) -> int:
    api = as_user(group.therapist.user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(sheet_url(group))
    assert response.status_code == 200
    return len(queries)


def test_the_sheet_takes_the_same_queries_whatever_the_number_of_meetings_and_members(as_user):
    therapist = group_therapist()
    small = make_group(therapist, weeks=2)
    large = make_group(therapist, weeks=8, capacity=8, start_time=dt.time(20))
    groups.enrol(client=client_in(), group_id=small.pk)
    for _ in range(6):
        groups.enrol(client=client_in(), group_id=large.pk)
    with after(meetings(large)[-1]):
        for meeting in meetings(large)[:5]:
            members = large.enrolments.values_list("client_id", flat=True)
            groups.mark_attendance(
                by=therapist.user, session_id=meeting.pk, present=dict.fromkeys(members, True)
            )
        assert _sheet_queries(as_user, small) == _sheet_queries(as_user, large)


def test_time_on_the_waitlist_is_not_membership(as_user):
    group = make_group(group_therapist(), weeks=4, capacity=1)
    seated, waiting = client_in(name="Ana Alvarez"), client_in(name="Bo Brown")
    groups.enrol(client=seated, group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    first, second, third, _ = meetings(group)
    with after(first):  # Bo waited through the first meeting, then got the seat
        groups.leave(client=seated, group_id=group.pk)
        groups.accept_offer(client=waiting, group_id=group.pk)
    with after(second):
        mine = as_user(waiting).get(sheet_url(group)).json()
        assert [m["session"] for m in mine] == [second.pk]
        therapist = as_user(group.therapist.user)
        sheet = therapist.get(sheet_url(group)).json()
        names = {m["session"]: [x["name"] for x in m["marks"]] for m in sheet}
        assert names == {first.pk: ["Ana Alvarez"], second.pk: ["Bo Brown"]}
        refused = therapist.put(meeting_url(group, first), marks((waiting, True)), format="json")
        assert refused.status_code == 400
        assert not Attendance.objects.exists()

    only_waited = client_in(name="Cy Chen")
    groups.enrol(client=only_waited, group_id=group.pk)  # full: the waitlist
    groups.leave(client=only_waited, group_id=group.pk)
    with after(third):
        assert as_user(only_waited).get(sheet_url(group)).status_code == 404
