"""Intensive programs (issue 18, PRODUCT rule 9): groups that meet on several weekdays,
enrolment into every meeting, capacity under real concurrency, daylight saving, the
weekly pattern in the viewer's zone, and the list's day and time-of-day filters."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from rest_framework.test import APIClient

from booking.exceptions import GroupFull, NotLicensedInState
from booking.groups import services as groups
from booking.models import Enrolment, Group, Session
from booking.sessions import own_sessions
from notifications.models import Reminder
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in, next_weekday
from tests.booking.test_groups import _race

NY = ZoneInfo("America/New_York")
MON, TUE, WED, THU = 0, 1, 2, 3


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def iop(therapist, **fields):
    """An evening program, Mon / Wed / Thu 6–9 PM in the therapist's zone, 8 weeks."""
    data = {
        "title": "Evening IOP",
        "kind": "intensive",
        "weekdays": [MON, WED, THU],
        "start_time": dt.time(18),
        "meeting_minutes": 180,
        "start_date": next_weekday(MON),
        "weeks": 8,
        "fee": 45,
        **fields,
    }
    return make_group(therapist, **data)


@pytest.fixture
def patient_locks(settings):
    """Thirty enrolments wait their turn for one group's lock on a shared machine."""
    settings.LOCK_TIMEOUT_MS = 30_000


@pytest.fixture
def therapist(db):
    return group_therapist()


@pytest.mark.django_db
def test_a_program_on_three_days_reserves_24_meetings_numbered_in_order(therapist):
    group = iop(therapist)
    meetings = list(group.meetings.order_by("start"))
    assert len(meetings) == 24
    assert [m.week for m in meetings] == list(range(1, 25))
    local = [m.start.astimezone(NY) for m in meetings]
    assert [t.weekday() for t in local] == [MON, WED, THU] * 8
    assert {(t.hour, t.minute) for t in local} == {(18, 0)}
    assert {m.end - m.start for m in meetings} == {dt.timedelta(hours=3)}
    assert local[0].date() == group.start_date


@pytest.mark.django_db
def test_the_first_week_starts_on_the_start_date_whatever_its_weekday(therapist):
    tuesday = next_weekday(TUE)
    group = iop(therapist, start_date=tuesday, weeks=2)
    days = [m.start.astimezone(NY).date() for m in group.meetings.order_by("start")]
    assert days == [
        tuesday + dt.timedelta(days=n) for n in (1, 2, 6, 8, 9, 13)
    ]  # Wed, Thu, Mon, then the same a week later


@pytest.mark.django_db
def test_weekdays_are_kept_sorted_once_and_bad_ones_are_named(therapist):
    group = iop(therapist, weekdays=[THU, MON, WED, MON])
    assert group.weekdays == [MON, WED, THU]
    for bad in ([], [7], [-1], ["mon"], 3, [True]):
        with pytest.raises(ValidationError) as exc:
            iop(therapist, weekdays=bad, title=f"Bad {bad!r}")
        assert "weekdays" in exc.value.message_dict
    assert Group.objects.count() == 1


@pytest.mark.django_db
def test_enrolment_books_every_meeting_of_every_week_or_none(therapist):
    group = iop(therapist)
    member = client_in(state="NY")
    groups.enrol(client=member, group_id=group.pk)
    assert own_sessions(member).filter(group=group).count() == 24
    assert Reminder.objects.filter(recipient=member, status="pending").count() == 48

    outsider = client_in(state="CA")
    with pytest.raises(NotLicensedInState):
        groups.enrol(client=outsider, group_id=group.pk)
    assert not own_sessions(outsider).exists()
    assert not Enrolment.objects.filter(client=outsider).exists()
    assert not Reminder.objects.filter(recipient=outsider).exists()


@pytest.mark.django_db
def test_leaving_ends_every_future_meeting_for_the_member_and_offers_the_seat(therapist):
    group = iop(therapist, capacity=1)
    member, waiting = client_in(state="NY"), client_in(state="NY")
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    assert not own_sessions(member).filter(group=group).exists()
    assert not Reminder.objects.filter(recipient=member, status="pending").exists()
    assert Enrolment.objects.get(client=waiting).status == "offered"
    groups.accept_offer(client=waiting, group_id=group.pk)
    assert own_sessions(waiting).filter(group=group).count() == 24


