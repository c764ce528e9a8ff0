"""The guided match's ranking (PRODUCT.md rule 13): pure, no database, no clock.

Input: plain facts about each candidate (a therapist or a group) and the client's
answers; output: the candidates a client may choose, best first, each with its score and
its reasons in words. The selectors (``matching.selectors``) gather the facts; nothing
is weighed in SQL.

Hard constraints (never weighed, never broken): a therapist is listed only when licensed
(verified, unexpired) in the client's state and accepting new clients; a group only when
the client asked for groups, it serves the state, its therapist is licensed there and it
is open. Everything else adds points, as this table says (``score`` applies it):

=====================  ======  ==========================================================
constant               points  when (the reason in words)
=====================  ======  ==========================================================
``CONCERN_THERAPY``      30    practises a therapy made for what brings the client: IPT
                               for grief, a conflict, a life change or loneliness (IPT's
                               four focus areas); IPT or CBT for low mood; CBT for worry
                               ("Practises IPT, which focuses on grief")
``CONCERN_THERAPY_ALSO`` 15    practises a therapy that helps too (IPT for worry)
``CONCERN_SPECIALTY``    20    lists a focus area of the concern (grief, role disputes,
                               depression...): "Lists grief and loss as a focus area"
``CONCERN_GROUP``        30    a group of a kind made for the concern ("A grief group")
``TIME_FITS``            40    a course free for every week starts at one of the weekly
                               times chosen ("Free Tuesdays at 6:00 PM ET for 12 weeks
                               from Jan 5"); a group meeting then
``OPENING_SOON``         15    no times chosen: a course starts within the next four
                               weeks (same words)
``FORMAT_MATCH``         25    offers the format asked for ("By video", "In person": a
                               therapist's office in the client's state)
``IN_NETWORK``           25    in network with the client's plan ("In network with Aetna")
``SUPERBILL``            10    out of network with it, with a superbill to claim
``WITHIN_BUDGET``        20    fee at or under the budget ("$120 a session, within your
                               budget of $150")
``SLIDING_SCALE``        10    over the budget (or no fee given) but on a sliding scale
``DISTANCE_POINTS``    15/10/5 in person and the office within 5 / 10 / 25 miles of the
                               client ("Office 3 miles from you"); only when a distance
                               is known
=====================  ======  ==========================================================

Within a concern, a candidate gets the best therapy's points once and the specialty
points once, however many match. Equal scores: the earlier fitting start first (else the
earlier stored next opening), then by name, then by id, so the order is total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.places import STATE_NAMES
from accounts.templatetags.us_time import us_day, us_time, us_weekly
from booking import slots

# --- Weights -------------------------------------------------------------------------------
CONCERN_THERAPY = 30
CONCERN_THERAPY_ALSO = 15
CONCERN_SPECIALTY = 20
CONCERN_GROUP = 30
TIME_FITS = 40
OPENING_SOON = 15
FORMAT_MATCH = 25
IN_NETWORK = 25
SUPERBILL = 10
WITHIN_BUDGET = 20
SLIDING_SCALE = 10
# (within miles, points), nearest first: the first tier the office falls in counts.
DISTANCE_POINTS = ((5, 15), (10, 10), (25, 5))

THERAPIST, GROUP = "therapist", "group"
KINDS = [(THERAPIST, "Therapist"), (GROUP, "Group")]
WEEKDAYS = slots.WEEKDAY_KEYS
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PERIODS = slots.PARTS_OF_DAY  # in the client's zone
PERIOD_NAMES = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening"}
TIME_WORDS = tuple(f"{day}-{period}" for day in WEEKDAYS for period, _, _ in PERIODS)
FORMAT_WORDS = {"telehealth": "By video", "in_person": "In person"}


@dataclass(frozen=True)
class Concern:
    """What brings a client, and what in a therapist or group answers it."""

    label: str  # as the client chooses it
    # (modality slug, points, reason), best first: the first one practised counts.
    therapies: tuple[tuple[str, int, str], ...]
    # (specialty slug, words), any of them counts once.
    specialties: tuple[tuple[str, str], ...]
    # (group kind, reason), any of them counts once.
    group_kinds: tuple[tuple[str, str], ...]


CONCERNS: dict[str, Concern] = {
    "grief": Concern(
        "Grief or loss",
        (("ipt", CONCERN_THERAPY, "Practises IPT, which focuses on grief"),),
        (("grief", "grief and loss"),),
        (("grief", "A grief group"), ("ipt_group", "An IPT group, which focuses on grief")),
    ),
    "conflict": Concern(
        "A conflict with someone close",
        (
            (
                "ipt",
                CONCERN_THERAPY,
                "Practises IPT, which focuses on conflicts with people close to you",
            ),
        ),
        (("role-disputes", "role disputes"), ("relationships", "relationships")),
        (
            ("ipt_group", "An IPT group, which works on conflicts with people close to you"),
            ("interpersonal_process", "An interpersonal process group"),
        ),
    ),
    "life_change": Concern(
        "A life change",
        (("ipt", CONCERN_THERAPY, "Practises IPT, which focuses on life changes"),),
        (("role-transitions", "role transitions"), ("perinatal", "perinatal and postpartum")),
        (
            ("ipt_group", "An IPT group, which works on life changes"),
            ("supportive", "A supportive group"),
        ),
    ),
    "loneliness": Concern(
        "Loneliness or isolation",
        (("ipt", CONCERN_THERAPY, "Practises IPT, which focuses on loneliness and isolation"),),
        (("loneliness", "loneliness"), ("interpersonal-deficits", "isolation")),
        (
            ("interpersonal_process", "An interpersonal process group"),
            ("ipt_group", "An IPT group, which works on loneliness and isolation"),
            ("supportive", "A supportive group"),
        ),
    ),
    "low_mood": Concern(
        "Low mood",
        (
            ("ipt", CONCERN_THERAPY, "Practises IPT, a proven therapy for low mood"),
            ("cbt", CONCERN_THERAPY, "Practises CBT, a proven therapy for low mood"),
        ),
        (("depression", "depression"),),
        (("ipt_group", "An IPT group, which works on low mood"),),
    ),
    "anxiety": Concern(
        "Worry or anxiety",
        (
            ("cbt", CONCERN_THERAPY, "Practises CBT, a proven therapy for worry and anxiety"),
            (
                "ipt",
                CONCERN_THERAPY_ALSO,
                "Practises IPT, which can ease worry tied to relationships",
            ),
        ),
        (("anxiety", "anxiety"),),
        (("supportive", "A supportive group"),),
    ),
}
CONCERN_CHOICES = [(slug, concern.label) for slug, concern in CONCERNS.items()]
# The therapies a course is booked in (booking.openings.COURSE_MODALITIES): the picker is
# preselected with one of them when the concern points to it.
COURSE_THERAPIES = ("ipt", "cbt")


@dataclass(frozen=True)
class Candidate:
    """What the ranking knows about one therapist or group: plain facts."""

    kind: str  # THERAPIST or GROUP
    id: int
    name: str
    # The states it may serve: a therapist's verified, unexpired licenses; a group's
    # states that its therapist is licensed in.
    licensed_in: frozenset[str]
    accepting: bool  # a therapist accepts new clients; a group is open
    modalities: frozenset[str] = frozenset()
    specialties: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    insurance: frozenset[str] = frozenset()
    superbill: bool = False
    fee: int | None = None
    sliding_scale: bool = False
    # The first start in the chosen weekly times (any time when none was chosen) of a
    # course free for every week; a group's next meeting when it falls in them. None: none.
    first_start: dt.datetime | None = None
    distance_miles: float | None = None
    office_state: str = ""  # a therapist's office, for in person
    group_kind: str = ""
    seats_left: int | None = None  # groups only
    next_opening: dt.datetime | None = None  # stored opening: only breaks ties


@dataclass(frozen=True)
class MatchRequest:
    """The client's answers. ``times`` are words like ``tue-evening``, in ``zone``."""

    state: str
    concern: str = ""
    format: str = ""
    insurance: str = ""
    insurance_name: str = ""
    fee_max: int | None = None
    weeks: int = 12
    times: frozenset[str] = frozenset()
    include_groups: bool = False
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("America/New_York"))


