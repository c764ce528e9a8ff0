"""The course picker (PRODUCT.md, "Course picker"), inline on a therapist's profile and
on the booking page, one template for both (templates/booking/_picker.html).

Its steps are plain links and GET forms, so it works without JavaScript: the course
length; a compact weekday × time grid of the weekly times free for the whole course, in
the viewer's zone (one cell per weekday and time, whatever the number of start dates);
for the chosen time, its start dates with their last session and skipped weeks; then a
summary and the request, a POST to the booking page (``views.book``). The search's
filters ride along in every link (``carried``): they preselect the therapy and the
format, and "Back to the search" keeps them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.places import STATE_NAMES
from booking import slots
from booking.courses import selectors, services
from booking.courses.forms import (
    DEFAULT_WEEKS,
    WEEKDAY_KEYS,
    BookCourseForm,
    CourseQueryForm,
)
from booking.exceptions import NotLicensedInState
from providers.models import Therapist
from providers.selectors import verified_states

# Start dates shown at once: four weeks, so each weekly time has up to four.
PICKER_DAYS = 28
# The picker's own parameters; every other one (the search's filters) is carried along.
PICKER_PARAMS = frozenset({"weeks", "from", "time", "start", "csrfmiddlewaretoken"})
# What a request's own fields are (the request form has them as fields, not carried).
REQUEST_FIELDS = frozenset({"modality", "format"})
# A link keeps at most this much of a query string it did not make.
MAX_CARRIED, MAX_VALUE = 30, 200
WEEKDAYS = [
    (key, name[:3], f"{name}s")
    for key, name in zip(
        WEEKDAY_KEYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
]


def carried(params: QueryDict) -> list[tuple[str, str]]:
    """The parameters that are not the picker's (the search's filters), in their order,
    blank ones left out: what every link of the picker and of the profile keeps."""
    kept = [
        (key, value[:MAX_VALUE])
        for key, values in params.lists()
        if key not in PICKER_PARAMS
        for value in values
        if value
    ]
    return kept[:MAX_CARRIED]


def search_url(params: list[tuple[str, str]], **changes: str) -> str:
    """The search with these filters, some replaced (``state="CA"``); its page number
    only when nothing changed."""
    kept = [(k, v) for k, v in params if k not in changes and not (changes and k == "page")]
    kept += [(k, v) for k, v in changes.items() if v]
    query = urlencode(kept)
    return reverse("providers:search") + (f"?{query}" if query else "")


def viewer_state(user, params: list[tuple[str, str]]) -> tuple[str, bool]:
    """The state the viewer lives in, as far as we know: a signed-in client's own, else
    the one chosen in the search. (code, whether it is the client's own); ("", False)."""
    if getattr(user, "is_client", False) and user.state in STATE_NAMES:
        return user.state, True
    state = dict(params).get("state", "")
    return (state, False) if state in STATE_NAMES else ("", False)


def license_warning(therapist: Therapist, user, params: list[tuple[str, str]]) -> dict | None:
    """What the profile says first when the therapist may not treat the viewer: not
    licensed in the viewer's state (or the search's). None when they may, or when we
    do not know the state."""
    state, own = viewer_state(user, params)
    if not state or state in verified_states(therapist):
        return None
    return {
        "state": state,
        "state_name": STATE_NAMES[state],
        "own": own,
        "licensed_in": [STATE_NAMES[s] for s in verified_states(therapist)],
        "search_url": search_url(params, state=state),
    }


@dataclass(frozen=True)
class CourseOption:
    """One start of a weekly time: a course free for every week."""

    start: dt.datetime  # first session, UTC
    last: dt.datetime  # last session, UTC
    skipped: tuple[dt.date, ...]  # the therapist's local dates of the weeks off skipped
    first_day: dt.date  # the viewer's dates of the first and last session
    last_day: dt.date
    moves_for_viewer: bool  # daylight saving shifts the viewer's wall-clock time
    therapist_differs: bool  # the therapist's wall-clock time reads differently

    @property
    def value(self) -> str:
        return self.start.isoformat()

    @property
    def same_year(self) -> bool:
        return self.first_day.year == self.last_day.year


@dataclass
class WeeklyTime:
    """One cell of the grid: a weekday and time in the viewer's zone, and the courses
    starting then in the dates shown (earliest first)."""

    key: str  # "tue-1800"
    weekday: int
    wall: dt.time
    options: list[CourseOption] = field(default_factory=list)

    @property
    def first(self) -> CourseOption:
        return self.options[0]

    @property
    def short(self) -> str:
        return WEEKDAYS[self.weekday][1]


def _option(course, *, weeks: int, own: ZoneInfo, viewer) -> CourseOption:
    occurrences = slots.local_occurrences(course.start, own, weeks + len(course.skipped))
    walls = {o.astimezone(viewer).strftime("%H:%M %Z") for o in occurrences}
    first_viewer, first_own = course.start.astimezone(viewer), course.start.astimezone(own)
    return CourseOption(
        start=course.start,
        last=course.last,
        skipped=course.skipped,
        first_day=first_viewer.date(),
        last_day=course.last.astimezone(viewer).date(),
        moves_for_viewer=len(walls) > 1,
        therapist_differs=first_viewer.strftime("%H:%M %Z") != first_own.strftime("%H:%M %Z"),
    )


def weekly_times(therapist: Therapist, found, weeks: int) -> dict[str, WeeklyTime]:
    """The free courses grouped into cells by the viewer's weekday and time of their
    first session, by key."""
    viewer = timezone.get_current_timezone()
    own = ZoneInfo(therapist.timezone)
    cells: dict[str, WeeklyTime] = {}
    for course in found:
        local = course.start.astimezone(viewer)
        key = f"{WEEKDAY_KEYS[local.weekday()]}-{local:%H%M}"
        cell = cells.setdefault(key, WeeklyTime(key, local.weekday(), local.time()))
        cell.options.append(_option(course, weeks=weeks, own=own, viewer=viewer))
    return cells


def grid(cells: dict[str, WeeklyTime]) -> tuple[list[tuple], list[dict]]:
    """The weekdays that have a free time (columns) and one row per time of day."""
    days = sorted({c.weekday for c in cells.values()})
    by_place = {(c.weekday, c.wall): c for c in cells.values()}
    rows = []
    for wall in sorted({c.wall for c in cells.values()}):
        row = [by_place.get((day, wall)) for day in days]
        sample = next(c for c in row if c is not None)
        rows.append({"sample": sample.first.start, "cells": row})
    return [WEEKDAYS[d] for d in days], rows


def is_bookable_by(therapist: Therapist, user) -> bool:
    """Whether the picker is offered: to everyone while the therapist accepts new
    clients; when they do not, only to a client they already see (book_course's rule)."""
    if therapist.accepting_new_clients:
        return True
    return getattr(user, "is_client", False) and services.is_returning(user, therapist)


def course_picker(
    request,
    therapist: Therapist,
    *,
    source: QueryDict,
    action: str,
    form: BookCourseForm | None = None,
    conflicts: list[dict] | None = None,
    problem: str = "",
    warned: bool = False,
) -> dict:
    """Everything the picker template shows, from the parameters in ``source`` (the GET,
    or a request sent back with its errors). ``action``: the page the picker is on;
    ``warned``: the page already says the therapist is not licensed in the viewer's state
    (the profile, at its top), so the picker does not say it again."""
    user = request.user
    params = carried(source)
    context = {
        "therapist": therapist,
        "action": action,
        "carried": params,
        "search_query": urlencode(params),
        "alert_url": search_url(params, accepting="true"),
    }
    if not is_bookable_by(therapist, user):
        return {**context, "closed": True}

    today = timezone.now().astimezone(ZoneInfo(therapist.timezone)).date()
    query = CourseQueryForm(
        {
            "weeks": source.get("weeks") or DEFAULT_WEEKS,
            "from": source.get("from") or today.isoformat(),
            "time": source.get("time", ""),
            "start": source.get("start", ""),
        },
        today=today,
    )
    weeks, first_day = query.course()
    key, start = query.chosen()
    found = selectors.free_slots(therapist, first_day=first_day, days=PICKER_DAYS, weeks=weeks)
    cells = weekly_times(therapist, found, weeks)
    if start is not None and key not in cells:
        # A request sent back names its start: the cell that holds it is the chosen one.
        key = next((c.key for c in cells.values() for o in c.options if o.start == start), key)
    # A refused request is chosen again from the grid, under the weeks that failed.
    chosen = None if conflicts else cells.get(key)
    option = None
    if chosen is not None:
        option = next((o for o in chosen.options if o.start == start), None) or chosen.first
    weekdays, rows = grid(cells)
    form = form or BookCourseForm(therapist=therapist, wanted=dict(params))
    formats = list(form.fields["format"].choices)

    is_client = user.is_authenticated and user.is_client
    blocker = ""
    if is_client and user.state not in verified_states(therapist):
        blocker = NotLicensedInState(therapist_name=therapist.display_name, state=user.state).detail
    base = [*params, ("weeks", weeks), ("from", first_day.isoformat())]
    here = [*base, *([("time", key)] if chosen else [])]
    if option is not None:
        here.append(("start", option.value))
    return {
        **context,
        "closed": False,
        "query": query,
        "weeks": weeks,
        "first_day": first_day,
        "last_day": first_day + dt.timedelta(days=PICKER_DAYS - 1),
        "weekdays": weekdays,
        "rows": rows,
        "chosen": chosen,
        "option": option,
        # The chosen time is no longer free (or never was) in these dates.
        "time_gone": bool(key) and chosen is None and not conflicts,
        "start_gone": start is not None and option is not None and option.start != start,
        "prefix": f"?{urlencode(base)}&",
        "earlier": first_day - dt.timedelta(days=PICKER_DAYS) if first_day > today else None,
        "later": first_day + dt.timedelta(days=PICKER_DAYS),
        "pager_prefix": f"?{urlencode([*params, ('weeks', weeks)])}&",
        "request_carried": [(k, v) for k, v in params if k not in REQUEST_FIELDS],
        "form": form,
        "start_errors": form["start"].errors,
        # A therapist with one format: said, not asked.
        "only_format": formats[0] if len(formats) == 1 else None,
        "is_client": is_client,
        "can_request": is_client and not blocker,
        "blocker": blocker,
        "warned": warned,
        "conflicts": conflicts or [],
        "problem": problem if problem != blocker else "",
        "login_url": redirect_to_login(f"{action}?{urlencode(here)}#chosen").url,
        "hold_hours": round(services.pending_hold().total_seconds() / 3600),
    }


def program_picker(
    request,
    therapist: Therapist,
    *,
    weeks: int,
    span: tuple[dt.datetime, dt.datetime],
    source: QueryDict,
    page: str,
    conflicts: list[dict] | None = None,
) -> dict:
    """The picker's grid for a group program's weekly individual course (``Group.
    individual``), on the program's page: the weekly times free for all ``weeks`` weeks
    (the program's) in the viewer's zone, with a first session during the program
    (``span``: the earliest and latest first session, UTC), the chosen time's start
    dates and summary. The same finder as ``therapists/{id}/slots/``; the therapist's
    "accepting new clients" does not close it (members of their program book it). The
    course length is the program's: no length to choose. ``page``: the program page's
    address, which every link goes to (a refused request is shown at the address it was
    sent to)."""
    tz = ZoneInfo(therapist.timezone)
    today = timezone.now().astimezone(tz).date()
    program_from = max(today, span[0].astimezone(tz).date())
    query = CourseQueryForm(
        {
            "weeks": weeks,
            "from": source.get("from") or program_from.isoformat(),
            "time": source.get("time", ""),
            # A request sent back names its start as the enrol form does.
            "start": source.get("start") or source.get("individual_start", ""),
        },
        today=today,
    )
    _, first_day = query.course()
    key, start = query.chosen()
    found = [
        course
        for course in selectors.free_slots(
            therapist, first_day=first_day, days=PICKER_DAYS, weeks=weeks
        )
        if span[0] <= course.start <= span[1]
    ]
    cells = weekly_times(therapist, found, weeks)
    if start is not None and key not in cells:
        key = next((c.key for c in cells.values() for o in c.options if o.start == start), key)
    chosen = None if conflicts else cells.get(key)
    option = None
    if chosen is not None:
        option = next((o for o in chosen.options if o.start == start), None) or chosen.first
    weekdays, rows = grid(cells)
    last_start_day = span[1].astimezone(tz).date()
    later = first_day + dt.timedelta(days=PICKER_DAYS)
    return {
        "therapist": therapist,
        "query": query,
        "weeks": weeks,
        "first_day": first_day,
        "last_day": first_day + dt.timedelta(days=PICKER_DAYS - 1),
        "weekdays": weekdays,
        "rows": rows,
        "chosen": chosen,
        "option": option,
        "time_gone": bool(key) and chosen is None and not conflicts,
        "start_gone": start is not None and option is not None and option.start != start,
        "prefix": f"{page}?{urlencode([('from', first_day.isoformat())])}&",
        "earlier": max(first_day - dt.timedelta(days=PICKER_DAYS), program_from)
        if first_day > program_from
        else None,
        "later": later if later <= last_start_day else None,
        "pager_prefix": f"{page}?",
        "fixed_weeks": True,  # the program's: no course length to choose
        "start_errors": [],
        "conflicts": conflicts or [],
        "hold_hours": round(services.pending_hold().total_seconds() / 3600),
    }
