"""The booking pages: the course picker, a client's sessions and bookings, the private
calendar feed and the therapist's requests, week calendar, hours and time off."""

import datetime as dt
import re
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import localdate

from booking import calendar
from booking.courses import services
from booking.models import AvailabilityRule, Booking, CalendarFeed, Session, TimeOff
from tests.booking.helpers import at, book, bookable_therapist, client_in
from tests.factories import make_records_viewer

pytestmark = pytest.mark.django_db

# A Monday in winter: every course below runs on Eastern Standard Time.
MONDAY = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
TUESDAY_DEC_1 = dt.date(2026, 12, 1)
frozen = time_machine.travel(MONDAY, tick=False)


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",")


def book_url(therapist, **params) -> str:
    url = reverse("booking:book", kwargs={"slug": therapist.slug})
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def course_post(start: dt.datetime, *, weeks=12, **overrides) -> dict:
    data = {
        "start": start.astimezone(dt.UTC).isoformat(),
        "weeks": str(weeks),
        "from": MONDAY.date().isoformat(),
        "modality": "ipt",
        "format": "telehealth",
    }
    data.update(overrides)
    return data


def hours_post(rows, *, initial=0) -> dict:
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": str(initial),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (weekday, start, end) in enumerate(rows):
        data[f"hours-{i}-weekday"] = str(weekday)
        data[f"hours-{i}-start"] = start
        data[f"hours-{i}-end"] = end
    return data


# --- The course picker -------------------------------------------------------------------


@frozen
def test_the_picker_offers_only_weekly_times_free_for_every_week_of_the_course(client):
    therapist = bookable_therapist(hours=[(1, dt.time(10), dt.time(11))])  # Tuesdays 10–11
    book(client_in(), therapist, at(TUESDAY_DEC_1, 10), weeks=1)
    client.force_login(client_in())

    html = client.get(book_url(therapist, weeks=12, time="tue-1000")).content.decode()

    # Courses starting 17 Nov, 24 Nov or 1 Dec would all meet the taken 1 December.
    assert '<input type="hidden" name="start" value="2026-12-08T15:00:00+00:00">' in html
    for taken in ("2026-11-17", "2026-11-24", "2026-12-01"):
        assert f"{taken}T15" not in html


@frozen
def test_the_picker_shows_a_new_york_slot_in_the_clients_los_angeles_time_with_its_label(client):
    therapist = bookable_therapist(hours=[(1, dt.time(10), dt.time(11))])
    client.force_login(client_in(tz="America/Los_Angeles"))

    html = text(client.get(book_url(therapist, weeks=12, time="tue-0700")).content.decode())

    assert "Tuesdays at 7:00 AM PT" in html  # the grid's cell and the chosen time
    assert "12 sessions · Tuesdays 7:00 AM PT · Nov 17, 2026 – Feb 2, 2027" in html
    assert "10:00 AM ET for" in html  # the therapist's own time, noted beside it
    assert "10:00 AM PT" not in html


@time_machine.travel(dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC), tick=False)
def test_the_picker_warns_when_daylight_saving_moves_the_clients_time(client):
    therapist = bookable_therapist(hours=[(1, dt.time(10), dt.time(11))])
    client.force_login(client_in(state="NY", tz="America/Phoenix"))  # no daylight saving

    html = text(client.get(book_url(therapist, weeks=12, time="tue-0800")).content.decode())

    assert "12 sessions · Tuesdays 8:00 AM MT · Feb 2 – Apr 20, 2027" in html
    assert (
        "Daylight saving moves it for you: the last session is Tue, Apr 20 · 7:00 AM MT."
    ) in html


@frozen
def test_booking_through_the_page_creates_twelve_sessions_and_redirects_to_the_booking(client):
    therapist = bookable_therapist(display_name="Ana Ruiz")
    client.force_login(client_in())

    response = client.post(book_url(therapist), course_post(at(TUESDAY_DEC_1, 10)))

    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("booking:booking_detail", kwargs={"pk": booking.pk})
    assert booking.sessions.count() == 12
    page = client.get(response.url).content.decode()
    assert "Requested: 12 weekly sessions, waiting for Ana Ruiz to confirm within 48 h" in page
    assert page.count('class="session-item') == 12


