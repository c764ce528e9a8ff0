"""The booking endpoints of the JSON API, as PRODUCT.md documents them: slots, courses,
confirmation, cancelling, moving, weekly hours, time off, my sessions and calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.timezone import localdate

from booking.models import AvailabilityRule, Booking, Session, TimeOff
from providers.models import Modality
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in, next_weekday
from tests.factories import LicenseFactory, TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
BOOKINGS = "/api/v1/bookings/"
PAGE_KEYS = {"count", "next", "previous", "results"}


def slots_url(therapist_or_id) -> str:
    pk = getattr(therapist_or_id, "pk", therapist_or_id)
    return f"/api/v1/therapists/{pk}/slots/"


def parse(value: str) -> dt.datetime:
    """An ISO 8601 datetime from the API, which must carry its offset."""
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no UTC offset"
    return parsed


def ny(value: str) -> dt.datetime:
    return parse(value).astimezone(NY)


def booking_body(therapist, start: dt.datetime, weeks: int = 12, **changes) -> dict:
    return {
        "therapist": therapist.pk,
        "start": start.isoformat(),
        "weeks": weeks,
        "modality": "ipt",
        "format": "telehealth",
        **changes,
    }


def session_starts(booking: Booking) -> list[dt.datetime]:
    return list(booking.sessions.order_by("start").values_list("start", flat=True))


@pytest.fixture
def therapist():
    return bookable_therapist()


@pytest.fixture
def client_ny():
    return client_in()


@pytest.fixture
def tuesday() -> dt.date:
    return next_weekday(1)


@pytest.fixture
def course(therapist, client_ny, tuesday) -> Booking:
    """A pending four-week course, Tuesdays 10:00 New York."""
    return book(client_ny, therapist, at(tuesday, 10), weeks=4)


# --- GET therapists/{id}/slots/ ----------------------------------------------------------


def test_anyone_gets_the_free_weekly_starts_with_their_offsets_and_ends(api, therapist):
    monday = next_weekday(0)
    response = api.get(slots_url(therapist), {"from": monday, "days": 14, "weeks": 12})
    assert response.status_code == 200
    slots = response.json()
    assert all(set(slot) == {"start", "end", "last", "skipped"} for slot in slots)
    assert all(slot["skipped"] == [] for slot in slots)
    assert all(ny(s["last"]) == ny(s["start"]) + dt.timedelta(weeks=11) for s in slots)
    starts = [ny(slot["start"]) for slot in slots]
    assert all(
        parse(s["end"]) - parse(s["start"]) == dt.timedelta(minutes=50) for s in slots
    )  # 50-minute sessions
    assert starts == sorted(starts)
    assert {s.date() for s in starts} == {
        monday + dt.timedelta(days=d) for d in range(14) if d % 7 < 5
    }
    assert {s.time() for s in starts} == {dt.time(h) for h in range(9, 17)}
    assert len(slots) == 10 * 8


def test_a_start_taken_in_a_later_week_is_offered_only_for_courses_that_end_before_it(
    api, therapist, tuesday
):
    book(client_in(), therapist, at(tuesday + dt.timedelta(weeks=3), 10), weeks=1)

    def hours(weeks: int) -> set[int]:
        response = api.get(slots_url(therapist), {"from": tuesday, "days": 1, "weeks": weeks})
        assert response.status_code == 200
        return {ny(slot["start"]).hour for slot in response.json()}

    assert 10 not in hours(12)
    assert 10 not in hours(4)
    assert 10 in hours(3)
    assert 10 in hours(1)
    assert hours(12) == set(range(9, 17)) - {10}


def test_the_slots_window_may_be_62_days_but_not_63(api, therapist):
    assert api.get(slots_url(therapist), {"days": 62}).status_code == 200
    response = api.get(slots_url(therapist), {"days": 63})
    assert response.status_code == 400
    assert "days" in response.json()


@pytest.mark.parametrize("weeks", [0, 17, "twelve"])
def test_a_course_length_outside_1_to_16_weeks_is_refused_by_the_slots_endpoint(
    api, therapist, weeks
):
    response = api.get(slots_url(therapist), {"weeks": weeks})
    assert response.status_code == 400
    assert "weeks" in response.json()


def test_a_garbage_from_date_is_refused_by_the_slots_endpoint(api, therapist):
    response = api.get(slots_url(therapist), {"from": "next tuesday"})
    assert response.status_code == 400
    assert "from" in response.json()


def test_slots_of_an_unknown_therapist_are_not_found(api):
    assert api.get(slots_url(987654321)).status_code == 404


def test_slots_of_a_therapist_without_a_verified_license_are_not_found(api):
    unverified = TherapistFactory()
    LicenseFactory(therapist=unverified)  # pending
    assert api.get(slots_url(unverified)).status_code == 404


# --- POST bookings/ --------------------------------------------------------------------


def test_a_client_books_a_pending_twelve_week_course(as_user, therapist, client_ny, tuesday):
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert Booking.objects.get(pk=body["id"]).client == client_ny
    assert len(body["sessions"]) == 12
    for week, session in enumerate(body["sessions"]):
        assert {"id", "start", "end", "status"} <= set(session)
        assert session["status"] == "pending"
        assert ny(session["start"]) == at(tuesday + dt.timedelta(weeks=week), 10)
        assert parse(session["end"]) - parse(session["start"]) == dt.timedelta(minutes=50)
    assert Session.objects.filter(booking_id=body["id"]).count() == 12


def test_an_auto_confirming_therapist_confirms_the_course_at_once(as_user, client_ny, tuesday):
    therapist = bookable_therapist(auto_confirm=True)
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10), weeks=2), format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed"
    assert {s["status"] for s in response.json()["sessions"]} == {"confirmed"}


def test_a_therapist_cannot_book_a_course(as_user, therapist, tuesday):
    other = bookable_therapist()
    response = as_user(other.user).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_an_anonymous_visitor_must_sign_in_to_book(api, therapist, tuesday):
    response = api.post(BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json")
    assert response.status_code == 401
    assert not Booking.objects.exists()


def test_a_course_with_taken_weeks_is_a_409_naming_exactly_those_weeks(
    as_user, therapist, client_ny, tuesday
):
    start = at(tuesday, 10)
    taken = [
        book(client_in(), therapist, start + dt.timedelta(weeks=week), weeks=1) for week in (3, 7)
    ]
    response = as_user(client_ny).post(BOOKINGS, booking_body(therapist, start), format="json")
    assert response.status_code == 409
    body = response.json()
    assert {"detail", "conflicts"} <= set(body)
    assert [parse(c) for c in body["conflicts"]] == [b.sessions.get().start for b in taken]
    for b in taken:
        assert f"{b.sessions.get().start:%Y-%m-%d}" in body["detail"]
    assert Booking.objects.count() == 2
    assert Session.objects.count() == 2
    assert not client_ny.bookings.exists()


def test_a_course_outside_the_weekly_hours_is_a_409(as_user, therapist, client_ny, tuesday):
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 8), weeks=2), format="json"
    )
    assert response.status_code == 409
    assert [ny(c) for c in response.json()["conflicts"]] == [
        at(tuesday, 8),
        at(tuesday + dt.timedelta(weeks=1), 8),
    ]
    assert not Booking.objects.exists()


def test_a_course_over_a_day_off_skips_that_week_and_says_so(
    as_user, therapist, client_ny, tuesday
):
    away = tuesday + dt.timedelta(weeks=1)
    TimeOff.objects.create(therapist=therapist, start_date=away, end_date=away)
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10), weeks=3), format="json"
    )
    assert response.status_code == 201
    assert response.json()["skipped"] == [away.isoformat()]
    starts = [ny(s["start"]) for s in response.json()["sessions"]]
    assert starts == [at(tuesday + dt.timedelta(weeks=k), 10) for k in (0, 2, 3)]


def test_a_course_starting_on_a_day_off_is_a_409(as_user, therapist, client_ny, tuesday):
    TimeOff.objects.create(therapist=therapist, start_date=tuesday, end_date=tuesday)
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10), weeks=3), format="json"
    )
    assert response.status_code == 409
    assert [ny(c) for c in response.json()["conflicts"]] == [at(tuesday, 10)]
    assert not Booking.objects.exists()


def test_slots_show_the_skipped_weeks_and_the_last_session(api, therapist, tuesday):
    first_off = tuesday + dt.timedelta(weeks=2)
    TimeOff.objects.create(
        therapist=therapist, start_date=first_off, end_date=first_off + dt.timedelta(days=6)
    )
    response = api.get(slots_url(therapist), {"from": tuesday, "days": 1, "weeks": 12})
    ten = next(s for s in response.json() if ny(s["start"]) == at(tuesday, 10))
    assert ten["skipped"] == [first_off.isoformat()]
    assert ny(ten["last"]) == at(tuesday + dt.timedelta(weeks=12), 10)


def test_five_weeks_off_inside_a_course_make_its_starts_unavailable(api, therapist, tuesday):
    def hours(weeks: int) -> list[int]:
        response = api.get(slots_url(therapist), {"from": tuesday, "days": 1, "weeks": weeks})
        return [ny(slot["start"]).hour for slot in response.json()]

    first_off = tuesday + dt.timedelta(weeks=1)
    TimeOff.objects.create(  # four weeks off: a 3-session course skips them all
        therapist=therapist, start_date=first_off, end_date=first_off + dt.timedelta(days=27)
    )
    assert hours(3) == list(range(9, 17))
    TimeOff.objects.all().update(end_date=first_off + dt.timedelta(days=34))  # five weeks
    assert hours(3) == []
    assert hours(1) == list(range(9, 17))


def test_a_client_where_the_therapist_holds_no_license_gets_403_with_the_reason(
    as_user, therapist, tuesday
):
    response = as_user(client_in(state="NJ")).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert "NJ" in response.json()["detail"]
    assert not Booking.objects.exists()


def test_an_expired_license_in_the_clients_state_does_not_allow_booking(
    as_user, therapist, tuesday
):
    verified_license(therapist=therapist, state="NJ", expires_on=localdate() - dt.timedelta(days=1))
    response = as_user(client_in(state="NJ")).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Booking.objects.exists()


def test_a_therapist_not_accepting_new_clients_answers_409(as_user, client_ny, tuesday):
    therapist = bookable_therapist(accepting_new_clients=False)
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 409
    assert "not accepting" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weeks": 17}, "weeks"),
        ({"weeks": 0}, "weeks"),
        ({"start": None}, "start"),
        ({"start": "next tuesday at ten"}, "start"),
        ({"format": "fax"}, "format"),
        ({"format": "in_person"}, "format"),  # not offered by this therapist
        ({"modality": "cbt"}, "modality"),  # not offered by this therapist
        ({"therapist": "dr-smith"}, "therapist"),
    ],
)
def test_a_bad_booking_body_is_a_400_naming_the_field(
    as_user, therapist, client_ny, tuesday, change, field
):
    body = {**booking_body(therapist, at(tuesday, 10)), **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = as_user(client_ny).post(BOOKINGS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Booking.objects.exists()


def test_malformed_json_is_a_400(as_user, client_ny):
    response = as_user(client_ny).post(
        BOOKINGS, data='{"therapist": 1, "start": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_an_unknown_therapist_id_is_a_400_naming_therapist(as_user, client_ny, tuesday):
    therapist = TherapistFactory.build(pk=987654321)
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(therapist, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 400
    assert "therapist" in response.json()


def test_a_therapist_nobody_can_find_cannot_be_booked(as_user, client_ny, tuesday):
    unverified = TherapistFactory()
    LicenseFactory(therapist=unverified)  # pending
    response = as_user(client_ny).post(
        BOOKINGS, booking_body(unverified, at(tuesday, 10)), format="json"
    )
    assert response.status_code == 400
    assert "therapist" in response.json()


def test_a_start_without_utc_offset_is_never_a_server_error(as_user, therapist, client_ny, tuesday):
    body = booking_body(therapist, at(tuesday, 10))
    body["start"] = f"{tuesday}T10:00:00"
    response = as_user(client_ny).post(BOOKINGS, body, format="json")
    assert response.status_code < 500


def test_a_booking_start_without_utc_offset_is_a_400_naming_start(as_user, therapist, tuesday):
    client = client_in(tz="America/Los_Angeles")  # means 10:00 in Los Angeles?
    body = booking_body(therapist, at(tuesday, 10), weeks=1)
    body["start"] = f"{tuesday}T10:00:00"
    response = as_user(client).post(BOOKINGS, body, format="json")
    assert response.status_code == 400
    assert "start" in response.json()
    assert not Booking.objects.exists()


def test_a_move_start_without_utc_offset_is_a_400_naming_start(as_user, course, tuesday):
    wednesday = tuesday + dt.timedelta(days=1)
    response = as_user(course.client).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": f"{wednesday}T14:00:00"}, format="json"
    )
    assert response.status_code == 400
    assert "start" in response.json()
    assert {s.astimezone(NY).hour for s in session_starts(course)} == {10}


# --- GET bookings/, bookings/{id}/ --------------------------------------------------------


def test_the_client_sees_their_booking_in_a_paginated_list(as_user, course):
    response = as_user(course.client).get(BOOKINGS)
    assert response.status_code == 200
    assert set(response.json()) == PAGE_KEYS
    assert response.json()["count"] == 1
    assert [b["id"] for b in response.json()["results"]] == [course.pk]
    assert len(response.json()["results"][0]["sessions"]) == 4


def test_the_client_and_the_therapist_see_the_booking_detail(as_user, course):
    for person in (course.client, course.therapist.user):
        response = as_user(person).get(f"{BOOKINGS}{course.pk}/")
        assert response.status_code == 200
        assert response.json()["id"] == course.pk
        assert response.json()["status"] == "pending"
        assert len(response.json()["sessions"]) == 4


def test_the_therapist_sees_the_booking_in_their_list(as_user, course):
    response = as_user(course.therapist.user).get(BOOKINGS)
    assert response.status_code == 200
    assert [b["id"] for b in response.json()["results"]] == [course.pk]


def test_another_client_and_another_therapist_cannot_see_the_booking(as_user, course):
    for stranger in (client_in(), bookable_therapist().user):
        assert as_user(stranger).get(f"{BOOKINGS}{course.pk}/").status_code == 404
        response = as_user(stranger).get(BOOKINGS)
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert response.json()["results"] == []


def test_anonymous_visitors_get_401_on_bookings(api, course):
    assert api.get(BOOKINGS).status_code == 401
    assert api.get(f"{BOOKINGS}{course.pk}/").status_code == 401


def test_listing_bookings_runs_the_same_few_queries_for_2_or_10_bookings(
    as_user, therapist, client_ny, tuesday, django_assert_max_num_queries
):
    caller = as_user(client_ny)
    counts = []
    for total in (2, 10):
        while (n := client_ny.bookings.count()) < total:
            day = tuesday + dt.timedelta(days=n // 8)  # Tuesday, then Wednesday
            book(client_ny, therapist, at(day, 9 + n % 8), weeks=3)
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(6):
            response = caller.get(BOOKINGS)
        assert response.status_code == 200
        assert response.json()["count"] == total
        assert sum(len(b["sessions"]) for b in response.json()["results"]) == 3 * total
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- confirm / decline ------------------------------------------------------------------


def test_the_therapist_confirms_the_course(as_user, course):
    response = as_user(course.therapist.user).post(f"{BOOKINGS}{course.pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert {s["status"] for s in response.json()["sessions"]} == {"confirmed"}
    course.refresh_from_db()
    assert course.status == "confirmed"


def test_the_therapist_declines_the_course(as_user, course):
    response = as_user(course.therapist.user).post(
        f"{BOOKINGS}{course.pk}/decline/", {"reason": "My practice is full."}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert {s["status"] for s in response.json()["sessions"]} == {"declined"}
    course.refresh_from_db()
    assert course.decline_reason == "My practice is full."


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_the_client_cannot_confirm_or_decline_their_own_course(as_user, course, action):
    response = as_user(course.client).post(f"{BOOKINGS}{course.pk}/{action}/")
    assert response.status_code in (403, 404)
    course.refresh_from_db()
    assert course.status == "pending"
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_another_therapist_cannot_confirm_or_decline_the_course(as_user, course, action):
    response = as_user(bookable_therapist().user).post(f"{BOOKINGS}{course.pk}/{action}/")
    assert response.status_code == 404
    course.refresh_from_db()
    assert course.status == "pending"


def test_confirming_twice_is_a_409(as_user, course):
    caller = as_user(course.therapist.user)
    assert caller.post(f"{BOOKINGS}{course.pk}/confirm/").status_code == 200
    response = caller.post(f"{BOOKINGS}{course.pk}/confirm/")
    assert response.status_code == 409
    assert response.json()["status"] == "confirmed"
    assert "detail" in response.json()


def test_declining_a_confirmed_course_is_a_409(as_user, course):
    caller = as_user(course.therapist.user)
    caller.post(f"{BOOKINGS}{course.pk}/confirm/")
    assert caller.post(f"{BOOKINGS}{course.pk}/decline/").status_code == 409
    course.refresh_from_db()
    assert course.status == "confirmed"


# --- cancel -----------------------------------------------------------------------------


def test_the_client_cancels_the_rest_of_the_course(as_user, course):
    response = as_user(course.client).post(f"{BOOKINGS}{course.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert {s["status"] for s in response.json()["sessions"]} == {"cancelled"}
    assert {s["late_cancellation"] for s in response.json()["sessions"]} == {False}
    assert set(course.sessions.values_list("status", flat=True)) == {"cancelled"}


def test_the_client_cancels_one_session(as_user, course):
    second = course.sessions.order_by("start")[1]
    response = as_user(course.client).post(f"/api/v1/sessions/{second.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["id"] == second.pk
    assert response.json()["status"] == "cancelled"
    assert response.json()["late_cancellation"] is False
    statuses = list(course.sessions.order_by("start").values_list("status", flat=True))
    assert statuses == ["pending", "cancelled", "pending", "pending"]


def test_a_therapist_cancelling_a_course_without_a_reason_is_a_400_naming_reason(as_user, course):
    response = as_user(course.therapist.user).post(f"{BOOKINGS}{course.pk}/cancel/")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}


def test_a_therapist_cancelling_a_session_without_a_reason_is_a_400_naming_reason(as_user, course):
    session = course.sessions.order_by("start").first()
    response = as_user(course.therapist.user).post(
        f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "   "}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()
    session.refresh_from_db()
    assert session.status == "pending"


def test_a_therapist_cancels_a_session_with_a_reason(as_user, course):
    session = course.sessions.order_by("start").first()
    response = as_user(course.therapist.user).post(
        f"/api/v1/sessions/{session.pk}/cancel/", {"reason": "I am ill."}, format="json"
    )
    assert response.status_code == 200
    session.refresh_from_db()
    assert (session.status, session.cancel_reason) == ("cancelled", "I am ill.")
    assert session.cancelled_by == course.therapist.user


def test_a_cancellation_inside_the_notice_period_is_kept_as_late(as_user, course):
    first, second = course.sessions.order_by("start")[:2]
    caller = as_user(course.client)
    with time_machine.travel(first.start - dt.timedelta(hours=3), tick=False):
        late = caller.post(f"/api/v1/sessions/{first.pk}/cancel/")
        in_time = caller.post(f"/api/v1/sessions/{second.pk}/cancel/")
    assert late.status_code == 200
    assert late.json()["late_cancellation"] is True
    assert in_time.json()["late_cancellation"] is False
    first.refresh_from_db()
    assert (first.status, first.late_cancellation) == ("cancelled", True)


def test_cancelling_a_cancelled_session_again_is_a_409(as_user, course):
    session = course.sessions.order_by("start").first()
    caller = as_user(course.client)
    assert caller.post(f"/api/v1/sessions/{session.pk}/cancel/").status_code == 200
    assert caller.post(f"/api/v1/sessions/{session.pk}/cancel/").status_code == 409


def test_another_client_cannot_cancel_the_course_or_its_sessions(as_user, course):
    stranger = as_user(client_in())
    session = course.sessions.order_by("start").first()
    assert stranger.post(f"{BOOKINGS}{course.pk}/cancel/").status_code == 404
    assert stranger.post(f"/api/v1/sessions/{session.pk}/cancel/").status_code == 404
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    "lapse",
    [{"expires_on": dt.date(2020, 1, 1)}, {"status": "rejected"}],
    ids=["expired", "rejected"],
)
def test_confirming_after_the_license_lapsed_is_a_403_and_the_request_stays_pending(
    as_user, course, lapse
):
    course.therapist.licenses.update(**lapse)
    response = as_user(course.therapist.user).post(f"{BOOKINGS}{course.pk}/confirm/")
    assert response.status_code == 403  # as POST bookings/ answers for the same reason
    assert set(response.json()) == {"detail"}
    assert "NY" in response.json()["detail"]
    course.refresh_from_db()
    assert course.status == "pending"
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}


# --- move -------------------------------------------------------------------------------


def test_moving_a_course_moves_every_remaining_session_to_the_new_weekly_time(
    as_user, course, tuesday
):
    ids = list(course.sessions.order_by("start").values_list("id", flat=True))
    wednesday = tuesday + dt.timedelta(days=1)
    response = as_user(course.client).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": at(wednesday, 14).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert [s["id"] for s in response.json()["sessions"]] == ids
    assert [ny(s["start"]) for s in response.json()["sessions"]] == [
        at(wednesday + dt.timedelta(weeks=k), 14) for k in range(4)
    ]
    assert [s.astimezone(NY) for s in session_starts(course)] == [
        at(wednesday + dt.timedelta(weeks=k), 14) for k in range(4)
    ]


def test_moving_a_course_one_week_later_over_its_own_sessions_succeeds(as_user, course, tuesday):
    response = as_user(course.therapist.user).post(
        f"{BOOKINGS}{course.pk}/move/",
        {"start": at(tuesday + dt.timedelta(weeks=1), 10).isoformat()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [s.astimezone(NY) for s in session_starts(course)] == [
        at(tuesday + dt.timedelta(weeks=k), 10) for k in range(1, 5)
    ]


def test_moving_onto_a_taken_week_is_a_409_and_nothing_moves(as_user, therapist, course, tuesday):
    wednesday = tuesday + dt.timedelta(days=1)
    taken = book(client_in(), therapist, at(wednesday + dt.timedelta(weeks=2), 14), weeks=1)
    before = session_starts(course)
    response = as_user(course.client).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": at(wednesday, 14).isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert {"detail", "conflicts"} <= set(response.json())
    assert [parse(c) for c in response.json()["conflicts"]] == [taken.sessions.get().start]
    assert session_starts(course) == before


def test_moving_a_course_over_a_week_off_skips_it_and_reports_it(as_user, course, tuesday):
    wednesday = tuesday + dt.timedelta(days=1)
    away = wednesday + dt.timedelta(weeks=1)
    TimeOff.objects.create(therapist=course.therapist, start_date=away, end_date=away)
    response = as_user(course.client).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": at(wednesday, 14).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["skipped"] == [away.isoformat()]
    assert [s.astimezone(NY) for s in session_starts(course)] == [
        at(wednesday + dt.timedelta(weeks=k), 14) for k in (0, 2, 3, 4)
    ]


def test_moving_a_course_off_the_grid_names_the_reason(as_user, course, tuesday):
    wednesday = tuesday + dt.timedelta(days=1)
    response = as_user(course.client).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": at(wednesday, 10, 30).isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert set(response.json()["reasons"]) == {"not one of the therapist's start times"}


def test_another_client_cannot_move_the_course(as_user, course, tuesday):
    response = as_user(client_in()).post(
        f"{BOOKINGS}{course.pk}/move/", {"start": at(tuesday, 15).isoformat()}, format="json"
    )
    assert response.status_code == 404
    assert {s.astimezone(NY).hour for s in session_starts(course)} == {10}


# --- me/availability/ -------------------------------------------------------------------

WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def test_a_therapist_reads_their_weekly_hours(as_user, therapist):
    response = as_user(therapist.user).get("/api/v1/me/availability/")
    assert response.status_code == 200
    assert response.json() == WEEKDAYS_9_TO_5


def test_putting_weekly_hours_replaces_them_all(as_user, therapist):
    caller = as_user(therapist.user)
    hours = [
        {"weekday": 1, "start": "13:00", "end": "18:30"},
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 5, "start": "10:00", "end": "14:00"},
    ]
    response = caller.put("/api/v1/me/availability/", hours, format="json")
    assert response.status_code == 200, response.json()
    expected = [hours[1], hours[0], hours[2]]
    assert response.json() == expected
    assert caller.get("/api/v1/me/availability/").json() == expected
    assert AvailabilityRule.objects.filter(therapist=therapist).count() == 3


def test_putting_no_hours_clears_them_and_the_slots(api, as_user, therapist):
    response = as_user(therapist.user).put("/api/v1/me/availability/", [], format="json")
    assert response.status_code == 200
    assert response.json() == []
    assert api.get(slots_url(therapist), {"days": 28}).json() == []


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        (
            [
                {"weekday": 2, "start": "09:00", "end": "13:00"},
                {"weekday": 2, "start": "12:00", "end": "17:00"},
            ],
            "non_field_errors",
        ),
        ([{"weekday": 2, "start": "17:00", "end": "09:00"}], "end"),
        ([{"weekday": 2, "start": "09:00", "end": "09:00"}], "end"),
        ([{"weekday": 7, "start": "09:00", "end": "17:00"}], "weekday"),
        ([{"weekday": 2, "start": "9 am", "end": "17:00"}], "start"),
    ],
)
def test_invalid_weekly_hours_are_a_400_and_change_nothing(as_user, therapist, hours, field):
    caller = as_user(therapist.user)
    response = caller.put("/api/v1/me/availability/", hours, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert caller.get("/api/v1/me/availability/").json() == WEEKDAYS_9_TO_5


def test_weekly_hours_must_be_a_list(as_user, therapist):
    response = as_user(therapist.user).put(
        "/api/v1/me/availability/", {"weekday": 1, "start": "09:00", "end": "17:00"}, format="json"
    )
    assert response.status_code == 400


def test_a_client_has_no_weekly_hours(as_user, client_ny):
    caller = as_user(client_ny)
    assert caller.get("/api/v1/me/availability/").status_code == 403
    assert caller.put("/api/v1/me/availability/", [], format="json").status_code == 403


# --- me/time-off/ -----------------------------------------------------------------------


def test_a_therapist_adds_lists_and_removes_time_off(as_user, therapist, tuesday):
    caller = as_user(therapist.user)
    response = caller.post(
        "/api/v1/me/time-off/",
        {
            "start_date": tuesday.isoformat(),
            "end_date": (tuesday + dt.timedelta(days=2)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    # No session booked on those days (PRODUCT.md: the 201 lists them as `affected`).
    assert created.pop("affected") == []
    assert set(created) == {"id", "start_date", "end_date"}
    assert created["start_date"] == tuesday.isoformat()
    assert created["end_date"] == (tuesday + dt.timedelta(days=2)).isoformat()
    assert caller.get("/api/v1/me/time-off/").json() == [created]
    assert caller.delete(f"/api/v1/me/time-off/{created['id']}/").status_code == 204
    assert caller.get("/api/v1/me/time-off/").json() == []


def test_time_off_ending_before_it_starts_is_a_400(as_user, therapist, tuesday):
    response = as_user(therapist.user).post(
        "/api/v1/me/time-off/",
        {
            "start_date": tuesday.isoformat(),
            "end_date": (tuesday - dt.timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "end_date" in response.json()
    assert not TimeOff.objects.exists()


def test_removing_another_therapists_time_off_is_a_404(as_user, therapist, tuesday):
    theirs = TimeOff.objects.create(
        therapist=bookable_therapist(), start_date=tuesday, end_date=tuesday
    )
    response = as_user(therapist.user).delete(f"/api/v1/me/time-off/{theirs.pk}/")
    assert response.status_code == 404
    assert TimeOff.objects.filter(pk=theirs.pk).exists()


def test_time_off_removes_the_slots_it_covers(api, as_user, therapist, tuesday):
    def hours(first_day, weeks=1) -> list[int]:
        response = api.get(slots_url(therapist), {"from": first_day, "days": 1, "weeks": weeks})
        return [ny(slot["start"]).hour for slot in response.json()]

    before = tuesday - dt.timedelta(weeks=1)
    assert hours(tuesday) == list(range(9, 17))
    assert hours(before, weeks=2) == list(range(9, 17))
    as_user(therapist.user).post(
        "/api/v1/me/time-off/",
        {"start_date": tuesday.isoformat(), "end_date": tuesday.isoformat()},
        format="json",
    )
    assert hours(tuesday) == []
    assert hours(before, weeks=2) == list(range(9, 17))  # its second week is skipped
    assert hours(before, weeks=1) == list(range(9, 17))


def test_a_client_has_no_time_off(as_user, client_ny, tuesday):
    caller = as_user(client_ny)
    assert caller.get("/api/v1/me/time-off/").status_code == 403
    response = caller.post(
        "/api/v1/me/time-off/",
        {"start_date": tuesday.isoformat(), "end_date": tuesday.isoformat()},
        format="json",
    )
    assert response.status_code == 403


# --- me/sessions/ -----------------------------------------------------------------------


@pytest.fixture
def two_courses(therapist, tuesday):
    """Two clients of one therapist, and a third client with another therapist."""
    mine = book(client_in(), therapist, at(tuesday, 10), weeks=3)
    theirs = book(client_in(), therapist, at(tuesday, 12), weeks=2)
    elsewhere = book(client_in(), bookable_therapist(), at(tuesday, 10), weeks=2)
    return mine, theirs, elsewhere


def test_a_client_lists_only_their_own_sessions_paginated(as_user, two_courses):
    mine, _, _ = two_courses
    response = as_user(mine.client).get("/api/v1/me/sessions/")
    assert response.status_code == 200
    assert set(response.json()) == PAGE_KEYS
    assert response.json()["count"] == 3
    results = response.json()["results"]
    assert [s["id"] for s in results] == list(
        mine.sessions.order_by("start").values_list("id", flat=True)
    )
    assert {s["booking"] for s in results} == {mine.pk}


def test_a_therapist_lists_only_their_own_clients_sessions(as_user, therapist, two_courses):
    mine, theirs, _ = two_courses
    response = as_user(therapist.user).get("/api/v1/me/sessions/")
    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert {s["booking"] for s in response.json()["results"]} == {mine.pk, theirs.pk}


def test_my_sessions_between_two_dates_include_both_days(as_user, two_courses, tuesday):
    mine, _, _ = two_courses
    week2 = tuesday + dt.timedelta(weeks=1)
    response = as_user(mine.client).get(
        "/api/v1/me/sessions/", {"from": week2.isoformat(), "to": week2.isoformat()}
    )
    assert response.status_code == 200
    assert [ny(s["start"]) for s in response.json()["results"]] == [at(week2, 10)]
    response = as_user(mine.client).get("/api/v1/me/sessions/", {"from": week2.isoformat()})
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "someday"}, "from"),
        ({"to": "2027-02-30"}, "to"),
        ({"from": "2027-02-02", "to": "2027-02-01"}, "to"),
    ],
)
def test_a_bad_date_range_for_my_sessions_is_a_400(as_user, client_ny, query, field):
    response = as_user(client_ny).get("/api/v1/me/sessions/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_my_sessions_need_a_signed_in_person(api):
    assert api.get("/api/v1/me/sessions/").status_code == 401


# --- me/calendar.ics --------------------------------------------------------------------


def events(response) -> list:
    calendar = icalendar.Calendar.from_ical(response.content)
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def test_a_clients_calendar_has_one_event_per_session_in_their_own_zone(
    as_user, therapist, tuesday
):
    client = client_in(tz="America/Los_Angeles")
    course = book(client, therapist, at(tuesday, 10), weeks=3)
    response = as_user(client).get("/api/v1/me/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response)
    assert len(found) == 3
    for event, session in zip(found, course.sessions.order_by("start"), strict=True):
        assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert event.decoded("DTSTART") == session.start
        assert event.decoded("DTSTART").astimezone(LA).time() == dt.time(7)
        assert str(event["SUMMARY"]) == f"Session with {therapist.display_name}"


def test_a_therapists_calendar_shows_their_clients_sessions_in_the_therapists_zone(as_user, course):
    response = as_user(course.therapist.user).get("/api/v1/me/calendar.ics")
    assert response.status_code == 200
    found = events(response)
    assert len(found) == 4
    assert {e["DTSTART"].params["TZID"] for e in found} == {"America/New_York"}
    assert {str(e["SUMMARY"]) for e in found} == {f"Session with {course.client.name}"}


def test_the_calendar_carries_no_clinical_detail(as_user, course):
    feed = as_user(course.client).get("/api/v1/me/calendar.ics").content.decode().lower()
    ipt = Modality.objects.get(slug="ipt")
    for word in (ipt.name.lower(), "ipt", "interpersonal", "therapy"):
        assert word not in feed


def test_the_calendar_needs_a_signed_in_person(api):
    assert api.get("/api/v1/me/calendar.ics").status_code == 401


def test_the_calendar_answers_a_client_that_asks_for_text_calendar(as_user, course):
    response = as_user(course.client).get("/api/v1/me/calendar.ics", HTTP_ACCEPT="text/calendar")
    assert response.status_code == 200
    assert len(events(response)) == 4


@pytest.mark.parametrize(
    "lapse",
    [{"expires_on": dt.date(2020, 1, 1)}, {"status": "rejected"}],
    ids=["expired", "rejected"],
)
@pytest.mark.parametrize("who", ["client", "therapist"])
def test_moving_after_the_license_lapsed_is_a_403_and_nothing_moves(
    as_user, course, tuesday, lapse, who
):
    as_user(course.therapist.user).post(f"{BOOKINGS}{course.pk}/confirm/")
    course.therapist.licenses.update(**lapse)
    before = session_starts(course)
    caller = course.client if who == "client" else course.therapist.user
    response = as_user(caller).post(
        f"{BOOKINGS}{course.pk}/move/",
        {"start": at(tuesday + dt.timedelta(days=1), 14).isoformat()},
        format="json",
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert "NY" in response.json()["detail"]
    assert session_starts(course) == before
