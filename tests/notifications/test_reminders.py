import datetime as dt

import pytest
import time_machine
from django.core import mail

from booking.courses import services
from notifications import dispatch
from notifications.models import Reminder
from tests.booking.helpers import NY, at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed():
    therapist = bookable_therapist(video_url="https://video.example/room-7")
    booking = book(client_in(), therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=3)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    return booking


def test_confirming_creates_24h_and_1h_reminders_for_client_and_therapist(confirmed):
    rows = Reminder.objects.filter(session__booking=confirmed)
    assert rows.count() == 3 * 2 * 2
    first = confirmed.sessions.order_by("start").first()
    due = sorted(r.due_at for r in rows.filter(session=first, recipient=confirmed.client))
    assert due == [first.start - dt.timedelta(hours=24), first.start - dt.timedelta(hours=1)]


def test_a_pending_request_has_no_reminders_yet():
    therapist = bookable_therapist()
    book(client_in(), therapist, at(next_weekday(1), 10), weeks=2)
    assert not Reminder.objects.exists()


def test_a_client_who_turned_reminders_off_gets_none_but_the_therapist_does():
    therapist = bookable_therapist()
    client = client_in(email_reminders=False)
    booking = book(client, therapist, at(next_weekday(1), 10), weeks=2)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    assert not Reminder.objects.filter(recipient=client).exists()
    assert Reminder.objects.filter(recipient=therapist.user).count() == 4


def test_the_therapist_chooses_the_offsets():
    therapist = bookable_therapist(reminder_minutes=[2880, 30])
    booking = book(client_in(), therapist, at(next_weekday(1, weeks_ahead=2), 10), weeks=1)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    assert set(Reminder.objects.values_list("minutes_before", flat=True)) == {2880, 30}


def test_offsets_already_past_at_confirmation_are_not_created():
    therapist = bookable_therapist()
    start = at(next_weekday(1), 10)
    with time_machine.travel(start - dt.timedelta(hours=30), tick=False):
        booking = book(client_in(), therapist, start, weeks=1)
    with time_machine.travel(start - dt.timedelta(hours=5), tick=False):
        services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    assert set(Reminder.objects.values_list("minutes_before", flat=True)) == {60}


def test_cancelling_a_session_cancels_its_reminders_in_the_same_transaction(confirmed):
    session = confirmed.sessions.order_by("start").first()
    services.cancel_session(session_id=session.pk, by=confirmed.client)
    assert set(session.reminders.values_list("status", flat=True)) == {"cancelled"}
    others = Reminder.objects.exclude(session=session)
    assert set(others.values_list("status", flat=True)) == {"pending"}


def test_moving_a_course_moves_its_reminders(confirmed):
    new_start = at(next_weekday(3, weeks_ahead=2), 15)
    services.move_booking(booking_id=confirmed.pk, by=confirmed.client, start=new_start)
    for reminder in Reminder.objects.select_related("session"):
        assert reminder.due_at == reminder.session.start - dt.timedelta(
            minutes=reminder.minutes_before
        )


def test_a_due_reminder_is_sent_once_with_time_zone_name_and_video_link(confirmed):
    first = confirmed.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
        result = dispatch.dispatch()
        again = dispatch.dispatch()
    assert result["sent"] == 2 and again["sent"] == 0
    client_mail = next(m for m in mail.outbox if m.to == [confirmed.client.email])
    local = first.start.astimezone(NY)
    day = f"{local:%A, %B} {local.day}, {local.year}"
    clock = f"{local.hour % 12 or 12}:{local:%M %p} ET"
    assert f"{day} at {clock}" in client_mail.body
    assert f"{local:%b} {local.day} · " in client_mail.subject
    assert confirmed.therapist.display_name in client_mail.body
    assert "https://video.example/room-7" in client_mail.body
    assert "IPT" not in client_mail.body and "Interpersonal" not in client_mail.body
    sent = Reminder.objects.filter(status="sent")
    assert sent.count() == 2 and all(r.sent_at for r in sent)


