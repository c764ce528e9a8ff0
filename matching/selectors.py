"""The guided match's reads: the facts ``matching.ranking`` weighs, gathered in a fixed
number of queries whatever the number of therapists (the page and ``GET match/`` share
them).

1. One query: every therapist licensed in the state (the search's own
   ``findable_in``) and accepting new clients, with the cheap facts as arrays
   (therapies, focus areas, plans, licensed states).
2. The ranking orders them on those facts alone; the best ``SHORTLIST`` go on.
3. With chosen times, one query: the weekly hours of them all. Only those whose hours
   can hold a session in the chosen times can have a fitting start: the shortlist is
   the best of them, not of everyone.
4. Three queries (hours, time off, sessions of the shortlist): the first course start
   in the chosen weekly times, by the slot finder, in the picker's four weeks.
5. One query, when groups are asked for: the state's open groups, soonest first.
6. The ranking again, on every fact: the best ``RESULTS``; those whose hours miss the
   chosen times compete too, without a start.

Only the shortlist is looked at for a start: where more than ``SHORTLIST`` therapists
with hours in the chosen times are licensed in the state, one who fits the cheap facts
less well (ties: the later stored opening) is not listed for a free time alone. That
bounds the slot finder's work to ``SHORTLIST`` therapists per match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.urls import reverse
from django.utils.timezone import now

from booking.courses.forms import WEEKDAY_KEYS
from booking.courses.picker import PICKER_DAYS
from booking.courses.selectors import first_free_course_starts
from booking.groups.pattern import meeting_days, weekly_pattern
from booking.groups.selectors import listed_groups, seats_left
from booking.models import AvailabilityRule
from matching.ranking import (
    GROUP,
    THERAPIST,
    Candidate,
    Match,
    MatchRequest,
    fits_times,
    hours_meet_times,
    rank,
)
from providers.models import Insurance, License, Modality, Specialty, Therapist
from therapy_directory import clock

SHORTLIST = 50  # therapists whose course starts are worked out
RESULTS = 20  # matches answered
GROUPS_AT_MOST = 50  # open groups weighed, soonest first

SCHEDULE_FIELDS = ("timezone", "session_minutes", "slot_step_minutes", "notice_hours")


@dataclass(frozen=True)
class Found:
    """One match as the page and the API show it."""

    match: Match
    url: str  # a path: the profile with its picker preselected, or the group
    subtitle: str  # a therapist's credentials, a group's therapist
    next_meeting: dt.datetime | None = None  # a group's, said even outside the times
    weekly: str = ""  # a group's days and hours: "Mon, Wed, Thu · 6:00–9:00 PM ET · …"

    @property
    def kind(self) -> str:
        return self.match.candidate.kind

    @property
    def id(self) -> int:
        return self.match.candidate.id

    @property
    def name(self) -> str:
        return self.match.candidate.name

    @property
    def score(self) -> int:
        return self.match.score

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.match.reasons

    @property
    def first_start(self) -> dt.datetime | None:
        return self.match.candidate.first_start

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.replace("Dr.", "").split() if p[:1].isalpha()]
        return "".join(p[0] for p in parts[:1] + parts[-1:]).upper() or "?"


def _slugs(queryset) -> ArraySubquery:
    return ArraySubquery(queryset.order_by().values("slug"))


def _therapists(request: MatchRequest, today: dt.date) -> list[dict]:
    """Hard constraints in SQL (licensed in the state, accepting), facts as arrays."""
    therapist = OuterRef("pk")
    return list(
        Therapist.objects.findable_in(request.state, today)
        .filter(accepting_new_clients=True)
        .annotate(
            modality_slugs=_slugs(Modality.objects.filter(therapists=therapist)),
            specialty_slugs=_slugs(Specialty.objects.filter(therapists=therapist)),
            insurance_slugs=_slugs(Insurance.objects.filter(therapists=therapist)),
            license_states=ArraySubquery(
                License.objects.valid(today).filter(therapist=therapist).values("state")
            ),
        )
        .values(
            "id",
            "slug",
            "display_name",
            "credentials",
            "formats",
            "office_state",
            "fee",
            "sliding_scale",
            "superbill",
            "accepting_new_clients",
            "next_opening",
            "modality_slugs",
            "specialty_slugs",
            "insurance_slugs",
            "license_states",
            *SCHEDULE_FIELDS,
        )  # fmt: skip
    )


def _candidate(row: dict) -> Candidate:
    return Candidate(
        kind=THERAPIST,
        id=row["id"],
        name=row["display_name"],
        licensed_in=frozenset(row["license_states"]),
        accepting=row["accepting_new_clients"],
        modalities=frozenset(row["modality_slugs"]),
        specialties=frozenset(row["specialty_slugs"]),
        formats=frozenset(row["formats"]),
        insurance=frozenset(row["insurance_slugs"]),
        superbill=row["superbill"],
        fee=row["fee"],
        sliding_scale=row["sliding_scale"],
        next_opening=row["next_opening"],
        distance_miles=None,  # ZIP distance: not asked for yet
        office_state=row["office_state"],
    )


def _groups(request: MatchRequest, today: dt.date) -> tuple[list[Candidate], dict[int, object]]:
    """The state's open groups (the group search's own state filter: it serves the state
    and its therapist is licensed there), soonest first, with the therapist's plans."""
    therapist = OuterRef("therapist_id")
    _, queryset = listed_groups(None, {"state": request.state})
    groups = list(
        queryset.annotate(
            therapist_insurance=_slugs(Insurance.objects.filter(therapists=therapist)),
            therapist_states=ArraySubquery(
                License.objects.valid(today).filter(therapist=therapist).values("state")
            ),
        )[:GROUPS_AT_MOST]
    )
    candidates = []
    for group in groups:
        start = group.next_meeting
        # A program on several days fits when one of its days falls in the chosen times.
        fits = start is not None and any(
            fits_times(day, request.times, request.zone) for day in meeting_days(group, start)
        )
        candidates.append(
            Candidate(
                kind=GROUP,
                id=group.pk,
                name=group.title,
                licensed_in=frozenset(group.states) & frozenset(group.therapist_states),
                accepting=start is not None,
                modalities=frozenset([group.modality.slug]),
                formats=frozenset([group.format]),
                insurance=frozenset(group.therapist_insurance),
                superbill=group.therapist.superbill,
                fee=group.fee,  # per meeting
                first_start=start if fits else None,
                group_kind=group.kind,
                seats_left=seats_left(group),
                next_opening=start,
            )
        )
    return candidates, {g.pk: g for g in groups}