@frozen
def test_a_conflicting_post_names_the_failing_dates_in_the_clients_zone_and_books_nothing(client):
    therapist = bookable_therapist()
    book(client_in(), therapist, at(TUESDAY_DEC_1 + dt.timedelta(weeks=2), 10), weeks=1)
    client.force_login(client_in(tz="America/Chicago"))

    response = client.post(book_url(therapist), course_post(at(TUESDAY_DEC_1, 10)))

    html = response.content.decode()
    assert response.status_code == 409
    assert "Tue, Dec 15 · 9:00 AM CT</time> — already booked" in html
    assert "nothing was booked" in html
    assert 'class="week-grid"' in html  # the picker stays, to choose another time
    assert Booking.objects.count() == 1


@frozen
def test_a_client_in_a_state_without_a_license_sees_the_licensure_message(client):
    therapist = bookable_therapist(state="NY", display_name="Ana Ruiz")
    client.force_login(client_in(state="CA", tz="America/Los_Angeles"))

    page = client.get(book_url(therapist)).content.decode()
    response = client.post(book_url(therapist), course_post(at(TUESDAY_DEC_1, 10)))

    assert "Ana Ruiz holds no verified, current license in CA" in page
    assert 'name="start"' not in page
    assert response.status_code == 403
    assert "holds no verified, current license in CA" in response.content.decode()
    assert not Booking.objects.exists()


@frozen
def test_a_therapist_not_accepting_new_clients_is_explained_and_nothing_is_booked(client):
    therapist = bookable_therapist(display_name="Ana Ruiz", accepting_new_clients=False)
    client.force_login(client_in())

    response = client.post(book_url(therapist), course_post(at(TUESDAY_DEC_1, 10)))

    assert response.status_code == 409
    assert "Ana Ruiz is not accepting new clients at the moment" in response.content.decode()
    assert not Booking.objects.exists()


@frozen
def test_a_client_who_chooses_no_time_is_told_beside_the_picker(client):
    therapist = bookable_therapist()
    client.force_login(client_in())
    data = course_post(at(TUESDAY_DEC_1, 10))
    del data["start"]

    response = client.post(book_url(therapist), data)

    assert response.status_code == 400
    assert 'id="id_start_error"><li>Choose a weekly time.</li>' in response.content.decode()
    assert not Booking.objects.exists()


@frozen
def test_an_anonymous_visitor_sees_the_times_and_a_log_in_to_book_link(client):
    therapist = bookable_therapist(hours=[(1, dt.time(10), dt.time(11))])

    html = client.get(book_url(therapist, weeks=12, time="tue-1000")).content.decode()

    assert "Tuesdays at 10:00 AM ET" in html
    assert "Log in to book" in html
    # Back to the same choice after logging in.
    next_url = quote(book_url(therapist), safe="/")
    assert f"{reverse('accounts:login')}?next={next_url}%3Fweeks%3D12%26from%3D" in html
    assert "%26time%3Dtue-1000%26start%3D2026-11-17T15%253A00%253A00%252B00%253A00%23chosen" in html
    assert 'name="start"' not in html


@frozen
def test_a_therapist_sees_the_times_but_is_told_only_clients_book(client):
    therapist = bookable_therapist()
    client.force_login(bookable_therapist().user)

    page = client.get(book_url(therapist, time="tue-1000")).content.decode()
    response = client.post(book_url(therapist), course_post(at(TUESDAY_DEC_1, 10)))

    assert "Only client accounts can book a course" in page
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_the_profile_shows_the_picker_inline_with_a_course_length_selector(client):
    therapist = bookable_therapist()
    html = client.get(therapist.get_absolute_url()).content.decode()
    assert f'action="{therapist.get_absolute_url()}#book"' in html
    assert '<option value="12" selected>12 sessions</option>' in html
    assert 'class="week-grid"' in html


# --- My sessions and a booking's page -------------------------------------------------------


@frozen
def test_my_sessions_lists_the_clients_own_sessions_only(client):
    mine, theirs = client_in(), client_in()
    own = book(mine, bookable_therapist(display_name="Ana Ruiz"), at(TUESDAY_DEC_1, 10), weeks=2)
    other = book(theirs, bookable_therapist(display_name="Ben Cole"), at(TUESDAY_DEC_1, 10))
    client.force_login(mine)

    html = client.get(reverse("booking:my_sessions")).content.decode()

    assert "Tue, Dec 1 · 10:00 AM ET" in html and "Tue, Dec 8 · 10:00 AM ET" in html
    assert "with Ana Ruiz" in html and "Ben Cole" not in html
    assert reverse("booking:booking_detail", kwargs={"pk": own.pk}) in html
    assert reverse("booking:booking_detail", kwargs={"pk": other.pk}) not in html