@pytest.mark.django_db(transaction=True)
def test_thirty_clients_racing_for_eight_seats_of_a_program_get_exactly_eight(patient_locks):
    group = iop(group_therapist(), capacity=8)
    clients = [client_in(state="NY") for _ in range(30)]
    outcomes = _race(
        [lambda c=c: groups.enrol(client=c, group_id=group.pk, waitlist=False) for c in clients]
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["full"] * 22 + ["ok"] * 8, [o for o in outcomes if o[0] == "error"]
    assert all(isinstance(o[1], GroupFull) for o in outcomes if o[0] == "full")
    assert group.enrolments.filter(status="enrolled").count() == 8
    members = [o[1].client for o in outcomes if o[0] == "ok"]
    assert {own_sessions(m).filter(group=group).count() for m in members} == {24}


@pytest.mark.django_db
def test_an_evening_program_across_the_march_change_keeps_its_local_time(therapist):
    with time_machine.travel(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC), tick=False):
        group = iop(therapist, start_date=dt.date(2027, 3, 1), weeks=3)
    meetings = list(group.meetings.order_by("start"))
    assert {m.start.astimezone(NY).hour for m in meetings} == {18}
    utc = [m.start.astimezone(dt.UTC).hour for m in meetings]
    # EST (UTC-5) until Sunday March 14, 2027, then EDT (UTC-4).
    assert utc == [23, 23, 23, 23, 23, 23, 22, 22, 22]
    assert {m.end.astimezone(NY).hour for m in meetings} == {21}


# --- The program page and the list ------------------------------------------------------------


@pytest.mark.django_db
def test_the_program_page_shows_its_pattern_fee_per_week_and_seats_in_the_viewers_zone(
    client, therapist
):
    with time_machine.travel(dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC)):
        group = iop(therapist, start_date=dt.date(2027, 1, 4), capacity=8)
        groups.enrol(client=client_in(state="NY"), group_id=group.pk)
        page = text(client.get(group.get_absolute_url()).content.decode())
        assert "Mon, Wed, Thu · 6:00–9:00 PM ET · 8 weeks · from Jan 4" in page
        assert "$45 per meeting · $135 a week" in page
        assert "7 of 8 left" in page
        assert "Intensive outpatient program" in page
        assert "Meeting 24" in page

        client.force_login(client_in(state="NY", tz="America/Chicago"))
        page = text(client.get(group.get_absolute_url()).content.decode())
        assert "Mon, Wed, Thu · 5:00–8:00 PM CT · 8 weeks · from Jan 4" in page


@pytest.mark.django_db
def test_the_days_follow_the_viewer_across_midnight(client):
    west = group_therapist(tz="America/Los_Angeles")
    with time_machine.travel(dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC)):
        group = iop(
            west,
            weekdays=[MON, WED],
            start_time=dt.time(22),
            meeting_minutes=90,
            start_date=dt.date(2027, 1, 4),
        )
        client.force_login(client_in(state="NY", tz="America/New_York"))
        page = text(client.get(group.get_absolute_url()).content.decode())
        assert "Tue, Thu · 1:00–2:30 AM ET · 8 weeks · from Jan 5" in page


def _listed(client, **params) -> list[str]:
    page = client.get(reverse("booking:groups"), {"state": "NY", **params})
    assert page.status_code == 200
    return re.findall(r"<h2 class=\"card-title\"[^>]*><a[^>]*>([^<]+)</a>", page.content.decode())


@pytest.mark.django_db
def test_the_list_filters_by_kind_day_and_part_of_the_day_in_the_viewers_zone(client, therapist):
    iop(therapist, title="Evening IOP")
    iop(therapist, title="Morning IOP", start_time=dt.time(9))
    make_group(therapist, title="Weekly grief group", weekdays=[TUE], start_time=dt.time(12))
    assert sorted(_listed(client, kind="intensive")) == ["Evening IOP", "Morning IOP"]
    assert _listed(client, kind="intensive", part_of_day="evening") == ["Evening IOP"]
    assert _listed(client, kind="intensive", part_of_day="morning") == ["Morning IOP"]
    assert _listed(client, weekday="tue") == ["Weekly grief group"]
    assert sorted(_listed(client, weekday=["wed", "thu"])) == ["Evening IOP", "Morning IOP"]
    assert _listed(client, weekday="fri") == []
    # Noon in New York is morning in California.
    client.force_login(client_in(state="NY", tz="America/Los_Angeles"))
    assert sorted(_listed(client, part_of_day="morning")) == [
        "Morning IOP",
        "Weekly grief group",
    ]
    cards = text(client.get(reverse("booking:groups"), {"state": "NY"}).content.decode())
    assert "Individual sessions" not in cards
    Group.objects.filter(title="Evening IOP").update(individual="offered")
    Group.objects.filter(title="Morning IOP").update(individual="required")
    cards = text(client.get(reverse("booking:groups"), {"state": "NY"}).content.decode())
    assert "Individual sessions Weekly, if you want them" in cards
    assert "Individual sessions Weekly, part of the program" in cards
    page = client.get(reverse("booking:groups"), {"part_of_day": "night"})
    assert page.status_code == 200
    assert "Some filters could not be used" in page.content.decode()


