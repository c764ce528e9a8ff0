"""The reminder dispatcher: claim due rows under a row lock, send, mark each sent.

Exactly once, as far as e-mail allows:
- Claiming is ``SELECT … FOR UPDATE SKIP LOCKED`` and ``status = 'sending'`` in one
  statement: two workers never hold the same row.
- Each message is marked ``sent`` right after the mail server took it, by a
  conditional UPDATE (still ``sending``, still ours), and the next message is handed
  over only once that mark has returned. A worker killed between a hand-off and its
  mark leaves that one row ``sending``; after the lease it is handed back and sent
  again: at most one duplicate per killed dispatcher, and nothing is ever lost.
- A failure puts the row back with a backoff; after the last try it is ``failed``.
- A row more than the cut-off late is ``skipped``, never sent for a session already over.
- Cancelling a session cancels its pending rows in the same transaction; the session of
  a row already claimed is re-checked just before its hand-off.

Speed (BENCHMARKS.md, "Reminder dispatch"): the mark is a prepared statement on a second
connection in asynchronous mode, so the next message is built while it is in flight,
and the same round trip reads the next row's session status; the next batch is claimed
and loaded, in one statement on a third connection, while the current one is sent. Inside
a transaction (tests, a shell) both fall back to Django's connection, in series.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import select
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import psycopg2
import psycopg2.extensions
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.db.models import Q
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


_TABLE = Reminder._meta.db_table
# Lock due rows no other worker holds, and take them: one statement, one round trip.
_TAKE_DUE = (
    f"WITH due AS (SELECT id FROM {_TABLE} "  # noqa: S608  # nosec B608
    "WHERE status = 'pending' AND next_attempt_at <= %s "
    "ORDER BY next_attempt_at, id LIMIT %s FOR UPDATE SKIP LOCKED), "
    f"claimed AS (UPDATE {_TABLE} AS r SET status = 'sending', claimed_at = %s, "
    "claimed_by = %s, attempts = r.attempts + 1 FROM due WHERE r.id = due.id "
    "RETURNING r.id, r.attempts, r.due_at, r.recipient_id, r.session_id) "
)
CLAIM_SQL = _TAKE_DUE + "SELECT id FROM claimed"  # noqa: S608  # nosec B608 — table names from the models


@functools.cache
def claim_and_load_sql() -> str:
    """The claim, and in the same statement everything the claimed rows' messages need,
    in ``_ROW`` order (a join on what the claim returned: no second round trip)."""
    session = Reminder._meta.get_field("session").related_model
    user = Reminder._meta.get_field("recipient").related_model
    therapist = session._meta.get_field("therapist").related_model
    booking = session._meta.get_field("booking").related_model
    group = session._meta.get_field("group").related_model
    # Table names from the models; every value is a parameter.
    return _TAKE_DUE + (
        "SELECT c.id, c.attempts, c.due_at, c.recipient_id, u.email, u.name, u.timezone, "  # noqa: S608  # nosec B608
        "u.email_reminders, c.session_id, s.start, s.booking_id, b.format, g.format, "
        "t.user_id, t.display_name, t.office_address, t.office_city, t.office_state, "
        "t.video_url "
        f"FROM claimed c JOIN {user._meta.db_table} u ON u.id = c.recipient_id "
        f"JOIN {session._meta.db_table} s ON s.id = c.session_id "
        f"JOIN {therapist._meta.db_table} t ON t.id = s.therapist_id "
        f"LEFT JOIN {booking._meta.db_table} b ON b.id = s.booking_id "
        f"LEFT JOIN {group._meta.db_table} g ON g.id = s.group_id "
        "ORDER BY c.due_at, c.id"
    )


def claim(*, worker: str, limit: int = BATCH_SIZE, at: dt.datetime | None = None) -> list[int]:
    """Take up to ``limit`` due rows for ``worker`` (``SELECT … FOR UPDATE SKIP LOCKED``
    and ``status = 'sending'`` in one statement); other workers skip them."""
    at = at or now()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [at, limit, at, worker])
        return sorted(row[0] for row in cursor.fetchall())


_ROW = (  # one claimed row, as ``claim_and_load_sql`` returns it
    "id",
    "attempts",
    "due_at",
    "recipient_id",
    "recipient__email",
    "recipient__name",
    "recipient__timezone",
    "recipient__email_reminders",
    "session_id",
    "session__start",
    "session__booking_id",
    "session__booking__format",
    "session__group__format",
    "session__therapist__user_id",
    "session__therapist__display_name",
    "session__therapist__office_address",
    "session__therapist__office_city",
    "session__therapist__office_state",
    "session__therapist__video_url",
)


def _session_parts(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """When (in the recipient's zone), the subject, and where: the same for every
    recipient of one session in one zone, so computed once per batch for each."""
    start = row["session__start"].astimezone(ZoneInfo(row["recipient__timezone"]))
    # A course session's format is its booking's; a group meeting's, its group's.
    if row["session__booking_id"]:
        meeting_format = row["session__booking__format"]
    else:
        meeting_format = row["session__group__format"]
    if meeting_format == "in_person":
        parts = (
            row["session__therapist__office_address"],
            row["session__therapist__office_city"],
            row["session__therapist__office_state"],
        )
        where = ", ".join(p for p in parts if p)
    else:
        link = row["session__therapist__video_url"] or "your therapist will send the link"
        where = f"by video — {link}"
    when = f"{start:%A, %B} {start.day}, {start:%Y at %H:%M %Z}"
    subject = f"Reminder: session {start:%a %b} {start.day}, {start:%H:%M %Z}"
    return when, subject, where


def reminder_text(
    row: Mapping[str, Any], parts: tuple[str, str, str] | None = None
) -> tuple[str, str]:
    """Subject and body of one reminder (a row of ``_ROW`` values): the time in the
    recipient's zone, the therapist's name, the place or video link, how to cancel. No
    clinical detail. Plain string building: the template engine cost more than
    everything else per message."""
    when, subject, where = parts or _session_parts(row)
    is_therapist = row["recipient_id"] == row["session__therapist__user_id"]
    with_whom = "" if is_therapist else f" with {row['session__therapist__display_name']}"
    site = settings.SITE_URL
    lines = [
        f"Hello {row['recipient__name'] or row['recipient__email']},",
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
    return subject, "\n".join(lines) + "\n"


class PreparedEmail(EmailMessage):
    """An ``EmailMessage`` whose MIME form is built ahead of its hand-off (while the
    previous row's mark is in flight) and then handed over as is. The built form is only
    a cache: copies and pickles (the in-memory backend's outbox) leave it out."""

    _mime = None

    def prepare(self) -> PreparedEmail:
        self._mime = super().message()
        return self

    def message(self):
        return self._mime if self._mime is not None else super().message()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_mime", None)
        return state


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** (attempts - 1), 3600))


@functools.cache
def mark_sql() -> str:
    """Mark one row (conditional: a row handed back after a lease, and maybe claimed
    again, is no longer ours) and, in the same round trip, read the status of the next
    row's session: the re-check just before that row is handed over costs nothing more.
    Returns (rows marked, next session's status)."""
    session = Reminder._meta.get_field("session").related_model._meta.db_table
    return (
        f"WITH mark AS (UPDATE {_TABLE} SET status = %s, sent_at = %s, last_error = %s, "  # noqa: S608  # nosec B608
        "next_attempt_at = COALESCE(%s, next_attempt_at) "
        "WHERE id = %s AND status = 'sending' AND claimed_by = %s RETURNING 1) "
        f"SELECT (SELECT count(*) FROM mark), (SELECT status FROM {session} WHERE id = %s)"
    )


class AsyncConnection:
    """A second connection in psycopg2's asynchronous mode: ``send`` a statement and
    return at once, do other work, then ``wait`` for its result. One statement at most
    is in flight. Always autocommit: a result ``wait`` returned is committed."""

    def __init__(self, setup_sql: str = "") -> None:
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        self._conn = psycopg2.connect(**params, async_=1)
        self._poller = select.poll()
        self._in_flight = False
        try:
            self._wait()
            self.cursor = self._conn.cursor()
            if setup_sql:
                self.cursor.execute(setup_sql)
                self._wait()
        except BaseException:
            self._conn.close()
            raise

    def _wait(self) -> None:
        fd = self._conn.fileno()
        while True:
            state = self._conn.poll()
            if state == psycopg2.extensions.POLL_OK:
                return
            if state == psycopg2.extensions.POLL_READ:
                mask = select.POLLIN
            elif state == psycopg2.extensions.POLL_WRITE:
                mask = select.POLLOUT
            else:  # pragma: no cover — psycopg2 documents no other state
                raise psycopg2.OperationalError(f"unexpected poll state {state}")
            self._poller.register(fd, mask)
            try:
                self._poller.poll()
            finally:
                self._poller.unregister(fd)

    def send(self, sql: str, params: Sequence[Any]) -> None:
        if self._in_flight:
            raise RuntimeError("a statement is already in flight: wait() for it first")
        self.cursor.execute(sql, params)
        self._in_flight = True

    def wait(self):
        """The cursor of the statement sent, once its result is in."""
        self._wait()
        self._in_flight = False
        return self.cursor

    def close(self) -> None:
        self._conn.close()


class InlineMarks:
    """Marks on Django's own connection, one round trip each, nothing overlapped. Used
    when the dispatcher runs inside a transaction (a test, a shell): a second connection
    could not see its uncommitted rows."""

    def __init__(self) -> None:
        self._result: tuple[int, str | None] = (0, None)

    def start(self, params: Sequence[Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(mark_sql(), params)
            self._result = cursor.fetchone()

    def wait(self) -> tuple[int, str | None]:
        return self._result

    def close(self) -> None:
        pass


class OverlappedMarks:
    """Marks on a second connection in psycopg2's asynchronous mode, as a prepared
    statement: ``start`` sends the UPDATE and returns at once, ``wait`` collects its row
    count. The dispatcher builds the next message in between, so the round trip (and the
    server's work) overlaps with the CPU work of the next row instead of adding to it.

    At most one mark is ever in flight, and the dispatcher hands message N+1 to the mail
    server only after ``wait`` returned for row N: at any moment at most one row has been
    handed over without being marked, so a SIGKILL repeats at most one message (a queue
    between a sending and a marking thread, even of size 1, would allow three: one being
    marked, one queued, one just handed over)."""

    def __init__(self) -> None:
        # A database crash may lose the last few marks (then at most those are
        # repeated); not waiting for the WAL flush is what makes a mark cheap.
        prepared = mark_sql().replace("%s", "${}").format(*range(1, 8))
        self._db = AsyncConnection(
            f"SET synchronous_commit TO off; PREPARE rapport_mark AS {prepared}"
        )

    def start(self, params: Sequence[Any]) -> None:
        self._db.send("EXECUTE rapport_mark (%s, %s, %s, %s, %s, %s, %s)", params)

    def wait(self) -> tuple[int, str | None]:
        """(rows marked: 1, or 0 if the row is no longer ours; next session's status)"""
        return self._db.wait().fetchone()

    def close(self) -> None:
        self._db.close()


def open_marks() -> InlineMarks | OverlappedMarks:
    return InlineMarks() if connection.in_atomic_block else OverlappedMarks()


class InlineClaims:
    """Claims on Django's own connection, when the dispatcher runs in a transaction."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []

    def start(self, *, worker: str, limit: int) -> None:
        at = now()
        with connection.cursor() as cursor:
            cursor.execute(claim_and_load_sql(), [at, limit, at, worker])
            self._rows = [dict(zip(_ROW, row, strict=True)) for row in cursor.fetchall()]

    def wait(self) -> list[dict[str, Any]]:
        return self._rows

    def close(self) -> None:
        pass


class PrefetchedClaims:
    """Claims (and the rows' data) on a connection of their own in asynchronous mode, so
    the next batch is claimed and loaded while this one is being sent. Those rows wait
    ``sending`` under the claim's lease like any other: a worker that dies holding them
    hands them back after the lease; they were never handed over, so nothing is repeated."""

    def __init__(self) -> None:
        self._db = AsyncConnection()

    def start(self, *, worker: str, limit: int) -> None:
        at = now()
        self._db.send(claim_and_load_sql(), [at, limit, at, worker])

    def wait(self) -> list[dict[str, Any]]:
        return [dict(zip(_ROW, row, strict=True)) for row in self._db.wait().fetchall()]

    def close(self) -> None:
        self._db.close()


def open_claims() -> InlineClaims | PrefetchedClaims:
    return InlineClaims() if connection.in_atomic_block else PrefetchedClaims()


def _session_status(session_id: int) -> str | None:
    session = Reminder._meta.get_field("session").related_model
    return session.objects.filter(pk=session_id).values_list("status", flat=True).first()


def send_rows(
    rows: list[dict[str, Any]], *, worker: str, marks: InlineMarks | OverlappedMarks
) -> dict[str, int]:
    """Send the rows ``worker`` claimed (as ``claim_and_load_sql`` returns them).

    Each row is marked right after it is handed over, and the next is handed over only
    once that mark is done. The same round trip reads the next row's session status, so
    a session cancelled after the claim is seen just before its reminder would go out."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0, "skipped": 0}
    if not rows:
        return counts
    at = now()
    too_old = at - late_cutoff()
    from_email = settings.DEFAULT_FROM_EMAIL
    parts_cache: dict[tuple[int, str], tuple[str, str, str]] = {}

    def prepare(row: dict[str, Any]) -> tuple[PreparedEmail | None, Exception | None]:
        """The row's message, built (or what stopped it being built)."""
        try:
            key = (row["session_id"], row["recipient__timezone"])
            parts = parts_cache.get(key)
            if parts is None:
                parts = parts_cache[key] = _session_parts(row)
            subject, body = reminder_text(row, parts)
            message = PreparedEmail(
                subject=subject,
                body=body,
                from_email=from_email,
                to=[row["recipient__email"]],
                headers={"X-Rapport-Reminder": str(row["id"])},
            ).prepare()
        except Exception as exc:  # noqa: BLE001 — a message that cannot be built fails like a send
            return None, exc
        return message, None

    mail = get_connection()
    try:
        mail.open()
        session_status = _session_status(rows[0]["session_id"])
        built = prepare(rows[0])
        for i, row in enumerate(rows):
            following = rows[i + 1] if i + 1 < len(rows) else None
            sent_at, error, retry_at = None, "", None
            # A cancelled session, or a person who turned reminders off after this row
            # was written (a retry, or a row written as they opted out), gets none.
            if session_status != "confirmed" or not row["recipient__email_reminders"]:
                status, key = Reminder.Status.CANCELLED, "cancelled"
            elif row["due_at"] < too_old:
                status, key = Reminder.Status.SKIPPED, "skipped"
            else:
                message, problem = built
                try:
                    if problem is not None:
                        raise problem
                    mail.send_messages([message])
                    status, sent_at, key = Reminder.Status.SENT, now(), "sent"
                except Exception as exc:  # noqa: BLE001 — any sending failure is retried
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    if row["attempts"] >= MAX_ATTEMPTS:
                        status, key = Reminder.Status.FAILED, "failed"
                    else:
                        status, key = Reminder.Status.PENDING, "retry"
                        retry_at = now() + _backoff(row["attempts"])
            next_session = following["session_id"] if following else None
            marks.start([str(status), sent_at, error, retry_at, row["id"], worker, next_session])
            # Build the next message while this row's mark is in flight...
            built = prepare(following) if following else (None, None)
            # ...but hand it over only once the mark is done.
            marked, session_status = marks.wait()
            counts[key] += marked
    finally:
        mail.close()
    return counts


def dispatch(*, time_budget: float = 50.0, batch_size: int = BATCH_SIZE) -> dict[str, int]:
    """One dispatcher run: hand back dead leases, skip the too-late, then claim and send
    batches until nothing is due or the time budget is spent."""
    worker = worker_name()
    started = time.monotonic()
    totals = {"sent": 0, "failed": 0, "retry": 0, "cancelled": 0, "skipped": 0}
    release_expired_leases()
    totals["skipped"] += skip_late()
    marks, claims = open_marks(), None
    try:
        claims = open_claims()
        claims.start(worker=worker, limit=batch_size)
        while rows := claims.wait():
            more = time.monotonic() - started < time_budget
            if more:  # the next batch is claimed and loaded while this one is sent
                claims.start(worker=worker, limit=batch_size)
            for key, value in send_rows(rows, worker=worker, marks=marks).items():
                totals[key] += value
            if not more:
                break
    finally:
        marks.close()
        if claims is not None:
            claims.close()
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
