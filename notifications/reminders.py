"""Reminder rows: created with confirmed sessions, cancelled with them, and stopped or
restored with the person's reminder setting.

Call these inside the transaction that changes the sessions, so the rows and the
sessions can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils.timezone import now

from booking.models import Session
from notifications.dispatch import lease  # the dispatcher owns the lease length
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


def stop_reminders(*, recipient) -> int:
    """The person turned reminders off: cancel every reminder of theirs not yet sent.

    ``pending`` rows, and ``sending`` rows whose lease is over (a dead worker's: the
    dispatcher would hand them back to the queue; they go to ``cancelled`` instead). A
    row under a live lease is left to its worker, which may be handing it over right
    now: changing it would not stop that message, only lose the record of it (its
    conditional mark would no longer match). Call inside the transaction that clears
    ``email_reminders``."""
    at = now()
    return Reminder.objects.filter(
        Q(status=Reminder.Status.PENDING)
        | Q(status=Reminder.Status.SENDING, claimed_at__lt=at - lease()),
        recipient=recipient,
    ).update(status=Reminder.Status.CANCELLED)


def upcoming_sessions_of(person):
    """The confirmed, not yet started sessions ``person`` gets reminders of: their
    courses as client, their group meetings as an enrolled member, and as therapist
    every session they hold."""
    return (
        Session.objects.filter(status=Session.Status.CONFIRMED, start__gt=now())
        .filter(
            Q(client=person)
            | Q(therapist__user=person)
            | Q(group__enrolments__client=person, group__enrolments__status="enrolled")
        )
        .distinct()
        .select_related("therapist")
    )


def restore_reminders(*, recipient, sessions=None) -> int:
    """The person turned reminders back on (or rejoined a group whose meetings had theirs
    cancelled when they left): every upcoming confirmed session of theirs (or of
    ``sessions``) gets its reminders again. Rows cancelled earlier come back ``pending``,
    due again from the session's current start; offsets with no row are created by
    ``schedule_reminders``. Offsets already past get none; sent rows are never touched,
    nothing is duplicated (one row per session, person and offset). Call inside the
    transaction that makes the change."""
    if not getattr(recipient, "email_reminders", True):
        return 0
    at = now()
    if sessions is None:
        sessions = upcoming_sessions_of(recipient)
    sessions = {s.pk: s for s in sessions if s.start > at}
    if not sessions:
        return 0
    revived = []
    for reminder in Reminder.objects.select_for_update().filter(
        recipient=recipient, session_id__in=list(sessions), status=Reminder.Status.CANCELLED
    ):
        session = sessions[reminder.session_id]
        due = session.start - dt.timedelta(minutes=reminder.minutes_before)
        if reminder.minutes_before not in offsets_for(session) or due <= at:
            continue
        reminder.status = Reminder.Status.PENDING
        reminder.due_at = reminder.next_attempt_at = due
        reminder.attempts = 0
        reminder.claimed_at, reminder.claimed_by, reminder.last_error = None, "", ""
        revived.append(reminder)
    Reminder.objects.bulk_update(
        revived,
        [
            "status",
            "due_at",
            "next_attempt_at",
            "attempts",
            "claimed_at",
            "claimed_by",
            "last_error",
        ],
    )
    schedule_reminders(sessions=sessions.values(), recipient=recipient)
    return len(revived)
