"""The only code that changes weekly hours, time off, bookings and sessions.

Every function is one transaction. Booking locks the therapist row first, so two
clients racing for one slot are served one after the other and the loser gets a
clean ``SlotConflict``; the exclusion constraint on ``Session`` is the last line.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, Exists, Func, OuterRef
from django.utils.timezone import now
from psycopg2.extras import execute_values

from audit import services as audit
from booking import selectors, slots
from booking.exceptions import (
    InvalidTransition,
    NotAcceptingClients,
    NotLicensedInState,
    SlotConflict,
)
from booking.models import AvailabilityRule, Booking, Session, TimeOff
from notifications import reminders
from notifications.email import queue_email
from providers import search_cache
from providers.models import License, Therapist

PENDING_HOLD = dt.timedelta(hours=getattr(settings, "BOOKING_PENDING_HOLD_HOURS", 48))


# --- Weekly hours and time off ------------------------------------------------------


def locked_therapist(therapist_id: int) -> Therapist:
    return Therapist.objects.select_for_update().get(pk=therapist_id)


def set_weekly_hours(
    *, therapist: Therapist, ranges: list[tuple[int, dt.time, dt.time]]
) -> list[AvailabilityRule]:
    """Replace all weekly hours. Inverted or overlapping ranges are refused whole."""
    errors = []
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, start, end in ranges:
        day = dict(AvailabilityRule.WEEKDAYS).get(weekday)
        if day is None:
            errors.append(f"{weekday} is not a weekday (0 = Monday … 6 = Sunday).")
            continue
        if start >= end:
            errors.append(f"{day} {start:%H:%M}–{end:%H:%M}: the end must be after the start.")
            continue
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, day_ranges in by_day.items():
        day_ranges.sort()
        for (s1, e1), (s2, e2) in zip(day_ranges, day_ranges[1:], strict=False):
            if s2 < e1:
                day = dict(AvailabilityRule.WEEKDAYS)[weekday]
                errors.append(
                    f"{day} {s1:%H:%M}–{e1:%H:%M} overlaps {s2:%H:%M}–{e2:%H:%M}: "
                    "merge them into one range."
                )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        therapist = locked_therapist(therapist.pk)
        AvailabilityRule.objects.filter(therapist=therapist).delete()
        rules = AvailabilityRule.objects.bulk_create(
            [AvailabilityRule(therapist=therapist, weekday=w, start=s, end=e) for w, s, e in ranges]
        )
        opening_may_change(therapist)
    return sorted(rules, key=lambda r: (r.weekday, r.start))


def add_time_off(
    *, therapist: Therapist, start_date: dt.date, end_date: dt.date, note: str = ""
) -> TimeOff:
    """Whole days off. Sessions already booked in them stay: the therapist decides."""
    if end_date < start_date:
        raise ValidationError({"end_date": "The last day off cannot be before the first."})
    if (end_date - start_date).days > 366:
        raise ValidationError({"end_date": "Time off longer than a year: split it up."})
    with transaction.atomic():
        therapist = locked_therapist(therapist.pk)
        time_off = TimeOff.objects.create(
            therapist=therapist, start_date=start_date, end_date=end_date, note=note
        )
        opening_may_change(therapist)
    return time_off


def remove_time_off(*, therapist: Therapist, time_off_id: int) -> None:
    with transaction.atomic():
        therapist = locked_therapist(therapist.pk)
        deleted, _ = TimeOff.objects.filter(therapist=therapist, pk=time_off_id).delete()
        if not deleted:
            raise TimeOff.DoesNotExist
        opening_may_change(therapist)


class _ClockTimestamp(Func):
    """The real time when the statement runs (not the transaction's start): two marks of
    one therapist's row, serialised by its lock, never get the same value."""

    function = "clock_timestamp"
    template = "clock_timestamp()"
    output_field = DateTimeField()


def opening_may_change(therapist: Therapist, *, taken: list[Session] | None = None) -> None:
    """Inside a transaction that changed the therapist's calendar (hours, time off,
    sessions, group meetings): mark the stored next opening stale and recompute it after
    commit, outside every lock. The one way every writer keeps the opening right: the
    recompute stores its answer only if the mark is still the one it read, and a failed
    recompute leaves the mark for the beat's sweep without failing the change.

    ``taken``: the new sessions of a booking or a group, with ``therapist`` read under
    its lock.
    Taking time can only move the opening when a new session covers it, so a fresh
    opening (or a fresh "none") that none of them covers is left alone."""
    if taken is not None and therapist.next_opening_stale_at is not None:
        fresh = therapist.next_opening_stale_at > now()
        opening = therapist.next_opening
        length = dt.timedelta(minutes=therapist.session_minutes)
        if fresh and (
            opening is None
            or not any(s.start < opening + length and opening < s.end for s in taken)
        ):
            return
    Therapist.objects.filter(pk=therapist.pk).update(next_opening_stale_at=_ClockTimestamp())
    # robust: a failure here must not fail the request whose change has committed; the
    # mark stays, and the beat's sweep recomputes it.
    therapist_id = therapist.pk

    def refresh_after_commit() -> None:  # a function: Django logs a failure by its name
        refresh_stale_opening(therapist_id)

    transaction.on_commit(refresh_after_commit, robust=True)


def refresh_stale_opening(therapist_id: int) -> None:
    """Recompute one therapist's opening after the change that marked it has committed.
    A change marked while this runs keeps the row stale: its own call recomputes it."""
    refresh_openings(list(Therapist.objects.filter(pk=therapist_id).only(*OPENING_FIELDS)))


def refresh_openings(therapists: list[Therapist]) -> int:
    """Recompute the openings of these therapists (read with at least ``OPENING_FIELDS``)
    in bulk: three reads for all of them, then one UPDATE that only touches a row still
    marked as it was when it was read. Returns how many were stored."""
    if not therapists:
        return 0
    found = selectors.next_openings(therapists)
    rows = [
        (t.pk, *found[t.pk], t.next_opening_stale_at)
        for t in therapists  # (id, opening, stale_at, the stale_at read)
    ]
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,  # psycopg2's own: one statement for the whole batch
            "UPDATE providers_therapist AS t "
            "SET next_opening = v.opening, next_opening_stale_at = v.stale_at "
            "FROM (VALUES %s) AS v (id, opening, stale_at, was) "
            "WHERE t.id = v.id AND t.next_opening_stale_at IS NOT DISTINCT FROM v.was",
            rows,
            template="(%s, %s::timestamptz, %s::timestamptz, %s::timestamptz)",
            page_size=len(rows),
        )
        stored = cursor.cursor.rowcount
    # No signal for execute_values: a changed opening changes the cards and the order.
    if stored and any(found[t.pk][0] != t.next_opening for t in therapists):
        search_cache.directory_changed()
    return stored


