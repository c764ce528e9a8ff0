import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import openings
from booking.courses import services
from booking.exceptions import InvalidTransition, NotLicensedInState, SlotConflict
from booking.models import Booking, Session
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in, next_weekday
from tests.factories import verified_license
from therapy_directory import clock

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    therapist = bookable_therapist()
    return book(client_in(), therapist, at(next_weekday(1), 10), weeks=4)


def test_the_therapist_confirms_a_pending_course(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    course.refresh_from_db()
    assert course.status == "confirmed"
    assert set(course.sessions.values_list("status", flat=True)) == {"confirmed"}


def test_only_the_courses_therapist_can_confirm_or_decline(course):
    other = bookable_therapist()
    for person in (course.client, other.user):
        with pytest.raises(PermissionDenied):
            services.confirm_booking(booking_id=course.pk, by=person)
        with pytest.raises(PermissionDenied):
            services.decline_booking(booking_id=course.pk, by=person)
    course.refresh_from_db()
    assert course.status == "pending"


def test_declining_frees_the_times(course):
    services.decline_booking(booking_id=course.pk, by=course.therapist.user, reason="Full")
    assert set(course.sessions.values_list("status", flat=True)) == {"declined"}
    again = book(client_in(), course.therapist, course.sessions.first().start, weeks=4)
    assert again.sessions.count() == 4


def test_confirming_a_decided_course_is_refused(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    with pytest.raises(InvalidTransition):
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    with pytest.raises(InvalidTransition):
        services.decline_booking(booking_id=course.pk, by=course.therapist.user)


def test_pending_requests_expire_after_48_hours_and_free_their_times(course):
    with time_machine.travel(course.created_at + dt.timedelta(hours=47), tick=False):
        assert services.expire_pending_bookings() == 0
    with time_machine.travel(course.created_at + dt.timedelta(hours=49), tick=False):
        assert services.expire_pending_bookings() == 1
        assert services.expire_pending_bookings() == 0  # idempotent
    course.refresh_from_db()
    assert course.status == "expired"
    assert set(course.sessions.values_list("status", flat=True)) == {"expired"}
    assert book(client_in(), course.therapist, course.sessions.first().start, weeks=1)


def test_an_expired_request_cannot_be_confirmed_late(course):
    with (
        time_machine.travel(course.created_at + dt.timedelta(hours=49), tick=False),
        pytest.raises(InvalidTransition, match="expired"),
    ):
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    course.refresh_from_db()
    assert course.status == "pending"  # until the expiry task runs
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}


def test_the_client_cancels_one_session_and_the_rest_stay(course):
    session = course.sessions.order_by("start")[1]
    services.cancel_session(session_id=session.pk, by=course.client)
    statuses = list(course.sessions.order_by("start").values_list("status", flat=True))
    assert statuses == ["pending", "cancelled", "pending", "pending"]
    session.refresh_from_db()
    assert session.cancelled_by == course.client
    assert session.late_cancellation is False


def test_a_cancellation_inside_the_notice_period_is_kept_as_late(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    first = course.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=3), tick=False):
        services.cancel_session(session_id=first.pk, by=course.client)
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert first.late_cancellation is True


def test_a_therapist_must_give_a_reason_to_cancel(course):
    session = course.sessions.first()
    with pytest.raises(ValidationError):
        services.cancel_session(session_id=session.pk, by=course.therapist.user)
    services.cancel_session(session_id=session.pk, by=course.therapist.user, reason="Ill")
    session.refresh_from_db()
    assert session.cancel_reason == "Ill"


