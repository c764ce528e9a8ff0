"""The first fitting course start the match shows (booking.courses.selectors.
first_free_course_starts): the picker's window, a whole course free, only the starts the
caller accepts, three queries for any number of therapists."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import now

from booking.courses import selectors
from booking.courses.picker import PICKER_DAYS
from tests.booking.helpers import bookable_therapist
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def _evening(start: dt.datetime) -> bool:
    return start.astimezone(NY).hour >= 17


def test_the_first_start_is_the_picker_s_first_free_course():
    therapist = bookable_therapist()
    found = selectors.first_free_course_starts([therapist], weeks=12, days=PICKER_DAYS)
    first = selectors.free_slots(
        therapist, first_day=now().astimezone(NY).date(), days=PICKER_DAYS, weeks=12
    )[0]
    assert found == {therapist.pk: first.start}


def test_only_an_accepted_start_counts_and_none_when_there_is_none():
    days = bookable_therapist()  # weekdays 9 to 5
    evenings = bookable_therapist(hours=[(3, dt.time(17), dt.time(19))])
    no_hours = TherapistFactory()
    verified_license(therapist=no_hours, state="NY")
    found = selectors.first_free_course_starts(
        [days, evenings, no_hours], weeks=12, days=PICKER_DAYS, fits=_evening
    )
    assert found[days.pk] is None
    assert found[no_hours.pk] is None
    start = found[evenings.pk].astimezone(NY)
    assert (start.weekday(), start.hour) == (3, 17)
    assert start - now() >= dt.timedelta(hours=24)  # the notice period


def test_three_queries_whatever_the_number_of_therapists():
    few = [bookable_therapist() for _ in range(2)]
    many = few + [bookable_therapist() for _ in range(8)]
    for therapists in (few, many):
        with CaptureQueriesContext(connection) as queries:
            selectors.first_free_course_starts(
                therapists, weeks=12, days=PICKER_DAYS, fits=_evening
            )
        assert len(queries) == 3
