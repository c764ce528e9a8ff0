"""The reminder dispatcher: claim due rows under a row lock, send, mark each sent.

Exactly once, as far as e-mail allows:
- Claiming is ``SELECT … FOR UPDATE SKIP LOCKED`` then ``status = 'sending'`` in one
  short transaction: two workers never hold the same row.
- Each message is marked ``sent`` right after the mail server took it, by a
  conditional UPDATE (still ``sending``, still ours). A worker killed between the two
  leaves one row ``sending``; after the lease it is handed back and sent again: at
  most one duplicate per crash, and nothing is ever lost.
- A failure puts the row back with a backoff; after the last try it is ``failed``.
- A row more than the cut-off late is ``skipped``, never sent for a session already over.
- Cancelling a session cancels its pending rows in the same transaction; rows of a
  session that is no longer confirmed are re-checked just before sending.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.timezone import now

from notifications.models import DispatcherHeartbeat, Reminder

MAX_ATTEMPTS = 5
BATCH_SIZE = 200


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "REMINDER_LEASE_SECONDS", 300))


def late_cutoff() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "REMINDER_LATE_CUTOFF_MINUTES", 30))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def release_expired_leases(*, at: dt.datetime | None = None) -> int:
    """Rows left ``sending`` by a worker that died go back to the queue."""
    at = at or now()
    return Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__lt=at - lease()
    ).update(status=Reminder.Status.PENDING, next_attempt_at=at, claimed_by="")


def skip_late(*, at: dt.datetime | None = None) -> int:
    at = at or now()
    return Reminder.objects.filter(
        status=Reminder.Status.PENDING, due_at__lt=at - late_cutoff()
    ).update(status=Reminder.Status.SKIPPED)


def claim(*, worker: str, limit: int = BATCH_SIZE, at: dt.datetime | None = None) -> list[int]:
    """Take up to ``limit`` due rows for ``worker``; other workers skip them."""
    at = at or now()
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Reminder.Status.PENDING, next_attempt_at__lte=at)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Reminder.objects.filter(id__in=ids).update(
                status=Reminder.Status.SENDING,
                claimed_at=at,
                claimed_by=worker,
                attempts=F("attempts") + 1,
            )
    return ids


def reminder_text(reminder: Reminder) -> tuple[str, str]:
    """Subject and body: the time in the recipient's zone, the therapist's name, the
    place or video link, how to cancel. No clinical detail. Plain string building: the
    template engine cost more than everything else per message."""
    session = reminder.session
    recipient = reminder.recipient
    therapist = session.therapist
    start = session.start.astimezone(ZoneInfo(recipient.timezone))
    is_therapist = recipient.pk == therapist.user_id
    # A course session's format is its booking's; a group meeting's, its group's.
    arrangement = session.booking if session.booking_id else getattr(session, "group", None)
    if getattr(arrangement, "format", "") == "in_person":
        parts = [therapist.office_address, therapist.office_city, therapist.office_state]
        where = ", ".join(p for p in parts if p)
    else:
        link = therapist.video_url or "your therapist will send the link"
        where = f"by video — {link}"
    when = f"{start:%A, %B} {start.day}, {start:%Y at %H:%M %Z}"
    with_whom = "" if is_therapist else f" with {therapist.display_name}"
    site = settings.SITE_URL
    lines = [
        f"Hello {recipient.name or recipient.email},",
        "",
        f"This is a reminder of your session on {when}{with_whom}.",
        f"Where: {where}",
        "",
        f"To see or cancel your sessions: {site}/my/sessions/",
    ]
    if not is_therapist:
        lines.append(
            f"To stop these reminders, turn them off on your account page: {site}/accounts/me/"
        )
    lines += [
        "",
        "— Rapport",
        "If you are in crisis, call or text 988, or text MHA to 741741. In an emergency call 911.",
    ]
    subject = f"Reminder: session {start:%a %b} {start.day}, {start:%H:%M %Z}"
    return subject, "\n".join(lines) + "\n"


def _message(reminder: Reminder) -> EmailMessage:
    subject, body = reminder_text(reminder)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.recipient.email],
        headers={"X-Rapport-Reminder": str(reminder.pk)},
    )


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


def send_claimed(ids: list[int], *, worker: str) -> dict[str, int]:
    """Send the rows ``worker`` claimed; each is marked as soon as it is handed over."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0, "skipped": 0}
    if not ids:
        return counts
    reminders = list(
        Reminder.objects.filter(id__in=ids, status=Reminder.Status.SENDING, claimed_by=worker)
        .select_related("session__therapist", "session__booking", "session__group", "recipient")
        .order_by("due_at", "id")
    )
    at = now()
    with connection.cursor() as cursor:
        # A crash may lose the last few "sent" marks (then at most those are repeated);
        # not waiting for the WAL flush on each mark is what makes per-row marks cheap.
        cursor.execute("SET synchronous_commit TO off")
    mail = get_connection()
    table = Reminder._meta.db_table
    # The only interpolation is our own table name; every value is a parameter.
    mark = (
        f"UPDATE {table} SET status = %s, sent_at = %s, last_error = %s, "  # noqa: S608  # nosec B608
        f"next_attempt_at = COALESCE(%s, next_attempt_at) "
        f"WHERE id = %s AND status = 'sending' AND claimed_by = %s"
    )
    try:
        mail.open()
        with connection.cursor() as cursor:

            def finish(reminder, status, *, sent_at=None, error="", retry_at=None) -> int:
                # Conditional: a row handed back after a lease is no longer ours.
                cursor.execute(mark, [status, sent_at, error, retry_at, reminder.pk, worker])
                return cursor.rowcount

            for reminder in reminders:
                if reminder.session.status != "confirmed":
                    counts["cancelled"] += finish(reminder, Reminder.Status.CANCELLED)
                    continue
                if reminder.due_at < at - late_cutoff():
                    counts["skipped"] += finish(reminder, Reminder.Status.SKIPPED)
                    continue
                try:
                    mail.send_messages([_message(reminder)])
                except Exception as exc:  # noqa: BLE001 — any sending failure is retried
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    if reminder.attempts >= MAX_ATTEMPTS:
                        counts["failed"] += finish(reminder, Reminder.Status.FAILED, error=error)
                    else:
                        retry_at = now() + _backoff(reminder.attempts)
                        counts["retry"] += finish(
                            reminder, Reminder.Status.PENDING, error=error, retry_at=retry_at
                        )
                    continue
                counts["sent"] += finish(reminder, Reminder.Status.SENT, sent_at=now())
    finally:
        mail.close()
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO DEFAULT")
    return counts


