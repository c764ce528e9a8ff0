"""The only code that changes courses: a client's weekly sessions with one therapist
(booking, confirming, declining, expiring, cancelling, moving, marking).

Every function is one transaction of its own (``service_transaction``: never inside a
caller's), but ``book_course_locked``: the writing half of ``book_course``, which another
service runs inside its own transaction (a program's individual course, booked with the
enrolment). Booking locks the therapist row first, so two clients racing for one slot are
served one after the other and the loser gets a clean ``SlotConflict``; the exclusion
constraint on ``Session`` is the last line. No lock is waited for longer than
``LOCK_TIMEOUT_MS``: past it the change raises ``Busy`` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils.timezone import now

from audit import services as audit
from booking import openings, slots
from booking.exceptions import (
    InvalidTransition,
    NotAcceptingClients,
    NotLicensedInState,
    SlotConflict,
)
from booking.locking import locked_therapist
from booking.models import Booking, Session
from booking.schedules import earliest_start, schedule_for
from notifications import reminders
from notifications.email import queue_email
from providers.models import License, Modality, Therapist
from therapy_directory.transactions import Busy, service_transaction
from therapy_directory.validators import limited_text, within_booking_window


def pending_hold() -> dt.timedelta:
    """How long a request waits for the therapist before it expires (read at call time)."""
    return dt.timedelta(hours=settings.BOOKING_PENDING_HOLD_HOURS)


# --- Booking a course ----------------------------------------------------------------


def _check_start(start: dt.datetime) -> None:
    if start.tzinfo is None:
        raise ValidationError({"start": "Give the start with its UTC offset."})
    # The window every booking-side date shares (a start years away is a typo, and a
    # date like 9999-12-31 would overflow the course's window).
    if not within_booking_window(start):
        raise ValidationError({"start": "Choose a start within the next two years."})


def _course_window(start: dt.datetime, weeks: int) -> tuple[dt.datetime, dt.datetime]:
    """Every week the course can reach, the weeks it may skip included."""
    return start - dt.timedelta(days=1), start + dt.timedelta(weeks=weeks + slots.MAX_SKIPS, days=1)


def book_course(
    *,
    client,
    therapist_id: int,
    start: dt.datetime,
    weeks: int,
    modality: str,
    format: str,
) -> Booking:
    """Book ``weeks`` weekly sessions at ``start``'s local weekday and time, skipping the
    therapist's weeks off (PRODUCT.md rule 4), all in one transaction or none. Raises
    NotLicensedInState, NotAcceptingClients or SlotConflict (naming every week that
    fails)."""
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

    with service_transaction():
        # With its user, for the e-mails (locking only the therapist's row).
        therapist = (
            Therapist.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=therapist.pk)
        )
        if not therapist.accepting_new_clients and not is_returning(client, therapist):
            raise NotAcceptingClients(therapist_name=therapist.display_name)
        booking = book_course_locked(
            client=client,
            therapist=therapist,
            start=start,
            weeks=weeks,
            modality=offered[modality],
            format=format,
        )
    return booking


def book_course_locked(
    *,
    client,
    therapist: Therapist,
    start: dt.datetime,
    weeks: int,
    modality: Modality,
    format: str,
) -> Booking:
    """The writing half of ``book_course``, for a service that books a course as one part
    of its own change (a program's individual course, booked with the enrolment): it runs
    in the CALLER's ``service_transaction`` (never a transaction of its own, so nothing
    nests a durable one), and the caller has locked ``therapist``'s row first, before any
    other row (the lock order everywhere: therapist, then group, then the rest).

    It checks the calendar only: every week on the therapist's grid, inside their hours,
    free, outside their notice period, weeks off skipped (PRODUCT.md rule 4). Who may
    book (the client's state, the therapist accepting new clients, the modality and
    format offered) is the caller's to check. Raises SlotConflict naming every week that
    fails; the caller's transaction then writes nothing."""
    if not connection.in_atomic_block:
        raise RuntimeError("book_course_locked runs inside the caller's service_transaction.")
    _check_start(start)
    if not 1 <= weeks <= slots.MAX_WEEKS:
        raise ValidationError({"weeks": f"A course is 1 to {slots.MAX_WEEKS} weekly sessions."})
    window_start, window_end = _course_window(start, weeks)
    schedule = schedule_for(therapist, window_start=window_start, window_end=window_end)
    plan = slots.plan_course(schedule, start, weeks, earliest=earliest_start(therapist))
    if plan.conflicts:
        raise SlotConflict(list(plan.conflicts))
    created = now()
    confirmed = therapist.auto_confirm
    booking = Booking.objects.create(
        client=client,
        therapist=therapist,
        modality=modality,
        format=format,
        weeks=weeks,
        status=Booking.Status.CONFIRMED if confirmed else Booking.Status.PENDING,
        created_at=created,
        hold_until=None if confirmed else created + pending_hold(),
        decided_at=created if confirmed else None,
        skipped=list(plan.skipped),
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
                        status=Session.Status.CONFIRMED if confirmed else Session.Status.PENDING,
                    )
                    for week, local in enumerate(plan.sessions, start=1)
                ]
            )
    except IntegrityError as exc:
        # Only a writer that skipped the therapist lock can get here.
        if "session_no_double_booking" not in str(exc):
            raise
        raise SlotConflict([(start, "taken")]) from exc
    openings.mark_stale(therapist, taken=sessions)
    if confirmed:
        _schedule_reminders(booking)
    _notify(booking, "requested" if not confirmed else "confirmed", first=sessions[0])
    _audit(audit.Action.BOOKING_REQUESTED, booking, by=client, status=booking.status)
    return booking