@frozen
def test_my_sessions_keeps_cancelled_sessions_apart_and_out_of_the_count(client):
    mine = client_in()
    booking = book(mine, bookable_therapist(), at(TUESDAY_DEC_1, 10), weeks=3)
    second = booking.sessions.order_by("start")[1]
    services.cancel_session(session_id=second.pk, by=mine, reason="")
    client.force_login(mine)

    response = client.get(reverse("booking:my_sessions"))

    assert [s.pk for s in response.context["upcoming"]] == [
        s.pk for s in booking.sessions.order_by("start") if s.pk != second.pk
    ]
    assert [s.pk for s in response.context["cancelled"]] == [second.pk]
    html = response.content.decode()
    assert 'Upcoming <span class="count">(2)</span>' in html
    assert 'id="cancelled-heading"' in html


def _client_with_bookings(count: int):
    person = client_in()
    therapists = [bookable_therapist() for _ in range(2)]
    for n in range(count):
        day = TUESDAY_DEC_1 + dt.timedelta(days=n % 2)  # Tuesdays and Wednesdays
        book(person, therapists[n % 2], at(day, 9 + n // 2), weeks=12)
    return person


@frozen
def test_my_sessions_runs_the_same_number_of_queries_for_2_and_10_bookings(client):
    counts = []
    for bookings in (2, 10):
        client.force_login(_client_with_bookings(bookings))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("booking:my_sessions"))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@frozen
def test_another_client_gets_a_404_for_a_booking_page_and_its_calendar(client):
    booking = book(client_in(), bookable_therapist(), at(TUESDAY_DEC_1, 10))
    client.force_login(client_in())
    assert client.get(reverse("booking:booking_detail", args=[booking.pk])).status_code == 404
    assert client.get(reverse("booking:booking_ics", args=[booking.pk])).status_code == 404


@frozen
def test_the_booking_page_is_shown_to_its_therapist(client):
    therapist = bookable_therapist()
    booking = book(client_in(name="Dana Client"), therapist, at(TUESDAY_DEC_1, 10))
    client.force_login(therapist.user)
    html = client.get(reverse("booking:booking_detail", args=[booking.pk])).content.decode()
    assert "Course with Dana Client" in html
    assert "Confirm or decline this request" in html


@frozen
def test_staff_can_see_a_booking_page_but_not_change_it(client):
    booking = book(client_in(), bookable_therapist(), at(TUESDAY_DEC_1, 10))
    client.force_login(make_records_viewer())

    response = client.get(reverse("booking:booking_detail", args=[booking.pk]))

    assert response.status_code == 200
    assert "Cancel this session" not in response.content.decode()


@frozen
def test_the_client_downloads_the_course_as_an_ics_file(client):
    person = client_in()
    booking = book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10))
    client.force_login(person)

    response = client.get(reverse("booking:booking_ics", args=[booking.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.count(b"BEGIN:VEVENT") == 12


@frozen
def test_a_client_cancels_one_session(client):
    person = client_in()
    booking = book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10))
    first, second = booking.sessions.order_by("start")[:2]
    client.force_login(person)

    response = client.post(reverse("booking:cancel_session", args=[first.pk]), {"reason": ""})

    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "cancelled" and not first.late_cancellation
    assert second.status == "pending"
    page = client.get(response.url).content.decode()
    assert "Cancelled the session on Tue, Dec 1 · 10:00 AM ET." in page


@frozen
def test_a_client_cancels_the_rest_of_the_course(client):
    person = client_in()
    booking = book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10))
    client.force_login(person)

    response = client.post(
        reverse("booking:cancel_booking", args=[booking.pk]), {"reason": "", "confirm": "yes"}
    )

    assert response.status_code == 302
    assert set(booking.sessions.values_list("status", flat=True)) == {"cancelled"}
    booking.refresh_from_db()
    assert booking.status == "cancelled"


@frozen
def test_a_therapist_cancelling_the_rest_must_give_a_reason_shown_beside_the_field(client):
    therapist = bookable_therapist()
    booking = book(client_in(), therapist, at(TUESDAY_DEC_1, 10))
    client.force_login(therapist.user)

    response = client.post(
        reverse("booking:cancel_booking", args=[booking.pk]), {"reason": "", "confirm": "yes"}
    )

    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_cancel_reason_error"><li>Tell your client why you are '
        "cancelling.</li>" in response.content.decode()
    )
    assert set(booking.sessions.values_list("status", flat=True)) == {"pending"}