def dispatch(*, time_budget: float = 50.0, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """One dispatcher run: hand back dead leases, skip the too-late, then claim and send
    batches until nothing is due or the time budget is spent."""
    worker = worker_name()
    started = time.monotonic()
    totals = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0, "skipped": 0}
    release_expired_leases()
    totals["skipped"] += skip_late()
    while time.monotonic() - started < time_budget:
        ids = claim(worker=worker, limit=batch_size)
        if not ids:
            break
        for key, value in send_claimed(ids, worker=worker).items():
            totals[key] += value
    DispatcherHeartbeat.objects.update_or_create(name="reminders", defaults={"last_run_at": now()})
    return totals


def health(*, since: dt.timedelta = dt.timedelta(days=1)) -> dict[str, int]:
    """Counts for the staff page: due now, and what happened over the last day."""
    at = now()
    recent = Q(due_at__gte=at - since)
    return {
        "due": Reminder.objects.filter(
            status__in=[Reminder.Status.PENDING, Reminder.Status.SENDING], due_at__lte=at
        ).count(),
        "sent": Reminder.objects.filter(recent, status=Reminder.Status.SENT).count(),
        "failed": Reminder.objects.filter(recent, status=Reminder.Status.FAILED).count(),
        "skipped": Reminder.objects.filter(recent, status=Reminder.Status.SKIPPED).count(),
        "scheduled": Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__gt=at).count(),
    }
