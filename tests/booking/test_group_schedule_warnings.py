"""Issue 16, item 3: creating or changing a group warns, before saving, of meetings that
fall in the therapist's time off (saved once the therapist confirms exactly those) or
overlap sessions they hold (refused, as before)."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils.timezone import localdate
from rest_framework.test import APIClient

from audit.models import AuditEvent
from booking import availability
from booking.exceptions import SlotConflict
from booking.groups import services as groups
from booking.models import Group, Session
from tests.booking.group_helpers import WEDNESDAY, group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday

pytestmark = pytest.mark.django_db

MONDAY = 0
NY = ZoneInfo("America/New_York")


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def group_post(**changes) -> dict:
    """Ten Monday meetings at noon, New York time, from the Monday a week ahead."""
    return {
        "title": "Monday process group",
        "description": "Weekly interpersonal process group.",
        "kind": "interpersonal_process",
        "modality": "group",
        "format": "telehealth",
        "weekdays": "0",
        "start_time": "12:00",
        "meeting_minutes": "90",
        "start_date": next_weekday(MONDAY).isoformat(),
        "weeks": "10",
        "capacity": "8",
        "fee": "40",
        "states": ["NY"],
        **changes,
    }


def us_day(day: dt.date) -> str:
    """'Mon, Jan 11', as the us_day filter writes it."""
    return f"{day:%a, %b} {day.day}"


def us_when(day: dt.date) -> str:
    """The day as us_datetime begins: 'Mon, Jan 11', with the year when not this one's."""
    return us_day(day) + (f", {day.year}" if day.year != localdate().year else "")


@pytest.fixture
def therapist():
    return group_therapist(display_name="Maya Lindqvist")


def time_off(therapist, first: dt.date, last: dt.date | None = None, note: str = ""):
    return availability.add_time_off(
        therapist=therapist, start_date=first, end_date=last or first, note=note
    )


# --- The pure rule ----------------------------------------------------------------------------


def test_a_meeting_on_a_day_off_is_a_time_off_warning_and_an_overlap_is_refused():
    monday = next_weekday(MONDAY)
    starts = [at(monday + dt.timedelta(weeks=n), 12).astimezone(dt.UTC) for n in range(3)]
    length = dt.timedelta(minutes=90)
    off = (monday + dt.timedelta(weeks=1), monday + dt.timedelta(weeks=1, days=4))
    booked = (starts[2] + dt.timedelta(hours=1), starts[2] + dt.timedelta(hours=2))
    warnings = groups.schedule_warnings(starts, length, tz=NY, time_off=[off], busy=[booked])
    assert [(w.start, w.reason, w.refused) for w in warnings] == [
        (starts[1], "time_off", False),
        (starts[2], "taken", True),
    ]
    assert warnings[0].time_off == off
    assert warnings[0].end == starts[1] + length


def test_time_off_is_matched_on_the_therapists_local_day_not_the_utc_one():
    la = ZoneInfo("America/Los_Angeles")
    sunday = next_weekday(6)
    evening = at(sunday, 20, tz=la).astimezone(dt.UTC)  # Monday 03:00 or 04:00 UTC
    assert evening.date() == sunday + dt.timedelta(days=1)
    length = dt.timedelta(hours=1)
    monday_off = [(sunday + dt.timedelta(days=1),) * 2]
    assert groups.schedule_warnings([evening], length, tz=la, time_off=monday_off, busy=[]) == []
    sunday_off = [(sunday, sunday)]
    warned = groups.schedule_warnings([evening], length, tz=la, time_off=sunday_off, busy=[])
    assert [w.reason for w in warned] == ["time_off"]


def test_the_confirmation_key_names_the_meetings_in_time_off_only():
    start = at(next_weekday(MONDAY), 12).astimezone(dt.UTC)
    end = start + dt.timedelta(hours=1)
    off = groups.MeetingWarning(start, end, "time_off", (start.date(), start.date()))
    later = groups.MeetingWarning(start + dt.timedelta(weeks=1), end, "time_off", None)
    taken = groups.MeetingWarning(start, end, "taken")
    assert groups.warnings_key([]) == groups.warnings_key([taken]) == ""
    assert groups.warnings_key([off]) == groups.warnings_key([off, taken])
    assert groups.warnings_key([off]) != groups.warnings_key([off, later])


# --- The service's check -------------------------------------------------------------------


def fields(**changes) -> dict:
    data = {
        "title": "Monday process group",
        "modality": "group",
        "kind": "interpersonal_process",
        "format": "telehealth",
        "weekdays": [MONDAY],
        "start_time": dt.time(12),
        "meeting_minutes": 90,
        "start_date": next_weekday(MONDAY),
        "weeks": 10,
        "capacity": 8,
        "states": ["NY"],
    }
    return {**data, **changes}


