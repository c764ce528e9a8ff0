import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from booking import availability, openings
from booking.courses import services
from booking.exceptions import NotAcceptingClients, NotLicensedInState, SlotConflict
from booking.models import Booking, Session
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db


def test_a_course_books_every_week_at_the_same_local_time():
    therapist = bookable_therapist()
    start = at(next_weekday(1), 10)
    booking = book(client_in(), therapist, start, weeks=12)
    sessions = list(booking.sessions.order_by("start"))
    assert len(sessions) == 12
    assert {s.start.astimezone(NY).time() for s in sessions} == {dt.time(10)}
    assert {s.start.astimezone(NY).weekday() for s in sessions} == {1}
    assert [s.week for s in sessions] == list(range(1, 13))
    assert all(s.end - s.start == dt.timedelta(minutes=50) for s in sessions)
    assert booking.status == "pending"
    assert {s.status for s in sessions} == {"pending"}


@time_machine.travel(dt.datetime(2026, 12, 28, 12, tzinfo=dt.UTC), tick=False)
def test_course_spanning_dst_keeps_local_time():
    therapist = bookable_therapist()
    start = dt.datetime(2027, 1, 5, 10, tzinfo=NY)  # a Tuesday
    booking = book(client_in(), therapist, start, weeks=16)
    sessions = list(booking.sessions.order_by("start"))
    assert sessions[-1].start.astimezone(NY).date() == dt.date(2027, 4, 20)
    assert {s.start.astimezone(NY).hour for s in sessions} == {10}
    utc_hours = [s.start.astimezone(dt.UTC).hour for s in sessions]
    assert utc_hours[0] == 15  # EST, before 14 March 2027
    assert utc_hours[-1] == 14  # EDT, after
    la = ZoneInfo("America/Los_Angeles")
    assert {s.start.astimezone(la).hour for s in sessions} == {7}


def test_a_taken_week_fails_the_whole_course_and_names_the_dates():
    therapist = bookable_therapist()
    start = at(next_weekday(2), 11)
    first = book(client_in(), therapist, start + dt.timedelta(weeks=3), weeks=2)
    with pytest.raises(SlotConflict) as exc:
        book(client_in(), therapist, start, weeks=8)
    assert exc.value.extra["conflicts"] == [
        s.start.isoformat() for s in first.sessions.order_by("start")
    ]
    assert Booking.objects.count() == 1
    assert Session.objects.count() == 2


def test_a_session_outside_the_weekly_hours_or_off_grid_is_refused():
    therapist = bookable_therapist()
    day = next_weekday(0)
    for start in (at(day, 8), at(day, 16, 30), at(day + dt.timedelta(days=5), 10), at(day, 10, 15)):
        with pytest.raises(SlotConflict):
            book(client_in(), therapist, start, weeks=1)
    assert not Booking.objects.exists()


def test_a_week_of_time_off_is_skipped_and_the_course_runs_a_week_longer():
    therapist = bookable_therapist()
    start = at(next_weekday(3), 9)
    away = (start + dt.timedelta(weeks=2)).date()
    availability.add_time_off(therapist=therapist, start_date=away, end_date=away)
    booking = book(client_in(), therapist, start, weeks=4)
    booking.refresh_from_db()
    assert booking.skipped == [away]
    starts = list(booking.sessions.order_by("start").values_list("start", flat=True))
    assert starts == [start + dt.timedelta(weeks=k) for k in (0, 1, 3, 4)]
    assert list(booking.sessions.order_by("start").values_list("week", flat=True)) == [1, 2, 3, 4]


def test_more_weeks_off_than_a_course_may_skip_is_a_conflict_naming_the_week():
    therapist = bookable_therapist()
    start = at(next_weekday(3), 9)
    first_off = (start + dt.timedelta(weeks=1)).date()
    availability.add_time_off(
        therapist=therapist, start_date=first_off, end_date=first_off + dt.timedelta(weeks=4)
    )
    with pytest.raises(SlotConflict) as exc:
        book(client_in(), therapist, start, weeks=3)
    assert exc.value.extra["conflicts"] == [
        (start + dt.timedelta(weeks=5)).astimezone(dt.UTC).isoformat()
    ]
    assert exc.value.extra["reasons"] == ["the therapist is away"]
    assert not Booking.objects.exists()


def test_a_course_cannot_start_on_a_day_off():
    therapist = bookable_therapist()
    start = at(next_weekday(3), 9)
    availability.add_time_off(therapist=therapist, start_date=start.date(), end_date=start.date())
    with pytest.raises(SlotConflict) as exc:
        book(client_in(), therapist, start, weeks=2)
    assert exc.value.extra["conflicts"] == [start.astimezone(dt.UTC).isoformat()]