def is_returning(client, therapist: Therapist) -> bool:
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
    with service_transaction():
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
    reason = limited_text(reason, field="reason")
    with service_transaction():
        booking = _locked_booking(booking_id)
        _require_therapist(booking, by)
        if booking.status != Booking.Status.PENDING:
            raise InvalidTransition(
                f"This booking is {booking.status}; only pending bookings can be declined.",
                status=booking.status,
            )
        booking.status = Booking.Status.DECLINED
        booking.decided_at = now()
        booking.decline_reason = reason
        booking.save(update_fields=["status", "decided_at", "decline_reason"])
        booking.sessions.filter(status=Session.Status.PENDING).update(
            status=Session.Status.DECLINED
        )
        openings.mark_stale(booking.therapist)
        _notify(booking, "declined")
        _audit(audit.Action.BOOKING_DECLINED, booking, by=by)
    return booking


def _expire(booking: Booking) -> None:
    booking.status = Booking.Status.EXPIRED
    booking.save(update_fields=["status"])
    booking.sessions.filter(status=Session.Status.PENDING).update(status=Session.Status.EXPIRED)


def expire_pending_bookings(*, at: dt.datetime | None = None) -> int:
    """Pending requests past their hold expire and free their times, each in its own
    transaction. Idempotent; a request whose rows stay locked (``Busy``) or that another
    run holds is left for the next run."""
    at = at or now()
    expired = 0
    ids = list(
        Booking.objects.filter(status=Booking.Status.PENDING, hold_until__lt=at).values_list(
            "id", flat=True
        )[:1000]
    )
    for booking_id in ids:
        try:
            expired += _expire_one(booking_id, at=at)
        except Busy:
            continue  # its therapist's calendar is being changed: the next run expires it
    return expired


def _expire_one(booking_id: int, *, at: dt.datetime) -> bool:
    """Expire one request in its own transaction; False when it is no longer due or
    another run holds it."""
    with service_transaction():
        booking = (
            Booking.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("therapist", "client")
            .filter(pk=booking_id, status=Booking.Status.PENDING, hold_until__lt=at)
            .first()
        )
        if booking is None:
            return False
        _expire(booking)
        openings.mark_stale(booking.therapist)
        _notify(booking, "expired")
        _audit(audit.Action.BOOKING_EXPIRED, booking, by=None)
    return True


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
    reason = limited_text(reason, field="reason")
    if _is_therapist_of(booking, by) and not reason:
        raise ValidationError({"reason": "Tell your client why you are cancelling."})
    return reason