def test_check_schedule_names_the_meetings_in_time_off_and_over_booked_sessions(therapist):
    first = next_weekday(MONDAY)
    time_off(therapist, first + dt.timedelta(weeks=2), first + dt.timedelta(weeks=3, days=1))
    book(client_in(), therapist, at(first + dt.timedelta(weeks=5), 13), weeks=1)
    warnings = groups.check_schedule(therapist=therapist, **fields())
    assert [(w.start.astimezone(NY).date(), w.reason) for w in warnings] == [
        (first + dt.timedelta(weeks=2), "time_off"),
        (first + dt.timedelta(weeks=3), "time_off"),
        (first + dt.timedelta(weeks=5), "taken"),
    ]
    assert not Group.objects.exists()  # a read


def test_check_schedule_looks_at_every_day_of_a_program(therapist):
    first = next_weekday(MONDAY)
    wednesday = first + dt.timedelta(weeks=1, days=2)
    time_off(therapist, wednesday)  # one day off, mid-week
    book(client_in(), therapist, at(first + dt.timedelta(weeks=2, days=3), 13), weeks=1)
    program = fields(weekdays=[MONDAY, WEDNESDAY, 3], weeks=4)
    warnings = groups.check_schedule(therapist=therapist, **program)
    assert [(w.start.astimezone(NY).date(), w.reason) for w in warnings] == [
        (wednesday, "time_off"),
        (first + dt.timedelta(weeks=2, days=3), "taken"),
    ]
    with pytest.raises(SlotConflict):
        groups.create_group(therapist=therapist, **program)
    assert not Group.objects.exists()


def test_check_schedule_of_an_edit_warns_only_of_meetings_it_adds_or_moves(therapist):
    first = next_weekday(WEDNESDAY)
    group = make_group(therapist)  # 8 Wednesdays
    time_off(therapist, first + dt.timedelta(weeks=2))  # an existing meeting: already there
    time_off(therapist, first + dt.timedelta(weeks=9))
    assert groups.check_schedule(therapist=therapist, group_id=group.pk, title="New") == []
    longer = groups.check_schedule(therapist=therapist, group_id=group.pk, weeks=10)
    assert [w.start.astimezone(NY).date() for w in longer] == [first + dt.timedelta(weeks=9)]
    moved = groups.check_schedule(therapist=therapist, group_id=group.pk, start_time=dt.time(19))
    assert [w.start.astimezone(NY).date() for w in moved] == [first + dt.timedelta(weeks=2)]


def test_a_group_confirmed_over_time_off_holds_those_meetings_and_audits_it(therapist):
    first = next_weekday(MONDAY)
    off_day = first + dt.timedelta(weeks=1)
    time_off(therapist, off_day)
    group = groups.create_group(therapist=therapist, keep_in_time_off=True, **fields())
    kept = group.meetings.filter(kept_in_time_off=True)
    assert [m.start.astimezone(NY).date() for m in kept] == [off_day]
    assert group.meetings.count() == 10
    assert availability.sessions_to_decide(therapist, at=at(first, 0)) == []
    event = AuditEvent.objects.get(action="session_kept")
    assert (event.target_type, event.target_id) == ("session", kept.get().pk)


def test_a_group_made_through_the_api_path_leaves_time_off_meetings_to_decide(therapist):
    first = next_weekday(MONDAY)
    time_off(therapist, first + dt.timedelta(weeks=1))
    groups.create_group(therapist=therapist, **fields())
    to_decide = availability.sessions_to_decide(therapist, at=at(first, 0))
    assert [s.start.astimezone(NY).date() for s in to_decide] == [first + dt.timedelta(weeks=1)]


def test_the_fee_is_kept_and_refused_out_of_range(therapist):
    group = groups.create_group(therapist=therapist, **fields(fee=35))
    assert group.fee == 35
    assert groups.create_group(therapist=therapist, **fields(start_time=dt.time(9))).fee is None
    for bad in (-1, 100_001, "40", True):
        with pytest.raises(Exception) as caught:
            groups.create_group(therapist=therapist, **fields(fee=bad, start_time=dt.time(15)))
        assert "fee" in caught.value.message_dict, bad


# --- The pages -----------------------------------------------------------------------------


def test_the_first_submit_shows_the_meetings_in_time_off_and_saves_nothing(client, therapist):
    first = next_weekday(MONDAY)
    off_first, off_last = first + dt.timedelta(weeks=2), first + dt.timedelta(weeks=3, days=2)
    time_off(therapist, off_first, off_last)
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post())
    assert response.status_code == 200
    page = text(response.content.decode())
    assert "2 meetings fall in your time off" in page
    for day in (off_first, first + dt.timedelta(weeks=3)):
        assert f"{us_when(day)} · 12:00 PM ET — in your time off, {us_day(off_first)} –" in page
    assert "Nothing is saved yet" in page
    assert "Create anyway, skipping nothing" in page
    assert not re.search(r"\d{4}-\d\d-\d\d(?!T)|\b(1[3-9]|2[0-3]):\d\d\b", page)
    assert not Group.objects.exists()
    assert not Session.objects.exists()


