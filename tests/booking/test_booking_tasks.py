import datetime as dt

import pytest
from django.utils.timezone import now

from booking.models import Booking
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.workers import celery_worker, wait_until


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_unconfirmed_requests_and_frees_their_times():
    therapist = bookable_therapist()
    start = at(next_weekday(1), 10)
    stale = book(client_in(), therapist, start, weeks=3)
    fresh = book(client_in(), therapist, at(next_weekday(1), 12), weeks=3)
    Booking.objects.filter(pk=stale.pk).update(hold_until=now() - dt.timedelta(minutes=1))
    with celery_worker() as worker:
        worker.send("booking.tasks.expire_pending_bookings")
        assert wait_until(lambda: Booking.objects.get(pk=stale.pk).status == "expired")
    assert set(stale.sessions.values_list("status", flat=True)) == {"expired"}
    assert Booking.objects.get(pk=fresh.pk).status == "pending"
    assert book(client_in(), therapist, start, weeks=3).sessions.count() == 3
