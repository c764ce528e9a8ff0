"""The reminder dispatcher: claim due rows under a row lock, send, mark each sent.

Exactly once, as far as e-mail allows:
- Claiming is ``select_for_update(skip_locked=True)`` then ``status = 'sending'`` in one
  short transaction, committed before anything is sent: two workers never hold the same row.
- Each row is marked by a conditional UPDATE (still ``sending``, still ours) before the
  next message is handed over. A worker killed between a hand-off and its mark leaves
  that one row ``sending``; after the lease it is handed back and sent again: at most one
  duplicate per killed worker, and nothing is ever lost.
- Just before its hand-off a row is re-checked: a session no longer confirmed, or a
  recipient who turned reminders off, gets none (``cancelled``).
- A row more than the cut-off late is ``skipped``, never sent for a session already over.
- A failure puts the row back with a backoff; after the last try it is ``failed``.
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
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.timezone import now

from accounts.templatetags.us_time import us_datetime, us_long
from booking import video
from notifications.models import DispatcherHeartbeat, Reminder
from notifications.plain_text import render_text

MAX_ATTEMPTS = 5
BATCH_SIZE = 200
OUTCOMES = ("sent", "failed", "retry", "cancelled", "skipped")
Status = Reminder.Status


def lease() -> dt.timedelta:
    """How long a claim is a worker's; after that its rows are handed back."""
    return dt.timedelta(seconds=settings.REMINDER_LEASE_SECONDS)


def late_cutoff() -> dt.timedelta:
    return dt.timedelta(minutes=settings.REMINDER_LATE_CUTOFF_MINUTES)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def release_expired_leases(*, at: dt.datetime | None = None) -> int:
    """Rows left ``sending`` by a worker that died go back to the queue."""
    at = at or now()
    return Reminder.objects.filter(status=Status.SENDING, claimed_at__lt=at - lease()).update(
        status=Status.PENDING, next_attempt_at=at, claimed_by=""
    )


def skip_late(*, at: dt.datetime | None = None) -> int:
    """Pending rows more than the cut-off late become ``skipped``."""
    at = at or now()
    return Reminder.objects.filter(status=Status.PENDING, due_at__lt=at - late_cutoff()).update(
        status=Status.SKIPPED
    )


def claim(*, worker: str, limit: int = BATCH_SIZE, at: dt.datetime | None = None) -> list[int]:
    """Take up to ``limit`` due rows for ``worker`` and commit: rows another worker has
    locked are skipped, and the lock is released before anything is sent."""
    at = at or now()
    with transaction.atomic(durable=True):
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=at)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        Reminder.objects.filter(id__in=ids).update(
            status=Status.SENDING, claimed_at=at, claimed_by=worker, attempts=F("attempts") + 1
        )
    return ids


