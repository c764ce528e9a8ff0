"""The staff audit log and a client's "who looked at my record"."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit import services as audit
from audit.models import AuditEvent
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.factories import LicenseFactory, make_records_viewer, make_verifier

pytestmark = pytest.mark.django_db

STAFF_LOG = reverse("audit:audit_log")
RECORD_ACCESS = reverse("audit:record_access")


@pytest.fixture
def staff():
    return make_records_viewer(name="Sam Staffer")


@pytest.fixture
def course():
    return book(client_in(), bookable_therapist(), at(next_weekday(1), 10), weeks=2)


def staff_reads(client, staff, booking):
    client.force_login(staff)
    assert client.get(reverse("booking:booking_detail", args=[booking.pk])).status_code == 200
    client.logout()


# --- Staff log ------------------------------------------------------------------------------


def test_the_staff_log_is_for_staff_only(client, course):
    assert client.get(STAFF_LOG).status_code == 302  # to the log-in page
    for person in (course.client, course.therapist.user):
        client.force_login(person)
        assert client.get(STAFF_LOG).status_code == 404


def test_the_staff_log_lists_events_and_filters_them(client, staff, course):
    staff_reads(client, staff, course)
    client.force_login(staff)
    page = client.get(STAFF_LOG)
    assert page.status_code == 200
    assert "Course booked" in page.text and "Staff viewed client data" in page.text
    only_views = client.get(STAFF_LOG, {"action": "client_data_viewed"})
    assert [e.action for e in only_views.context["page"]] == ["client_data_viewed"]
    by_actor = client.get(STAFF_LOG, {"actor": staff.email})
    assert {e.actor_id for e in by_actor.context["page"]} == {staff.pk}
    by_subject = client.get(STAFF_LOG, {"subject": str(course.client_id)})
    assert len(by_subject.context["page"]) == 2
    assert len(client.get(STAFF_LOG, {"since": "2999-01-01"}).context["page"]) == 0


def test_the_date_filter_uses_the_viewers_day(client, staff, course):
    staff.timezone = "America/Los_Angeles"
    staff.save()
    # 2026-03-02 03:00 UTC is still 1 March in Los Angeles.
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC), tick=False):
        audit.record(action="booking_confirmed", actor=staff, target=course, subject_id=None)
    client.force_login(staff)
    march_first = client.get(STAFF_LOG, {"since": "2026-03-01", "until": "2026-03-01"})
    assert len(march_first.context["page"]) == 1
    assert "Sun, Mar 1" in march_first.text and "7:00 PM PT" in march_first.text


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "9" * 30},
        {"subject": "1" * 19},
        {"since": "0001-01-01", "until": "9999-12-31"},
        {"since": "9999-12-31"},
        {"until": "0001-01-01"},
        {"page": "99999999999999999999"},
    ],
)
def test_extreme_filters_answer_without_an_error(client, staff, course, params):
    client.force_login(staff)
    assert client.get(STAFF_LOG, params).status_code == 200


def test_bad_filters_are_a_clear_400_not_a_500(client, staff):
    client.force_login(staff)
    response = client.get(STAFF_LOG, {"since": "not-a-date", "action": "nonsense"})
    assert response.status_code == 400
    assert "Some filters could not be used" in response.text


def test_the_staff_log_runs_a_constant_number_of_queries(client, staff, course):
    client.force_login(staff)
    client.get(STAFF_LOG)  # warm the session and the permission caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(STAFF_LOG).status_code == 200
        return len(queries)

    few = count()
    for _ in range(20):
        audit.record(
            action="booking_confirmed", actor=staff, target=course, subject_id=course.client_id
        )
    assert count() == few


# --- Who looked at my record ----------------------------------------------------------------


def test_a_client_sees_who_on_staff_looked_at_their_booking(client, staff, course):
    staff_reads(client, staff, course)
    client.force_login(course.client)
    page = client.get(RECORD_ACCESS)
    assert page.status_code == 200
    assert "Sam Staffer" in page.text and "A course you booked" in page.text
    assert "(Staff)" in page.text


def test_a_client_sees_only_their_own_record_access(client, staff, course):
    staff_reads(client, staff, course)
    client.force_login(client_in())
    page = client.get(RECORD_ACCESS)
    assert page.context["page"].paginator.count == 0
    assert "Sam Staffer" not in page.text


def test_looking_at_ones_own_data_is_not_listed(client, course):
    client.force_login(course.client)
    client.get(reverse("booking:booking_detail", args=[course.pk]))
    assert client.get(RECORD_ACCESS).context["page"].paginator.count == 0
    assert not AuditEvent.objects.filter(action="client_data_viewed").exists()


def test_record_access_is_shown_in_the_viewers_time_zone(client, staff, course):
    with time_machine.travel(dt.datetime(2026, 7, 1, 16, tzinfo=dt.UTC), tick=False):
        staff_reads(client, staff, course)
    course.client.timezone = "America/Chicago"
    course.client.save()
    client.force_login(course.client)
    page = client.get(RECORD_ACCESS).text
    assert "Wed, Jul 1" in page and "11:00 AM CT" in page


def test_the_account_page_links_to_record_access(client, course):
    client.force_login(course.client)
    assert RECORD_ACCESS in client.get(reverse("accounts:account")).text


def test_record_access_runs_a_constant_number_of_queries(client, staff, course):
    client.force_login(course.client)
    client.get(RECORD_ACCESS)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(RECORD_ACCESS).status_code == 200
        return len(queries)

    staff_reads(client, staff, course)
    client.force_login(course.client)
    few = count()
    for _ in range(10):
        staff_reads(client, make_records_viewer(), course)
    client.force_login(course.client)
    assert count() == few


def test_the_api_lists_the_callers_record_access(staff, course, client):
    staff_reads(client, staff, course)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=course.client).key}")
    body = api.get("/api/v1/me/record-access/").json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["who"], row["role"], row["target_type"]) == ("Sam Staffer", "staff", "booking")
    assert APIClient().get("/api/v1/me/record-access/").status_code in (401, 403)


def test_only_staff_see_the_audit_log_in_the_navigation(client, staff, course):
    client.force_login(staff)
    assert STAFF_LOG in client.get(reverse("accounts:account")).text
    client.force_login(course.client)
    assert STAFF_LOG not in client.get(reverse("accounts:account")).text


def test_the_staff_log_shows_the_shared_staff_navigation(client, staff):
    verifier = make_verifier()
    client.force_login(verifier)
    nav = client.get(STAFF_LOG).text
    queue = client.get(reverse("providers:staff_licenses")).text

    def links(page: str) -> list[str]:
        block = page[page.index('<nav class="subnav" aria-label="Staff">') :]
        return re.findall(r'<a href="([^"]+)"', block[: block.index("</nav>")])

    assert links(nav) == links(queue)  # one nav for every staff page
    assert reverse("providers:staff_licenses_expiring") in links(nav)
    assert f'<a href="{STAFF_LOG}" aria-current="page">Audit log</a>' in nav
    # Staff without the verify permission are not offered pages that would be a 404.
    client.force_login(staff)
    page = client.get(STAFF_LOG).text
    assert links(page) == [reverse("notifications:reminder_health"), STAFF_LOG]


def test_the_staff_log_pages_keep_the_filters_and_leave_blank_ones_out(client, staff):
    license = LicenseFactory()
    audit.record_many(
        action="license_verified",
        actor=staff,
        target_type="license",
        rows=[(license.pk, None, None)] * 60,
    )
    client.force_login(staff)
    page = client.get(STAFF_LOG, {"actor": "", "action": "license_verified", "since": ""})
    assert 'href="?action=license_verified&amp;page=2" rel="next"' in page.text
    assert "Clear all filters" in page.text
    assert "Clear all filters" not in client.get(STAFF_LOG, {"actor": "", "action": ""}).text
