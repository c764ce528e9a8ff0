"""Issue 16, item 6: the public group pages, as a logged-out visitor or a client sees them,
show each meeting's date and time (US style, in the viewer's zone) and the fee per
meeting, never a meeting's status but "Cancelled"; the e-mails and the therapist's own
pages write times the same way."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.places import timezone_common_name
from booking.groups import services as groups
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import client_in, committed

pytestmark = pytest.mark.django_db

ISO_OR_24H = re.compile(r"\b\d{4}-\d\d-\d\d\b|\b(1[3-9]|2[0-3]):\d\d\b|\b[ECMP][SD]T\b")


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def visible(response) -> str:
    """The page's words, without the attributes (``<time datetime>`` keeps ISO 8601)."""
    assert response.status_code == 200
    return text(response.content.decode())


@pytest.fixture
def group():
    therapist = group_therapist(display_name="Maya Lindqvist")
    return make_group(therapist, title="After a loss", fee=45, start_time=dt.time(18))


def test_a_visitor_sees_dates_times_and_the_fee_never_confirmed(client, group):
    for url in (reverse("booking:groups") + "?state=NY", group.get_absolute_url()):
        page = visible(client.get(url))
        assert "Confirmed" not in page, url
        assert "$45 per meeting" in page, url
        assert "Wed · 6:00–7:30 PM ET · 8 weeks · from " in page, url
        assert "Times are in your time zone, Eastern Time." in page, url
        assert not ISO_OR_24H.search(page), (url, ISO_OR_24H.search(page))
    page = visible(client.get(group.get_absolute_url()))
    first, last = group.meetings.order_by("start")[0], group.meetings.order_by("start")[7]
    first_day = first.start.astimezone(dt.UTC).date()  # 23:00 UTC: the same day in New York
    assert f"{first_day:%a, %b} {first_day.day}" in page
    assert page.count("6:00 PM ET") >= 8
    assert f"{last.start:%b} {last.start.day}" in page  # the last date in "Dates"


def test_a_cancelled_meeting_says_so_and_the_others_say_nothing(client, group):
    meeting = group.meetings.order_by("week")[2]
    groups.cancel_meeting(by=group.therapist.user, session_id=meeting.pk, reason="Holiday")
    page = visible(client.get(group.get_absolute_url()))
    assert page.count("Cancelled") == 1
    assert "Holiday" not in page  # the reason is the members' (e-mailed), not the public's
    assert "Confirmed" not in page


def test_a_client_in_another_zone_sees_its_times_and_the_groups_own(client, group):
    client.force_login(client_in(tz="America/Los_Angeles"))
    page = visible(client.get(group.get_absolute_url()))
    assert "Times are in your time zone, Pacific Time." in page
    assert "Wed · 3:00–4:30 PM PT · 8 weeks" in page
    where = "In Eastern Time, where the therapist is, the group meets at 6:00 PM ET"
    assert where in page
    assert "Confirmed" not in page
    listing = visible(client.get(reverse("booking:groups")))
    assert "Wed · 3:00–4:30 PM PT" in listing and "$45 per meeting" in listing


def test_a_free_group_and_one_without_a_fee_say_so(client):
    therapist = group_therapist()
    free = make_group(therapist, title="Free circle", fee=0)
    ask = make_group(therapist, title="Ask circle", start_time=dt.time(9))
    assert "Free" in visible(client.get(free.get_absolute_url()))
    assert "Ask the therapist" in visible(client.get(ask.get_absolute_url()))


def test_the_group_list_keeps_a_constant_number_of_queries_for_visitors(client):
    therapist = group_therapist()
    make_group(therapist, fee=20)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("booking:groups")).status_code == 200
        return len(queries)

    few = count()
    for hour in (9, 11, 13):
        make_group(group_therapist(), start_time=dt.time(hour), fee=hour)
    assert count() == few


def test_the_therapists_pages_write_us_times_with_the_zones_name(client, group):
    groups.enrol(client=client_in(), group_id=group.pk)
    client.force_login(group.therapist.user)
    for url in (
        reverse("booking:dashboard_groups"),
        reverse("booking:dashboard_group", args=[group.pk]),
        reverse("booking:edit_group", args=[group.pk]),
    ):
        page = visible(client.get(url))
        assert not ISO_OR_24H.search(page), (url, ISO_OR_24H.search(page))
    listing = visible(client.get(reverse("booking:dashboard_groups")))
    assert "Times are in your practice’s zone, Eastern Time." in listing
    assert "Wed · 6:00–7:30 PM ET · 8 weeks" in listing
    assert "$45 per meeting" in listing
    detail = visible(client.get(reverse("booking:dashboard_group", args=[group.pk])))
    assert "6:00 PM ET" in detail and "$45 per meeting" in detail


def test_group_emails_write_us_times_in_the_members_zone(group):
    member = client_in(tz="America/Chicago")
    mail.outbox.clear()
    with committed():
        groups.enrol(client=member, group_id=group.pk)
    body = mail.outbox[-1].body
    assert re.search(r"Next meeting: Wed, [A-Z][a-z]{2} \d{1,2}(, \d{4})? · 5:00 PM CT", body)
    assert not ISO_OR_24H.search(body)
    meeting = group.meetings.order_by("week")[1]
    mail.outbox.clear()
    with committed():
        groups.cancel_meeting(by=group.therapist.user, session_id=meeting.pk, reason="Ill")
    body = mail.outbox[-1].body
    assert "5:00 PM CT" in body and not ISO_OR_24H.search(body)


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        ("America/New_York", "Eastern Time"),
        ("America/Chicago", "Central Time"),
        ("America/Los_Angeles", "Pacific Time"),
        ("America/Indiana/Knox", "Central Time (Starke County, Indiana)"),
        ("US/Eastern", "Eastern Time"),
        ("Europe/London", "London time"),
        ("UTC", "UTC"),
        ("", ""),
    ],
)
def test_a_zone_goes_by_the_name_people_use(zone, name):
    assert timezone_common_name(zone) == name