@dataclass(frozen=True)
class Match:
    candidate: Candidate
    score: int
    reasons: tuple[str, ...]
    modality: str = ""  # the course therapy to preselect, "" for the picker to ask


# --- Times ----------------------------------------------------------------------------------


def time_word(start: dt.datetime, zone: ZoneInfo) -> str:
    """``tue-evening``: the weekday and part of the day of ``start`` in ``zone``."""
    local = start.astimezone(zone)
    period = next(name for name, low, high in PERIODS if low <= local.hour < high)
    return f"{WEEKDAYS[local.weekday()]}-{period}"


def fits_times(start: dt.datetime, times: Iterable[str], zone: ZoneInfo) -> bool:
    """Whether ``start`` falls in one of the weekly times; any start fits when none."""
    times = frozenset(times)
    return not times or time_word(start, zone) in times


def hours_meet_times(
    hours: Iterable[tuple[int, dt.time, dt.time]],
    own_zone: ZoneInfo,
    session: dt.timedelta,
    times: Iterable[str],
    zone: ZoneInfo,
    week_of: dt.date,
) -> bool:
    """Whether any weekly range of hours (weekday, start, end on the therapist's clock)
    can hold a session that starts in one of the client's weekly times (``tue-evening``,
    in ``zone``); true when no times are asked for. Read on the week of ``week_of``: a
    cheap first look, before the slot finder decides on real dates."""
    times = frozenset(times)
    if not times:
        return True
    monday = week_of - dt.timedelta(days=week_of.weekday())
    for weekday, start, end in hours:
        day = monday + dt.timedelta(days=weekday)
        first = dt.datetime.combine(day, start, own_zone).astimezone(zone)
        last = (dt.datetime.combine(day, end, own_zone) - session).astimezone(zone)
        if last < first:
            continue
        # Every part of the day the starts between first and last touch.
        for local_day in {first.date(), last.date()}:
            for period, low, high in PERIODS:
                if f"{WEEKDAYS[local_day.weekday()]}-{period}" not in times:
                    continue
                opens = dt.datetime.combine(local_day, dt.time(low), zone)
                closes = opens + dt.timedelta(hours=high - low)
                if first < closes and opens <= last:
                    return True
    return False