OPENING_FIELDS = (
    "id", "timezone", "session_minutes", "slot_step_minutes", "notice_hours",
    "next_opening", "next_opening_stale_at",
)  # fmt: skip


def refresh_stale_openings(*, batch: int = 1000, seconds: float = 200) -> int:
    """The beat's sweep: recompute, in bulk batches, every therapist whose opening is due
    (a calendar change marked it, or time has moved past it); the rest are not read.
    Stops starting new batches after ``seconds`` (the task's time limit is 300 s); the
    next run goes on with the rest, oldest mark first."""
    due_by = now()
    until = time.monotonic() + seconds
    done = 0
    while time.monotonic() < until:
        ids = list(
            Therapist.objects.filter(next_opening_stale_at__lte=due_by)
            .order_by("next_opening_stale_at")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            break
        done += refresh_openings(list(Therapist.objects.filter(pk__in=ids).only(*OPENING_FIELDS)))
        # A row changed meanwhile keeps its new mark; a recomputed one is due later
        # than due_by: neither is picked again by this run.
        if len(ids) < batch:
            break
    return done


# --- Booking a course ----------------------------------------------------------------


# Courses are booked weeks or months ahead; a start years away is a typo (and a date
# like 9999-12-31 would overflow the course's window).
FURTHEST_START = dt.timedelta(days=2 * 365)


def _check_start(start: dt.datetime) -> None:
    if start.tzinfo is None:
        raise ValidationError({"start": "Give the start with its UTC offset."})
    if abs(start - now()) > FURTHEST_START:
        raise ValidationError({"start": "Choose a start within the next two years."})


def _course_window(start: dt.datetime, weeks: int) -> tuple[dt.datetime, dt.datetime]:
    return start - dt.timedelta(days=1), start + dt.timedelta(weeks=weeks, days=1)


def book_course(
    *,
    client,
    therapist_id: int,
    start: dt.datetime,
    weeks: int,
    modality: str,
    format: str,
) -> Booking:
    """Book ``weeks`` weekly sessions at ``start``'s local weekday and time, all in one
    transaction or none. Raises NotLicensedInState, NotAcceptingClients or
    SlotConflict (naming every week that fails)."""
    _check_start(start)
    if not 1 <= weeks <= slots.MAX_WEEKS:
        raise ValidationError({"weeks": f"A course is 1 to {slots.MAX_WEEKS} weekly sessions."})
    if not getattr(client, "is_client", False):
        raise PermissionDenied("Only clients book courses.")
    licensed_here = License.objects.valid().filter(therapist=OuterRef("pk"), state=client.state)
    therapist = (
        Therapist.objects.findable()
        .annotate(licensed_here=Exists(licensed_here))  # one read for both questions
        .prefetch_related("modalities")
        .filter(pk=therapist_id)
        .first()
    )
    if therapist is None:
        raise Therapist.DoesNotExist
    errors = {}
    offered = {m.slug: m for m in therapist.modalities.all()}
    if modality not in offered:
        errors["modality"] = f"{therapist.display_name} offers: {', '.join(sorted(offered))}."
    if format not in therapist.formats:
        errors["format"] = f"{therapist.display_name} offers: {', '.join(therapist.formats)}."
    if errors:
        raise ValidationError(errors)
    if not therapist.licensed_here:
        raise NotLicensedInState(therapist_name=therapist.display_name, state=client.state)

    with transaction.atomic():
        # With its user, for the e-mails (locking only the therapist's row).
        therapist = (
            Therapist.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=therapist.pk)
        )
        if not therapist.accepting_new_clients and not _is_returning(client, therapist):
            raise NotAcceptingClients(therapist_name=therapist.display_name)
        window_start, window_end = _course_window(start, weeks)
        schedule = selectors.schedule_for(
            therapist, window_start=window_start, window_end=window_end
        )
        conflicts = slots.course_conflicts(
            schedule, start, weeks, earliest=selectors.earliest_start(therapist)
        )
        if conflicts:
            raise SlotConflict(conflicts)
        created = now()
        confirmed = therapist.auto_confirm
        booking = Booking.objects.create(
            client=client,
            therapist=therapist,
            modality=offered[modality],
            format=format,
            weeks=weeks,
            status=Booking.Status.CONFIRMED if confirmed else Booking.Status.PENDING,
            created_at=created,
            hold_until=None if confirmed else created + PENDING_HOLD,
            decided_at=created if confirmed else None,
        )
        length = dt.timedelta(minutes=therapist.session_minutes)
        try:
            with transaction.atomic():
                sessions = Session.objects.bulk_create(
                    [
                        Session(
                            booking=booking,
                            therapist=therapist,
                            client=client,
                            week=week,
                            start=local.astimezone(dt.UTC),
                            end=local.astimezone(dt.UTC) + length,
                            status=Session.Status.CONFIRMED
                            if confirmed
                            else Session.Status.PENDING,
                        )
                        for week, local in enumerate(
                            slots.local_occurrences(start, schedule.tz, weeks), start=1
                        )
                    ]
                )
        except IntegrityError as exc:
            # Only a writer that skipped the therapist lock can get here.
            if "session_no_double_booking" not in str(exc):
                raise
            raise SlotConflict([(start, "taken")]) from exc
        opening_may_change(therapist, taken=sessions)
        if confirmed:
            _schedule_reminders(booking)
        _notify(booking, "requested" if not confirmed else "confirmed", first=sessions[0])
        _audit(audit.Action.BOOKING_REQUESTED, booking, by=client, status=booking.status)
    return booking