def test_cancelling_the_rest_of_the_course_keeps_past_sessions(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    sessions = list(course.sessions.order_by("start"))
    with time_machine.travel(sessions[1].start + dt.timedelta(hours=2), tick=False):
        services.cancel_booking(booking_id=course.pk, by=course.client)
    statuses = list(course.sessions.order_by("start").values_list("status", flat=True))
    assert statuses == ["confirmed", "confirmed", "cancelled", "cancelled"]


def test_cancelling_everything_cancels_the_booking(course):
    services.cancel_booking(booking_id=course.pk, by=course.client)
    course.refresh_from_db()
    assert course.status == "cancelled"
    with pytest.raises(InvalidTransition):
        services.cancel_booking(booking_id=course.pk, by=course.client)


def test_strangers_cannot_cancel(course):
    with pytest.raises(PermissionDenied):
        services.cancel_booking(booking_id=course.pk, by=client_in())
    with pytest.raises(PermissionDenied):
        services.cancel_session(session_id=course.sessions.first().pk, by=client_in())


def test_moving_the_rest_of_a_course_moves_every_remaining_session(course):
    new_start = at(next_weekday(3), 14)  # Thursdays 14:00 instead of Tuesdays 10:00
    services.move_booking(booking_id=course.pk, by=course.client, start=new_start)
    starts = [s.start.astimezone(NY) for s in course.sessions.order_by("start")]
    assert len(starts) == 4
    assert {(s.weekday(), s.hour) for s in starts} == {(3, 14)}
    assert starts[0] == new_start


def test_a_move_by_exactly_one_week_is_allowed_although_weeks_trade_places(course):
    first = course.sessions.order_by("start").first().start
    services.move_booking(
        booking_id=course.pk, by=course.client, start=first + dt.timedelta(weeks=1)
    )
    starts = [s.start for s in course.sessions.order_by("start")]
    assert starts[0] == first + dt.timedelta(weeks=1)
    assert len(set(starts)) == 4


def test_a_move_onto_a_taken_week_moves_nothing_and_names_the_week(course):
    therapist = course.therapist
    target = at(next_weekday(4), 11)
    blocker = book(client_in(), therapist, target + dt.timedelta(weeks=2), weeks=1)
    before = list(course.sessions.order_by("start").values_list("start", flat=True))
    with pytest.raises(SlotConflict) as exc:
        services.move_booking(booking_id=course.pk, by=course.client, start=target)
    assert exc.value.extra["conflicts"] == [blocker.sessions.get().start.isoformat()]
    assert list(course.sessions.order_by("start").values_list("start", flat=True)) == before


def test_the_therapist_marks_past_sessions_completed_or_no_show(course):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    first, second = list(course.sessions.order_by("start"))[:2]
    with pytest.raises(InvalidTransition):
        services.mark_session(session_id=first.pk, by=course.therapist.user, status="completed")
    with time_machine.travel(second.end + dt.timedelta(hours=1), tick=False):
        services.mark_session(session_id=first.pk, by=course.therapist.user, status="completed")
        services.mark_session(session_id=second.pk, by=course.therapist.user, status="no_show")
        with pytest.raises(PermissionDenied):
            services.mark_session(session_id=first.pk, by=course.client, status="no_show")
    assert list(course.sessions.order_by("start").values_list("status", flat=True))[:2] == [
        "completed",
        "no_show",
    ]


def test_both_sides_are_emailed_without_clinical_detail(django_capture_on_commit_callbacks):
    therapist = bookable_therapist()
    client = client_in()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(client, therapist, at(next_weekday(1), 10), weeks=12)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([client.email, therapist.user.email])
    for message in mail.outbox:
        assert "Interpersonal" not in message.body and "IPT" not in message.body
        assert "988" in message.body
    client_mail = next(m for m in mail.outbox if m.to == [client.email])
    assert "10:00 AM ET" in client_mail.body
    assert booking.status == "pending"


def test_no_email_is_sent_when_the_booking_fails(django_capture_on_commit_callbacks):
    therapist = bookable_therapist()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SlotConflict):
        book(client_in(), therapist, at(next_weekday(1), 7), weeks=1)
    assert mail.outbox == []
    assert not Booking.objects.exists()
    assert not Session.objects.exists()


def test_the_beat_schedule_expires_pending_requests_every_minute():
    from django.conf import settings

    entries = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["booking.tasks.expire_pending_bookings"] == dt.timedelta(minutes=1)
    assert "booking.tasks.refresh_stale_openings" in entries


def test_stale_next_openings_are_refreshed_as_time_passes():
    therapist = bookable_therapist()
    first = therapist.next_opening
    with time_machine.travel(first + dt.timedelta(days=2), tick=False):
        assert openings.refresh_stale_openings() == 1
        therapist.refresh_from_db()
        assert therapist.next_opening > first + dt.timedelta(days=2)


def test_the_course_services_refuse_a_group_meeting_clearly():
    from tests.booking.group_helpers import group_therapist, make_group

    therapist = group_therapist()
    group = make_group(therapist)
    meeting = Session.objects.filter(group=group).first()
    with pytest.raises(InvalidTransition, match="group meeting"):
        services.cancel_session(session_id=meeting.pk, by=therapist.user, reason="x")
    with pytest.raises(InvalidTransition, match="group meeting"):
        services.mark_session(session_id=meeting.pk, by=therapist.user, status="completed")


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00+00:00"])
def test_a_start_years_away_is_refused_with_a_reason_not_an_overflow(course, when):
    start = dt.datetime.fromisoformat(when)
    with pytest.raises(ValidationError) as refused:
        services.move_booking(booking_id=course.pk, by=course.client, start=start)
    assert refused.value.message_dict["start"] == ["Choose a start within the next two years."]
    with pytest.raises(ValidationError):
        book(client_in(), course.therapist, start)


