"""Reads for groups: the one group search (the page and ``GET groups/`` share it), who
may see which group, its roster and its attendance. Every list is annotated in one query:
seats left, next meeting, and the caller's own status and place on the waitlist."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import django_filters
from django import forms
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay, RowNumber
from django.utils import timezone
from django.utils.timezone import now

from accounts.places import US_STATES
from booking import slots
from booking.models import (
    ACTIVE_SESSION_STATES,
    LIVE_ENROLMENT_STATES,
    Attendance,
    Enrolment,
    Group,
    Session,
)
from providers.models import Format, Modality, Therapist

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hours(first: int, last: int) -> str:
    """ "before 12 PM", "12–5 PM", "after 5 PM": a part of the day in words."""
    if first == 0:
        return f"before {last} AM" if last < 12 else "before 12 PM"
    if last == 24:
        return f"after {first - 12} PM"
    return f"12–{last - 12} PM"


class GroupFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label="State you live in",
        choices=US_STATES,
        method="filter_state",
        empty_label="Any state",
        help_text="Groups that serve clients in this state, run by a therapist licensed there.",
    )
    modality = django_filters.ModelChoiceFilter(
        label="Therapy",
        queryset=Modality.objects.all(),
        to_field_name="slug",
        field_name="modality",
        empty_label="Any therapy",
    )
    kind = django_filters.ChoiceFilter(
        label="Kind of group", choices=Group.Kind.choices, empty_label="Any kind"
    )
    format = django_filters.ChoiceFilter(
        label="Format", choices=Format.choices, empty_label="Any format"
    )
    weekday = django_filters.MultipleChoiceFilter(
        label="Days",
        choices=[(key, name) for key, name in zip(slots.WEEKDAY_KEYS, WEEKDAY_NAMES, strict=True)],
        method="filter_weekday",
        widget=forms.CheckboxSelectMultiple,
        help_text="Groups with meetings on any of these days, in your time zone.",
    )
    part_of_day = django_filters.MultipleChoiceFilter(
        label="Time of day",
        choices=[
            (key, f"{key.capitalize()} ({_hours(first, last)})")
            for key, first, last in slots.PARTS_OF_DAY
        ],
        method="filter_part_of_day",
        widget=forms.CheckboxSelectMultiple,
        help_text="When the meetings start, in your time zone.",
    )
    starts_after = django_filters.DateFilter(
        label="Starting on or after",
        field_name="start_date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = Group
        fields: list[str] = []

    def __init__(self, *args, zone: dt.tzinfo | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone or timezone.get_current_timezone()

    def _meeting_ahead(self, *conditions: Q, **lookups) -> Exists:
        """An upcoming meeting of the group matching ``lookups``, read in the viewer's zone
        (``zone``; the active one by default): a program on several days matches each."""
        viewer = self.zone
        return Exists(
            Session.objects.filter(
                group=OuterRef("pk"), status__in=ACTIVE_SESSION_STATES, start__gt=now()
            )
            .annotate(
                local_day=ExtractIsoWeekDay("start", tzinfo=viewer),
                local_hour=ExtractHour("start", tzinfo=viewer),
            )
            .filter(*conditions, **lookups)
        )

    def filter_weekday(self, queryset, name, value):
        if not value:
            return queryset
        iso_days = [slots.WEEKDAY_KEYS.index(key) + 1 for key in value]
        return queryset.filter(self._meeting_ahead(local_day__in=iso_days))

    def filter_part_of_day(self, queryset, name, value):
        if not value:
            return queryset
        hours = Q()
        for key, first, last in slots.PARTS_OF_DAY:
            if key in value:
                hours |= Q(local_hour__gte=first, local_hour__lt=last)
        return queryset.filter(self._meeting_ahead(hours))

    def filter_state(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            states__contains=[value], therapist__in=Therapist.objects.findable_in(value)
        )


def with_seats(qs: QuerySet[Group], user=None) -> QuerySet[Group]:
    """Annotate seats taken, waitlist length, first / next / last meeting and, for a
    signed-in user, their live enrolment's status and place on the waitlist."""
    current = now()
    meetings = Session.objects.filter(group=OuterRef("pk"))
    qs = qs.annotate(
        seats_taken=Coalesce(
            Subquery(
                Enrolment.objects.filter(group=OuterRef("pk"), status__in=["enrolled", "offered"])
                .values("group")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        waitlisted=Coalesce(
            Subquery(
                Enrolment.objects.filter(group=OuterRef("pk"), status="waitlisted")
                .values("group")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        first_meeting=Subquery(meetings.values("group").annotate(m=Min("start")).values("m")[:1]),
        last_meeting=Subquery(meetings.values("group").annotate(m=Max("start")).values("m")[:1]),
        next_meeting=Subquery(
            meetings.filter(status__in=ACTIVE_SESSION_STATES, start__gt=current)
            .values("group")
            .annotate(m=Min("start"))
            .values("m")[:1]
        ),
    )
    if user is not None and user.is_authenticated:
        mine = Enrolment.objects.filter(
            group=OuterRef("pk"), client=user, status__in=LIVE_ENROLMENT_STATES
        )
        qs = qs.annotate(
            my_status=Subquery(mine.values("status")[:1]),
            my_enrolment_id=Subquery(mine.values("pk")[:1]),
            my_offered_until=Subquery(mine.values("offered_until")[:1]),
            my_queue=Subquery(mine.filter(status="waitlisted").values("queue_number")[:1]),
        ).annotate(
            my_position=Subquery(
                Enrolment.objects.filter(
                    group=OuterRef("pk"),
                    status="waitlisted",
                    queue_number__lte=OuterRef("my_queue"),
                )
                .values("group")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            )
        )
    else:
        qs = qs.annotate(
            my_status=Value(None, output_field=CharField()),
            my_position=Value(None, output_field=IntegerField()),
        )
    return qs.select_related("therapist", "modality")


def seats_left(group: Group) -> int:
    return max(group.capacity - group.seats_taken, 0)


def groups_visible_to(user) -> QuerySet[Group]:
    """Listed groups for anyone; also, their own groups for a therapist, the groups a
    client is or was in, and everything for staff who hold the client-records
    permission."""
    if user.is_authenticated and user.can_view_client_records:
        return Group.objects.all()
    visible = Q(pk__in=Group.objects.listed().values("pk"))
    if user.is_authenticated:
        therapist_id = getattr(user, "therapist_pk", None)
        if therapist_id is not None:
            visible |= Q(therapist_id=therapist_id)
        visible |= Q(pk__in=Enrolment.objects.filter(client=user).values("group_id"))
    return Group.objects.filter(visible)


def listed_groups(user, params=None, *, zone=None) -> tuple[GroupFilter, QuerySet[Group]]:
    """The browse page and ``GET groups/``: upcoming groups, filtered, soonest first; days
    and times of day read in ``zone`` (the active zone by default)."""
    search = GroupFilter(params or {}, queryset=Group.objects.listed(), zone=zone)
    qs = search.qs if search.is_valid() else Group.objects.none()
    return search, with_seats(qs, user).order_by("next_meeting", "id")


def roster_visible_to(user, group: Group) -> bool:
    """Only the group's therapist and staff who hold the client-records permission see who
    is in it (PRODUCT rule 11)."""
    if not user.is_authenticated:
        return False
    return user.can_view_client_records or getattr(user, "therapist_pk", None) == (
        group.therapist_id
    )


def roster(group: Group) -> QuerySet[Enrolment]:
    """Members first, then offers, then the waitlist in order; past members last."""
    order = {"enrolled": 0, "offered": 1, "waitlisted": 2}
    return (
        group.enrolments.select_related("client")
        .annotate(
            rank=Case(
                *[When(status=s, then=Value(n)) for s, n in order.items()],
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "queue_number")
    )


def run_by(therapist: Therapist, *, limit: int = 10) -> list[Group]:
    """The upcoming groups a therapist runs, soonest first (the profile shows them)."""
    return list(
        Group.objects.listed()
        .filter(therapist=therapist)
        .select_related("modality")
        .order_by("start_date", "id")[:limit]
    )


# --- Attendance -------------------------------------------------------------------------------

# Meetings that take place: attendance is taken once they have started.
HELD_MEETING_STATES = ("confirmed", "completed")
# Enrolments that held a seat. ``left`` is also how a client leaves the waitlist: nothing
# on the row tells the two apart, so such a client counts as a member while they waited.
MEMBER_STATES = ("enrolled", "left", "removed")
# Absent from this many of a member's most recent marked meetings: the therapist is told.
MISSED_IN_A_ROW = 3


@dataclass(frozen=True)
class Mark:
    client: object  # the member (a User)
    present: bool | None  # None: not marked yet


@dataclass(frozen=True)
class MeetingMarks:
    meeting: Session
    marks: list[Mark]

    @property
    def present(self) -> bool | None:
        """One member's sheet (``attendance_sheet(client=…)``): their mark."""
        return self.marks[0].present if self.marks else None


def held_meetings(group: Group, *, at: dt.datetime) -> QuerySet[Session]:
    """The group's meetings that have started by ``at`` and were not cancelled, oldest
    first: those that attendance is taken for."""
    return group.meetings.filter(start__lte=at, status__in=HELD_MEETING_STATES).order_by(
        "start", "id"
    )


def _was_member(periods: list[tuple[dt.datetime, dt.datetime | None]], start) -> bool:
    """A member at a meeting: seated before it started and not gone when it started (time
    spent only on the waitlist does not count)."""
    return any(joined <= start and (ended is None or ended > start) for joined, ended in periods)


def _sheet(group: Group, meetings: list[Session], *, client=None) -> list[MeetingMarks]:
    """Two reads: the group's members (ever) and the marks of ``meetings``."""
    enrolments = group.enrolments.filter(
        status__in=MEMBER_STATES, seated_at__isnull=False
    ).select_related("client")
    marked = Attendance.objects.filter(session__in=[m.pk for m in meetings]).select_related(
        "client"
    )
    if client is not None:
        enrolments = enrolments.filter(client=client)
        marked = marked.filter(client=client)
    people: dict[int, object] = {}
    periods: dict[int, list] = defaultdict(list)
    for enrolment in enrolments:
        people[enrolment.client_id] = enrolment.client
        periods[enrolment.client_id].append((enrolment.seated_at, enrolment.ended_at))
    marks: dict[int, dict[int, bool]] = defaultdict(dict)
    for row in marked:
        people.setdefault(row.client_id, row.client)
        marks[row.session_id][row.client_id] = row.present
    sheet = []
    for meeting in meetings:
        at_meeting = marks[meeting.pk]
        ids = {cid for cid, p in periods.items() if _was_member(p, meeting.start)}
        ids |= at_meeting.keys()
        rows = sorted(
            (Mark(client=people[cid], present=at_meeting.get(cid)) for cid in ids),
            key=lambda mark: (mark.client.name.casefold(), mark.client.pk),
        )
        sheet.append(MeetingMarks(meeting=meeting, marks=rows))
    return sheet


def attendance_sheet(group: Group, *, at: dt.datetime, client=None) -> list[MeetingMarks]:
    """Every meeting of ``group`` held by ``at`` (``held_meetings``), oldest first, each
    with a mark per member enrolled when it started and anyone marked at it: present,
    absent or None (not marked). With ``client``: only their own marks, and only the
    meetings they were a member at. Three reads whatever the numbers of meetings and
    members."""
    sheet = _sheet(group, list(held_meetings(group, at=at)), client=client)
    return [row for row in sheet if row.marks] if client is not None else sheet


def meeting_marks(meeting: Session) -> MeetingMarks:
    """One meeting's marks, as ``attendance_sheet`` gives them (the meeting need not
    have started: its members are listed, none marked)."""
    return _sheet(meeting.group, [meeting])[0]


def meeting_member_ids(meeting: Session) -> set[int]:
    """The clients who may be marked at ``meeting``: members when it started, and anyone
    already marked at it."""
    periods: dict[int, list] = defaultdict(list)
    enrolments = Enrolment.objects.filter(
        group_id=meeting.group_id, status__in=MEMBER_STATES, seated_at__isnull=False
    )
    for cid, joined, ended in enrolments.values_list("client_id", "seated_at", "ended_at"):
        periods[cid].append((joined, ended))
    members = {cid for cid, p in periods.items() if _was_member(p, meeting.start)}
    marked = Attendance.objects.filter(session=meeting).values_list("client_id", flat=True)
    return members | set(marked)


def attendance_visible_to(user, group: Group) -> str | None:
    """Whose attendance ``user`` sees in ``group``: ``"all"`` (its therapist), ``"own"``
    (a member or former member), or None (anyone else: a 404, PRODUCT rule 11)."""
    if not user.is_authenticated:
        return None
    if getattr(user, "therapist_pk", None) == group.therapist_id:
        return "all"
    member = group.enrolments.filter(
        client=user, status__in=MEMBER_STATES, seated_at__isnull=False
    ).exists()
    if member or Attendance.objects.filter(session__group=group, client=user).exists():
        return "own"
    return None


@dataclass(frozen=True)
class MissedMeetings:
    """A member absent from their last ``MISSED_IN_A_ROW`` marked meetings of a group."""

    group: Group
    client: object
    last_missed: dt.datetime
    count: int = MISSED_IN_A_ROW

    @property
    def short_name(self) -> str:
        """ "Sam K.": first name and the initial of the last."""
        parts = self.client.name.split()
        if len(parts) < 2:
            return self.client.name
        return f"{parts[0]} {parts[-1][0]}."


def missed_in_a_row(therapist: Therapist, *, at: dt.datetime) -> list[MissedMeetings]:
    """Members still enrolled in a running group of ``therapist`` (active, a meeting still
    to come) whose ``MISSED_IN_A_ROW`` most recent marked meetings of it were all absences.
    One read whatever the numbers of groups, members and meetings: each member's last
    marks are numbered in the database and only those are read."""
    running = Session.objects.filter(
        therapist=therapist,
        group__isnull=False,
        group__status=Group.Status.ACTIVE,
        status__in=ACTIVE_SESSION_STATES,
        start__gt=at,
    ).values("group_id")
    still_enrolled = Enrolment.objects.filter(
        group_id=OuterRef("session__group_id"),
        client_id=OuterRef("client_id"),
        status=Enrolment.Status.ENROLLED,
    )
    recent = (
        Attendance.objects.filter(
            session__therapist=therapist, session__group_id__in=running, session__start__lte=at
        )
        .filter(Exists(still_enrolled))
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("session__group_id"), F("client_id")],
                order_by=[F("session__start").desc(), F("session_id").desc()],
            )
        )
        .filter(recency__lte=MISSED_IN_A_ROW)
        .select_related("client", "session__group")
    )
    last: dict[tuple[int, int], list[Attendance]] = defaultdict(list)
    for row in recent:
        last[(row.session.group_id, row.client_id)].append(row)
    flagged = [
        MissedMeetings(
            group=rows[0].session.group,
            client=rows[0].client,
            last_missed=max(r.session.start for r in rows),
        )
        for rows in last.values()
        if len(rows) == MISSED_IN_A_ROW and not any(r.present for r in rows)
    ]
    return sorted(flagged, key=lambda f: (-f.last_missed.timestamp(), f.client.name, f.client.pk))
