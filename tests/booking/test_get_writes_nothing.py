"""No GET writes (issue #13, item 5): showing any booking page or reading any booking
endpoint changes no row, for the client and for the therapist. Staff reads are left
out on purpose: each one writes its audit row (PRODUCT rule 11), by design."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, reverse

from booking import availability
from booking.api_urls import urlpatterns as api_patterns
from booking.groups import services as groups
from booking.models import CalendarFeed
from booking.urls import urlpatterns as page_patterns
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "MERGE")


@pytest.fixture
def world():
    therapist = group_therapist()
    client = client_in()
    booking = book(client, therapist, at(next_weekday(0), 10), weeks=3)
    group = make_group(therapist)
    enrolment = groups.enrol(client=client, group_id=group.pk)
    day = next_weekday(4, weeks_ahead=6)
    time_off = availability.add_time_off(therapist=therapist, start_date=day, end_date=day)
    feed = CalendarFeed.objects.create(user=client)
    meeting = group.meetings.order_by("start").first()
    session = booking.sessions.order_by("start").first()
    return {
        "client": client,
        "therapist": therapist.user,
        "pages": {
            "book": {"slug": therapist.slug},
            "my_sessions": {},
            "cancel_session": {"pk": session.pk},
            "booking_detail": {"pk": booking.pk},
            "booking_ics": {"pk": booking.pk},
            "cancel_booking": {"pk": booking.pk},
            "move_booking": {"pk": booking.pk},
            "my_calendar": {},
            "my_calendar_ics": {},
            "rotate_calendar": {},
            "calendar_feed": {"token": feed.token},
            "dashboard_home": {},
            "requests": {},
            "confirm_request": {"pk": booking.pk},
            "decline_request": {"pk": booking.pk},
            "calendar": {},
            "mark_session": {"pk": session.pk},
            "hours": {},
            "add_time_off": {},
            "remove_time_off": {"pk": time_off.pk},
            "keep_in_time_off": {"pk": session.pk},
            "cancel_in_time_off": {"pk": session.pk},
            "defer_in_time_off": {"pk": session.pk},
            "groups": {},
            "group_detail": {"pk": group.pk},
            "group_enrol": {"pk": group.pk},
            "group_leave": {"pk": group.pk},
            "group_accept": {"pk": group.pk},
            "group_decline": {"pk": group.pk},
            "dashboard_groups": {},
            "create_group": {},
            "dashboard_group": {"pk": group.pk},
            "edit_group": {"pk": group.pk},
            "cancel_group": {"pk": group.pk},
            "group_attendance": {"pk": group.pk, "session_pk": meeting.pk},
            "cancel_meeting": {"pk": group.pk, "session_pk": meeting.pk},
            "remove_member": {"pk": group.pk, "enrolment_pk": enrolment.pk},
        },
        "api": {
            "therapist-slots": {"pk": therapist.pk},
            "session-cancel": {"pk": session.pk},
            "session-defer": {"pk": session.pk},
            "my-availability": {},
            "my-time-off": {},
            "my-time-off-item": {"pk": time_off.pk},
            "my-sessions": {},
            "my-calendar": {},
            "my-groups": {},
            "my-group": {"pk": group.pk},
            "groups": {},
            "group": {"pk": group.pk},
            "group-roster": {"pk": group.pk},
            "group-attendance": {"pk": group.pk},
            "group-meeting-attendance": {"pk": group.pk, "session_id": meeting.pk},
            "group-enrol": {"pk": group.pk},
            "group-leave": {"pk": group.pk},
            "group-accept": {"pk": group.pk},
            "group-decline": {"pk": group.pk},
            "booking-list": {},
            "booking-detail": {"pk": booking.pk},
            "booking-cancel": {"pk": booking.pk},
            "booking-confirm": {"pk": booking.pk},
            "booking-decline": {"pk": booking.pk},
            "booking-move": {"pk": booking.pk},
        },
    }


def _names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def _writes(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    written = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(WRITES)
        # The log-in session itself: a therapist's idle time-out is restarted by every
        # request (accounts.middleware), which is not data the page changes.
        and '"django_session"' not in q["sql"]
    ]
    return response.status_code, written


def test_every_booking_page_and_endpoint_is_listed_here(world):
    assert set(world["pages"]) == _names(page_patterns)
    assert set(world["api"]) == _names(api_patterns)


@pytest.mark.parametrize("role", ["client", "therapist"])
def test_a_get_of_any_booking_page_writes_nothing(client, world, role):
    client.force_login(world[role])
    feeds = CalendarFeed.objects.count()
    for name, kwargs in world["pages"].items():
        status, written = _writes(client, reverse(f"booking:{name}", kwargs=kwargs))
        assert status < 500, name
        assert written == [], f"GET {name} as the {role} wrote: {written}"
    assert CalendarFeed.objects.count() == feeds


@pytest.mark.parametrize("role", ["client", "therapist"])
def test_a_get_of_any_booking_endpoint_writes_nothing(client, world, role):
    client.force_login(world[role])
    for name, kwargs in world["api"].items():
        status, written = _writes(client, reverse(f"api-v1:{name}", kwargs=kwargs))
        assert status < 500, name
        assert written == [], f"GET {name} as the {role} wrote: {written}"


# The front door and the guided match (issue 17) read the booking data (the slot finder
# over hours, time off and sessions) and must not write either.
MATCH_ANSWERS = "?state=NY&concern=grief&times=wed-evening,mon-morning&group=true"


@pytest.mark.parametrize("role", ["client", "therapist", None])
def test_the_front_door_and_the_match_write_nothing(client, world, role):
    if role:
        client.force_login(world[role])
    for url in (
        reverse("matching:front_door"),
        reverse("matching:match"),
        reverse("matching:match") + MATCH_ANSWERS,
        reverse("api-v1:match") + MATCH_ANSWERS,
    ):
        status, written = _writes(client, url)
        assert status == 200, url
        assert written == [], f"GET {url} as {role or 'a visitor'} wrote: {written}"