def _is_returning(client, therapist: Therapist) -> bool:
    """A client this therapist has already taken on: still welcome when they are full."""
    return Booking.objects.filter(
        therapist=therapist, client=client, status__in=["confirmed", "completed"]
    ).exists()


# --- Confirmation ----------------------------------------------------------------------


def _course_of(session_id: int) -> int:
    """The booking a course session belongs to; group meetings have their own services."""
    booking_id = Session.objects.values_list("booking_id", flat=True).get(pk=session_id)
    if booking_id is None:
        raise InvalidTransition(
            "This is a group meeting: it is managed with the group.", status="confirmed"
        )
    return booking_id


def _locked_booking(booking_id: int) -> Booking:
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("therapist", "client")
        .get(pk=booking_id)
    )


def _require_therapist(booking: Booking, by) -> None:
    if getattr(by, "therapist_pk", None) != booking.therapist_id:
        raise PermissionDenied("Only the booking's therapist can do that.")


def _require_party(booking: Booking, by) -> None:
    if by.pk != booking.client_id and not _is_therapist_of(booking, by):
        raise PermissionDenied("Only the client and their therapist can do that.")


def _is_therapist_of(booking: Booking, by) -> bool:
    return getattr(by, "therapist_pk", None) == booking.therapist_id


def _require_licensed(booking: Booking, by, *, doing: str, instead: str = "") -> None:
    """Licensure follows the client (PRODUCT rule 1), at every step that commits the
    therapist to treating them, not only at the request: a license that expired or was
    rejected since (or a client who moved state) refuses the step with the same
    NotLicensedInState (403) as ``book_course``. One EXISTS; no lock (as at booking)."""
    client = booking.client
    if Therapist.objects.findable_in(client.state).filter(pk=booking.therapist_id).exists():
        return
    detail = ""
    if _is_therapist_of(booking, by):  # the same refusal, said to the therapist
        detail = (
            f"You hold no verified, current license in {client.state or 'your client’s state'}, "
            f"where {client.name or 'your client'} lives, so you cannot {doing}. "
            f"Renew or resubmit your license there{instead}."
        )
    raise NotLicensedInState(
        therapist_name=booking.therapist.display_name, state=client.state, detail=detail
    )