def test_confirming_creates_the_group_with_every_meeting(client, therapist):
    first = next_weekday(MONDAY)
    time_off(therapist, first + dt.timedelta(weeks=2))
    client.force_login(therapist.user)
    shown = client.post(reverse("booking:create_group"), group_post()).content.decode()
    key = re.search(r'name="confirm_time_off" value="([0-9a-f]+)"', shown).group(1)
    response = client.post(
        reverse("booking:create_group"), group_post(confirm_time_off=key), follow=True
    )
    assert "its 10 meetings are in your calendar" in text(response.content.decode())
    group = Group.objects.get()
    assert group.meetings.count() == 10
    assert group.meetings.filter(kept_in_time_off=True).count() == 1


def test_a_confirmation_for_another_schedule_does_not_save(client, therapist):
    first = next_weekday(MONDAY)
    time_off(therapist, first + dt.timedelta(weeks=2))
    client.force_login(therapist.user)
    shown = client.post(reverse("booking:create_group"), group_post(weeks="3")).content.decode()
    key = re.search(r'name="confirm_time_off" value="([0-9a-f]+)"', shown).group(1)
    # Longer now: a second week off joins in, so the therapist has not seen this schedule.
    time_off(therapist, first + dt.timedelta(weeks=5))
    response = client.post(
        reverse("booking:create_group"), group_post(weeks="8", confirm_time_off=key)
    )
    assert response.status_code == 200
    assert "2 meetings fall in your time off" in text(response.content.decode())
    assert not Group.objects.exists()


def test_a_group_with_no_warning_saves_at_the_first_submit(client, therapist):
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post())
    assert response.status_code == 302
    assert Group.objects.get().fee == 40


def test_an_overlap_is_refused_even_with_a_confirmation(client, therapist):
    first = next_weekday(MONDAY)
    time_off(therapist, first + dt.timedelta(weeks=1))
    book(client_in(), therapist, at(first + dt.timedelta(weeks=4), 13), weeks=1)
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post())
    assert response.status_code == 409
    page = text(response.content.decode())
    assert "1 meeting would overlap sessions already in your calendar" in page
    day = first + dt.timedelta(weeks=4)
    assert f"{us_when(day)} · 12:00 PM ET — refused: overlaps a session already booked" in page
    assert f"{us_when(first + dt.timedelta(weeks=1))} · 12:00 PM ET — in your time off" in page
    assert "Create anyway" not in page
    forged = client.post(
        reverse("booking:create_group"), group_post(confirm_time_off="0123456789abcdef")
    )
    assert forged.status_code == 409
    assert not Group.objects.exists()


def test_moving_a_group_into_time_off_warns_then_saves_once_confirmed(client, therapist):
    group = make_group(therapist, fee=30)
    first = next_weekday(WEDNESDAY)
    time_off(therapist, first + dt.timedelta(weeks=1, days=1))  # a Thursday
    data = group_post(
        title=group.title,
        weekdays="3",
        start_time="18:00",
        start_date=first.isoformat(),
        weeks="8",
        fee="30",
    )
    client.force_login(therapist.user)
    url = reverse("booking:edit_group", args=[group.pk])
    shown = client.post(url, data)
    assert shown.status_code == 200
    page = text(shown.content.decode())
    assert "1 meeting falls in your time off" in page
    assert "Save anyway, skipping nothing" in page
    group.refresh_from_db()
    assert group.weekdays == [WEDNESDAY]
    key = re.search(r'name="confirm_time_off" value="([0-9a-f]+)"', shown.content.decode())
    assert client.post(url, {**data, "confirm_time_off": key.group(1)}).status_code == 302
    group.refresh_from_db()
    assert group.weekdays == [3]
    assert group.meetings.filter(kept_in_time_off=True).count() == 1


def as_user(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_creates_a_group_in_time_off_as_before_with_its_fee(therapist):
    time_off(therapist, next_weekday(MONDAY) + dt.timedelta(weeks=1))
    body = {**fields(), "start_time": "12:00", "start_date": next_weekday(MONDAY).isoformat()}
    body["modality"] = "group"
    response = as_user(therapist.user).post(
        "/api/v1/me/groups/", {**body, "fee": 25}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["fee"] == 25
    listed = as_user(client_in()).get("/api/v1/groups/").json()["results"]
    assert listed[0]["fee"] == 25
    bad = as_user(therapist.user).post(
        "/api/v1/me/groups/", {**body, "start_time": "15:00", "fee": -5}, format="json"
    )
    assert bad.status_code == 400
    assert "fee" in bad.json()


def test_a_session_booked_after_the_check_is_still_refused_by_the_save(
    client, therapist, monkeypatch
):
    """The check takes no lock: a course booked between it and the save meets the
    service's own check, under the therapist's lock, and the page says so."""
    first = next_weekday(MONDAY)
    book(client_in(), therapist, at(first + dt.timedelta(weeks=1), 12), weeks=1)
    monkeypatch.setattr(groups, "check_schedule", lambda **kwargs: [])  # as if checked before
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post())
    assert response.status_code == 409
    page = text(response.content.decode())
    assert "12:00 PM ET — refused: overlaps a session already booked" in page
    assert not Group.objects.exists()