def _offers_format(candidate: Candidate, request: MatchRequest) -> bool:
    """The format asked for, where the client can use it: in person with a therapist
    means an office in the client's state, not one across the country."""
    if not request.format or request.format not in candidate.formats:
        return False
    if request.format == "in_person" and candidate.kind == THERAPIST:
        return candidate.office_state == request.state
    return True


def _month_day(start: dt.datetime) -> str:
    return format_date(timezone.localtime(start), "M j")


def _time_reason(candidate: Candidate, request: MatchRequest) -> str:
    start = candidate.first_start
    if candidate.kind == GROUP:
        return f"Meets {us_weekly(start)}; next meeting {_month_day(start)}"
    if request.weeks == 1:
        return f"Free {us_day(start)} at {us_time(start)}"
    return f"Free {us_weekly(start)} for {request.weeks} weeks from {_month_day(start)}"


# --- The score --------------------------------------------------------------------------------


def admissible(candidate: Candidate, request: MatchRequest) -> bool:
    """The hard constraints: licensed in the client's state and accepting (open); groups
    only when asked for."""
    if candidate.kind == GROUP and not request.include_groups:
        return False
    return request.state in candidate.licensed_in and candidate.accepting


def _concern(candidate: Candidate, concern: Concern) -> tuple[int, list[str], str]:
    points, reasons, modality = 0, [], ""
    if candidate.kind == GROUP:
        for kind, reason in concern.group_kinds:
            if candidate.group_kind == kind:
                return CONCERN_GROUP, [reason], ""
        return 0, [], ""
    practised = [t for t in concern.therapies if t[0] in candidate.modalities]
    if practised:
        slug, best, reason = max(practised, key=lambda t: t[1])  # the first of the best
        points, reasons = best, [reason]
        modality = slug if slug in COURSE_THERAPIES else ""
    listed = [words for slug, words in concern.specialties if slug in candidate.specialties]
    if listed:
        points += CONCERN_SPECIALTY
        areas = " and ".join(listed)
        reasons.append(f"Lists {areas} as {'a focus area' if len(listed) == 1 else 'focus areas'}")
    return points, reasons, modality