def cancel_session(*, session_id: int, by, reason: str = "") -> Session:
    """Cancel one upcoming session, by the client or the therapist (with a reason).
    Inside the therapist's notice period it is kept as a late cancellation."""
    with service_transaction():
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
        openings.mark_stale(booking.therapist)
        _notify(booking, "session_cancelled", sessions=[session], by=by)
        _audit(audit.Action.SESSION_CANCELLED, session, by=by, late=session.late_cancellation)
    return session


def cancel_booking(*, booking_id: int, by, reason: str = "") -> Booking:
    """Cancel every upcoming session of the course (the rest of the course)."""
    with service_transaction():
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
        openings.mark_stale(booking.therapist)
        _notify(booking, "booking_cancelled", sessions=remaining, by=by)
        _audit(audit.Action.BOOKING_CANCELLED, booking, by=by, sessions=[s.pk for s in remaining])
    return booking


def move_booking(*, booking_id: int, by, start: dt.datetime) -> Booking:
    """Move every upcoming session to the weekly time of ``start`` (week by week from
    ``start``, skipping the therapist's weeks off as a new course would), all or none.
    Raises SlotConflict naming the weeks that fail, or NotLicensedInState when the
    therapist's license in the client's state has lapsed."""
    _check_start(start)
    with service_transaction():
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
        schedule = schedule_for(
            therapist,
            window_start=window_start,
            window_end=window_end,
            ignore_booking_id=booking.pk,
        )
        plan = slots.plan_course(schedule, start, weeks, earliest=earliest_start(therapist))
        if plan.conflicts:
            raise SlotConflict(list(plan.conflicts))
        length = dt.timedelta(minutes=therapist.session_minutes)
        with connection.cursor() as cursor:
            # The course's own sessions may trade places (e.g. moved by a week).
            cursor.execute("SET CONSTRAINTS session_no_double_booking DEFERRED")
        for session, local in zip(remaining, plan.sessions, strict=True):
            session.start = local.astimezone(dt.UTC)
            session.end = session.start + length
        Session.objects.bulk_update(remaining, ["start", "end"])
        # The weeks already behind the course keep their skips; the moved part has its own.
        first_moved = remaining[0].start.astimezone(schedule.tz).date()
        booking.skipped = [d for d in booking.skipped if d < first_moved] + list(plan.skipped)
        booking.save(update_fields=["skipped"])
        reminders.reschedule_reminders(session_ids=[s.pk for s in remaining])
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS session_no_double_booking IMMEDIATE")
        except IntegrityError as exc:
            raise SlotConflict([(start, "taken")]) from exc
        openings.mark_stale(therapist)
        _notify(booking, "moved", sessions=remaining, by=by)
        _audit(audit.Action.BOOKING_MOVED, booking, by=by, sessions=[s.pk for s in remaining])
    return booking


# --- Deferring one session (time off over a booked week, PRODUCT.md rule 4) -------------

# Sessions that make up a course as it stands: its last one is the latest of these.
HELD_STATES = ("pending", "confirmed", "completed", "no_show")
# Added to every week number while a course's sessions are renumbered (the numbers stay
# unique row by row: none of them reaches it).
_RENUMBER_OFFSET = 1000


def deferral_plan(
    schedule: slots.Schedule, last: dt.datetime, *, earliest: dt.datetime | None = None
) -> slots.Plan:
    """Where a session deferred after ``last`` (the start of the course's last session)
    goes: one week later at the same local weekday and wall-clock time in the therapist's
    zone (so across a daylight-saving change too), weeks in the therapist's time off
    skipped as a course skips them (at most ``slots.MAX_SKIPS``). Pure: a plan of one
    session, or of one conflict naming why that week is not free."""
    wall = last.astimezone(schedule.tz).replace(tzinfo=None)
    week = wall + dt.timedelta(weeks=1)
    skipped: list[dt.date] = []
    while len(skipped) < slots.MAX_SKIPS and any(
        first <= week.date() <= final for first, final in schedule.time_off
    ):
        skipped.append(week.date())
        week += dt.timedelta(weeks=1)
    plan = slots.plan_course(schedule, week.replace(tzinfo=schedule.tz), 1, earliest=earliest)
    return slots.Plan(plan.sessions, tuple(skipped), plan.conflicts)