@frozen
def test_a_client_moves_the_rest_of_the_course_to_a_time_given_in_their_zone(client):
    person = client_in(tz="America/Chicago")
    booking = book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10))
    client.force_login(person)

    response = client.post(
        reverse("booking:move_booking", args=[booking.pk]), {"start": "2026-12-02T10:00"}
    )

    assert response.status_code == 302
    starts = [s.start for s in booking.sessions.order_by("start")]
    assert starts[0] == at(dt.date(2026, 12, 2), 11)  # 10:00 Chicago is 11:00 New York
    assert len(starts) == 12


@frozen
def test_moving_onto_a_taken_week_names_it_and_moves_nothing(client):
    therapist = bookable_therapist()
    person = client_in()
    booking = book(person, therapist, at(TUESDAY_DEC_1, 10))
    book(client_in(), therapist, at(dt.date(2026, 12, 16), 11), weeks=1)
    client.force_login(person)

    response = client.post(
        reverse("booking:move_booking", args=[booking.pk]), {"start": "2026-12-02T11:00"}
    )

    assert response.status_code == 409
    assert "Wed, Dec 16 · 11:00 AM ET</time> — already booked" in response.content.decode()
    assert booking.sessions.order_by("start").first().start == at(TUESDAY_DEC_1, 10)


@frozen
def test_moving_after_the_license_lapsed_says_why_and_moves_nothing(client):
    therapist = bookable_therapist(display_name="Ana Ruiz")
    person = client_in()
    booking = book(person, therapist, at(TUESDAY_DEC_1, 10))
    therapist.licenses.update(status="rejected")
    client.force_login(person)

    response = client.post(
        reverse("booking:move_booking", args=[booking.pk]),
        {"start": "2026-12-02T11:00"},
        follow=True,
    )

    assert "Ana Ruiz holds no verified, current license in NY" in text(response.content.decode())
    assert booking.sessions.order_by("start").first().start == at(TUESDAY_DEC_1, 10)


# --- The therapist's requests and week ------------------------------------------------------


@frozen
def test_the_therapist_confirms_a_request(client):
    therapist = bookable_therapist()
    booking = book(client_in(name="Dana Client"), therapist, at(TUESDAY_DEC_1, 10))
    client.force_login(therapist.user)
    page = client.get(reverse("booking:requests")).content.decode()
    assert "Dana Client" in page and "Tuesdays at 10:00 AM ET" in page
    assert "Times are in your practice’s zone, Eastern Time." in page

    response = client.post(reverse("booking:confirm_request", args=[booking.pk]))

    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert set(booking.sessions.values_list("status", flat=True)) == {"confirmed"}


@frozen
def test_the_therapist_declines_a_request_with_a_reason(client):
    therapist = bookable_therapist()
    booking = book(client_in(), therapist, at(TUESDAY_DEC_1, 10))
    client.force_login(therapist.user)

    client.post(reverse("booking:decline_request", args=[booking.pk]), {"reason": "Full."})

    booking.refresh_from_db()
    assert booking.status == "declined"
    assert booking.decline_reason == "Full."


@frozen
def test_confirming_after_the_license_expired_says_why_and_leaves_the_request_pending(client):
    therapist = bookable_therapist()
    booking = book(client_in(name="Dana Client"), therapist, at(TUESDAY_DEC_1, 10))
    therapist.licenses.update(expires_on=MONDAY.date() - dt.timedelta(days=1))
    client.force_login(therapist.user)

    response = client.post(reverse("booking:confirm_request", args=[booking.pk]), follow=True)

    page = text(response.content.decode())
    assert "You hold no verified, current license in NY, where Dana Client lives" in page
    assert "or decline the request" in page
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert set(booking.sessions.values_list("status", flat=True)) == {"pending"}


@frozen
def test_confirming_a_request_twice_explains_why_the_second_fails(client):
    therapist = bookable_therapist()
    booking = book(client_in(), therapist, at(TUESDAY_DEC_1, 10))
    client.force_login(therapist.user)
    client.post(reverse("booking:confirm_request", args=[booking.pk]))

    response = client.post(reverse("booking:confirm_request", args=[booking.pk]), follow=True)

    assert "only pending bookings can be confirmed" in response.content.decode()