def test_moving_to_a_start_years_away_through_the_page_is_a_form_error(course, client):
    client.force_login(course.client)
    response = client.post(f"/my/bookings/{course.pk}/move/", {"start": "9999-12-31 23:59"})
    assert response.status_code == 400
    assert "within the next two years" in response.content.decode()


# --- Licensure is checked again at each later step (PRODUCT rule 1) ------------------------

LAPSES = {
    "expired": {"expires_on": dt.date(2020, 1, 1)},
    "rejected": {"status": "rejected"},
}


def _lapse(therapist, how: str) -> None:
    therapist.licenses.update(**LAPSES[how])


@pytest.mark.parametrize("how", LAPSES)
def test_a_request_whose_license_lapsed_in_the_hold_cannot_be_confirmed(course, how):
    _lapse(course.therapist, how)
    with pytest.raises(NotLicensedInState) as caught:
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    assert caught.value.http_status == 403
    assert "You hold no verified, current license in NY" in caught.value.detail
    course.refresh_from_db()
    assert course.status == "pending"  # left to the therapist's decline or the hold's expiry
    assert course.decided_at is None
    assert set(course.sessions.values_list("status", flat=True)) == {"pending"}
    # Still declinable; the refusal left nothing half done.
    services.decline_booking(booking_id=course.pk, by=course.therapist.user)


@pytest.mark.parametrize("days_left, allowed", [(0, True), (-1, False)])
def test_a_license_is_valid_through_its_expiry_day_when_confirming(course, days_left, allowed):
    course.therapist.licenses.update(expires_on=clock.today() + dt.timedelta(days=days_left))
    if allowed:
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
        assert Booking.objects.get(pk=course.pk).status == "confirmed"
    else:
        with pytest.raises(NotLicensedInState):
            services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
        assert Booking.objects.get(pk=course.pk).status == "pending"


def test_a_request_can_be_confirmed_once_the_license_is_renewed(course):
    _lapse(course.therapist, "expired")
    with pytest.raises(NotLicensedInState):
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    verified_license(therapist=course.therapist, state="NY")
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    assert Booking.objects.get(pk=course.pk).status == "confirmed"


def test_a_client_who_moved_to_an_unlicensed_state_cannot_be_confirmed(course):
    course.client.state = "CA"
    course.client.save(update_fields=["state"])
    with pytest.raises(NotLicensedInState):
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    assert Booking.objects.get(pk=course.pk).status == "pending"


def test_a_license_elsewhere_does_not_confirm_a_request_in_the_clients_state(course):
    course.therapist.licenses.filter(state="NY").update(**LAPSES["expired"])
    verified_license(therapist=course.therapist, state="NJ")
    with pytest.raises(NotLicensedInState):
        services.confirm_booking(booking_id=course.pk, by=course.therapist.user)


@pytest.mark.parametrize("how", LAPSES)
@pytest.mark.parametrize("who", ["client", "therapist"])
def test_a_course_cannot_be_moved_after_the_license_lapsed(course, how, who):
    services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
    _lapse(course.therapist, how)
    before = list(course.sessions.order_by("start").values_list("id", "start", "end", "status"))
    by = course.client if who == "client" else course.therapist.user
    with pytest.raises(NotLicensedInState) as caught:
        services.move_booking(booking_id=course.pk, by=by, start=at(next_weekday(3), 14))
    assert caught.value.http_status == 403
    if who == "client":  # the very words of the refusal at booking time
        assert caught.value.detail.startswith(
            f"{course.therapist.display_name} holds no verified, current license in NY"
        )
    else:
        assert "You hold no verified, current license in NY" in caught.value.detail
    after = list(course.sessions.order_by("start").values_list("id", "start", "end", "status"))
    assert after == before


@pytest.mark.parametrize("step", ["confirm", "move"])
def test_the_recheck_reads_the_license_once(course, step):
    new_start = at(next_weekday(3), 14)
    with CaptureQueriesContext(connection) as queries:
        if step == "confirm":
            services.confirm_booking(booking_id=course.pk, by=course.therapist.user)
        else:
            services.move_booking(booking_id=course.pk, by=course.client, start=new_start)
    license_reads = [q["sql"] for q in queries.captured_queries if "providers_license" in q["sql"]]
    assert len(license_reads) == 1
    assert "LIMIT 1" in license_reads[0]  # an EXISTS, not a list of licenses