def deferral_window(last: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The instants a deferral after ``last`` can reach, for ``schedule_for``."""
    return last - dt.timedelta(days=1), last + dt.timedelta(weeks=slots.MAX_SKIPS + 1, days=1)


def defer_session(*, session_id: int, by) -> Booking:
    """The therapist moves one upcoming session of a course to one week after the
    course's last session (``deferral_plan``), e.g. out of time off they added over it
    (PRODUCT.md rule 4). Checked and written under the therapist's lock, the exclusion
    constraint as the last word. The week it leaves joins the booking's skipped weeks
    and the course's sessions are numbered again in order. Raises SlotConflict (that
    week and why it is not free), InvalidTransition (not upcoming, or a group meeting),
    PermissionDenied (anyone but the booking's therapist) or NotLicensedInState."""
    with service_transaction():
        booking = _locked_booking(_course_of(session_id))
        _require_therapist(booking, by)
        _require_licensed(booking, by, doing="defer this session", instead=", or cancel it")
        therapist = locked_therapist(booking.therapist_id)
        session = Session.objects.select_for_update().get(pk=session_id)
        if not session.is_active or session.start <= now():
            raise InvalidTransition(
                "Only an upcoming session can be deferred; this one is "
                f"{'over' if session.is_active else session.status}.",
                status=session.status,
            )
        course = list(booking.sessions.select_for_update().order_by("start", "id"))
        last = max(s.start for s in course if s.status in HELD_STATES)
        window_start, window_end = deferral_window(last)
        schedule = schedule_for(therapist, window_start=window_start, window_end=window_end)
        plan = deferral_plan(schedule, last, earliest=earliest_start(therapist))
        if plan.conflicts:
            raise SlotConflict(list(plan.conflicts))
        was = session.start
        session.start = plan.sessions[0].astimezone(dt.UTC)
        session.end = session.start + dt.timedelta(minutes=therapist.session_minutes)
        try:
            with transaction.atomic():
                session.save(update_fields=["start", "end"])
        except IntegrityError as exc:
            # Only a writer that skipped the therapist lock can get here.
            if "session_no_double_booking" not in str(exc):
                raise
            raise SlotConflict([(session.start, "taken")]) from exc
        _renumber(booking, course, moved=session)
        left = was.astimezone(schedule.tz).date()
        booking.skipped = sorted({*booking.skipped, left, *plan.skipped})
        booking.save(update_fields=["skipped"])
        reminders.reschedule_reminders(session_ids=[session.pk])
        openings.mark_stale(therapist)
        _notify_deferral(booking, session, was=was)
        _audit(
            audit.Action.SESSION_DEFERRED,
            session,
            by=by,
            skipped=[d.isoformat() for d in plan.skipped],
        )
    return booking


def _renumber(booking: Booking, course: list[Session], *, moved: Session) -> None:
    """Week numbers follow the sessions' order again (1 for the first), after ``moved``
    changed its place: two statements, each row's number unique at every step."""
    order = sorted((moved if s.pk == moved.pk else s for s in course), key=lambda s: s.start)
    Session.objects.filter(booking=booking).update(week=F("week") + _RENUMBER_OFFSET)
    for number, session in enumerate(order, start=1):
        session.week = number
    Session.objects.bulk_update(order, ["week"])


def _notify_deferral(booking: Booking, session: Session, *, was: dt.datetime) -> None:
    """Both sides are e-mailed (after commit) the old and the new time, each in their own
    zone; no clinical detail."""
    for email, zone, role in (
        (booking.client.email, booking.client.timezone, "client"),
        (booking.therapist.user.email, booking.therapist.timezone, "therapist"),
    ):
        queue_email(
            to=[email],
            subject="Rapport: Session moved to after the course",
            template="booking/email/session_deferred.txt",
            context={
                "booking": booking,
                "session": session,
                "was": was,
                "zone": zone,
                "role": role,
            },
        )


def mark_session(*, session_id: int, by, status: str) -> Session:
    """After a session: the therapist records it as completed or a no-show."""
    if status not in (Session.Status.COMPLETED, Session.Status.NO_SHOW):
        raise ValidationError({"status": "Mark a session completed or no_show."})
    with service_transaction():
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