def test_a_reminder_for_a_session_cancelled_a_second_before_dispatch_is_never_sent(confirmed):
    first = confirmed.sessions.order_by("start").first()
    due = first.start - dt.timedelta(hours=1)
    with time_machine.travel(due - dt.timedelta(seconds=1), tick=False):
        services.cancel_session(session_id=first.pk, by=confirmed.client)
    with time_machine.travel(due, tick=False):
        assert dispatch.dispatch()["sent"] == 0
    assert mail.outbox == [] or all("Reminder" not in m.subject for m in mail.outbox)


def test_reminders_more_than_the_cutoff_late_are_skipped_not_sent(confirmed):
    first = confirmed.sessions.order_by("start").first()
    with time_machine.travel(first.start + dt.timedelta(hours=2), tick=False):
        result = dispatch.dispatch()
    assert result["sent"] == 0
    statuses = set(Reminder.objects.filter(session=first).values_list("status", flat=True))
    assert statuses == {"skipped"}


def test_a_failed_send_is_retried_with_backoff_then_marked_failed(confirmed, settings):
    settings.EMAIL_BACKEND = "tests.notifications.broken_mail.BrokenBackend"
    first = confirmed.sessions.order_by("start").first()
    due = first.start - dt.timedelta(hours=24)
    with time_machine.travel(due, tick=False):
        assert dispatch.dispatch()["retry"] == 2
    reminder = Reminder.objects.get(session=first, recipient=confirmed.client, minutes_before=1440)
    assert reminder.status == "pending" and reminder.attempts == 1
    assert reminder.next_attempt_at > due
    moment = due
    for _ in range(dispatch.MAX_ATTEMPTS - 1):
        reminder.refresh_from_db()
        moment = reminder.next_attempt_at
        with time_machine.travel(moment, tick=False):
            dispatch.dispatch()
    reminder.refresh_from_db()
    assert reminder.status == "failed"
    assert reminder.attempts == dispatch.MAX_ATTEMPTS
    assert "SMTP" in reminder.last_error


def test_a_row_left_sending_by_a_dead_worker_is_handed_back_after_its_lease(confirmed):
    first = confirmed.sessions.order_by("start").first()
    due = first.start - dt.timedelta(hours=24)
    with time_machine.travel(due, tick=False):
        claimed = dispatch.claim(worker="dead-worker")  # and then it died
    assert len(claimed) == 2
    with time_machine.travel(due + dt.timedelta(minutes=1), tick=False):
        assert dispatch.dispatch()["sent"] == 0  # still leased
    with time_machine.travel(due + dispatch.lease() + dt.timedelta(minutes=1), tick=False):
        assert dispatch.dispatch()["sent"] == 2


def test_two_workers_never_claim_the_same_row(confirmed):
    first = confirmed.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
        a = dispatch.claim(worker="a", limit=1)
        b = dispatch.claim(worker="b", limit=10)
    assert len(a) == 1 and len(b) == 1 and set(a).isdisjoint(b)


def test_the_health_counts_show_due_sent_failed_and_skipped(confirmed):
    first = confirmed.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
        dispatch.dispatch()
        counts = dispatch.health()
    assert counts["sent"] == 2
    assert counts["due"] == 0


def test_staff_see_reminder_health_and_nobody_else_does(client, confirmed):
    from tests.factories import UserFactory, make_verifier

    first = confirmed.sessions.order_by("start").first()
    with time_machine.travel(first.start - dt.timedelta(hours=24), tick=False):
        dispatch.dispatch()
    for person in (confirmed.client, confirmed.therapist.user, UserFactory()):
        client.force_login(person)
        assert client.get("/staff/reminders/").status_code == 404
    client.force_login(make_verifier())
    page = client.get("/staff/reminders/")
    assert page.status_code == 200
    assert page.context["counts"]["sent"] == 2
    assert b"last ran" in page.content
    # The staff pages' shared nav, this page marked as the current one.
    assert b'<a href="/staff/reminders/" aria-current="page">Reminder health</a>' in page.content
    assert b'<nav class="subnav" aria-label="Staff">' in page.content
