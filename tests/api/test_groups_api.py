"""The group endpoints as PRODUCT.md documents them: `me/groups/`, `groups/`, enrol,
leave, the waitlist fields, the roster's privacy, and group meetings in my sessions."""

import datetime as dt

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.groups import services as groups
from booking.models import Enrolment, Group
from tests.booking.group_helpers import WEDNESDAY, group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.factories import make_records_viewer, make_verifier, verified_license

pytestmark = pytest.mark.django_db

MY_GROUPS = "/api/v1/me/groups/"
GROUPS = "/api/v1/groups/"
PAGE_KEYS = {"count", "next", "previous", "results"}


def body(**changes) -> dict:
    return {
        "title": "Thursday grief group",
        "modality": "group",
        "kind": "grief",
        "format": "telehealth",
        "weekdays": [3],
        "start_time": "18:30",
        "start_date": next_weekday(3).isoformat(),
        "weeks": 10,
        "capacity": 8,
        "states": ["NY"],
        **changes,
    }


@pytest.fixture
def therapist():
    return group_therapist()


@pytest.fixture
def group(therapist):
    return make_group(therapist, capacity=2)


# --- me/groups/ -------------------------------------------------------------------------------


def test_a_therapist_creates_a_group_and_its_meetings(as_user, therapist):
    response = as_user(therapist.user).post(MY_GROUPS, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    for key in ("id", "title", "modality", "kind", "format", "weekdays", "start_time",
                "start_date", "weeks", "capacity", "states", "seats_left"):  # fmt: skip
        assert key in data
    assert data["start_time"] == "18:30"
    assert data["seats_left"] == 8
    assert data["therapist"] == therapist.pk
    assert Group.objects.get(pk=data["id"]).meetings.count() == 10
    listed = as_user(therapist.user).get(MY_GROUPS).json()
    assert set(listed) == PAGE_KEYS
    assert [g["id"] for g in listed["results"]] == [data["id"]]


def test_a_group_in_an_unlicensed_state_is_a_400_on_states(as_user, therapist):
    response = as_user(therapist.user).post(MY_GROUPS, body(states=["CA"]), format="json")
    assert response.status_code == 400
    assert "states" in response.json()


def test_a_group_over_an_existing_session_is_a_409_naming_the_dates(as_user, therapist):
    day = next_weekday(WEDNESDAY, weeks_ahead=2)
    book(client_in(), therapist, at(day, 14), weeks=1)
    response = as_user(therapist.user).post(
        MY_GROUPS,
        body(
            weekdays=[WEDNESDAY], start_time="13:30", start_date=next_weekday(WEDNESDAY).isoformat()
        ),
        format="json",
    )
    assert response.status_code == 409
    assert len(response.json()["conflicts"]) == 1
    assert day.isoformat() in response.json()["detail"]


def test_put_edits_the_group(as_user, therapist, group):
    payload = body(
        title="Renamed", weekday=WEDNESDAY, start_date=group.start_date.isoformat(), capacity=6
    )
    response = as_user(therapist.user).put(f"{MY_GROUPS}{group.pk}/", payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Renamed"
    assert response.json()["start_time"] == "18:30"
    assert len(response.json()["meetings"]) == 10


def test_another_therapist_cannot_see_or_edit_the_group_there(as_user, group):
    other = as_user(group_therapist().user)
    assert other.put(f"{MY_GROUPS}{group.pk}/", body(), format="json").status_code == 404
    assert other.get(f"{MY_GROUPS}{group.pk}/").status_code == 404


def test_clients_have_no_groups_to_run(as_user):
    assert as_user(client_in()).get(MY_GROUPS).status_code == 403


# --- groups/ ------------------------------------------------------------------------------------


def test_anyone_lists_upcoming_groups_with_seats_left(api, group):
    groups.enrol(client=client_in(), group_id=group.pk)
    response = api.get(GROUPS)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == PAGE_KEYS
    (item,) = data["results"]
    assert item["id"] == group.pk
    assert item["title"] == group.title
    assert item["therapist"] == group.therapist_id
    assert item["seats_left"] == 1
    assert item["my_status"] is None and item["my_position"] is None
    assert dt.datetime.fromisoformat(item["next_meeting"]).tzinfo is not None


def test_the_list_filters_by_state_modality_kind_format_and_start(api, therapist):
    ny_grief = make_group(therapist)
    verified_license(therapist=therapist, state="NJ")
    nj_support = make_group(
        therapist,
        kind="supportive",
        states=["NJ"],
        start_time=dt.time(12),
        start_date=next_weekday(WEDNESDAY, weeks_ahead=4),
        modality="ipt",
    )

    def ids(**params):
        response = api.get(GROUPS, params)
        assert response.status_code == 200, response.json()
        return [g["id"] for g in response.json()["results"]]

    assert ids(state="NY") == [ny_grief.pk]
    assert ids(state="NJ") == [nj_support.pk]
    assert ids(state="CA") == []
    assert ids(kind="grief") == [ny_grief.pk]
    assert ids(modality="ipt") == [nj_support.pk]
    assert ids(format="in_person") == []
    assert ids(starts_after=next_weekday(WEDNESDAY, weeks_ahead=3).isoformat()) == [nj_support.pk]
    assert api.get(GROUPS, {"kind": "astrology"}).status_code == 400


def test_a_state_filter_drops_groups_whose_license_there_lapsed(api, group):
    group.therapist.licenses.update(expires_on=dt.date(2020, 1, 1))
    assert api.get(GROUPS, {"state": "NY"}).json()["count"] == 0


def test_the_list_runs_a_constant_number_of_queries(as_user, therapist):
    client = as_user(client_in())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(GROUPS).status_code == 200
        return len(queries)

    make_group(therapist)
    few = count()
    for hour in (9, 11, 13, 15):
        make_group(group_therapist(), start_time=dt.time(hour))
    assert count() == few


def test_a_signed_in_client_sees_their_status_and_place_on_the_waitlist(as_user, group):
    for _ in range(2):
        groups.enrol(client=client_in(), group_id=group.pk)
    first, second = client_in(), client_in()
    groups.enrol(client=first, group_id=group.pk)
    groups.enrol(client=second, group_id=group.pk)
    item = as_user(second).get(GROUPS).json()["results"][0]
    assert (item["my_status"], item["my_position"], item["seats_left"]) == ("waitlisted", 2, 0)
    detail = as_user(first).get(f"{GROUPS}{group.pk}/").json()
    assert (detail["my_status"], detail["my_position"]) == ("waitlisted", 1)
    assert len(detail["meetings"]) == 8


# --- enrol / leave ------------------------------------------------------------------------------


def test_enrol_answers_201_with_status_and_position(as_user, group):
    response = as_user(client_in()).post(f"{GROUPS}{group.pk}/enrol/", {}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "enrolled" and data["position"] is None
    assert isinstance(data["id"], int)
    as_user(client_in()).post(f"{GROUPS}{group.pk}/enrol/", {}, format="json")
    waiting = as_user(client_in()).post(f"{GROUPS}{group.pk}/enrol/", {}, format="json")
    assert waiting.status_code == 201
    assert (waiting.json()["status"], waiting.json()["position"]) == ("waitlisted", 1)


def test_a_full_group_without_the_waitlist_is_a_409_with_detail(as_user, group):
    for _ in range(2):
        groups.enrol(client=client_in(), group_id=group.pk)
    response = as_user(client_in()).post(
        f"{GROUPS}{group.pk}/enrol/", {"waitlist": False}, format="json"
    )
    assert response.status_code == 409
    assert "full" in response.json()["detail"]


def test_enrolling_from_a_state_the_group_does_not_serve_is_a_403(as_user, group):
    response = as_user(client_in(state="TX", tz="America/Chicago")).post(
        f"{GROUPS}{group.pk}/enrol/", {}, format="json"
    )
    assert response.status_code == 403
    assert "TX" in response.json()["detail"] or "Texas" in response.json()["detail"]


def test_a_therapist_cannot_enrol(as_user, group):
    response = as_user(group_therapist().user).post(f"{GROUPS}{group.pk}/enrol/", {})
    assert response.status_code == 403


def test_leave_frees_the_seat_for_the_first_in_line(as_user, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    waiting = client_in()
    groups.enrol(client=waiting, group_id=group.pk)
    response = as_user(member).post(f"{GROUPS}{group.pk}/leave/")
    assert response.status_code == 200
    assert response.json()["status"] == "left"
    assert as_user(waiting).get(f"{GROUPS}{group.pk}/").json()["my_status"] == "offered"
    accepted = as_user(waiting).post(f"{GROUPS}{group.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "enrolled"
    assert as_user(member).post(f"{GROUPS}{group.pk}/leave/").status_code == 409


@pytest.mark.parametrize(
    "lapse",
    [{"expires_on": dt.date(2020, 1, 1)}, {"status": "rejected"}],
    ids=["expired", "rejected"],
)
def test_accepting_an_offer_after_the_license_lapsed_is_a_403_and_the_seat_stays_offered(
    as_user, group, lapse
):
    member, waiting = client_in(), client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.enrol(client=client_in(), group_id=group.pk)
    groups.enrol(client=waiting, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    group.therapist.licenses.update(**lapse)
    response = as_user(waiting).post(f"{GROUPS}{group.pk}/accept/")
    assert response.status_code == 403  # as enrol/ answers for the same reason
    assert set(response.json()) == {"detail"}
    assert "NY" in response.json()["detail"]
    assert Enrolment.objects.get(group=group, client=waiting).status == "offered"
    assert as_user(waiting).get(f"{GROUPS}{group.pk}/").json()["my_status"] == "offered"


# --- The roster is private ---------------------------------------------------------------------


def test_the_roster_is_for_the_groups_therapist_and_staff_only(as_user, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    url = f"{GROUPS}{group.pk}/roster/"
    mine = as_user(group.therapist.user).get(url)
    assert mine.status_code == 200
    assert [(r["client"], r["status"]) for r in mine.json()] == [(member.pk, "enrolled")]
    assert as_user(make_records_viewer()).get(url).status_code == 200
    assert as_user(make_verifier()).get(url).status_code == 404  # no client-records permission
    assert as_user(member).get(url).status_code == 404
    assert as_user(client_in()).get(url).status_code == 404
    assert as_user(group_therapist().user).get(url).status_code == 404
    # Nothing else about the members leaks through the public group.
    public = as_user(client_in()).get(f"{GROUPS}{group.pk}/").json()
    assert member.email not in str(public) and member.name not in str(public)


def test_a_cancelled_group_is_a_404_to_strangers(as_user, api, group):
    groups.cancel_group(by=group.therapist.user, group_id=group.pk, reason="Closed")
    assert api.get(f"{GROUPS}{group.pk}/").status_code == 404
    assert as_user(group.therapist.user).get(f"{GROUPS}{group.pk}/").status_code == 200


# --- Group meetings in my sessions and the calendar ---------------------------------------------


def test_group_meetings_appear_in_the_members_sessions_and_calendar(as_user, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    sessions = as_user(member).get("/api/v1/me/sessions/").json()["results"]
    assert len(sessions) == 8
    assert {s["group"] for s in sessions} == {group.pk}
    assert {s["client_name"] for s in sessions} == {None}
    assert {s["group_title"] for s in sessions} == {group.title}

    feed = icalendar.Calendar.from_ical(as_user(member).get("/api/v1/me/calendar.ics").content)
    events = [c for c in feed.walk() if c.name == "VEVENT"]
    assert len(events) == 8
    assert {str(e["summary"]) for e in events} == {
        f"Group session with {group.therapist.display_name}"
    }

    therapist_sessions = as_user(group.therapist.user).get("/api/v1/me/sessions/").json()
    assert therapist_sessions["count"] == 8
    outsider = as_user(client_in()).get("/api/v1/me/sessions/").json()
    assert outsider["count"] == 0


def test_after_leaving_the_meetings_are_gone_from_my_sessions(as_user, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    groups.leave(client=member, group_id=group.pk)
    assert as_user(member).get("/api/v1/me/sessions/").json()["count"] == 0
    assert Enrolment.objects.get(client=member).status == "left"


def test_a_member_cannot_cancel_a_group_meeting_for_everyone(as_user, group):
    member = client_in()
    groups.enrol(client=member, group_id=group.pk)
    meeting = group.meetings.first()
    response = as_user(member).post(f"/api/v1/sessions/{meeting.pk}/cancel/", {})
    assert response.status_code == 409
    by_therapist = as_user(group.therapist.user).post(
        f"/api/v1/sessions/{meeting.pk}/cancel/", {"reason": "Holiday"}
    )
    assert by_therapist.status_code == 200
    assert by_therapist.json()["status"] == "cancelled"