def confirm_booking(*, booking_id: int, by) -> Booking:
    """The therapist accepts a pending course: every pending session is confirmed.
    Refused (NotLicensedInState) when the therapist's license in the client's state has
    lapsed since the request; the request then stays pending, holding its times until the
    therapist declines it or it expires, so a license renewed within the hold can still
    confirm it."""
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_therapist(booking, by)
        if booking.status != Booking.Status.PENDING:
            raise InvalidTransition(
                f"This booking is {booking.status}; only pending bookings can be confirmed.",
                status=booking.status,
            )
        if booking.hold_until and booking.hold_until < now():
            # The expiry task frees the times; a late confirmation must not revive them.
            raise InvalidTransition(
                "This request expired before it was confirmed; its times are free again.",
                status=booking.status,
            )
        _require_licensed(
            booking, by, doing="confirm this course", instead=", or decline the request"
        )
        booking.status = Booking.Status.CONFIRMED
        booking.decided_at = now()
        booking.save(update_fields=["status", "decided_at"])
        booking.sessions.filter(status=Session.Status.PENDING).update(
            status=Session.Status.CONFIRMED
        )
        _schedule_reminders(booking)
        _notify(booking, "confirmed")
        _audit(audit.Action.BOOKING_CONFIRMED, booking, by=by)
    return booking


def decline_booking(*, booking_id: int, by, reason: str = "") -> Booking:
    """The therapist declines a pending course; its times are free again."""
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_therapist(booking, by)
        if booking.status != Booking.Status.PENDING:
            raise InvalidTransition(
                f"This booking is {booking.status}; only pending bookings can be declined.",
                status=booking.status,
            )
        booking.status = Booking.Status.DECLINED
        booking.decided_at = now()
        booking.decline_reason = reason.strip()
        booking.save(update_fields=["status", "decided_at", "decline_reason"])
        booking.sessions.filter(status=Session.Status.PENDING).update(
            status=Session.Status.DECLINED
        )
        opening_may_change(booking.therapist)
        _notify(booking, "declined")
        _audit(audit.Action.BOOKING_DECLINED, booking, by=by)
    return booking


def _expire(booking: Booking) -> None:
    booking.status = Booking.Status.EXPIRED
    booking.save(update_fields=["status"])
    booking.sessions.filter(status=Session.Status.PENDING).update(status=Session.Status.EXPIRED)


def expire_pending_bookings(*, at: dt.datetime | None = None) -> int:
    """Pending requests past their hold expire and free their times. Idempotent."""
    at = at or now()
    expired = 0
    ids = list(
        Booking.objects.filter(status=Booking.Status.PENDING, hold_until__lt=at).values_list(
            "id", flat=True
        )[:1000]
    )
    for booking_id in ids:
        with transaction.atomic():
            booking = (
                Booking.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("therapist", "client")
                .filter(pk=booking_id, status=Booking.Status.PENDING, hold_until__lt=at)
                .first()
            )
            if booking is None:
                continue
            _expire(booking)
            opening_may_change(booking.therapist)
            _notify(booking, "expired")
            _audit(audit.Action.BOOKING_EXPIRED, booking, by=None)
            expired += 1
    return expired


