"""The only code that changes groups, their meetings, enrolments and attendance.

A group's meetings are ``Session`` rows (``group`` set, ``client`` empty) created
``confirmed`` with the group, so the exclusion constraint that keeps a therapist from
holding two clients at once also keeps a group meeting and a course session apart,
whichever is written first and however many requests race.

Capacity (PRODUCT rule 6) is kept by locking the group row, counting and inserting in
one transaction: enrolments of one group are served one after the other. Each enrolment
takes the next ``queue_number`` under that lock, so the waitlist is in commit order.
Lock order: therapist, then group, then enrolments. Every change is one transaction of
its own (``service_transaction``); a lock not granted within ``LOCK_TIMEOUT_MS`` raises
``Busy`` and writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min, QuerySet
from django.utils.timezone import now

from accounts.places import STATE_NAMES
from audit import services as audit
from booking import openings, slots, video
from booking.courses import services as courses
from booking.exceptions import (
    GroupFull,
    IndividualCourseConflict,
    InvalidTransition,
    NotLicensedInState,
    SlotConflict,
)
from booking.groups.selectors import HELD_MEETING_STATES, meeting_member_ids
from booking.locking import locked_therapist
from booking.models import (
    ACTIVE_SESSION_STATES,
    LIVE_ENROLMENT_STATES,
    SEAT_STATES,
    Attendance,
    Enrolment,
    Group,
    Session,
    TimeOff,
)
from notifications import reminders
from notifications.email import queue_email
from providers.models import FEE_MAX, Format, License, Modality, Therapist
from therapy_directory.transactions import Busy, service_transaction
from therapy_directory.validators import (
    limited_text,
    us_date,
    validate_fields,
    validate_within_booking_window,
    within_booking_window,
)


def offer_hold() -> dt.timedelta:
    """How long a seat offered from the waitlist is held (read at call time)."""
    return dt.timedelta(hours=settings.GROUP_OFFER_HOLD_HOURS)


# Changing any of these moves the meetings.
SCHEDULE_FIELDS = ("weekdays", "start_time", "start_date", "meeting_minutes", "weeks")
EDITABLE_FIELDS = (
    "title", "description", "modality", "kind", "format", "capacity", "fee", "states",
    "video_url",
    "individual",
    *SCHEDULE_FIELDS,
)  # fmt: skip


class GroupNotInState(NotLicensedInState):
    """The therapist may be licensed there, but this group does not serve that state."""

    def __init__(self, *, title: str, state: str, states: Iterable[str]):
        NotLicensedInState.__init__(self, therapist_name="", state=state)
        served = ", ".join(sorted(states))
        self.detail = (
            f"“{title}” serves clients in {served} only, so you cannot join it from "
            f"{STATE_NAMES.get(state, state or 'your state')}. Look for a group in your state."
        )
        self.args = (self.detail,)


# --- Meetings ---------------------------------------------------------------------------


def first_meeting_date(start_date: dt.date, weekday: int) -> dt.date:
    """The first ``weekday`` on or after ``start_date``."""
    return start_date + dt.timedelta(days=(weekday - start_date.weekday()) % 7)


def meeting_times(
    *, tz: ZoneInfo, weekdays: Iterable[int], start_time: dt.time, start_date: dt.date, weeks: int
) -> list[dt.datetime]:
    """The UTC start of every meeting, in order: each of ``weekdays`` in each of ``weeks``
    weeks (the first week is the seven days from ``start_date``), at the same wall-clock
    time in the therapist's zone, across daylight-saving changes."""
    starts = []
    for weekday in set(weekdays):
        first = dt.datetime.combine(first_meeting_date(start_date, weekday), start_time, tzinfo=tz)
        starts += [local.astimezone(dt.UTC) for local in slots.local_occurrences(first, tz, weeks)]
    return sorted(starts)


def _busy(
    therapist: Therapist, starts: list[dt.datetime], length: dt.timedelta, ignore_group_id=None
) -> list[tuple[dt.datetime, dt.datetime]]:
    qs = Session.objects.active().filter(
        therapist=therapist, start__lt=starts[-1] + length, end__gt=starts[0]
    )
    if ignore_group_id is not None:
        qs = qs.exclude(group_id=ignore_group_id)
    return list(qs.values_list("start", "end"))


def meeting_conflicts(
    starts: list[dt.datetime],
    length: dt.timedelta,
    busy: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, str]]:
    """Meetings that overlap a session the therapist already holds. Weekly hours and
    time off do not restrict groups: the therapist chose this time on purpose."""
    busy = list(busy)
    return [
        (start, "taken")
        for start in starts
        if any(b_start < start + length and b_end > start for b_start, b_end in busy)
    ]


@dataclasses.dataclass(frozen=True)
class MeetingWarning:
    """A meeting that saving a group would put in the therapist's calendar and that needs
    their attention: ``time_off`` (it falls on one of their days off: saved only once they
    confirm) or ``taken`` (it overlaps a session they already hold: refused)."""

    start: dt.datetime  # UTC
    end: dt.datetime
    reason: str
    time_off: tuple[dt.date, dt.date] | None = None  # the days off it falls in

    @property
    def refused(self) -> bool:
        return self.reason == "taken"


