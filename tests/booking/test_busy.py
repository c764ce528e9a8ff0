"""A change that meets a lock another change holds too long: it gives up after
LOCK_TIMEOUT_MS, writes nothing, and says "busy, try again" (API 503 with its detail
and Retry-After, pages 503 with the message), never a 500 or a hung worker. The lock
is held from another real connection."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils.timezone import localdate, now
from rest_framework.test import APIClient

from booking import availability
from booking.courses import services as courses
from booking.models import AvailabilityRule, Booking, Enrolment, Group
from providers.models import Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday, row_locked
from therapy_directory.transactions import Busy

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = "Someone else is changing this right now. Please try again in a moment."


@pytest.fixture(autouse=True)
def _short_lock_timeout(settings):
    settings.LOCK_TIMEOUT_MS = 200


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _course_body(therapist, start: dt.datetime) -> dict:
    return {
        "therapist": therapist.pk,
        "start": start.isoformat(),
        "weeks": 12,
        "modality": "ipt",
        "format": "telehealth",
    }


def test_booking_while_the_therapist_is_locked_raises_busy_soon_and_writes_nothing():
    therapist, client = bookable_therapist(), client_in()
    with row_locked(Therapist, therapist.pk):
        started = time.monotonic()
        with pytest.raises(Busy):
            book(client, therapist, at(next_weekday(1), 10))
        waited = time.monotonic() - started
    assert waited < 10  # it returned while the lock was still held (the holder waits 30 s)
    assert not Booking.objects.exists()


def test_the_api_answers_a_busy_booking_503_with_its_detail_and_retry_after():
    therapist, client = bookable_therapist(), client_in()
    with row_locked(Therapist, therapist.pk):
        response = _api(client).post(
            "/api/v1/bookings/", _course_body(therapist, at(next_weekday(1), 10)), format="json"
        )
    assert response.status_code == 503
    assert response.json() == {"detail": BUSY}
    assert response["Retry-After"] == "1"
    assert not Booking.objects.exists()


def test_the_booking_page_says_busy_beside_the_picker_and_books_nothing(client):
    therapist = bookable_therapist()
    client.force_login(client_in())
    start = at(next_weekday(1), 10)
    url = reverse("booking:book", kwargs={"slug": therapist.slug})
    data = {
        "start": start.astimezone(dt.UTC).isoformat(),
        "weeks": "12",
        "from": localdate().isoformat(),
        "modality": "ipt",
        "format": "telehealth",
    }
    with row_locked(Therapist, therapist.pk):
        response = client.post(url, data)
    assert response.status_code == 503
    assert BUSY in response.content.decode()
    assert data["start"] in response.content.decode()  # the chosen time is still picked
    assert not Booking.objects.exists()


def test_the_hours_page_says_busy_and_keeps_the_hours_as_they_were(client):
    therapist = bookable_therapist()  # weekdays 9–17
    client.force_login(therapist.user)
    data = {
        "hours-TOTAL_FORMS": "1",
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
        "hours-0-weekday": "5",
        "hours-0-start": "10:00",
        "hours-0-end": "12:00",
    }
    with row_locked(Therapist, therapist.pk):
        response = client.post(reverse("booking:hours"), data)
    assert response.status_code == 503
    assert BUSY in response.content.decode()
    assert sorted(AvailabilityRule.objects.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]


def test_the_api_answers_a_busy_enrolment_503_and_enrols_no_one():
    group = make_group(group_therapist())
    with row_locked(Group, group.pk):
        response = _api(client_in()).post(f"/api/v1/groups/{group.pk}/enrol/", {}, format="json")
    assert response.status_code == 503
    assert response.json() == {"detail": BUSY}
    assert not Enrolment.objects.exists()


def test_any_page_that_meets_busy_answers_503_with_the_message_not_a_500(client):
    group = make_group(group_therapist())
    client.force_login(client_in())
    with row_locked(Group, group.pk):
        response = client.post(reverse("booking:group_enrol", kwargs={"pk": group.pk}))
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert BUSY in response.content.decode()
    assert not Enrolment.objects.exists()


def test_the_expiry_sweep_leaves_a_request_whose_therapist_is_locked_for_its_next_run():
    therapist = bookable_therapist()
    booking = book(client_in(), therapist, at(next_weekday(1), 10), weeks=1)
    later = now() + dt.timedelta(days=3)
    with row_locked(Therapist, therapist.pk):
        assert courses.expire_pending_bookings(at=later) == 0
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert courses.expire_pending_bookings(at=later) == 1


def test_a_service_called_inside_an_open_transaction_is_refused():
    therapist = bookable_therapist()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        availability.add_time_off(therapist=therapist, start_date=localdate(), end_date=localdate())