def _hours_meet_times(rows: dict[int, dict], request: MatchRequest, today: dt.date) -> set[int]:
    """The therapists whose weekly hours can hold a session in the chosen times (one
    query for them all)."""
    hours: dict[int, list] = {}
    for rule in AvailabilityRule.objects.filter(therapist_id__in=list(rows)).values_list(
        "therapist_id", "weekday", "start", "end"
    ):
        hours.setdefault(rule[0], []).append(rule[1:])
    return {
        pk
        for pk, ranges in hours.items()
        if hours_meet_times(
            ranges,
            ZoneInfo(rows[pk]["timezone"]),
            dt.timedelta(minutes=rows[pk]["session_minutes"]),
            request.times,
            request.zone,
            today,
        )
    }


def profile_url(slug: str, match: Match, request: MatchRequest) -> str:
    """The therapist's profile with the course picker preselected: the state (its
    license notice), the therapy, the format, the course length and, when there is one,
    the fitting start (the picker's weekly time in the viewer's zone, and its date)."""
    params = [("state", request.state)]
    if match.modality:
        params.append(("modality", match.modality))
    if request.format:
        params.append(("format", request.format))
    params.append(("weeks", str(request.weeks)))
    start = match.candidate.first_start
    if start is not None:
        local = start.astimezone(request.zone)
        params += [("time", f"{WEEKDAY_KEYS[local.weekday()]}-{local:%H%M}")]
        params += [("start", start.isoformat())]
    anchor = "#chosen" if start is not None else "#book"
    return f"{reverse('providers:profile', kwargs={'slug': slug})}?{urlencode(params)}{anchor}"


def find_matches(request: MatchRequest, *, at: dt.datetime | None = None) -> list[Found]:
    """The best ``RESULTS`` therapists (and groups, when asked for) for the request."""
    at = at or now()
    today = clock.today()
    rows = {row["id"]: row for row in _therapists(request, today)}
    everyone = [_candidate(row) for row in rows.values()]
    others: list[Match] = []
    if request.times:
        meet = _hours_meet_times(rows, request, today)
        others = rank([c for c in everyone if c.id not in meet], request, limit=RESULTS)
        everyone = [c for c in everyone if c.id in meet]
    shortlist = rank(everyone, request, limit=SHORTLIST)
    schedules = [
        Therapist(pk=m.candidate.id, **{f: rows[m.candidate.id][f] for f in SCHEDULE_FIELDS})
        for m in shortlist
    ]
    starts = first_free_course_starts(
        schedules,
        weeks=request.weeks,
        days=PICKER_DAYS,
        fits=(lambda s: fits_times(s, request.times, request.zone)) if request.times else None,
        at=at,
    )
    candidates = [replace(m.candidate, first_start=starts[m.candidate.id]) for m in shortlist]
    candidates += [m.candidate for m in others]
    groups: dict[int, object] = {}
    if request.include_groups:
        group_candidates, groups = _groups(request, today)
        candidates += group_candidates
    found = []
    for match in rank(candidates, request, limit=RESULTS):
        if match.candidate.kind == GROUP:
            group = groups[match.candidate.id]
            subtitle = f"Led by {group.therapist.display_name}"
            weekly = weekly_pattern(group, group.next_meeting)
            found.append(
                Found(match, group.get_absolute_url(), subtitle, group.next_meeting, weekly)
            )
        else:
            row = rows[match.candidate.id]
            url = profile_url(row["slug"], match, request)
            found.append(Found(match, url, row["credentials"]))
    return found