@frozen
def test_the_week_calendar_marks_pending_sessions_in_the_therapists_zone(client):
    therapist = bookable_therapist(tz="America/Chicago")
    book(client_in(name="Dana Client"), therapist, at(TUESDAY_DEC_1, 10))  # 09:00 Chicago
    client.force_login(therapist.user)

    html = client.get(reverse("booking:calendar"), {"week": "2026-11-30"}).content.decode()

    assert '<h3 id="day-20261201">Tue, Dec 1</h3>' in html
    assert "9:00 – 9:50 AM CT" in html
    assert "Waiting for your confirmation" in html


def test_a_past_confirmed_session_is_marked_completed(client):
    therapist = bookable_therapist()
    with time_machine.travel(MONDAY, tick=False):
        booking = book(client_in(), therapist, at(TUESDAY_DEC_1, 10), weeks=2)
        services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    first = booking.sessions.order_by("start").first()
    client.force_login(therapist.user)

    with time_machine.travel(dt.datetime(2026, 12, 1, 17, tzinfo=dt.UTC), tick=False):
        response = client.post(
            reverse("booking:mark_session", args=[first.pk]),
            {"status": "completed", "week": "2026-11-30"},
        )

    assert response.url == reverse("booking:calendar") + "?week=2026-11-30"
    first.refresh_from_db()
    assert first.status == "completed"


# --- Weekly hours and time off ---------------------------------------------------------------


def test_the_hours_editor_saves_the_weekly_ranges(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)

    response = client.post(
        reverse("booking:hours"),
        hours_post([(0, "09:00", "12:00"), (0, "13:00", "17:00"), (3, "10:00", "14:00")]),
    )

    assert response.status_code == 302
    assert [
        (r.weekday, r.start, r.end)
        for r in AvailabilityRule.objects.filter(therapist=therapist).order_by("weekday", "start")
    ] == [
        (0, dt.time(9), dt.time(12)),
        (0, dt.time(13), dt.time(17)),
        (3, dt.time(10), dt.time(14)),
    ]


def test_the_hours_editor_rejects_overlapping_ranges_and_saves_nothing(client):
    therapist = bookable_therapist()
    before = list(AvailabilityRule.objects.filter(therapist=therapist).values_list("pk", flat=True))
    client.force_login(therapist.user)

    response = client.post(
        reverse("booking:hours"), hours_post([(0, "09:00", "12:00"), (0, "11:00", "17:00")])
    )

    assert response.status_code == 400
    assert "Monday 9:00 AM – 12:00 PM overlaps 11:00 AM – 5:00 PM" in response.content.decode()
    after = list(AvailabilityRule.objects.filter(therapist=therapist).values_list("pk", flat=True))
    assert after == before


def test_add_a_range_shows_one_more_empty_row_and_saves_nothing(client):
    therapist = bookable_therapist(hours=[(0, dt.time(9), dt.time(12))])
    client.force_login(therapist.user)
    data = hours_post([(0, "09:00", "12:00"), (2, "10:00", "11:00"), ("", "", ""), ("", "", "")])
    data["add_range"] = "1"

    html = client.post(reverse("booking:hours"), data).content.decode()

    assert 'name="hours-TOTAL_FORMS" value="5"' in html
    assert AvailabilityRule.objects.filter(therapist=therapist).count() == 1


def test_a_half_filled_hours_row_is_marked_and_nothing_is_saved(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)

    response = client.post(reverse("booking:hours"), hours_post([(4, "09:00", "")]))

    assert response.status_code == 400
    assert "Enter the end time." in response.content.decode()
    assert AvailabilityRule.objects.filter(therapist=therapist).count() == 5


def test_a_removed_hours_row_is_left_out(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)
    data = hours_post([(0, "09:00", "12:00"), (1, "09:00", "12:00")], initial=2)
    data["hours-1-DELETE"] = "on"

    client.post(reverse("booking:hours"), data)

    assert list(AvailabilityRule.objects.filter(therapist=therapist).values_list("weekday")) == [
        (0,)
    ]


def test_time_off_is_added_and_removed(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)
    first = localdate() + dt.timedelta(days=30)
    last = first + dt.timedelta(days=6)

    added = client.post(
        reverse("booking:add_time_off"),
        {"start_date": first.isoformat(), "end_date": last.isoformat(), "note": "Vacation"},
    )
    time_off = TimeOff.objects.get(therapist=therapist)
    assert added.status_code == 302
    assert (time_off.start_date, time_off.end_date, time_off.note) == (first, last, "Vacation")
    assert "Vacation" in client.get(reverse("booking:hours")).content.decode()

    removed = client.post(
        reverse("booking:remove_time_off", args=[time_off.pk]), {"confirm": "yes"}
    )
    assert removed.status_code == 302
    assert not TimeOff.objects.exists()