# --- Cancelling -------------------------------------------------------------------------


def _cancel_sessions(booking: Booking, sessions: list[Session], *, by, reason: str) -> None:
    at = now()
    notice = dt.timedelta(hours=booking.therapist.notice_hours)
    for session in sessions:
        session.status = Session.Status.CANCELLED
        session.cancelled_at = at
        session.cancelled_by = by
        session.cancel_reason = reason
        session.late_cancellation = session.start - at < notice
    Session.objects.bulk_update(
        sessions,
        ["status", "cancelled_at", "cancelled_by", "cancel_reason", "late_cancellation"],
    )
    reminders.cancel_reminders(session_ids=[s.pk for s in sessions])
    if not booking.sessions.active().exists():
        has_done = booking.sessions.filter(status__in=["completed", "no_show"]).exists()
        booking.status = Booking.Status.COMPLETED if has_done else Booking.Status.CANCELLED
        booking.save(update_fields=["status"])


def _check_cancel_reason(booking: Booking, by, reason: str) -> str:
    reason = (reason or "").strip()
    if _is_therapist_of(booking, by) and not reason:
        raise ValidationError({"reason": "Tell your client why you are cancelling."})
    return reason


def cancel_session(*, session_id: int, by, reason: str = "") -> Session:
    """Cancel one upcoming session, by the client or the therapist (with a reason).
    Inside the therapist's notice period it is kept as a late cancellation."""
    with transaction.atomic():
        # Lock order everywhere: booking, then its sessions.
        booking = _locked_booking(_course_of(session_id))
        session = Session.objects.select_for_update().get(pk=session_id)
        _require_party(booking, by)
        reason = _check_cancel_reason(booking, by, reason)
        if not session.is_active:
            raise InvalidTransition(
                f"This session is {session.status}; it cannot be cancelled.", status=session.status
            )
        if session.start <= now():
            raise InvalidTransition(
                "This session has already started; it cannot be cancelled.", status=session.status
            )
        _cancel_sessions(booking, [session], by=by, reason=reason)
        opening_may_change(booking.therapist)
        _notify(booking, "session_cancelled", sessions=[session], by=by)
        _audit(audit.Action.SESSION_CANCELLED, session, by=by, late=session.late_cancellation)
    return session


def cancel_booking(*, booking_id: int, by, reason: str = "") -> Booking:
    """Cancel every upcoming session of the course (the rest of the course)."""
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_party(booking, by)
        reason = _check_cancel_reason(booking, by, reason)
        remaining = list(
            booking.sessions.active().filter(start__gt=now()).select_for_update().order_by("start")
        )
        if not remaining:
            raise InvalidTransition(
                "This course has no upcoming sessions left to cancel.", status=booking.status
            )
        _cancel_sessions(booking, remaining, by=by, reason=reason)
        opening_may_change(booking.therapist)
        _notify(booking, "booking_cancelled", sessions=remaining, by=by)
        _audit(audit.Action.BOOKING_CANCELLED, booking, by=by, sessions=[s.pk for s in remaining])
    return booking


