"""Every date a person types is held to a window (issue 14, item 6): a clear 400 naming
the field on the API, a field error on the page, never a 500, and nothing changed.

Slots, sessions, group start dates and time off share the window bookings use (two
years either side of today: ``therapy_directory.validators.BOOKING_WINDOW``); a license's
expiry lies within ten years. The filters of the group list and the audit log take any
date without a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from booking import availability
from booking.groups import services as groups
from booking.models import Group, Session, TimeOff
from providers import licensing
from providers.models import License
from tests.booking.group_helpers import WEDNESDAY, group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.factories import make_verifier
from therapy_directory import clock
from therapy_directory.validators import (
    BOOKING_WINDOW,
    validate_within_booking_window,
    within_booking_window,
)

pytestmark = pytest.mark.django_db

YEAR_ONE = "0001-01-01"
LAST_DAY = "9999-12-31"
# Far outside the window, but ordinary dates (no overflow): refused all the same.
TODAY = dt.datetime.now(dt.UTC).date()
THREE_YEARS_AGO = (TODAY - dt.timedelta(days=3 * 365)).isoformat()
THREE_YEARS_ON = (TODAY + dt.timedelta(days=3 * 365)).isoformat()
ELEVEN_YEARS_ON = (TODAY + dt.timedelta(days=11 * 365)).isoformat()
OUT_OF_WINDOW = [YEAR_ONE, "1899-12-31", THREE_YEARS_AGO, THREE_YEARS_ON, "9990-01-01", LAST_DAY]


def api_as(user) -> APIClient:
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


@pytest.fixture
def therapist():
    return group_therapist()


def meeting_starts(group: Group) -> list[dt.datetime]:
    meetings = Session.objects.filter(group=group).order_by("week")
    return list(meetings.values_list("start", flat=True))


# --- The shared window ---------------------------------------------------------------------


def test_the_window_is_two_years_either_side_of_today():
    today = clock.today()
    assert dt.timedelta(days=2 * 365) == BOOKING_WINDOW
    assert within_booking_window(today)
    assert within_booking_window(today + BOOKING_WINDOW)
    assert within_booking_window(today - BOOKING_WINDOW)
    assert not within_booking_window(today + BOOKING_WINDOW + dt.timedelta(days=1))
    assert not within_booking_window(dt.date.min)
    assert not within_booking_window(dt.date.max)


def test_an_instant_outside_the_window_is_refused_whatever_its_offset():
    late = dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-12)))
    early = dt.datetime.min.replace(tzinfo=dt.timezone(dt.timedelta(hours=14)))
    assert not within_booking_window(late)
    assert not within_booking_window(early)


def test_the_validator_says_which_dates_are_allowed():
    with pytest.raises(Exception, match="within two years of today") as caught:
        validate_within_booking_window(dt.date.max)
    assert caught.value.code == "outside_window"


# --- GET therapists/{id}/slots/?from= -------------------------------------------------------


@pytest.mark.parametrize("day", OUT_OF_WINDOW)
def test_slots_from_outside_the_window_is_a_400_naming_from(api_client_anonymous, therapist, day):
    response = api_client_anonymous.get(f"/api/v1/therapists/{therapist.pk}/slots/", {"from": day})
    assert response.status_code == 400, response.content
    assert "from" in response.json()


def test_slots_from_inside_the_window_are_listed(api_client_anonymous, therapist):
    response = api_client_anonymous.get(
        f"/api/v1/therapists/{therapist.pk}/slots/", {"from": clock.today().isoformat()}
    )
    assert response.status_code == 200
    assert response.json()


@pytest.fixture
def api_client_anonymous() -> APIClient:
    return APIClient()


# --- GET me/sessions/?from=&to= -------------------------------------------------------------


@pytest.mark.parametrize("param", ["from", "to"])
@pytest.mark.parametrize("day", OUT_OF_WINDOW)
def test_my_sessions_outside_the_window_is_a_400_naming_the_parameter(param, day):
    response = api_as(client_in()).get("/api/v1/me/sessions/", {param: day})
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_my_sessions_inside_the_window_are_listed(therapist):
    client = client_in()
    book(client, therapist, at(next_weekday(0), 10), weeks=2)
    today = clock.today()
    response = api_as(client).get(
        "/api/v1/me/sessions/",
        {"from": today.isoformat(), "to": (today + BOOKING_WINDOW).isoformat()},
    )
    assert response.status_code == 200
    assert response.json()["count"] == 2


# --- Group start dates: API ---------------------------------------------------------------


def group_body(**changes) -> dict:
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


@pytest.mark.parametrize("day", OUT_OF_WINDOW)
def test_creating_a_group_outside_the_window_is_a_400_naming_start_date(therapist, day):
    response = api_as(therapist.user).post(
        "/api/v1/me/groups/", group_body(start_date=day), format="json"
    )
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()
    assert not Group.objects.exists()
    assert not Session.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize("day", ["9990-01-01", LAST_DAY, THREE_YEARS_ON])
def test_moving_a_group_outside_the_window_is_a_400_and_its_meetings_stay(therapist, method, day):
    group = make_group(therapist)
    groups.enrol(client=client_in(), group_id=group.pk)
    before = meeting_starts(group)
    body = group_body(
        weekdays=[WEDNESDAY], start_time="18:00", weeks=8, start_date=day, title=group.title
    )
    if method == "patch":
        body = {"start_date": day}
    response = getattr(api_as(therapist.user), method)(
        f"/api/v1/me/groups/{group.pk}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert "start_date" in response.json()
    group.refresh_from_db()
    assert group.start_date == next_weekday(WEDNESDAY)
    assert meeting_starts(group) == before


def test_the_group_service_refuses_a_start_outside_the_window(therapist):
    with pytest.raises(Exception) as caught:
        make_group(therapist, start_date=dt.date(9999, 12, 31))
    assert "start_date" in caught.value.message_dict
    assert not Group.objects.exists()


# --- Group start dates: pages -------------------------------------------------------------


def group_post(**changes) -> dict:
    return {
        "title": "Monday process group",
        "description": "Weekly interpersonal process group.",
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


@pytest.mark.parametrize("day", [YEAR_ONE, THREE_YEARS_ON, LAST_DAY])
def test_the_group_page_refuses_a_start_outside_the_window_beside_the_field(client, therapist, day):
    client.force_login(therapist.user)
    response = client.post(reverse("booking:create_group"), group_post(start_date=day))
    assert response.status_code == 400
    assert "within two years of today" in response.content.decode()
    assert "id_start_date_error" in response.content.decode()
    assert not Group.objects.exists()


@pytest.mark.parametrize("day", ["9990-01-01", LAST_DAY])
def test_the_group_edit_page_refuses_a_move_outside_the_window(client, therapist, day):
    group = make_group(therapist)
    groups.enrol(client=client_in(), group_id=group.pk)
    before = meeting_starts(group)
    client.force_login(therapist.user)
    data = group_post(weekdays=str(WEDNESDAY), start_time="18:00", weeks="8", start_date=day)
    response = client.post(reverse("booking:edit_group", args=[group.pk]), data)
    assert response.status_code == 400
    assert "within two years of today" in response.content.decode()
    group.refresh_from_db()
    assert group.start_date == next_weekday(WEDNESDAY)
    assert meeting_starts(group) == before


# --- Time off ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (YEAR_ONE, "0001-01-02", "start_date"),
        (THREE_YEARS_AGO, THREE_YEARS_AGO, "start_date"),
        ("9999-12-30", LAST_DAY, "start_date"),
        (clock.today().isoformat(), THREE_YEARS_ON, "end_date"),
    ],
)
def test_time_off_outside_the_window_is_a_400_naming_the_field(therapist, start, end, field):
    response = api_as(therapist.user).post(
        "/api/v1/me/time-off/", {"start_date": start, "end_date": end}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(("start", "end"), [(YEAR_ONE, YEAR_ONE), ("9999-12-30", LAST_DAY)])
def test_the_time_off_page_refuses_dates_outside_the_window(client, therapist, start, end):
    client.force_login(therapist.user)
    response = client.post(reverse("booking:add_time_off"), {"start_date": start, "end_date": end})
    assert response.status_code == 400
    assert "within two years of today" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_the_time_off_service_refuses_dates_outside_the_window(therapist):
    with pytest.raises(Exception) as caught:
        availability.add_time_off(
            therapist=therapist, start_date=dt.date(1, 1, 1), end_date=dt.date(1, 1, 2)
        )
    assert "start_date" in caught.value.message_dict
    assert not TimeOff.objects.exists()


def test_time_off_inside_the_window_is_saved(therapist):
    day = clock.today() + dt.timedelta(days=30)
    response = api_as(therapist.user).post(
        "/api/v1/me/time-off/",
        {"start_date": day.isoformat(), "end_date": day.isoformat()},
        format="json",
    )
    assert response.status_code == 201
    assert TimeOff.objects.count() == 1


# --- License expiry -----------------------------------------------------------------------


@pytest.mark.parametrize("day", [ELEVEN_YEARS_ON, LAST_DAY])
def test_a_license_expiring_more_than_ten_years_ahead_is_a_400_naming_expires_on(therapist, day):
    response = api_as(therapist.user).post(
        "/api/v1/me/licenses/",
        {"state": "CA", "license_type": "LCSW", "number": "A123", "expires_on": day},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "expires_on" in response.json()
    assert not License.objects.filter(state="CA").exists()


def test_the_license_page_refuses_an_expiry_more_than_ten_years_ahead(client, therapist):
    client.force_login(therapist.user)
    response = client.post(
        reverse("providers:dashboard_licenses"),
        {"state": "CA", "license_type": "LCSW", "number": "A123", "expires_on": LAST_DAY},
    )
    assert "within ten years" in response.content.decode()
    assert not License.objects.filter(state="CA").exists()


def test_the_license_service_refuses_an_expiry_more_than_ten_years_ahead(therapist):
    with pytest.raises(Exception) as caught:
        licensing.submit_license(
            therapist=therapist,
            state="CA",
            license_type="LCSW",
            number="A123",
            expires_on=clock.today() + dt.timedelta(days=11 * 365),
        )
    assert "expires_on" in caught.value.message_dict


def test_a_license_expiring_in_three_years_is_accepted(therapist):
    expires_on = clock.today() + dt.timedelta(days=3 * 365)
    response = api_as(therapist.user).post(
        "/api/v1/me/licenses/",
        {"state": "CA", "license_type": "LCSW", "number": "A123", "expires_on": str(expires_on)},
        format="json",
    )
    assert response.status_code == 201, response.content


# --- Date filters take any date without a 500 ---------------------------------------------


@pytest.mark.parametrize("day", [YEAR_ONE, LAST_DAY])
def test_the_group_list_takes_extreme_dates_without_a_500(client, therapist, day):
    make_group(therapist)
    assert APIClient().get("/api/v1/groups/", {"starts_after": day}).status_code == 200
    assert client.get(reverse("booking:groups"), {"starts_after": day}).status_code == 200


@pytest.mark.parametrize("day", [YEAR_ONE, LAST_DAY])
def test_the_audit_log_takes_extreme_dates_without_a_500(client, day):
    client.force_login(make_verifier(is_superuser=True))
    for param in ("since", "until"):
        assert client.get(reverse("audit:audit_log"), {param: day}).status_code == 200


@pytest.mark.parametrize("day", [YEAR_ONE, LAST_DAY])
def test_the_course_picker_and_week_calendar_take_extreme_dates(client, therapist, day):
    client.force_login(client_in())
    response = client.get(reverse("booking:book", args=[therapist.slug]), {"from": day})
    assert response.status_code < 500
    client.force_login(therapist.user)
    assert client.get(reverse("booking:calendar"), {"week": day}).status_code == 200