def test_starts_inside_the_notice_period_are_refused():
    therapist = bookable_therapist()  # 24 hours' notice
    monday = next_weekday(0)
    with time_machine.travel(at(monday, 9), tick=False):
        with pytest.raises(SlotConflict) as exc:
            book(client_in(), therapist, at(monday, 15), weeks=1)
        assert exc.value.extra["reasons"] == [
            "too soon to book (inside the therapist's notice period)"
        ]
        assert book(client_in(), therapist, at(monday + dt.timedelta(days=1), 9), weeks=1)


def test_a_client_in_a_state_without_a_verified_license_gets_a_clear_refusal():
    therapist = bookable_therapist(state="NY")
    with pytest.raises(NotLicensedInState, match="NJ"):
        book(client_in(state="NJ"), therapist, at(next_weekday(1), 10))
    assert not Booking.objects.exists()


def test_a_therapist_not_accepting_new_clients_refuses_new_ones():
    therapist = bookable_therapist(accepting_new_clients=False)
    with pytest.raises(NotAcceptingClients):
        book(client_in(), therapist, at(next_weekday(1), 10))


def test_a_returning_client_may_book_even_when_the_therapist_is_full():
    therapist = bookable_therapist()
    client = client_in()
    booking = book(client, therapist, at(next_weekday(1), 10), weeks=1)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    therapist.accepting_new_clients = False
    therapist.save()
    assert book(client, therapist, at(next_weekday(1), 12), weeks=2).weeks == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"modality": "cbt"}, "modality"),
        ({"format": "in_person"}, "format"),
        ({"weeks": 17}, "weeks"),
    ],
)
def test_a_course_the_therapist_does_not_offer_is_a_validation_error(kwargs, field):
    therapist = bookable_therapist()
    weeks = kwargs.pop("weeks", 12)
    with pytest.raises(ValidationError) as exc:
        book(client_in(), therapist, at(next_weekday(1), 10), weeks=weeks, **kwargs)
    assert field in exc.value.message_dict


def test_a_request_is_held_as_long_as_the_setting_says(settings):
    settings.BOOKING_PENDING_HOLD_HOURS = 5
    booking = book(client_in(), bookable_therapist(), at(next_weekday(1), 10), weeks=1)
    assert booking.status == "pending"
    assert booking.hold_until - booking.created_at == dt.timedelta(hours=5)


def test_auto_confirm_confirms_at_once():
    therapist = bookable_therapist(auto_confirm=True)
    booking = book(client_in(), therapist, at(next_weekday(1), 10), weeks=3)
    assert booking.status == "confirmed"
    assert set(booking.sessions.values_list("status", flat=True)) == {"confirmed"}


def test_the_database_refuses_overlapping_active_sessions_even_without_the_service():
    from django.db import IntegrityError, transaction

    therapist = bookable_therapist()
    booking = book(client_in(), therapist, at(next_weekday(1), 10), weeks=1)
    session = booking.sessions.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        shift = dt.timedelta(minutes=20)
        Session.objects.create(
            booking=booking, therapist=therapist, client=booking.client, week=2,
            start=session.start + shift, end=session.end + shift,
        )  # fmt: skip


def test_booking_updates_the_therapists_next_opening(django_capture_on_commit_callbacks):
    therapist = bookable_therapist()
    opening = therapist.next_opening
    assert opening is not None
    with django_capture_on_commit_callbacks(execute=True):
        book(client_in(), therapist, opening, weeks=1)
    therapist.refresh_from_db()
    assert therapist.next_opening > opening
    assert therapist.next_opening == openings.next_opening(therapist)


def test_a_course_whose_week_9_collides_leaves_no_session_behind():
    therapist = bookable_therapist()
    start = at(next_weekday(4), 13)
    blocker = book(client_in(), therapist, start + dt.timedelta(weeks=8), weeks=1)
    client = client_in()
    with pytest.raises(SlotConflict) as exc:
        book(client, therapist, start, weeks=12)
    assert exc.value.extra["conflicts"] == [blocker.sessions.get().start.isoformat()]
    assert not Session.objects.filter(client=client).exists()
    assert not Booking.objects.filter(client=client).exists()


@pytest.mark.parametrize("status", ["pending", "rejected", "expired"])
def test_a_license_that_is_not_verified_in_the_clients_state_refuses_the_booking(status):
    from tests.factories import LicenseFactory

    therapist = bookable_therapist(state="NY")
    LicenseFactory(therapist=therapist, state="NJ", status=status)
    with pytest.raises(NotLicensedInState):
        book(client_in(state="NJ"), therapist, at(next_weekday(1), 10))
    assert not Booking.objects.exists()


def test_a_cancelled_time_can_be_booked_again():
    therapist = bookable_therapist()
    start = at(next_weekday(1), 15)
    first = book(client_in(), therapist, start, weeks=2)
    services.cancel_booking(booking_id=first.pk, by=first.client)
    again = book(client_in(), therapist, start, weeks=2)
    assert again.sessions.count() == 2