def schedule_warnings(
    starts: list[dt.datetime],
    length: dt.timedelta,
    *,
    tz: ZoneInfo,
    time_off: Iterable[tuple[dt.date, dt.date]],
    busy: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[MeetingWarning]:
    """Pure: the meetings (UTC ``starts``) that begin on a local day of ``time_off``
    (inclusive date ranges in the therapist's zone ``tz``) or overlap a ``busy`` range;
    in order of time, a meeting in both listed twice (time off first)."""
    time_off = sorted(time_off)
    taken = {start for start, _ in meeting_conflicts(starts, length, busy)}
    warnings = []
    for start in sorted(starts):
        day = start.astimezone(tz).date()
        off = next((r for r in time_off if r[0] <= day <= r[1]), None)
        if off is not None:
            warnings.append(MeetingWarning(start, start + length, "time_off", off))
        if start in taken:
            warnings.append(MeetingWarning(start, start + length, "taken"))
    return warnings


def warnings_key(warnings: Iterable[MeetingWarning]) -> str:
    """A short fingerprint of the meetings in time off a therapist was shown: confirming
    them holds for these meetings only, not for a schedule changed since."""
    starts = sorted(w.start.isoformat() for w in warnings if w.reason == "time_off")
    return hashlib.sha256(",".join(starts).encode()).hexdigest()[:16] if starts else ""


def _time_off_between(therapist: Therapist, first: dt.date, last: dt.date):
    return list(
        TimeOff.objects.filter(
            therapist=therapist, end_date__gte=first, start_date__lte=last
        ).values_list("start_date", "end_date")
    )


def _planned_starts(therapist: Therapist, schedule: dict) -> list[dt.datetime]:
    try:
        return meeting_times(
            tz=ZoneInfo(therapist.timezone),
            weekdays=schedule["weekdays"],
            start_time=schedule["start_time"],
            start_date=schedule["start_date"],
            weeks=schedule["weeks"],
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return []  # not a schedule yet: the save names the fields


def check_schedule(
    *, therapist: Therapist, group_id: int | None = None, **fields
) -> list[MeetingWarning]:
    """Before saving a new group (or changes to ``group_id``): the meetings the save would
    create or move that fall in the therapist's time off or overlap a session they hold.
    A read, taking no lock: ``create_group`` / ``update_group`` check clashes again under
    the therapist's lock and refuse them; meetings in time off are saved (the therapist
    has confirmed them). Meetings a change leaves where they are raise nothing."""
    schedule = {"meeting_minutes": 90, **fields}
    existing: dict[int, dt.datetime] = {}
    if group_id is not None:
        group = Group.objects.get(pk=group_id, therapist=therapist)
        current = {f: getattr(group, f) for f in SCHEDULE_FIELDS}
        schedule = {**current, **{f: v for f, v in fields.items() if f in SCHEDULE_FIELDS}}
        if schedule == current:
            return []
        existing = dict(group.meetings.values_list("week", "start"))
    starts = _planned_starts(therapist, schedule)
    minutes = schedule.get("meeting_minutes")
    if not starts or not isinstance(minutes, int) or minutes <= 0:
        return []
    length = dt.timedelta(minutes=minutes)
    current_time = now()
    held = sum(1 for start in existing.values() if start <= current_time)
    placed = [
        start
        for week, start in enumerate(starts, start=1)
        if week > held and existing.get(week) != start
    ]
    if not placed:
        return []
    tz = ZoneInfo(therapist.timezone)
    days_off = _time_off_between(
        therapist, placed[0].astimezone(tz).date(), placed[-1].astimezone(tz).date()
    )
    busy = _busy(therapist, placed, length, ignore_group_id=group_id)
    return schedule_warnings(placed, length, tz=tz, time_off=days_off, busy=busy)


def _keep_in_time_off(therapist: Therapist, meetings: list[Session]) -> None:
    """The therapist confirmed these meetings though some fall in their time off: those
    are held (PRODUCT rule 4's "keep"), so the time-off page does not ask again."""
    if not meetings:
        return
    tz = ZoneInfo(therapist.timezone)
    days = [m.start.astimezone(tz).date() for m in meetings]
    days_off = _time_off_between(therapist, min(days), max(days))
    kept = [
        m
        for m, day in zip(meetings, days, strict=True)
        if any(first <= day <= last for first, last in days_off)
    ]
    if not kept:
        return
    Session.objects.filter(pk__in=[m.pk for m in kept]).update(kept_in_time_off=True)
    audit.record_many(
        action=audit.Action.SESSION_KEPT,
        actor=therapist.user,
        target_type="session",
        rows=[(m.pk, None, {"booking": None, "group": m.group_id}) for m in kept],
    )


def _check_states(therapist: Therapist, states: list[str]) -> list[str]:
    states = sorted({s.strip().upper() for s in states if s and s.strip()})
    if not states:
        raise ValidationError({"states": "Choose at least one state the group serves."})
    licensed = set(
        License.objects.valid().filter(therapist=therapist).values_list("state", flat=True)
    )
    missing = [s for s in states if s not in licensed]
    if missing:
        raise ValidationError(
            {
                "states": (
                    f"You hold no verified, current license in {', '.join(missing)}: a group "
                    "can serve only states where you are licensed."
                )
            }
        )
    return states


def _clean(therapist: Therapist, data: dict, *, current_start_date: dt.date | None = None) -> dict:
    """Field rules the database also holds, said in plain words before it refuses. A new
    first day lies within the booking window (a group that began long ago keeps its own).
    ``weekdays`` come back sorted, each once."""
    errors = {}
    if not (data.get("title") or "").strip():
        errors["title"] = "Give the group a title."
    try:  # one line of title, a description of bounded length: the model's rules
        validate_fields(
            Group, title=(data.get("title") or "").strip(), description=data.get("description")
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if data.get("kind") not in Group.Kind.values:
        errors["kind"] = f"Choose one of: {', '.join(Group.Kind.values)}."
    if data.get("format") not in Format.values:
        errors["format"] = "Choose telehealth or in_person."
    elif data["format"] not in therapist.formats:
        errors["format"] = f"You offer: {', '.join(therapist.formats) or 'no format yet'}."
    weekdays = data.get("weekdays")
    if (
        not isinstance(weekdays, list | tuple)
        or not weekdays
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays)
    ):
        errors["weekdays"] = "Choose the days it meets: 0 (Monday) to 6 (Sunday), at least one."
    else:
        data["weekdays"] = sorted(set(weekdays))
    if not isinstance(data.get("weeks"), int) or not 1 <= data["weeks"] <= Group.MAX_WEEKS:
        errors["weeks"] = f"A group meets for 1 to {Group.MAX_WEEKS} weeks."
    fee = data.get("fee")
    if fee is not None and (
        isinstance(fee, bool) or not isinstance(fee, int) or not 0 <= fee <= FEE_MAX
    ):
        errors["fee"] = f"Give a fee between $0 and ${FEE_MAX:,} (0 for a free group)."
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or not 1 <= capacity <= Group.MAX_CAPACITY:
        errors["capacity"] = f"Capacity is 1 to {Group.MAX_CAPACITY} members (typically 6–12)."
    minutes = data.get("meeting_minutes")
    if not isinstance(minutes, int) or not 15 <= minutes <= 240:
        errors["meeting_minutes"] = "A meeting lasts 15 to 240 minutes."
    if not isinstance(data.get("start_time"), dt.time):
        errors["start_time"] = "Give the start time, e.g. 18:00."
    if not isinstance(data.get("start_date"), dt.date):
        errors["start_date"] = "Give the first day, e.g. 2027-01-04."
    elif data["start_date"] != current_start_date:
        try:
            validate_within_booking_window(data["start_date"])
        except ValidationError as exc:
            errors["start_date"] = exc.messages
    modality = data.get("modality")
    if isinstance(modality, str):
        found = Modality.objects.filter(slug=modality).first()
        if found is None:
            errors["modality"] = "Unknown therapy."
        data["modality"] = found
    elif not isinstance(modality, Modality):
        errors["modality"] = "Choose a therapy."
    try:  # a group's own video room (booking.video): empty, or an https:// address
        data["video_url"] = video.clean_room_url(data.get("video_url"))
    except ValidationError as exc:
        errors["video_url"] = exc.messages
    errors.update(_clean_individual(therapist, data))
    if errors:
        raise ValidationError(errors)
    data["title"] = data["title"].strip()
    data["states"] = _check_states(therapist, list(data.get("states") or []))
    return data


def _insert_meetings(group: Group, weeks: Iterable[tuple[int, dt.datetime]]) -> list[Session]:
    length = dt.timedelta(minutes=group.meeting_minutes)
    return Session.objects.bulk_create(
        [
            Session(
                group=group,
                therapist_id=group.therapist_id,
                week=week,
                start=start,
                end=start + length,
                status=Session.Status.CONFIRMED,
            )
            for week, start in weeks
        ]
    )


def _raise_if_taken(exc: IntegrityError, starts: list[dt.datetime]) -> None:
    # Only a writer that skipped the therapist lock can get here.
    if "session_no_double_booking" not in str(exc):
        raise exc
    raise SlotConflict([(starts[0], "taken")]) from exc


def create_group(*, therapist: Therapist, keep_in_time_off: bool = False, **fields) -> Group:
    """Create a group and reserve its meetings in the therapist's calendar, all or
    none. Raises ValidationError (fields; unlicensed states) or SlotConflict naming
    every meeting that overlaps a session the therapist already holds. Meetings in the
    therapist's time off are created (``check_schedule`` warns of them first); with
    ``keep_in_time_off`` they are held as the therapist confirmed them."""
    data = {"description": "", "meeting_minutes": 90, "fee": None, **fields}
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown group fields: {sorted(unknown)}")
    with service_transaction():
        therapist = locked_therapist(therapist.pk)
        data = _clean(therapist, data)
        tz = ZoneInfo(therapist.timezone)
        starts = meeting_times(
            tz=tz,
            weekdays=data["weekdays"],
            start_time=data["start_time"],
            start_date=data["start_date"],
            weeks=data["weeks"],
        )
        if starts[0] <= now():
            raise ValidationError({"start_date": "The first meeting must be in the future."})
        length = dt.timedelta(minutes=data["meeting_minutes"])
        conflicts = meeting_conflicts(starts, length, _busy(therapist, starts, length))
        if conflicts:
            raise SlotConflict(conflicts)
        group = Group.objects.create(therapist=therapist, **data)
        try:
            with transaction.atomic():
                meetings = _insert_meetings(group, enumerate(starts, start=1))
        except IntegrityError as exc:
            _raise_if_taken(exc, starts)
        for meeting in meetings:
            meeting.therapist = therapist
        if keep_in_time_off:
            _keep_in_time_off(therapist, meetings)
        reminders.schedule_reminders(sessions=meetings, recipient=therapist.user)
        openings.mark_stale(therapist, taken=meetings)
    return group


def _locked_therapist_of(group_id: int, by) -> Therapist:
    """The group's therapist, locked: taken before the group (the lock order), by the
    changes that touch the therapist's calendar. Only that therapist may make them: anyone
    else is refused before the lock, never queued behind the therapist's own changes
    (``_require_therapist`` checks again under the group's lock)."""
    therapist_id = Group.objects.values_list("therapist_id", flat=True).get(pk=group_id)
    if getattr(by, "therapist_pk", None) != therapist_id:
        raise PermissionDenied("Only the group's therapist can do that.")
    return locked_therapist(therapist_id)


def _locked_group(group_id: int) -> Group:
    return (
        Group.objects.select_for_update(of=("self",))
        .select_related("therapist", "therapist__user")
        .get(pk=group_id)
    )


def _require_therapist(group: Group, by) -> None:
    if getattr(by, "therapist_pk", None) != group.therapist_id:
        raise PermissionDenied("Only the group's therapist can do that.")


def _require_active(group: Group) -> None:
    if group.status != Group.Status.ACTIVE:
        raise InvalidTransition("This group was cancelled.", status=group.status)


def update_group(*, group_id: int, by, keep_in_time_off: bool = False, **fields) -> Group:
    """Change a group. Its weekly time, first day or length may change until the first
    meeting; afterwards only the number of weeks (never below the meetings held).
    Capacity never drops below the seats taken; extra seats go to the waitlist.
    ``keep_in_time_off``: as for ``create_group``, for the meetings moved or added."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown group fields: {sorted(unknown)}")
    with service_transaction():
        therapist = _locked_therapist_of(group_id, by)
        group = _locked_group(group_id)
        _require_therapist(group, by)
        _require_active(group)
        data = {f: getattr(group, f) for f in EDITABLE_FIELDS}
        data.update(fields)
        data = _clean(therapist, data, current_start_date=group.start_date)
        seats_taken = group.enrolments.filter(status__in=SEAT_STATES).count()
        if data["capacity"] < seats_taken:
            raise ValidationError(
                {"capacity": f"{seats_taken} seats are taken: the capacity cannot be lower."}
            )
        reschedule = any(data[f] != getattr(group, f) for f in SCHEDULE_FIELDS)
        if data["weekdays"] != group.weekdays and _has_begun(group):
            raise ValidationError(
                {
                    "weekdays": "The group has started: the days it meets can no longer "
                    "change. Cancel single meetings instead."
                }
            )
        for field, value in data.items():
            setattr(group, field, value)
        group.therapist = therapist
        if reschedule:
            placed = _reschedule(group, therapist)
            if keep_in_time_off:
                _keep_in_time_off(therapist, placed)
        group.save()
        _fill_seats(group, next_start=_next_start(group))
    return group


def _has_begun(group: Group) -> bool:
    return group.meetings.filter(start__lte=now()).exists()


def _reschedule(group: Group, therapist: Therapist) -> list[Session]:
    """Move the meetings still to come to the group's schedule: the moved and added ones."""
    current = now()
    meetings = list(group.meetings.select_for_update().order_by("week"))
    held = [m for m in meetings if m.start <= current]
    tz = ZoneInfo(therapist.timezone)
    starts = meeting_times(
        tz=tz,
        weekdays=group.weekdays,
        start_time=group.start_time,
        start_date=group.start_date,
        weeks=group.weeks,
    )
    length = dt.timedelta(minutes=group.meeting_minutes)
    if held:
        if len(starts) < len(held):
            weeks_held = -(-len(held) // len(group.weekdays))
            raise ValidationError(
                {
                    "weeks": f"{len(held)} meetings have already taken place: the group "
                    f"needs at least {weeks_held} week{'s' if weeks_held != 1 else ''}."
                }
            )
        kept = [(m.week, m.start, m.end) for m in held]
        planned = [(w, s, s + length) for w, s in enumerate(starts, start=1)][: len(held)]
        if kept != planned:
            raise ValidationError(
                {
                    "start_date": "The group has started: its weekly time, first day and "
                    "meeting length can no longer change. Cancel single meetings instead."
                }
            )
    elif starts[0] <= current:
        raise ValidationError({"start_date": "The first meeting must be in the future."})
    upcoming_starts = [(w, s) for w, s in enumerate(starts, start=1) if w > len(held)]
    if upcoming_starts:
        new = [s for _, s in upcoming_starts]
        conflicts = meeting_conflicts(
            new, length, _busy(therapist, new, length, ignore_group_id=group.pk)
        )
        if conflicts:
            raise SlotConflict(conflicts)
    by_week = {m.week: m for m in meetings if m.start > current}
    with connection.cursor() as cursor:
        # Meetings may trade places (e.g. the start moved by a week).
        cursor.execute("SET CONSTRAINTS session_no_double_booking DEFERRED")
    moved, added = [], []
    for week, start in upcoming_starts:
        meeting = by_week.pop(week, None)
        if meeting is None:
            added.append((week, start))
            continue
        meeting.start, meeting.end = start, start + length
        moved.append(meeting)
    Session.objects.bulk_update(moved, ["start", "end"])
    dropped = list(by_week.values())  # weeks beyond the new length, not yet held
    Session.objects.filter(pk__in=[m.pk for m in dropped]).delete()
    created = _insert_meetings(group, added)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS session_no_double_booking IMMEDIATE")
    except IntegrityError as exc:
        _raise_if_taken(exc, [s for _, s in upcoming_starts] or [current])
    reminders.reschedule_reminders(session_ids=[m.pk for m in moved])
    fresh = created  # _insert_meetings creates them confirmed
    for meeting in fresh:
        meeting.therapist = therapist
    reminders.schedule_reminders(sessions=fresh, recipient=therapist.user)
    members = _members(group)
    for member in members:
        reminders.schedule_reminders(sessions=fresh, recipient=member)
    openings.mark_stale(therapist)  # moved or dropped meetings free time: always
    placed = sorted(moved + fresh, key=lambda m: m.start)
    _notify_members(group, "rescheduled", members=members, meetings=placed)
    return placed


# --- The weekly individual course of a program (Group.individual) -------------------------
#
# A program may offer, or require, a weekly individual course with its therapist. Taking
# a seat (``enrol``, ``accept_offer``) then also books that course, of the program's
# number of weeks, weeks off skipped as PRODUCT rule 4 says, in the same transaction: a
# week that fails refuses both (IndividualCourseConflict, 409), nothing written. The
# course is a ``Booking`` like any other (pending until the therapist confirms, unless
# they auto-confirm; the client cancels it on its own), so leaving the group leaves it
# as it is. A therapist who is not accepting new clients still gives their program's
# members the individual course they offered with it: the program's capacity is the
# limit, and ``accepting_new_clients`` is about new clients from the directory.

INDIVIDUAL_START = "individual_start"
GROUP_MODALITY = "group"  # group therapy: never an individual course


def individual_modalities(therapist: Therapist) -> list[Modality]:
    """The therapies a member may take their individual course in: the therapist's own
    but group therapy; IPT and CBT first (the course therapies), then by name."""
    course = openings.COURSE_MODALITIES
    found = [m for m in therapist.modalities.all() if m.slug != GROUP_MODALITY]
    return sorted(
        found,
        key=lambda m: (course.index(m.slug) if m.slug in course else len(course), m.name),
    )


def default_individual_modality(group: Group, therapist: Therapist) -> Modality | None:
    """The therapy chosen when the client names none: the group's own when the therapist
    offers it for an individual course, else their first (IPT, then CBT, then by name)."""
    offered = individual_modalities(therapist)
    return next((m for m in offered if m.pk == group.modality_id), offered[0] if offered else None)


def _clean_individual(therapist: Therapist, data: dict) -> dict[str, str]:
    """The errors of a group's ``individual`` setting (``_clean``'s part), ``none`` filled
    in when it is not given: offering an individual course needs a program a course can
    cover (at most ``slots.MAX_WEEKS`` weeks) and an individual therapy to offer."""
    value = data.setdefault("individual", Group.Individual.NONE)
    if value not in Group.Individual.values:
        return {"individual": f"Choose one of: {', '.join(Group.Individual.values)}."}
    if value == Group.Individual.NONE:
        return {}
    weeks = data.get("weeks")
    if isinstance(weeks, int) and weeks > slots.MAX_WEEKS:
        return {
            "individual": f"A weekly individual course runs at most {slots.MAX_WEEKS} weeks: "
            f"offer it with a program of {slots.MAX_WEEKS} weeks or fewer."
        }
    if not individual_modalities(therapist):
        return {
            "individual": "Add an individual therapy (such as IPT or CBT) to your profile "
            "before you offer individual sessions."
        }
    return {}


def _program_setting(group_id: int) -> tuple[int, str]:
    """(therapist id, ``individual``) of a group, read before any lock."""
    row = Group.objects.filter(pk=group_id).values_list("therapist_id", "individual").first()
    if row is None:
        raise Group.DoesNotExist("No such group.")
    return row


def _check_individual_start(individual: str, start: dt.datetime | None) -> None:
    """What is wrong with the individual course's first session on its face, before any
    lock (the rest is checked once the client takes a seat)."""
    if start is None:
        return
    if individual == Group.Individual.NONE:
        raise ValidationError(
            {INDIVIDUAL_START: "This group comes with no individual sessions: leave this out."}
        )
    if start.tzinfo is None:
        raise ValidationError({INDIVIDUAL_START: "Give the first session with its UTC offset."})
    if not within_booking_window(start):
        raise ValidationError(
            {INDIVIDUAL_START: "Choose a first session within the next two years."}
        )


def _check_program_span(group: Group, start: dt.datetime, tz: ZoneInfo) -> None:
    """The individual course begins during the program: from the week of its first
    meeting (six days before it) to its last meeting."""
    span = group.meetings.aggregate(first=Min("start"), last=Max("start"))
    if span["first"] is None:
        return
    earliest = span["first"] - dt.timedelta(days=6)
    if not earliest <= start <= span["last"]:
        first_day = max(earliest, now()).astimezone(tz).date()
        last_day = span["last"].astimezone(tz).date()
        raise ValidationError(
            {
                INDIVIDUAL_START: "Choose a first session during the program, between "
                f"{us_date(first_day)} and {us_date(last_day)}."
            }
        )


def _individual_course(
    group: Group,
    *,
    client,
    therapist: Therapist | None,
    start: dt.datetime | None,
    modality: str | None,
    outcome: str,
):
    """Book the program's individual course for a client who takes a seat, in the
    caller's transaction, under the therapist's lock (taken before the group's) and the
    group's. None when the program has none or the client chose none (``offered``).
    Raises ValidationError naming ``individual_start`` (required and not given, or not
    during the program) or ``modality``, and IndividualCourseConflict naming each week
    that fails (``outcome``: what stands then, in the message)."""
    if start is None:
        if group.individual == Group.Individual.REQUIRED:
            raise ValidationError(
                {
                    INDIVIDUAL_START: "This program includes a weekly individual session "
                    f"with {group.therapist.display_name}: choose its weekly time."
                }
            )
        return None
    if group.individual == Group.Individual.NONE or therapist is None:
        # The therapist turned the individual course off since the request was read.
        _check_individual_start(Group.Individual.NONE, start)
    if group.weeks > slots.MAX_WEEKS:
        raise ValidationError(
            {INDIVIDUAL_START: f"An individual course runs at most {slots.MAX_WEEKS} weeks."}
        )
    tz = ZoneInfo(client.timezone)
    _check_program_span(group, start, tz)
    offered = individual_modalities(therapist)
    if modality:
        chosen = next((m for m in offered if m.slug == modality), None)
        if chosen is None:
            names = ", ".join(m.slug for m in offered) or "no individual therapy"
            raise ValidationError(
                {"modality": f"{therapist.display_name} offers for an individual course: {names}."}
            )
    else:
        chosen = default_individual_modality(group, therapist)
        if chosen is None:
            raise ValidationError(
                {"modality": f"{therapist.display_name} offers no individual therapy now."}
            )
    formats = therapist.formats or [group.format]
    try:
        return courses.book_course_locked(
            client=client,
            therapist=therapist,
            start=start,
            weeks=group.weeks,
            modality=chosen,
            format=group.format if group.format in formats else formats[0],
        )
    except SlotConflict as exc:
        raise IndividualCourseConflict(
            exc.weeks, weeks=group.weeks, tz=tz, outcome=outcome
        ) from exc


# --- Enrolment and the waitlist ----------------------------------------------------------


def _upcoming(group: Group) -> QuerySet[Session]:
    return group.meetings.filter(status__in=ACTIVE_SESSION_STATES, start__gt=now()).order_by(
        "start"
    )


def _upcoming_meetings(group: Group) -> list[Session]:
    return list(_upcoming(group).select_related("therapist"))


def _next_start(group: Group) -> dt.datetime | None:
    """When the group next meets, or None when no meeting is left: read once per group
    by a change, whatever the number of e-mails that name it."""
    return _upcoming(group).values_list("start", flat=True).first()


def _next_queue_number(group: Group) -> int:
    return (group.enrolments.aggregate(n=Max("queue_number"))["n"] or 0) + 1


def waitlist_position(enrolment: Enrolment) -> int | None:
    """1 for the first in line; None when not on the waitlist."""
    if enrolment.status != Enrolment.Status.WAITLISTED:
        return None
    return Enrolment.objects.filter(
        group_id=enrolment.group_id,
        status=Enrolment.Status.WAITLISTED,
        queue_number__lte=enrolment.queue_number,
    ).count()


def check_licensure(group: Group, client) -> None:
    """Licensure follows the client (PRODUCT rule 1): the group serves their state and
    the therapist holds a verified, current license there."""
    if client.state not in group.states:
        raise GroupNotInState(title=group.title, state=client.state, states=group.states)
    if not Therapist.objects.findable_in(client.state).filter(pk=group.therapist_id).exists():
        raise NotLicensedInState(therapist_name=group.therapist.display_name, state=client.state)


def enrol(
    *,
    client,
    group_id: int,
    waitlist: bool = True,
    individual_start: dt.datetime | None = None,
    modality: str | None = None,
) -> Enrolment:
    """Enrol a client in every remaining meeting of a group, or put them on its
    waitlist when it is full (GroupFull instead when ``waitlist`` is False). Raises
    NotLicensedInState, InvalidTransition (already in, cancelled or ended).

    A program with an individual course (``Group.individual``): taking a seat also books
    it, in this transaction, from ``individual_start`` (the first session, one of the
    starts ``therapists/{id}/slots/?weeks=<group.weeks>`` offers), in ``modality`` (the
    default: ``default_individual_modality``). Required and not given, or given for a
    group without one: ValidationError naming ``individual_start``; a week that fails:
    IndividualCourseConflict, and nothing is written. A place on the waitlist books no
    course (it is chosen when the seat is offered: ``accept_offer``). The course booked
    is ``enrolment.individual_booking`` (None when none)."""
    if not getattr(client, "is_client", False):
        raise PermissionDenied("Only clients join groups.")
    therapist_id, individual = _program_setting(group_id)
    _check_individual_start(individual, individual_start)
    with service_transaction():
        # The lock order: the therapist (whose calendar the course takes), then the group.
        therapist = locked_therapist(therapist_id) if individual_start else None
        group = _locked_group(group_id)
        _require_active(group)
        check_licensure(group, client)
        mine = group.enrolments.filter(client=client, status__in=LIVE_ENROLMENT_STATES).first()
        if mine is not None:
            raise InvalidTransition(
                f"You are already {mine.get_status_display().lower()} in this group.",
                status=mine.status,
            )
        meetings = _upcoming_meetings(group)
        if not meetings:
            raise InvalidTransition("This group has no meetings left.", status="ended")
        seats_taken = group.enrolments.filter(status__in=SEAT_STATES).count()
        queued = group.enrolments.filter(status=Enrolment.Status.WAITLISTED).count()
        # A free seat with people waiting is already being offered to them: never jump
        # the queue.
        has_seat = seats_taken < group.capacity and not queued
        if not has_seat and not waitlist:
            raise GroupFull(title=group.title, waitlisted=queued)
        enrolment = Enrolment.objects.create(
            group=group,
            client=client,
            status=Enrolment.Status.ENROLLED if has_seat else Enrolment.Status.WAITLISTED,
            queue_number=_next_queue_number(group),
            seated_at=now() if has_seat else None,
        )
        booking = None
        if has_seat:  # a client who left and rejoins gets their cancelled ones back
            reminders.restore_reminders(recipient=client, sessions=meetings)
            booking = _individual_course(
                group,
                client=client,
                therapist=therapist,
                start=individual_start,
                modality=modality,
                outcome="Nothing was booked and you are not enrolled",
            )
        _notify(
            enrolment,
            "enrolled" if has_seat else "waitlisted",
            group=group,
            next_start=meetings[0].start,
        )
        _audit(enrolment, by=client)
    enrolment.individual_booking = booking
    return enrolment


def _live_enrolment(group: Group, client) -> Enrolment:
    enrolment = (
        group.enrolments.select_for_update()
        .filter(client=client, status__in=LIVE_ENROLMENT_STATES)
        .first()
    )
    if enrolment is None:
        raise InvalidTransition("You are not in this group.", status="none")
    return enrolment


def _audit(enrolment: Enrolment, *, by) -> None:
    """The audit event of an enrolment's new status, in its transaction."""
    audit.record(
        action=f"enrolment_{enrolment.status}",
        actor=by,
        target=enrolment,
        subject_id=enrolment.client_id,
        details={"group": enrolment.group_id, "status": enrolment.status},
    )


def _end(enrolment: Enrolment, status: str, *, by) -> None:
    was_seated = enrolment.status == Enrolment.Status.ENROLLED
    enrolment.status = status
    enrolment.offered_until = None
    enrolment.ended_at = now()
    enrolment.save(update_fields=["status", "offered_until", "ended_at"])
    _audit(enrolment, by=by)
    if was_seated:
        reminders.cancel_reminders(
            session_ids=enrolment.group.meetings.values_list("pk", flat=True),
            recipient=enrolment.client,
        )


def _fill_seats(group: Group, *, next_start: dt.datetime | None) -> list[Enrolment]:
    """Offer every free seat to the first in line, who holds it for 24 h. The group
    row is locked by the caller; ``next_start`` is ``_next_start(group)``."""
    if group.status != Group.Status.ACTIVE or next_start is None:
        return []
    free = group.capacity - group.enrolments.filter(status__in=SEAT_STATES).count()
    if free <= 0:
        return []
    offered = list(
        group.enrolments.select_for_update()
        .filter(status=Enrolment.Status.WAITLISTED)
        .select_related("client")
        .order_by("queue_number")[:free]
    )
    until = now() + offer_hold()
    for enrolment in offered:
        enrolment.status = Enrolment.Status.OFFERED
        enrolment.offered_until = until
        enrolment.save(update_fields=["status", "offered_until"])
        _notify(enrolment, "offered", group=group, next_start=next_start)
        _audit(enrolment, by=None)
    return offered


def leave(*, client, group_id: int) -> Enrolment:
    """A member leaves (or a client leaves the waitlist, or turns down an offer); a
    freed seat is offered to the first in line."""
    with service_transaction():
        group = _locked_group(group_id)
        enrolment = _live_enrolment(group, client)
        enrolment.group = group
        _end(enrolment, Enrolment.Status.LEFT, by=client)
        _fill_seats(group, next_start=_next_start(group))
    return enrolment


def accept_offer(
    *,
    client,
    group_id: int,
    individual_start: dt.datetime | None = None,
    modality: str | None = None,
) -> Enrolment:
    """Take the offered seat within its 24 h: enrolled in every remaining meeting.
    Raises NotLicensedInState as ``enrol`` does; the offer is then left as it was.
    A program's individual course is booked with the seat, as ``enrol`` books it (the
    same arguments, errors and ``enrolment.individual_booking``); when it cannot be,
    the offer is left as it was too."""
    therapist_id, individual = _program_setting(group_id)
    _check_individual_start(individual, individual_start)
    with service_transaction():
        therapist = locked_therapist(therapist_id) if individual_start else None
        group = _locked_group(group_id)
        _require_active(group)
        enrolment = _live_enrolment(group, client)
        if enrolment.status != Enrolment.Status.OFFERED:
            raise InvalidTransition(
                "No seat is being offered to you in this group.", status=enrolment.status
            )
        if enrolment.offered_until <= now():
            # The beat task hands it on; a late "yes" must not take it back.
            raise InvalidTransition(
                "This offer has expired; the seat goes to the next person in line.",
                status="expired_offer",
            )
        # As at enrolment: the license may have lapsed (or the client moved state) while
        # they waited. The offer stands until it expires or they turn it down.
        check_licensure(group, client)
        booking = _individual_course(
            group,
            client=client,
            therapist=therapist,
            start=individual_start,
            modality=modality,
            outcome="Nothing was booked and the seat is still held for you until its deadline",
        )
        enrolment.status = Enrolment.Status.ENROLLED
        enrolment.offered_until = None
        enrolment.seated_at = now()
        enrolment.save(update_fields=["status", "offered_until", "seated_at"])
        meetings = _upcoming_meetings(group)
        reminders.restore_reminders(recipient=client, sessions=meetings)
        _notify(
            enrolment, "enrolled", group=group, next_start=meetings[0].start if meetings else None
        )
        _audit(enrolment, by=client)
    enrolment.individual_booking = booking
    return enrolment


def decline_offer(*, client, group_id: int) -> Enrolment:
    with service_transaction():
        group = _locked_group(group_id)
        enrolment = _live_enrolment(group, client)
        if enrolment.status != Enrolment.Status.OFFERED:
            raise InvalidTransition(
                "No seat is being offered to you in this group.", status=enrolment.status
            )
        enrolment.group = group
        _end(enrolment, Enrolment.Status.DECLINED_OFFER, by=client)
        _fill_seats(group, next_start=_next_start(group))
    return enrolment


def expire_offers(*, at: dt.datetime | None = None) -> int:
    """Offers not taken within 24 h lapse and the seat goes to the next in line.
    Idempotent: safe to run twice or in parallel (each group is locked in turn)."""
    at = at or now()
    group_ids = list(
        Enrolment.objects.filter(status=Enrolment.Status.OFFERED, offered_until__lte=at)
        .order_by("group_id")  # not the model's ordering: one row per group
        .values_list("group_id", flat=True)
        .distinct()[:1000]
    )
    expired = 0
    for group_id in group_ids:
        try:
            expired += _expire_offers_of(group_id, at=at)
        except Busy:
            continue  # a row of the group stays locked: the next run hands its seats on
    return expired


def _expire_offers_of(group_id: int, *, at: dt.datetime) -> int:
    """One group's lapsed offers, in its own transaction: how many lapsed (0 when
    another run holds the group)."""
    with service_transaction():
        group = (
            Group.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("therapist", "therapist__user")
            .filter(pk=group_id)
            .first()
        )
        if group is None:
            return 0  # another run holds it
        lapsed = list(
            group.enrolments.select_for_update()
            .filter(status=Enrolment.Status.OFFERED, offered_until__lte=at)
            .select_related("client")
        )
        next_start = _next_start(group)
        for enrolment in lapsed:
            enrolment.group = group
            _end(enrolment, Enrolment.Status.EXPIRED_OFFER, by=None)
            _notify(enrolment, "offer_expired", group=group, next_start=next_start)
        _fill_seats(group, next_start=next_start)
    return len(lapsed)


def remove_member(*, by, enrolment_id: int, reason: str = "") -> Enrolment:
    """The therapist removes a member (or someone waiting); the seat is offered on."""
    reason = limited_text(reason, field="reason")
    with service_transaction():
        group_id = Enrolment.objects.values_list("group_id", flat=True).get(pk=enrolment_id)
        group = _locked_group(group_id)
        _require_therapist(group, by)
        enrolment = (
            group.enrolments.select_for_update().select_related("client").get(pk=enrolment_id)
        )
        if not enrolment.is_live:
            raise InvalidTransition(
                f"This person has already {enrolment.get_status_display().lower()}.",
                status=enrolment.status,
            )
        enrolment.group = group
        _end(enrolment, Enrolment.Status.REMOVED, by=by)
        next_start = _next_start(group)
        _notify(enrolment, "removed", group=group, next_start=next_start, reason=reason)
        _fill_seats(group, next_start=next_start)
    return enrolment


# --- The therapist runs the group ----------------------------------------------------------


def _locked_meeting(session_id: int, by, *, lock_therapist: bool = False) -> tuple[Group, Session]:
    group_id = Session.objects.values_list("group_id", flat=True).get(pk=session_id)
    if group_id is None:
        raise Session.DoesNotExist
    if lock_therapist:
        _locked_therapist_of(group_id, by)
    group = _locked_group(group_id)
    _require_therapist(group, by)
    return group, Session.objects.select_for_update().get(pk=session_id)


def _members(group: Group):
    return [e.client for e in group.enrolments.filter(status="enrolled").select_related("client")]


def cancel_meeting(*, by, session_id: int, reason: str) -> Session:
    """The therapist cancels one upcoming meeting, with a reason; members are told and
    their reminders for it are cancelled."""
    reason = limited_text(reason, field="reason")
    if not reason:
        raise ValidationError({"reason": "Tell the members why the meeting is cancelled."})
    with service_transaction():
        group, meeting = _locked_meeting(session_id, by, lock_therapist=True)
        if not meeting.is_active:
            raise InvalidTransition(
                f"This meeting is {meeting.status}; it cannot be cancelled.", status=meeting.status
            )
        if meeting.start <= now():
            raise InvalidTransition("This meeting has already started.", status=meeting.status)
        _cancel_meetings([meeting], by=by, reason=reason)
        openings.mark_stale(group.therapist)
        _notify_members(group, "meeting_cancelled", meetings=[meeting], reason=reason)
        audit.record(action=audit.Action.MEETING_CANCELLED, actor=by, target=meeting)
    return meeting


def _cancel_meetings(meetings: list[Session], *, by, reason: str) -> None:
    at = now()
    for meeting in meetings:
        meeting.status = Session.Status.CANCELLED
        meeting.cancelled_at = at
        meeting.cancelled_by = by
        meeting.cancel_reason = reason
    Session.objects.bulk_update(
        meetings, ["status", "cancelled_at", "cancelled_by", "cancel_reason"]
    )
    reminders.cancel_reminders(session_ids=[m.pk for m in meetings])


def cancel_group(*, by, group_id: int, reason: str) -> Group:
    """The therapist cancels the rest of the group: every upcoming meeting, and any
    offers and waitlist places. Members are told."""
    reason = limited_text(reason, field="reason")
    if not reason:
        raise ValidationError({"reason": "Tell the members why the group is cancelled."})
    with service_transaction():
        therapist = _locked_therapist_of(group_id, by)
        group = _locked_group(group_id)
        _require_therapist(group, by)
        _require_active(group)
        upcoming = list(
            group.meetings.select_for_update()
            .filter(status__in=ACTIVE_SESSION_STATES, start__gt=now())
            .order_by("start")
        )
        _cancel_meetings(upcoming, by=by, reason=reason)
        members = [
            e.client
            for e in group.enrolments.filter(status__in=LIVE_ENROLMENT_STATES).select_related(
                "client"
            )
        ]
        group.status = Group.Status.CANCELLED
        group.cancelled_at = now()
        group.cancel_reason = reason
        group.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        for enrolment in group.enrolments.select_for_update().filter(
            status__in=["waitlisted", "offered"]
        ):
            enrolment.group = group
            _end(enrolment, Enrolment.Status.REMOVED, by=by)
        if upcoming:  # only meetings still to come held the therapist's time
            openings.mark_stale(therapist)
        _notify_members(group, "group_cancelled", members=members, meetings=upcoming, reason=reason)
        audit.record(
            action=audit.Action.GROUP_CANCELLED,
            actor=by,
            target=group,
            details={"meetings": [m.pk for m in upcoming]},
        )
    return group


def mark_attendance(*, by, session_id: int, present: dict[int, bool]) -> list[Attendance]:
    """After a meeting has started: present / absent per member (client id → bool);
    marking someone again updates their mark. Marking makes the meeting completed.
    Only members of the group when the meeting started (and anyone already marked at it)
    can be marked: anyone else is a ValidationError on ``marks`` naming them, and
    nothing is written. A meeting not yet started or cancelled is an InvalidTransition."""
    with service_transaction():
        group, meeting = _locked_meeting(session_id, by)
        if meeting.start > now():
            raise InvalidTransition("This meeting has not happened yet.", status=meeting.status)
        if meeting.status not in HELD_MEETING_STATES:
            raise InvalidTransition(
                f"This meeting is {meeting.status}; attendance cannot be taken.",
                status=meeting.status,
            )
        strangers = sorted(set(present) - meeting_member_ids(meeting))
        if strangers:
            raise ValidationError(
                {
                    "marks": "Only members of the group when the meeting started can be "
                    f"marked; not members then: {', '.join(map(str, strangers))}."
                }
            )
        at = now()
        rows = Attendance.objects.bulk_create(
            [
                Attendance(session=meeting, client_id=cid, present=bool(p), marked_at=at)
                for cid, p in present.items()
            ],
            update_conflicts=True,
            unique_fields=["session", "client"],
            update_fields=["present", "marked_at"],
        )
        if meeting.status == Session.Status.CONFIRMED:
            meeting.status = Session.Status.COMPLETED
            meeting.save(update_fields=["status"])
        audit.record_many(
            action=audit.Action.ATTENDANCE_MARKED,
            actor=by,
            target_type="session",
            rows=[
                (meeting.pk, cid, {"group": group.pk, "present": bool(p)})
                for cid, p in present.items()
            ],
        )
    return rows


# --- Notifications ---------------------------------------------------------------------------


SUBJECTS = {
    "enrolled": "You joined a group",
    "waitlisted": "You are on a group's waitlist",
    "offered": "A seat in your group is free: {hold_hours} h to take it",
    "offer_expired": "Your offered group seat has expired",
    "removed": "You were removed from a group",
    "meeting_cancelled": "A group meeting is cancelled",
    "group_cancelled": "A group is cancelled",
    "rescheduled": "A group has a new weekly time",
}


def _notify(
    enrolment: Enrolment, event: str, *, group: Group, next_start: dt.datetime | None, **extra
) -> None:
    """E-mail one client after commit: times in their zone, no clinical detail.
    ``next_start``: the group's next meeting, read by the caller once for all its e-mails."""
    client = enrolment.client
    hold_hours = round(offer_hold().total_seconds() / 3600)
    queue_email(
        to=[client.email],
        subject=f"Rapport: {SUBJECTS[event].format(hold_hours=hold_hours)}",
        template="booking/groups/email/group_event.txt",
        context={
            "event": event,
            "name": client.name,
            "group": group,
            "therapist_name": group.therapist.display_name,
            "enrolment": enrolment,
            "position": waitlist_position(enrolment),
            "first_start": next_start,
            "hold_hours": hold_hours,
            "tz": ZoneInfo(client.timezone),
            **extra,
        },
    )


def _notify_members(
    group: Group, event: str, *, members=None, meetings: list[Session] | None = None, reason=""
) -> None:
    for member in members if members is not None else _members(group):
        queue_email(
            to=[member.email],
            subject=f"Rapport: {SUBJECTS[event]}",
            template="booking/groups/email/group_event.txt",
            context={
                "event": event,
                "name": member.name,
                "group": group,
                "therapist_name": group.therapist.display_name,
                "meetings": meetings or [],
                "reason": reason,
                "tz": ZoneInfo(member.timezone),
            },
        )