def test_time_off_ending_before_it_starts_is_refused_beside_the_field(client):
    therapist = bookable_therapist()
    client.force_login(therapist.user)

    response = client.post(
        reverse("booking:add_time_off"), {"start_date": "2027-01-10", "end_date": "2027-01-09"}
    )

    assert response.status_code == 400
    assert 'id="id_time_off_end_date_error"' in response.content.decode()
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize("name", ["requests", "calendar", "hours"])
def test_the_therapist_pages_are_404_for_clients(client, name):
    client.force_login(client_in())
    assert client.get(reverse(f"booking:{name}")).status_code == 404


# --- The private calendar feed -----------------------------------------------------------------


@frozen
def test_the_calendar_feed_serves_the_persons_sessions_by_token_without_login(client):
    person = client_in()
    book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10), weeks=3)
    client.force_login(person)
    client.post(reverse("booking:rotate_calendar"))  # "Create calendar link"
    page = client.get(reverse("booking:my_calendar")).content.decode()
    feed_url = reverse("booking:calendar_feed", args=[CalendarFeed.objects.get(user=person).token])
    assert feed_url in page
    client.logout()

    response = client.get(feed_url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.count(b"BEGIN:VEVENT") == 3


def test_making_a_new_address_stops_the_old_one(client):
    person = client_in()
    client.force_login(person)
    client.post(reverse("booking:rotate_calendar"))
    old = CalendarFeed.objects.get(user=person).token

    client.post(reverse("booking:rotate_calendar"))

    new = CalendarFeed.objects.get(user=person).token
    assert new != old
    assert client.get(reverse("booking:calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("booking:calendar_feed", args=[new])).status_code == 200


def test_the_calendar_page_makes_no_address_until_the_person_asks_for_one(client):
    person = client_in()
    client.force_login(person)

    page = client.get(reverse("booking:my_calendar")).content.decode()

    assert not CalendarFeed.objects.filter(user=person).exists()
    assert f'action="{reverse("booking:rotate_calendar")}"' in page
    assert "Create calendar link" in page
    response = client.post(reverse("booking:rotate_calendar"), follow=True)
    feed = CalendarFeed.objects.get(user=person)
    assert reverse("booking:calendar_feed", args=[feed.token]) in response.content.decode()
    assert "Your calendar address is ready" in response.content.decode()


def test_the_rotation_page_goes_through_the_feed_service(client, monkeypatch):
    person = client_in()
    client.force_login(person)
    calls = []
    real = calendar.rotate_feed

    def recording(*, user):
        calls.append(user.pk)
        return real(user=user)

    monkeypatch.setattr(calendar, "rotate_feed", recording)

    client.post(reverse("booking:rotate_calendar"))
    client.post(reverse("booking:rotate_calendar"))

    assert calls == [person.pk, person.pk]
    assert CalendarFeed.objects.filter(user=person).count() == 1


def test_rotating_a_feed_replaces_its_token_and_keeps_one_feed_per_person():
    person = client_in()

    first = calendar.rotate_feed(user=person)
    second = calendar.rotate_feed(user=person)

    assert second.pk == first.pk
    assert second.token != first.token
    assert calendar.feed_with_token(first.token) is None
    assert calendar.feed_with_token(second.token).user == person
    assert calendar.feed_of(person).token == second.token


@frozen
def test_the_calendar_page_offers_a_one_off_download_of_all_sessions(client):
    person = client_in()
    book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10), weeks=2)
    client.force_login(person)

    response = client.get(reverse("booking:my_calendar_ics"))

    assert response["Content-Type"].startswith("text/calendar")
    assert response.content.count(b"BEGIN:VEVENT") == 2


def test_an_unknown_calendar_token_is_a_404(client):
    assert client.get(reverse("booking:calendar_feed", args=["no-such-token"])).status_code == 404


def test_session_is_only_cancelled_once(client):
    person = client_in()
    with time_machine.travel(MONDAY, tick=False):
        booking = book(person, bookable_therapist(), at(TUESDAY_DEC_1, 10), weeks=1)
        session = booking.sessions.get()
        client.force_login(person)
        client.post(reverse("booking:cancel_session", args=[session.pk]))
        response = client.post(reverse("booking:cancel_session", args=[session.pk]), follow=True)
    assert "it cannot be cancelled" in response.content.decode()
    assert Session.objects.get().status == "cancelled"
