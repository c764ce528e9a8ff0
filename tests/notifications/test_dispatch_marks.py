"""The dispatcher marks each row, committed, before it hands over the next message, and
re-checks each row just before its hand-off. These tests run outside a test transaction,
as a worker does: the checking mail backends look at what is committed."""

import pytest
from django.core import mail

from notifications import dispatch
from notifications.models import Reminder
from tests.notifications.checking_mail import CancelsLaterSessionBackend, UnmarkedCountingBackend
from tests.notifications.helpers import make_due_reminders

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_run_stops_between_batches_once_its_time_budget_is_spent():
    ids = make_due_reminders(25)
    result = dispatch.dispatch(time_budget=0, batch_size=10)  # budget spent at once
    assert result["sent"] == 10
    statuses = list(Reminder.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert sorted(statuses) == ["pending"] * 15 + ["sent"] * 10  # nothing claimed unsent
    assert dispatch.dispatch(batch_size=10)["sent"] == 15


def test_each_message_is_marked_before_the_next_is_handed_over(settings):
    """The bound behind "at most one duplicate per kill": at every hand-off, every
    message handed over before it is already marked sent."""
    settings.EMAIL_BACKEND = "tests.notifications.checking_mail.UnmarkedCountingBackend"
    UnmarkedCountingBackend.handed = []
    UnmarkedCountingBackend.unmarked_at_handoff = []
    UnmarkedCountingBackend.in_transaction_at_handoff = []
    ids = make_due_reminders(45)
    result = dispatch.dispatch(batch_size=20)  # three batches
    assert result["sent"] == 45
    assert sorted(UnmarkedCountingBackend.handed) == sorted(ids)
    assert UnmarkedCountingBackend.unmarked_at_handoff == [0] * 45
    assert UnmarkedCountingBackend.in_transaction_at_handoff == [False] * 45  # marks committed
    assert Reminder.objects.filter(pk__in=ids, status="sent", sent_at__isnull=False).count() == 45


def test_a_row_whose_lease_was_lost_during_its_hand_off_is_not_marked_by_us(settings):
    settings.EMAIL_BACKEND = "tests.notifications.checking_mail.LeaseLostBackend"
    ids = make_due_reminders(3)
    result = dispatch.dispatch()
    assert result["sent"] == 0  # every conditional mark found the row no longer ours
    rows = Reminder.objects.filter(pk__in=ids)
    assert {(r.status, r.claimed_by) for r in rows} == {("sending", "another-worker")}


def test_a_session_cancelled_while_its_reminder_waits_in_the_batch_is_not_sent(settings):
    """The session was confirmed when the batch was claimed; it is cancelled while the
    batch is being sent. The re-check just before each hand-off stops its reminders."""
    settings.EMAIL_BACKEND = "tests.notifications.checking_mail.CancelsLaterSessionBackend"
    ids = make_due_reminders(20)  # two sessions, ten reminders each, in id order
    rows = Reminder.objects.filter(pk__in=ids).order_by("id")
    first_session, second_session = rows[0].session_id, rows[19].session_id
    assert first_session != second_session
    CancelsLaterSessionBackend.session_to_cancel = second_session
    result = dispatch.dispatch()
    assert result["sent"] == 10 and result["cancelled"] == 10
    assert {r.status for r in rows if r.session_id == second_session} == {"cancelled"}
    assert {int(m.extra_headers["X-Rapport-Reminder"]) for m in mail.outbox} == {
        r.pk for r in rows if r.session_id == first_session
    }


def test_a_failed_send_is_put_back_with_backoff(settings):
    settings.EMAIL_BACKEND = "tests.notifications.broken_mail.BrokenBackend"
    ids = make_due_reminders(4)
    assert dispatch.dispatch()["retry"] == 4
    for row in Reminder.objects.filter(pk__in=ids):
        assert row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at > row.due_at and "SMTP" in row.last_error
