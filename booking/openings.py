"""A therapist's next opening: the first start in the next 62 days of a course a new
client can book — 12 weekly sessions (weeks off skipped, PRODUCT.md rule 4) for a
therapist who offers an IPT or CBT course, one session for the others, none for a
therapist not accepting new clients — stored on the therapist for search. The service
that changes its inputs (hours, time off, sessions, group meetings) marks it stale in
its own transaction (``mark_stale``); it is recomputed after commit, and the beat's
sweep recomputes what a failed recompute or the passing of time left due.
"""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import DateTimeField, Func
from django.utils.timezone import now
from psycopg2.extras import execute_values

from booking import slots
from booking.models import Session
from booking.schedules import earliest_start, schedules_for
from providers import search_cache
from providers.models import Therapist


class _ClockTimestamp(Func):
    """The real time when the statement runs (not the transaction's start): two marks of
    one therapist's row, serialised by its lock, never get the same value."""

    function = "clock_timestamp"
    template = "clock_timestamp()"
    output_field = DateTimeField()


def mark_stale(therapist: Therapist, *, taken: list[Session] | None = None) -> None:
    """Inside a transaction that changed the therapist's calendar (hours, time off,
    sessions, group meetings): mark the stored next opening stale and recompute it after
    commit, outside every lock. The one way every writer keeps the opening right: the
    recompute stores its answer only if the mark is still the one it read, and a failed
    recompute leaves the mark for the beat's sweep without failing the change.

    ``taken``: the new sessions of a booking or a group, with ``therapist`` read under
    its lock.
    Taking time can only move the opening when a new session covers one of the weeks of
    its course, so a fresh opening (or a fresh "none") that none of them covers is left
    alone."""
    if taken is not None and therapist.next_opening_stale_at is not None:
        fresh = therapist.next_opening_stale_at > now()
        opening = therapist.next_opening
        if fresh and (opening is None or not _covers_course(therapist, opening, taken)):
            return
    Therapist.objects.filter(pk=therapist.pk).update(next_opening_stale_at=_ClockTimestamp())
    # robust: a failure here must not fail the request whose change has committed; the
    # mark stays, and the beat's sweep recomputes it.
    therapist_id = therapist.pk

    def refresh_after_commit() -> None:  # a function: Django logs a failure by its name
        refresh_stale_opening(therapist_id)

    transaction.on_commit(refresh_after_commit, robust=True)


def _covers_course(therapist: Therapist, opening: dt.datetime, taken: list[Session]) -> bool:
    """Whether a taken session overlaps any week the opening's course can reach (its
    longest course, skips included: a superset, so never a stale opening kept)."""
    length = dt.timedelta(minutes=therapist.session_minutes)
    weeks = COURSE_WEEKS + slots.MAX_SKIPS
    return any(
        s.start < local.astimezone(dt.UTC) + length and local.astimezone(dt.UTC) < s.end
        for local in slots.local_occurrences(opening, ZoneInfo(therapist.timezone), weeks)
        for s in taken
    )


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
    found = next_openings(therapists)
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
    # A changed opening changes the cards and the order of a search.
    if stored and any(found[t.pk][0] != t.next_opening for t in therapists):
        search_cache.directory_changed()
    return stored


OPENING_FIELDS = (
    "id", "timezone", "session_minutes", "slot_step_minutes", "notice_hours",
    "accepting_new_clients", "next_opening", "next_opening_stale_at",
)  # fmt: skip
# A new client's course (PRODUCT.md rule 4): what the next opening must hold.
COURSE_WEEKS = 12
COURSE_MODALITIES = ("ipt", "cbt")


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


# --- Reads -------------------------------------------------------------------------------


def next_opening(therapist: Therapist, *, at: dt.datetime | None = None) -> dt.datetime | None:
    """The first start of a new client's course in the next 62 days, or None."""
    return next_opening_and_stale_at(therapist, at=at)[0]


def next_opening_and_stale_at(
    therapist: Therapist, *, at: dt.datetime | None = None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The next opening, and from when it stops being right as time passes: the bulk
    answer for a list of one, so one therapist and the sweep never disagree."""
    return next_openings([therapist], at=at)[therapist.pk]


def next_openings(
    therapists: list[Therapist], *, at: dt.datetime | None = None
) -> dict[int, tuple[dt.datetime | None, dt.datetime | None]]:
    """Each therapist's next opening and from when it goes stale, by id, in four
    queries whatever their number."""
    at = at or now()
    schedules = schedules_for(
        therapists,
        window_start=at - dt.timedelta(days=1),
        window_end=at
        + dt.timedelta(days=slots.MAX_DAYS + 7 * (COURSE_WEEKS + slots.MAX_SKIPS) + 2),
    )
    with_course = set(
        Therapist.modalities.through.objects.filter(
            therapist_id__in=[t.pk for t in therapists], modality__slug__in=COURSE_MODALITIES
        ).values_list("therapist_id", flat=True)
    )
    return {
        t.pk: _first_opening(
            t, schedules[t.pk], at, weeks=COURSE_WEEKS if t.pk in with_course else 1
        )
        for t in therapists
    }


def _first_opening(
    therapist: Therapist, schedule: slots.Schedule, at: dt.datetime, *, weeks: int
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if not therapist.accepting_new_clients or not schedule.hours:
        # No opening until a change of the profile or the calendar (which marks it stale).
        return None, None
    local_today = at.astimezone(schedule.tz).date()
    found = slots.free_course_starts(
        schedule,
        first_day=local_today,
        days=slots.MAX_DAYS,
        weeks=weeks,
        earliest=earliest_start(therapist, at),
        limit=1,
    )
    if found:
        # It stays the first free start until it falls inside the notice period.
        return found[0], found[0] - dt.timedelta(hours=therapist.notice_hours)
    # None in the next 62 days: the window gains a day at the next local midnight.
    midnight = dt.datetime.combine(local_today + dt.timedelta(days=1), dt.time())
    return None, midnight.replace(tzinfo=schedule.tz)
