"""Turning e-mail reminders off and on again on the account page (PRODUCT rule 10,
"reminder settings"): off stops every reminder of that person not yet sent, at once; on
brings back those of their upcoming sessions, without duplicates."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils.timezone import now

from booking.courses import services
from booking.groups import services as groups
from notifications import dispatch
from notifications.models import Reminder
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday

pytestmark = pytest.mark.django_db


def set_reminders(http, user, *, on: bool) -> None:
    """Post the account page as ``user``, changing only the reminders box."""
    http.force_login(user)
    data = {"name": user.name, "state": user.state or "NY", "timezone": user.timezone}
    if on:
        data["email_reminders"] = "on"
    response = http.post(reverse("accounts:account"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.email_reminders is on


def first_start() -> dt.datetime:
    return at(next_weekday(1, weeks_ahead=2), 10)


def confirmed_course(client, therapist, weeks=3):
    booking = book(client, therapist, first_start(), weeks=weeks)
    services.confirm_booking(booking_id=booking.pk, by=therapist.user)
    return booking


def statuses(**filters) -> Counter:
    return Counter(Reminder.objects.filter(**filters).values_list("status", flat=True))


def reminders_sent_to() -> list[str]:
    return sorted(m.to[0] for m in mail.outbox if m.subject.startswith("Reminder"))


def dispatch_at(moment: dt.datetime) -> dict[str, int]:
    mail.outbox = []
    with time_machine.travel(moment, tick=False):
        return dispatch.dispatch()


def test_turning_reminders_off_stops_that_persons_reminders_and_no_one_elses(client):
    therapist, other_therapist = bookable_therapist(), bookable_therapist()
    maya, other = client_in(), client_in()
    confirmed_course(maya, therapist)
    confirmed_course(other, other_therapist)
    set_reminders(client, maya, on=False)
    assert statuses(recipient=maya) == {"cancelled": 3 * 2}
    result = dispatch_at(first_start() - dt.timedelta(hours=24))
    expected = sorted([other.email, therapist.user.email, other_therapist.user.email])
    assert reminders_sent_to() == expected
    assert result["sent"] == 3
    assert statuses(recipient=maya) == {"cancelled": 3 * 2}


def test_turning_them_back_on_restores_the_upcoming_reminders_once(client):
    therapist, maya = bookable_therapist(), client_in()
    booking = confirmed_course(maya, therapist)
    set_reminders(client, maya, on=False)
    assert statuses(recipient=maya) == {"cancelled": 6}
    set_reminders(client, maya, on=True)
    set_reminders(client, maya, on=True)  # saving again changes nothing
    rows = Reminder.objects.filter(recipient=maya).select_related("session")
    assert statuses(recipient=maya) == {"pending": 6}
    assert Counter((r.session_id, r.minutes_before) for r in rows) == {
        (s.pk, m): 1 for s in booking.sessions.all() for m in (1440, 60)
    }
    for r in rows:
        assert (
            r.due_at
            == r.next_attempt_at
            == r.session.start - dt.timedelta(minutes=r.minutes_before)
        )
    dispatch_at(first_start() - dt.timedelta(hours=24))
    assert reminders_sent_to() == sorted([maya.email, therapist.user.email])


def test_sessions_confirmed_while_off_get_their_reminders_when_turned_on(client):
    therapist, maya = bookable_therapist(), client_in()
    set_reminders(client, maya, on=False)
    confirmed_course(maya, therapist, weeks=2)
    assert not Reminder.objects.filter(recipient=maya).exists()
    set_reminders(client, maya, on=True)
    assert statuses(recipient=maya) == {"pending": 4}
    assert statuses(recipient=therapist.user) == {"pending": 4}


def test_past_sessions_and_past_offsets_get_nothing_back(client):
    therapist, maya = bookable_therapist(), client_in()
    booking = confirmed_course(maya, therapist)
    first, second, third = booking.sessions.order_by("start")
    set_reminders(client, maya, on=False)
    # Two hours before the second session: the first is over, the second's 24-hour
    # reminder is past, its 1-hour one is still ahead.
    with time_machine.travel(second.start - dt.timedelta(hours=2), tick=False):
        set_reminders(client, maya, on=True)
    assert statuses(recipient=maya, session=first) == {"cancelled": 2}
    assert statuses(recipient=maya, session=second, minutes_before=1440) == {"cancelled": 1}
    assert statuses(recipient=maya, session=second, minutes_before=60) == {"pending": 1}
    assert statuses(recipient=maya, session=third) == {"pending": 2}
    result = dispatch_at(second.start - dt.timedelta(hours=2))
    assert maya.email not in reminders_sent_to()
    assert result["sent"] == 0


def test_a_therapists_own_reminders_follow_their_own_flag_only(client):
    therapist, maya = bookable_therapist(), client_in()
    confirmed_course(maya, therapist)
    set_reminders(client, therapist.user, on=False)
    assert statuses(recipient=therapist.user) == {"cancelled": 6}
    assert statuses(recipient=maya) == {"pending": 6}
    set_reminders(client, maya, on=False)
    set_reminders(client, therapist.user, on=True)
    assert statuses(recipient=therapist.user) == {"pending": 6}
    assert statuses(recipient=maya) == {"cancelled": 6}
    dispatch_at(first_start() - dt.timedelta(hours=24))
    assert reminders_sent_to() == [therapist.user.email]


def test_group_members_get_back_the_meetings_of_groups_they_are_still_in(client):
    therapist = group_therapist()
    group, other_group = (
        make_group(therapist, weeks=2),
        make_group(therapist, weeks=2, start_time=dt.time(14)),
    )
    maya = client_in()
    groups.enrol(client=maya, group_id=group.pk)
    groups.enrol(client=maya, group_id=other_group.pk)
    groups.leave(client=maya, group_id=other_group.pk)
    set_reminders(client, maya, on=False)
    assert statuses(recipient=maya) == {"cancelled": 8}
    set_reminders(client, maya, on=True)
    assert statuses(recipient=maya, session__group=group) == {"pending": 4}
    assert statuses(recipient=maya, session__group=other_group) == {"cancelled": 4}


def test_a_row_left_sending_by_a_dead_worker_is_cancelled_a_live_claim_is_not(client):
    therapist, maya = bookable_therapist(), client_in()
    booking = confirmed_course(maya, therapist, weeks=2)
    first, second = booking.sessions.order_by("start")
    due = first.start - dt.timedelta(hours=24)
    with time_machine.travel(due + dt.timedelta(minutes=10), tick=False):
        mine = Reminder.objects.filter(recipient=maya, minutes_before=1440)
        # A worker claimed the first row ten minutes ago and died (the lease is five);
        # another is sending the second one right now.
        mine.filter(session=first).update(
            status="sending", claimed_at=due, claimed_by="dead", attempts=1
        )
        mine.filter(session=second).update(status="sending", claimed_at=now(), claimed_by="live")
        set_reminders(client, maya, on=False)
        dead = mine.get(session=first)
        live = mine.get(session=second)
        assert dead.status == "cancelled"
        assert (live.status, live.claimed_by) == ("sending", "live")
        mail.outbox = []
        dispatch.dispatch()
    assert maya.email not in reminders_sent_to()
    assert Reminder.objects.get(pk=dead.pk).status == "cancelled"


def test_the_dispatcher_sends_nothing_to_someone_who_opted_out_after_the_row_was_written():
    # A row written as the person opted out (a confirm reading the old flag), or a failed
    # send put back to pending while they opted out: still pending, flag now off.
    therapist, maya = bookable_therapist(), client_in()
    confirmed_course(maya, therapist, weeks=1)
    type(maya).objects.filter(pk=maya.pk).update(email_reminders=False)  # no cancel ran
    assert statuses(recipient=maya) == {"pending": 2}
    result = dispatch_at(first_start() - dt.timedelta(hours=24))
    assert reminders_sent_to() == [therapist.user.email]
    assert result == {"sent": 1, "failed": 0, "retry": 0, "cancelled": 1, "skipped": 0}
    assert statuses(recipient=maya) == {"cancelled": 1, "pending": 1}  # the 1 h one: not due
