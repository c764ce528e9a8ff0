"""Time off over booked weeks (PRODUCT.md rule 4, issue 15 item 2): nothing is cancelled
silently; the hours page lists the sessions booked in the therapist's time off first, and
for each the therapist keeps it, cancels it with a reason (the client is told) or defers
it to one week after the course's last session."""

import datetime as dt
import re
import threading

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import now

from accounts.templatetags.us_time import us_datetime
from audit.models import AuditEvent
from booking import availability, openings
from booking.courses import services
from booking.exceptions import InvalidTransition, SlotConflict
from booking.groups import services as groups
from booking.models import Booking, Session
from notifications.models import Reminder
from providers.models import Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import (
    NY,
    at,
    book,
    bookable_therapist,
    client_in,
    committed,
    next_weekday,
)

pytestmark = pytest.mark.django_db

TUESDAY = 1
WEEK = dt.timedelta(weeks=1)


def text(html: str) -> str:
    """What a reader sees: the page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def seen_by(user, moment: dt.datetime) -> str:
    """A time as the pages show it to ``user``."""
    with timezone.override(user.timezone):
        return us_datetime(moment)


def confirmed_course(therapist=None, *, first: dt.date | None = None, weeks=12, hour=10):
    """A confirmed course of ``weeks`` Tuesdays (by default) at 10:00 New York time."""
    therapist = therapist or bookable_therapist(display_name="Maya Lindqvist")
    first = first or next_weekday(TUESDAY)
    booking = book(client_in(name="Dana Reyes"), therapist, at(first, hour), weeks=weeks)
    return services.confirm_booking(booking_id=booking.pk, by=therapist.user)


def week_off(therapist, day: dt.date):
    """The therapist takes the whole week (Monday to Sunday) of ``day`` off."""
    monday = day - dt.timedelta(days=day.weekday())
    with committed():
        return availability.add_time_off(
            therapist=therapist, start_date=monday, end_date=monday + dt.timedelta(days=6)
        )


def session_in_week(booking: Booking, week: int) -> Session:
    return booking.sessions.get(week=week)


def local_day(session: Session) -> dt.date:
    return session.start.astimezone(NY).date()


def audited(action: str, session: Session) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, target_type="session", target_id=session.pk)
    )


# --- The list, first on the hours page -----------------------------------------------------


def test_time_off_over_a_booked_week_cancels_nothing_and_lists_the_session_first(client):
    course = confirmed_course()
    therapist = course.therapist
    third = session_in_week(course, 3)
    client.force_login(therapist.user)
    assert "Booked in your time off" not in text(
        client.get(reverse("booking:hours")).content.decode()
    )

    start = local_day(third) - dt.timedelta(days=local_day(third).weekday())
    with committed():
        added = client.post(
            reverse("booking:add_time_off"),
            {
                "start_date": start.isoformat(),
                "end_date": (start + dt.timedelta(days=6)).isoformat(),
            },
            follow=True,
        )

    page = text(added.content.decode())
    assert "1 session is already booked on those days" in page
    assert set(course.sessions.values_list("status", flat=True)) == {"confirmed"}
    assert mail.outbox == []
    listed = page.index("Booked in your time off (1)")
    assert listed < page.index("Your week at a glance")  # first on the page
    assert seen_by(therapist.user, third.start) in page[listed:]
    assert "Dana Reyes · session 3 of 12" in page
    after_last = session_in_week(course, 12).start + WEEK
    assert f"Defer to {seen_by(therapist.user, after_last)}" in page
    assert "Keep it" in page and "Cancel it and tell Dana Reyes" in page


def test_the_list_holds_every_session_in_any_time_off_and_nothing_else():
    course = confirmed_course()
    therapist = course.therapist
    week_off(therapist, local_day(session_in_week(course, 3)))
    week_off(therapist, local_day(session_in_week(course, 7)))
    services.cancel_session(
        session_id=session_in_week(course, 7).pk, by=course.client, reason="Travelling"
    )

    listed = availability.sessions_to_decide(therapist, at=now())

    assert [s.week for s in listed] == [3]


def test_a_group_meeting_in_time_off_is_listed_too():
    therapist = group_therapist()
    group = make_group(therapist)
    groups.enrol(client=client_in(), group_id=group.pk)
    meeting = group.meetings.order_by("start")[1]
    week_off(therapist, local_day(meeting))

    assert availability.sessions_to_decide(therapist, at=now()) == [meeting]


def test_the_list_and_its_deferral_plans_take_the_same_reads_whatever_their_number(
    django_assert_max_num_queries,
):
    therapist = bookable_therapist()
    first = next_weekday(TUESDAY)
    for hour in (9, 11, 13, 15):
        confirmed_course(therapist, first=first, weeks=4, hour=hour)
        book(client_in(), therapist, at(first + dt.timedelta(days=1), hour), weeks=4)
    week_off(therapist, first + WEEK)
    with django_assert_max_num_queries(6):
        listed = availability.sessions_to_decide(therapist, at=now())
        plans = availability.deferral_previews(therapist, listed)
    assert len(listed) == 8 and len(plans) == 8


# --- Keep ----------------------------------------------------------------------------------


def test_keeping_a_session_holds_it_tells_nobody_and_takes_it_off_the_list(client):
    course = confirmed_course()
    third = session_in_week(course, 3)
    week_off(course.therapist, local_day(third))
    client.force_login(course.therapist.user)

    with committed():
        response = client.post(reverse("booking:keep_in_time_off", args=[third.pk]))

    assert response.status_code == 302
    third.refresh_from_db()
    assert third.status == "confirmed" and third.kept_in_time_off
    assert mail.outbox == []  # nothing changes for the client
    assert [e.actor_id for e in audited("session_kept", third)] == [course.therapist.user_id]
    assert availability.sessions_to_decide(course.therapist, at=now()) == []
    page = text(client.get(response.url).content.decode())
    assert f"Kept Dana Reyes’s session on {seen_by(course.therapist.user, third.start)}" in page
    assert "Booked in your time off" not in page


def test_another_therapists_session_cannot_be_kept(client):
    course = confirmed_course()
    third = session_in_week(course, 3)
    client.force_login(bookable_therapist().user)
    assert client.post(reverse("booking:keep_in_time_off", args=[third.pk])).status_code == 404
    third.refresh_from_db()
    assert not third.kept_in_time_off


# --- Cancel with a reason ---------------------------------------------------------------------


def test_cancelling_tells_the_client_why_and_is_audited(client):
    course = confirmed_course()
    third = session_in_week(course, 3)
    week_off(course.therapist, local_day(third))
    client.force_login(course.therapist.user)

    with committed():
        response = client.post(
            reverse("booking:cancel_in_time_off", args=[third.pk]),
            {"reason": "I am away at a conference that week."},
        )

    assert response.status_code == 302
    third.refresh_from_db()
    assert third.status == "cancelled"
    assert third.cancel_reason == "I am away at a conference that week."
    to_client = [m for m in mail.outbox if m.to == [course.client.email]]
    assert len(to_client) == 1
    assert "Reason: I am away at a conference that week." in to_client[0].body
    assert len(audited("session_cancelled", third)) == 1
    assert availability.sessions_to_decide(course.therapist, at=now()) == []
    assert "Your client is told by e-mail" in text(client.get(response.url).content.decode())


def test_cancelling_without_a_reason_is_refused_beside_the_field(client):
    course = confirmed_course()
    third = session_in_week(course, 3)
    week_off(course.therapist, local_day(third))
    client.force_login(course.therapist.user)

    with committed():
        response = client.post(
            reverse("booking:cancel_in_time_off", args=[third.pk]), {"reason": "  "}
        )

    assert response.status_code == 400
    assert f'id="id_off_{third.pk}_reason_error"' in response.content.decode()
    third.refresh_from_db()
    assert third.status == "confirmed"
    assert mail.outbox == []


def test_cancelling_a_group_meeting_in_time_off_tells_every_member(client):
    therapist = group_therapist()
    group = make_group(therapist)
    members = [client_in() for _ in range(2)]
    for member in members:
        groups.enrol(client=member, group_id=group.pk)
    meeting = group.meetings.order_by("start")[1]
    week_off(therapist, local_day(meeting))
    client.force_login(therapist.user)

    with committed():
        response = client.post(
            reverse("booking:cancel_in_time_off", args=[meeting.pk]), {"reason": "Away"}
        )

    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert "Reason: Away" in mail.outbox[0].body
    assert len(audited("meeting_cancelled", meeting)) == 1


# --- Defer -----------------------------------------------------------------------------------


def test_deferring_moves_the_session_a_week_after_the_course_and_tells_the_client(client):
    course = confirmed_course()
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    was = third.start
    week_off(course.therapist, local_day(third))
    client.force_login(course.therapist.user)

    with committed():
        response = client.post(reverse("booking:defer_in_time_off", args=[third.pk]))

    assert response.status_code == 302
    third.refresh_from_db()
    target = at(local_day(last) + WEEK, 10)
    length = dt.timedelta(minutes=course.therapist.session_minutes)
    assert (third.start, third.end) == (target, target + length)
    assert third.status == "confirmed"
    course.refresh_from_db()
    assert course.skipped == [local_day_of(was)]
    # Numbered in order again: the deferred session is the last one.
    weeks = list(course.sessions.order_by("start").values_list("week", "pk"))
    assert weeks == [(n, pk) for n, (_, pk) in enumerate(weeks, start=1)]
    assert weeks[-1] == (12, third.pk)
    to_client = [m for m in mail.outbox if m.to == [course.client.email]]
    assert len(to_client) == 1
    assert "moved one session" in to_client[0].body
    assert f"Was: {seen_by(course.client, was)}" in to_client[0].body
    assert f"Now: {seen_by(course.client, target)}" in to_client[0].body
    [event] = audited("session_deferred", third)
    assert event.actor_id == course.therapist.user_id and event.subject_id == course.client_id
    assert availability.sessions_to_decide(course.therapist, at=now()) == []
    page = text(client.get(response.url).content.decode())
    assert f"to {seen_by(course.therapist.user, target)}" in page


def local_day_of(moment: dt.datetime) -> dt.date:
    return moment.astimezone(NY).date()


def test_a_deferred_sessions_reminders_follow_it():
    course = confirmed_course()
    third = session_in_week(course, 3)
    week_off(course.therapist, local_day(third))
    assert Reminder.objects.filter(session=third).exists()

    services.defer_session(session_id=third.pk, by=course.therapist.user)

    third.refresh_from_db()
    for reminder in Reminder.objects.filter(session=third):
        assert reminder.due_at == third.start - dt.timedelta(minutes=reminder.minutes_before)
        assert reminder.status == "pending"


def test_deferring_into_a_taken_week_is_a_conflict_naming_why_and_changes_nothing(
    django_capture_on_commit_callbacks,
):
    course = confirmed_course()
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    week_off(course.therapist, local_day(third))
    book(client_in(), course.therapist, last.start + WEEK, weeks=1)
    before = (third.start, third.end, third.week)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SlotConflict) as exc:
        services.defer_session(session_id=third.pk, by=course.therapist.user)

    assert exc.value.weeks == [(last.start + WEEK, "taken")]
    assert exc.value.as_dict()["reasons"] == ["already booked"]
    third.refresh_from_db()
    assert (third.start, third.end, third.week) == before
    course.refresh_from_db()
    assert course.skipped == []
    assert mail.outbox == []
    assert audited("session_deferred", third) == []


def test_the_hours_page_says_why_a_session_cannot_be_deferred(client):
    course = confirmed_course()
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    week_off(course.therapist, local_day(third))
    book(client_in(), course.therapist, last.start + WEEK, weeks=1)
    client.force_login(course.therapist.user)

    page = text(client.get(reverse("booking:hours")).content.decode())
    blocked = seen_by(course.therapist.user, last.start + WEEK)
    assert f"Can’t be deferred: {blocked} is already booked" in page
    # An old page's button, sent anyway: refused with the reason, nothing moved.
    response = client.post(reverse("booking:defer_in_time_off", args=[third.pk]))
    assert response.status_code == 409
    assert f"Not deferred: {blocked} is already booked" in text(response.content.decode())
    third.refresh_from_db()
    assert third.start == at(local_day(third), 10)


def test_a_week_off_after_the_course_is_skipped_like_a_course_skips_it():
    course = confirmed_course()
    third, last = session_in_week(course, 3), session_in_week(course, 12)
    left = local_day(third)
    week_off(course.therapist, left)
    week_off(course.therapist, local_day(last) + WEEK)

    services.defer_session(session_id=third.pk, by=course.therapist.user)

    third.refresh_from_db()
    assert third.start == at(local_day(last) + 2 * WEEK, 10)
    course.refresh_from_db()
    assert course.skipped == [left, local_day(last) + WEEK]


def test_more_weeks_off_after_the_course_than_a_course_may_skip_is_a_conflict():
    course = confirmed_course(weeks=4)
    second, last = session_in_week(course, 2), session_in_week(course, 4)
    week_off(course.therapist, local_day(second))
    for n in range(1, 6):
        week_off(course.therapist, local_day(last) + n * WEEK)

    with pytest.raises(SlotConflict) as exc:
        services.defer_session(session_id=second.pk, by=course.therapist.user)

    assert exc.value.weeks == [(at(local_day(last) + 5 * WEEK, 10), "time_off")]


@time_machine.travel(dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC), tick=False)
def test_deferring_across_a_daylight_saving_change_keeps_the_local_time():
    # Tuesdays 10:00 New York from Dec 22: the last, Mar 9 2027, is on standard time;
    # a week later (Mar 16) clocks have moved forward.
    course = confirmed_course(first=dt.date(2026, 12, 22))
    second, last = session_in_week(course, 2), session_in_week(course, 12)
    assert last.start == dt.datetime(2027, 3, 9, 15, tzinfo=dt.UTC)
    week_off(course.therapist, dt.date(2026, 12, 29))

    services.defer_session(session_id=second.pk, by=course.therapist.user)

    second.refresh_from_db()
    assert second.start == dt.datetime(2027, 3, 16, 14, tzinfo=dt.UTC)
    assert second.start.astimezone(NY).time() == dt.time(10)


def test_only_the_courses_therapist_defers_and_only_a_course_session():
    course = confirmed_course()
    third = session_in_week(course, 3)
    for someone in (course.client, bookable_therapist().user):
        with pytest.raises(PermissionDenied):
            services.defer_session(session_id=third.pk, by=someone)
    therapist = group_therapist()
    meeting = make_group(therapist).meetings.first()
    with pytest.raises(InvalidTransition):
        services.defer_session(session_id=meeting.pk, by=therapist.user)
    third.refresh_from_db()
    assert third.start == at(local_day(third), 10)


def test_a_cancelled_session_cannot_be_deferred():
    course = confirmed_course()
    third = session_in_week(course, 3)
    services.cancel_session(session_id=third.pk, by=course.client)
    with pytest.raises(InvalidTransition):
        services.defer_session(session_id=third.pk, by=course.therapist.user)


def test_a_deferral_marks_the_next_opening_and_the_commit_recomputes_it(
    django_capture_on_commit_callbacks,
):
    course = confirmed_course()
    therapist = course.therapist
    third = session_in_week(course, 3)
    week_off(therapist, local_day(third))

    def stored():
        return Therapist.objects.values_list("next_opening", "next_opening_stale_at").get(
            pk=therapist.pk
        )

    assert stored()[1] > now()  # fresh before
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.defer_session(session_id=third.pk, by=therapist.user)
    assert stored()[1] <= now()  # due at once
    for callback in callbacks:
        callback()
    assert stored() == openings.next_opening_and_stale_at(therapist)


# --- Under real concurrency --------------------------------------------------------------------


def _race(jobs):
    """Each job on its own connection (a thread), all released at once."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait()
            outcomes[i] = ("ok", job())
        except SlotConflict as exc:
            outcomes[i] = ("conflict", exc)
        except Exception as exc:  # noqa: BLE001 — any other outcome fails the test
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_a_booking_racing_a_deferral_for_the_same_week_never_double_books(settings):
    settings.LOCK_TIMEOUT_MS = 30_000  # waiting its turn is the point, on a shared machine
    for _ in range(3):  # a fresh race each time
        therapist = bookable_therapist()
        course = confirmed_course(therapist)
        second, last = session_in_week(course, 2), session_in_week(course, 12)
        week_off(therapist, local_day(second))
        newcomer = client_in()
        outcomes = _race(
            [
                lambda s=second, by=therapist.user: services.defer_session(session_id=s.pk, by=by),
                lambda c=newcomer, t=therapist, w=last.start + WEEK: book(c, t, w, weeks=1),
            ]
        )
        assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"], outcomes
        held = list(Session.objects.active().filter(therapist=therapist).order_by("start"))
        for a, b in zip(held, held[1:], strict=False):
            assert a.end <= b.start, (a, b)