def _money(candidate: Candidate, request: MatchRequest) -> tuple[int, list[str]]:
    points, reasons = 0, []
    if request.insurance:
        plan = request.insurance_name or request.insurance
        if request.insurance in candidate.insurance:
            points += IN_NETWORK
            reasons.append(f"In network with {plan}")
        elif candidate.superbill:
            points += SUPERBILL
            reasons.append(f"Out of network with {plan}, with a superbill you can claim")
    if request.fee_max is not None:
        if candidate.fee is not None and candidate.fee <= request.fee_max:
            points += WITHIN_BUDGET
            unit = "a meeting" if candidate.kind == GROUP else "a session"
            reasons.append(f"${candidate.fee} {unit}, within your budget of ${request.fee_max}")
        elif candidate.sliding_scale:
            points += SLIDING_SCALE
            reasons.append("Offers a sliding scale: ask about a fee within your budget")
    return points, reasons


def _distance(candidate: Candidate, request: MatchRequest) -> tuple[int, list[str]]:
    miles = candidate.distance_miles
    if miles is None or "in_person" not in candidate.formats or request.format == "telehealth":
        return 0, []
    for within, points in DISTANCE_POINTS:
        if miles <= within:
            rounded = round(miles)
            words = (
                "less than a mile"
                if rounded < 1
                else f"{rounded} mile{'s' if rounded != 1 else ''}"
            )
            return points, [f"Office {words} from you"]
    return 0, []


def score(candidate: Candidate, request: MatchRequest) -> Match:
    """The candidate's points and reasons for this request (``admissible`` aside)."""
    state_name = STATE_NAMES.get(request.state, request.state)
    if candidate.kind == GROUP:
        reasons = [f"For clients in {state_name}; its therapist is licensed there"]
    else:
        reasons = [f"Licensed in {state_name}"]
    points, modality = 0, ""
    concern = CONCERNS.get(request.concern)
    if concern is not None:
        gained, why, modality = _concern(candidate, concern)
        points += gained
        reasons += why
    if candidate.first_start is not None:
        points += TIME_FITS if request.times else OPENING_SOON
        with timezone.override(request.zone):
            reasons.append(_time_reason(candidate, request))
    if _offers_format(candidate, request):
        points += FORMAT_MATCH
        reasons.append(FORMAT_WORDS.get(request.format, request.format))
    gained, why = _money(candidate, request)
    points, reasons = points + gained, reasons + why
    gained, why = _distance(candidate, request)
    points, reasons = points + gained, reasons + why
    if candidate.seats_left is not None:
        left = candidate.seats_left
        reasons.append(
            f"{left} place{'s' if left != 1 else ''} left"
            if left > 0
            else "Full: you can join the waitlist"
        )
    return Match(candidate, points, tuple(reasons), modality)


_LATEST = dt.datetime.max.replace(tzinfo=dt.UTC)


def order_key(match: Match) -> tuple:
    """Best first: score, then the earlier start (or stored opening), name, kind, id."""
    c = match.candidate
    when = c.first_start or c.next_opening or _LATEST
    return (-match.score, when, c.name.casefold(), c.kind, c.id)


def rank(
    candidates: Iterable[Candidate], request: MatchRequest, *, limit: int | None = None
) -> list[Match]:
    """The admissible candidates, scored, best first; the first ``limit`` of them."""
    matches = [score(c, request) for c in candidates if admissible(c, request)]
    matches.sort(key=order_key)
    return matches if limit is None else matches[:limit]