def move_booking(*, booking_id: int, by, start: dt.datetime) -> Booking:
    """Move every upcoming session to the weekly time of ``start`` (week by week from
    ``start``), all or none. Raises SlotConflict naming the weeks that fail, or
    NotLicensedInState when the therapist's license in the client's state has lapsed."""
    _check_start(start)
    with transaction.atomic():
        booking = _locked_booking(booking_id)
        _require_party(booking, by)
        _require_licensed(booking, by, doing="move these sessions")
        therapist = locked_therapist(booking.therapist_id)
        remaining = list(
            booking.sessions.active().filter(start__gt=now()).select_for_update().order_by("start")
        )
        if not remaining:
            raise InvalidTransition(
                "This course has no upcoming sessions left to move.", status=booking.status
            )
        weeks = len(remaining)
        window_start, window_end = _course_window(start, weeks)
        schedule = selectors.schedule_for(
            therapist,
            window_start=window_start,
            window_end=window_end,
            ignore_booking_id=booking.pk,
        )
        conflicts = slots.course_conflicts(
            schedule, start, weeks, earliest=selectors.earliest_start(therapist)
        )
        if conflicts:
            raise SlotConflict(conflicts)
        length = dt.timedelta(minutes=therapist.session_minutes)
        with connection.cursor() as cursor:
            # The course's own sessions may trade places (e.g. moved by a week).
            cursor.execute("SET CONSTRAINTS session_no_double_booking DEFERRED")
        for session, local in zip(
            remaining, slots.local_occurrences(start, schedule.tz, weeks), strict=True
        ):
            session.start = local.astimezone(dt.UTC)
            session.end = session.start + length
        Session.objects.bulk_update(remaining, ["start", "end"])
        reminders.reschedule_reminders(session_ids=[s.pk for s in remaining])
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS session_no_double_booking IMMEDIATE")
        except IntegrityError as exc:
            raise SlotConflict([(start, "taken")]) from exc
        opening_may_change(therapist)
        _notify(booking, "moved", sessions=remaining, by=by)
        _audit(audit.Action.BOOKING_MOVED, booking, by=by, sessions=[s.pk for s in remaining])
    return booking


def mark_session(*, session_id: int, by, status: str) -> Session:
    """After a session: the therapist records it as completed or a no-show."""
    if status not in (Session.Status.COMPLETED, Session.Status.NO_SHOW):
        raise ValidationError({"status": "Mark a session completed or no_show."})
    with transaction.atomic():
        booking = _locked_booking(_course_of(session_id))
        session = Session.objects.select_for_update().get(pk=session_id)
        _require_therapist(booking, by)
        if session.status not in (Session.Status.CONFIRMED, Session.Status.COMPLETED, "no_show"):
            raise InvalidTransition(
                f"This session is {session.status}; only confirmed sessions can be marked.",
                status=session.status,
            )
        if session.start > now():
            raise InvalidTransition("This session has not happened yet.", status=session.status)
        session.status = status
        session.save(update_fields=["status"])
        if not booking.sessions.active().exists() and booking.status == Booking.Status.CONFIRMED:
            booking.status = Booking.Status.COMPLETED
            booking.save(update_fields=["status"])
        _audit(audit.Action.SESSION_MARKED, session, by=by, status=status)
    return session


# --- Audit and notifications -------------------------------------------------------------


def _audit(action: str, target: Booking | Session, *, by, **details) -> None:
    """The audit event of a state change, in its transaction (ids and statuses only:
    never a reason or a note)."""
    audit.record(
        action=action,
        actor=by,
        target=target,
        subject_id=target.client_id,
        details={"booking": target.booking_id, **details}
        if isinstance(target, Session)
        else details,
    )


def _schedule_reminders(booking: Booking) -> None:
    sessions = list(
        booking.sessions.filter(status=Session.Status.CONFIRMED).select_related("therapist")
    )
    for person in (booking.client, booking.therapist.user):
        reminders.schedule_reminders(sessions=sessions, recipient=person)


def _notify(
    booking: Booking,
    event: str,
    *,
    sessions: list[Session] | None = None,
    by=None,
    first: Session | None = None,
):
    """E-mail both sides after commit. Times only, in each reader's own zone; no
    clinical detail (no modality, no notes)."""
    client_tz = ZoneInfo(booking.client.timezone)
    therapist_tz = ZoneInfo(booking.therapist.timezone)
    if first is None:  # the booking's first session, unless the caller has it at hand
        first = sessions[0] if sessions else booking.sessions.order_by("start").first()
    context = {
        "booking": booking,
        "event": event,
        "sessions": sessions or [],
        "by_client": by is not None and by.pk == booking.client_id,
        "first_start": first.start if first else None,
    }
    recipients = [
        (booking.client.email, client_tz, "client"),
        (booking.therapist.user.email, therapist_tz, "therapist"),
    ]
    subjects = {
        "requested": "Course requested",
        "confirmed": "Course confirmed",
        "declined": "Course request declined",
        "expired": "Course request expired",
        "session_cancelled": "Session cancelled",
        "booking_cancelled": "Course cancelled",
        "moved": "Course moved to a new weekly time",
    }
    for email, tz, role in recipients:
        queue_email(
            to=[email],
            subject=f"Rapport: {subjects[event]}",
            template="booking/email/booking_event.txt",
            context={**context, "tz": tz, "role": role},
        )