def reminder_message(reminder: Reminder) -> EmailMessage:
    """The e-mail: the time in the recipient's zone, the therapist's name, the place or
    video link, how to cancel. No clinical detail."""
    session, recipient = reminder.session, reminder.recipient
    therapist = session.therapist
    with timezone.override(ZoneInfo(recipient.timezone)):
        when, short = us_long(session.start), us_datetime(session.start)
    # A course session's format is its booking's; a group meeting's, its group's.
    arrangement = session.booking if session.booking_id else session.group
    if arrangement.format == "in_person":
        parts = [therapist.office_address, therapist.office_city, therapist.office_state]
        where = ", ".join(p for p in parts if p)
    else:
        where = f"by video — {_video_where(session, recipient)}"
    context = {
        "name": recipient.name or recipient.email,
        "when": when,
        "where": where,
        "therapist": therapist.display_name,
        "is_therapist": recipient.pk == therapist.user_id,
        "site_url": settings.SITE_URL,
    }
    return EmailMessage(
        subject=f"Reminder: session {short}",
        body=render_text("notifications/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"X-Rapport-Reminder": str(reminder.pk)},
    )


def _video_where(session, recipient) -> str:
    """A course reminder carries the therapist's room (as it always has: the therapist
    chose when reminders go out). A group meeting's carries its link only when sent
    inside the joining window, and only to someone who may join (booking.video)."""
    therapist = session.therapist
    if session.group_id is None:
        return therapist.video_url or "your therapist will send the link"
    link = video.video_link(session, recipient)
    if link:
        return link
    if video.is_open(session, now()) and not (session.group.video_url or therapist.video_url):
        return "your therapist will send the link"
    return f"the link to join is on Rapport from 24 hours before: {settings.SITE_URL}/my/sessions/"


def _still_wanted(reminder: Reminder) -> bool:
    """Read now, not at the claim: the session may have been cancelled, or the person may
    have opted out, while the row waited in its batch."""
    return Reminder.objects.filter(
        pk=reminder.pk, session__status="confirmed", recipient__email_reminders=True
    ).exists()


def _send_one(mail, reminder: Reminder, too_old: dt.datetime) -> tuple[str, dict]:
    """Hand one claimed row's message over (or not): its outcome and the fields to mark."""
    if not _still_wanted(reminder):
        return "cancelled", {"status": Status.CANCELLED}
    if reminder.due_at < too_old:
        return "skipped", {"status": Status.SKIPPED}
    try:
        mail.send_messages([reminder_message(reminder)])
    except Exception as exc:  # noqa: BLE001 — any failure to build or send is retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if reminder.attempts >= MAX_ATTEMPTS:
            return "failed", {"status": Status.FAILED, "last_error": error}
        backoff = dt.timedelta(seconds=min(30 * 2 ** (reminder.attempts - 1), 3600))
        retry = {"status": Status.PENDING, "last_error": error, "next_attempt_at": now() + backoff}
        return "retry", retry
    return "sent", {"status": Status.SENT, "sent_at": now(), "last_error": ""}


def send_claimed(ids: list[int], *, worker: str) -> dict[str, int]:
    """Send the rows ``worker`` claimed, in due order, over one mail connection; each row
    is marked (and committed) before the next message is handed over."""
    counts = dict.fromkeys(OUTCOMES, 0)
    reminders = (
        Reminder.objects.filter(id__in=ids, status=Status.SENDING, claimed_by=worker)
        .select_related("session__therapist", "session__booking", "session__group", "recipient")
        .order_by("due_at", "id")
    )
    too_old = now() - late_cutoff()
    with get_connection() as mail:
        for reminder in reminders:
            outcome, fields = _send_one(mail, reminder, too_old)
            # Conditional: 1 if marked, 0 if the row was handed back after its lease (and
            # may be another worker's now): then it is not ours to mark or count.
            counts[outcome] += Reminder.objects.filter(
                pk=reminder.pk, status=Status.SENDING, claimed_by=worker
            ).update(**fields)
    return counts


def dispatch(*, time_budget: float = 50.0, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """One dispatcher run: hand back dead leases, skip the too-late, then claim and send
    batches until nothing is due or the time budget is spent (checked between batches)."""
    worker = worker_name()
    started = time.monotonic()
    totals = dict.fromkeys(OUTCOMES, 0)
    release_expired_leases()
    totals["skipped"] += skip_late()
    while ids := claim(worker=worker, limit=batch_size):
        for key, value in send_claimed(ids, worker=worker).items():
            totals[key] += value
        if time.monotonic() - started >= time_budget:
            break
    DispatcherHeartbeat.objects.update_or_create(name="reminders", defaults={"last_run_at": now()})
    return totals


def health(*, since: dt.timedelta = dt.timedelta(days=1)) -> dict[str, int]:
    """Counts for the staff page: due now, and what happened over the last day."""
    at = now()
    recent = Q(due_at__gte=at - since)
    return {
        "due": Reminder.objects.filter(
            status__in=[Status.PENDING, Status.SENDING], due_at__lte=at
        ).count(),
        "sent": Reminder.objects.filter(recent, status=Status.SENT).count(),
        "failed": Reminder.objects.filter(recent, status=Status.FAILED).count(),
        "skipped": Reminder.objects.filter(recent, status=Status.SKIPPED).count(),
        "scheduled": Reminder.objects.filter(status=Status.PENDING, due_at__gt=at).count(),
    }