# --- The API -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_takes_weekdays_and_still_reads_weekday_as_one_day(client, therapist):
    client.force_login(therapist.user)
    body = {
        "title": "Evening IOP",
        "modality": "group",
        "kind": "intensive",
        "format": "telehealth",
        "weekdays": [MON, WED, THU],
        "start_time": "18:00",
        "meeting_minutes": 180,
        "start_date": next_weekday(MON).isoformat(),
        "weeks": 8,
        "capacity": 8,
        "fee": 45,
        "states": ["NY"],
    }
    made = client.post("/api/v1/me/groups/", body, content_type="application/json")
    assert made.status_code == 201, made.json()
    assert made.json()["weekdays"] == [MON, WED, THU]
    assert made.json()["fee_per_week"] == 135
    assert Session.objects.filter(group_id=made.json()["id"]).count() == 24

    old = {**body, "title": "Old client", "start_time": "09:00", "weekday": TUE}
    del old["weekdays"]
    made = client.post("/api/v1/me/groups/", old, content_type="application/json")
    assert made.status_code == 201, made.json()
    assert made.json()["weekdays"] == [TUE]
    assert "weekday" not in made.json()

    for bad in ([], [7], "mon"):
        refused = client.post(
            "/api/v1/me/groups/", {**body, "weekdays": bad}, content_type="application/json"
        )
        assert refused.status_code == 400
        assert "weekdays" in refused.json()
    missing = {k: v for k, v in body.items() if k != "weekdays"}
    refused = client.post("/api/v1/me/groups/", missing, content_type="application/json")
    assert refused.status_code == 400
    assert "weekdays" in refused.json()
    assert Group.objects.count() == 2

    listed = client.get("/api/v1/groups/", {"kind": "intensive", "part_of_day": "evening"})
    assert [g["title"] for g in listed.json()["results"]] == ["Evening IOP"]
    listed = client.get("/api/v1/groups/", {"weekday": "tue"})
    assert [g["title"] for g in listed.json()["results"]] == ["Old client"]
    assert client.get("/api/v1/groups/", {"weekday": "someday"}).status_code == 400


# --- Old data ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_each_weekday_into_a_list_of_one(therapist):
    group = make_group(therapist, weekdays=[THU])
    meetings = list(group.meetings.order_by("week").values_list("week", "start"))
    executor = MigrationExecutor(connection)
    executor.migrate([("booking", "0008_group_individual_video_url")])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE booking_group SET weekday = %s WHERE id = %s", [THU, group.pk])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    group.refresh_from_db()
    assert group.weekdays == [THU]
    assert list(group.meetings.order_by("week").values_list("week", "start")) == meetings


@pytest.mark.django_db
def test_the_match_finds_a_program_on_any_of_its_days_and_says_its_pattern(client, therapist):
    with time_machine.travel(dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC)):
        group = iop(therapist, start_date=dt.date(2027, 1, 4))  # next meeting: a Monday
        answer = client.get(
            "/api/v1/match/", {"state": "NY", "group": "true", "times": "thu-evening"}
        ).json()
        found = next(r for r in answer if r["kind"] == "group")
        assert found["id"] == group.pk
        assert found["first_start"] is not None
        page = text(
            client.get(
                "/match/", {"state": "NY", "group": "true", "times": "fri-morning"}
            ).content.decode()
        )
        assert "Meets Mon, Wed, Thu · 6:00–9:00 PM ET · 8 weeks · from Jan 4" in page


