"""Reminder rows: created with confirmed sessions, cancelled with them.

Call these inside the transaction that changes the sessions, so the rows and the
sessions can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.utils.timezone import now

from notifications.models import Reminder

DEFAULT_MINUTES_BEFORE = (24 * 60, 60)


def offsets_for(session) -> Sequence[int]:
    """The therapist chooses the offsets (default 24 h and 1 h before)."""
    return session.therapist.reminder_minutes or DEFAULT_MINUTES_BEFORE


def schedule_reminders(*, sessions: Iterable, recipient) -> int:
    """Create the reminders of ``sessions`` for ``recipient``; skip offsets already in the
    past (the confirmation e-mail covers those) and clients who turned reminders off.
    Idempotent: an existing row for the same session, person and offset is kept."""
    if not getattr(recipient, "email_reminders", True):
        return 0
    at = now()
    rows = []
    for session in sessions:
        for minutes in offsets_for(session):
            due = session.start - dt.timedelta(minutes=minutes)
            if due <= at:
                continue
            rows.append(
                Reminder(
                    session=session,
                    recipient=recipient,
                    minutes_before=minutes,
                    due_at=due,
                    next_attempt_at=due,
                )
            )
    created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def cancel_reminders(*, session_ids: Iterable[int], recipient=None) -> int:
    """Cancel the not-yet-sent reminders of these sessions (of one person, if given)."""
    qs = Reminder.objects.filter(
        session_id__in=list(session_ids), status__in=[Reminder.Status.PENDING]
    )
    if recipient is not None:
        qs = qs.filter(recipient=recipient)
    return qs.update(status=Reminder.Status.CANCELLED)


def reschedule_reminders(*, session_ids: Iterable[int]) -> int:
    """After sessions moved: each pending reminder follows its session's new start;
    those that would now be in the past are cancelled."""
    at = now()
    reminders = list(
        Reminder.objects.select_related("session").filter(
            session_id__in=list(session_ids), status=Reminder.Status.PENDING
        )
    )
    for reminder in reminders:
        reminder.due_at = reminder.session.start - dt.timedelta(minutes=reminder.minutes_before)
        reminder.next_attempt_at = reminder.due_at
        if reminder.due_at <= at:
            reminder.status = Reminder.Status.CANCELLED
    Reminder.objects.bulk_update(reminders, ["due_at", "next_attempt_at", "status"])
    return len(reminders)