@pytest.mark.django_db
def test_every_meeting_of_a_program_week_is_marked_through_the_api_and_a_run_is_flagged(
    client, therapist
):
    group = iop(therapist, weeks=2)
    member = client_in(state="NY", name="Sam Kline")
    groups.enrol(client=member, group_id=group.pk)
    week_one = list(group.meetings.order_by("start"))[:3]
    api = APIClient()
    api.force_authenticate(therapist.user)
    with time_machine.travel(week_one[-1].end + dt.timedelta(hours=1), tick=False):
        for meeting in week_one:
            answer = api.put(
                f"/api/v1/groups/{group.pk}/attendance/{meeting.pk}/",
                {"marks": [{"client": member.pk, "present": False}]},
                format="json",
            )
            assert answer.status_code == 200, answer.json()
        sheet = api.get(f"/api/v1/groups/{group.pk}/attendance/").json()
        assert [m["session"] for m in sheet] == [m.pk for m in week_one]
        assert {m["marks"][0]["present"] for m in sheet} == {False}
        client.force_login(therapist.user)
        home = text(client.get(reverse("booking:dashboard_home")).content.decode())
        assert "Sam K. missed the last 3 meetings of Evening IOP" in home

        api.force_authenticate(member)
        mine = api.get(f"/api/v1/groups/{group.pk}/attendance/").json()
        assert [(m["session"], m["present"]) for m in mine] == [(m.pk, False) for m in week_one]


# --- Once a program has begun ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_running_program_can_grow_or_shrink_by_weeks_but_not_change_its_days(therapist):
    group = iop(therapist)  # 8 weeks, 24 meetings
    tenth = list(group.meetings.order_by("start"))[9]
    with time_machine.travel(tenth.end + dt.timedelta(hours=1), tick=False):  # 10 held
        by = therapist.user
        groups.update_group(group_id=group.pk, by=by, weeks=9)
        assert group.meetings.count() == 27
        groups.update_group(group_id=group.pk, by=by, weeks=4)  # 12 meetings: 10 held
        assert group.meetings.count() == 12
        with pytest.raises(ValidationError) as exc:
            groups.update_group(group_id=group.pk, by=by, weeks=3)
        assert "at least 4 weeks" in str(exc.value.message_dict["weeks"])
        with pytest.raises(ValidationError) as exc:
            groups.update_group(group_id=group.pk, by=by, weekdays=[MON])
        assert "weekdays" in exc.value.message_dict
        assert group.meetings.count() == 12


@pytest.mark.django_db
def test_before_it_begins_a_program_can_change_its_days(therapist):
    group = iop(therapist, weeks=2)
    groups.update_group(group_id=group.pk, by=therapist.user, weekdays=[TUE, THU])
    days = [m.start.astimezone(NY).weekday() for m in group.meetings.order_by("start")]
    assert days == [TUE, THU, TUE, THU]
    assert [m.week for m in group.meetings.order_by("start")] == [1, 2, 3, 4]


@pytest.mark.django_db
def test_the_join_link_stays_after_attendance_is_taken_during_the_meeting(therapist):
    from booking import video

    therapist.video_url = "https://video.example.com/room"
    therapist.save(update_fields=["video_url"])
    group = iop(therapist)
    member = client_in(state="NY")
    groups.enrol(client=member, group_id=group.pk)
    first = group.meetings.order_by("start").first()
    with time_machine.travel(first.start + dt.timedelta(minutes=20), tick=False):
        groups.mark_attendance(by=therapist.user, session_id=first.pk, present={member.pk: True})
        first.refresh_from_db()
        assert first.status == "completed"
        assert video.VideoAccess(member).link(first) == "https://video.example.com/room"
    with time_machine.travel(first.end + dt.timedelta(minutes=1), tick=False):
        assert video.VideoAccess(member).link(first) is None


@pytest.mark.django_db
def test_the_api_reads_days_and_times_of_day_in_the_callers_zone(therapist):
    with time_machine.travel(dt.datetime(2026, 12, 10, 15, tzinfo=dt.UTC)):
        iop(therapist, weekdays=[MON], start_time=dt.time(20), start_date=dt.date(2027, 1, 4))
        api = APIClient()
        api.force_authenticate(client_in(state="NY", tz="America/New_York"))

        def titles(**params):
            return [g["title"] for g in api.get("/api/v1/groups/", params).json()["results"]]

        assert titles(weekday="mon", part_of_day="evening") == ["Evening IOP"]
        assert titles(weekday="tue") == []  # 1:00 AM Tuesday in UTC, not for this caller
        api.force_authenticate(client_in(state="NY", tz="Asia/Tokyo"))
        assert titles(weekday="tue", part_of_day="morning") == ["Evening IOP"]


@pytest.mark.django_db
def test_a_member_who_joins_late_has_the_meetings_from_their_seat_on(therapist):
    group = iop(therapist, weeks=2)  # 6 meetings
    third = list(group.meetings.order_by("start"))[2]
    late = client_in(state="NY")
    with time_machine.travel(third.end + dt.timedelta(hours=1), tick=False):
        groups.enrol(client=late, group_id=group.pk)
        mine = list(own_sessions(late).filter(group=group).order_by("start"))
    assert [m.week for m in mine] == [4, 5, 6]
