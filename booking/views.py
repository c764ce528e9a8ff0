"""Booking pages that span courses and group meetings: a person's sessions and private
calendar feed, the therapist's week calendar, weekly hours and time off.

Views parse input with a form, call one selector or service and render; every write is
a POST (a GET writes nothing). Times are rendered in the viewer's zone
(``accounts.middleware``), always with its label.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from booking import availability, calendar
from booking.forms import TimeOffForm, WeeklyHoursFormSet
from booking.models import AvailabilityRule, TimeOff
from booking.pages import add_service_errors, dashboard, ics_response, therapist_only
from booking.sessions import own_sessions
from providers.models import Therapist
from therapy_directory.transactions import Busy

PAST_SESSIONS_PER_PAGE = 25
# Sessions a therapist's week calendar shows: what holds time, and what happened.
CALENDAR_STATES = ["pending", "confirmed", "completed", "no_show"]


# --- A person's sessions -------------------------------------------------------------------


@login_required
def my_sessions(request):
    sessions = own_sessions(request.user)
    upcoming = list(sessions.upcoming())
    past = Paginator(sessions.past(), PAST_SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "booking/my_sessions.html",
        {"upcoming": upcoming, "past": past},
    )


# --- The private calendar feed ------------------------------------------------------------


@login_required
def my_calendar(request):
    """The person's private feed address; with none yet, a button that makes one (a
    POST: showing this page writes nothing)."""
    feed = calendar.feed_of(request.user)
    context: dict = {"feed": feed}
    if feed is not None:
        feed_url = request.build_absolute_uri(reverse("booking:calendar_feed", args=[feed.token]))
        context |= {"feed_url": feed_url, "webcal_url": "webcal://" + feed_url.split("://")[1]}
    return render(request, "booking/my_calendar.html", context)


@login_required
@require_POST
def rotate_calendar(request):
    had_feed = calendar.feed_of(request.user) is not None
    calendar.rotate_feed(user=request.user)
    if had_feed:
        text = (
            "Your calendar has a new address. The old one no longer works: "
            "subscribe again with the new one."
        )
    else:
        text = "Your calendar address is ready: subscribe to it in your calendar app."
    messages.success(request, text)
    return redirect("booking:my_calendar")


@login_required
def my_calendar_ics(request):
    return ics_response(calendar.feed_for(request.user), "rapport-sessions.ics")


def calendar_feed(request, token: str):
    """The private address calendar apps poll: the token is the only credential."""
    feed = calendar.feed_with_token(token)
    if feed is None:
        raise Http404
    response = ics_response(calendar.feed_for(feed.user), "rapport-sessions.ics")
    response["Content-Disposition"] = 'inline; filename="rapport-sessions.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


# --- The therapist's week and hours ----------------------------------------------------------


def _week_start(request, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return today
    # Far-off weeks are nonsense (and would overflow the date arithmetic).
    return day if abs(day - today) <= dt.timedelta(days=3660) else today


@therapist_only
def week_calendar(request, therapist: Therapist):
    tz = ZoneInfo(therapist.timezone)
    current = timezone.now()
    today = current.astimezone(tz).date()
    first_day = _week_start(request, today)
    days = [first_day + dt.timedelta(days=n) for n in range(7)]
    window_start = dt.datetime.combine(days[0], dt.time(), tzinfo=tz)
    window_end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    sessions = (
        own_sessions(request.user)
        .filter(start__gte=window_start, start__lt=window_end, status__in=CALENDAR_STATES)
        .order_by("start", "id")
    )
    by_day: dict[dt.date, list[dict]] = {day: [] for day in days}
    for session in sessions:
        marks = []
        # A group meeting is marked per member (attendance), not as a whole.
        if (
            session.group_id is None
            and session.start <= current
            and session.status in ("confirmed", "completed", "no_show")
        ):
            marks = [s for s in ("completed", "no_show") if s != session.status]
        by_day[session.start.astimezone(tz).date()].append({"session": session, "marks": marks})
    return render(
        request,
        "booking/week_calendar.html",
        dashboard(
            therapist,
            "calendar",
            days=[{"day": day, "rows": by_day[day], "is_today": day == today} for day in days],
            first_day=first_day,
            last_day=days[-1],
            previous_week=first_day - dt.timedelta(days=7),
            next_week=first_day + dt.timedelta(days=7),
            this_week=today,
            is_this_week=first_day == today,
            now=current,
        ),
    )


def _hours_table(therapist: Therapist) -> list[dict]:
    rules = list(availability.weekly_hours(therapist))
    return [
        {"name": name, "ranges": [r for r in rules if r.weekday == weekday]}
        for weekday, name in AvailabilityRule.WEEKDAYS
    ]


def _render_hours(
    request,
    therapist: Therapist,
    *,
    formset=None,
    time_off_form=None,
    hours_errors: list[str] | None = None,
    status: int = 200,
):
    if formset is None:
        initial = [
            {"weekday": r.weekday, "start": r.start, "end": r.end}
            for r in availability.weekly_hours(therapist)
        ]
        formset = WeeklyHoursFormSet(initial=initial, prefix="hours")
    today = timezone.now().astimezone(ZoneInfo(therapist.timezone)).date()
    time_off = availability.time_off_ahead(therapist, today=today)
    return render(
        request,
        "booking/hours.html",
        dashboard(
            therapist,
            "hours",
            formset=formset,
            hours_errors=hours_errors or [],
            week=_hours_table(therapist),
            time_off=time_off,
            time_off_form=time_off_form or TimeOffForm(auto_id="id_time_off_%s"),
        ),
        status=status,
    )


@therapist_only
@require_http_methods(["GET", "POST"])
def hours(request, therapist: Therapist):
    if request.method == "GET":
        return _render_hours(request, therapist)
    formset = WeeklyHoursFormSet(request.POST, prefix="hours")
    if "add_range" in request.POST and formset.is_valid():
        # The rows so far plus one more empty one; nothing is saved until "Save".
        rows = [{"weekday": w, "start": s, "end": e} for w, s, e in formset.weekly_ranges()]
        empty_rows = formset.total_form_count() - len(rows)
        formset = WeeklyHoursFormSet(initial=rows, prefix="hours")
        formset.extra = empty_rows + 1
        return _render_hours(request, therapist, formset=formset)
    if not formset.is_valid():
        return _render_hours(request, therapist, formset=formset, status=400)
    try:
        availability.set_weekly_hours(therapist=therapist, ranges=formset.weekly_ranges())
    except ValidationError as exc:
        return _render_hours(
            request, therapist, formset=formset, hours_errors=exc.messages, status=400
        )
    except Busy as exc:  # the hours as typed stay in the form, to save again
        return _render_hours(
            request, therapist, formset=formset, hours_errors=[exc.detail], status=503
        )
    messages.success(request, "Your weekly hours are saved. Clients see the new times now.")
    return redirect("booking:hours")


@therapist_only
@require_POST
def add_time_off(request, therapist: Therapist):
    form = TimeOffForm(request.POST, auto_id="id_time_off_%s")
    if form.is_valid():
        try:
            time_off = availability.add_time_off(therapist=therapist, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Time off from {time_off.start_date:%Y-%m-%d} to {time_off.end_date:%Y-%m-%d} "
                "is saved. Sessions already booked on those days stay: cancel them if needed.",
            )
            return redirect("booking:hours")
    return _render_hours(request, therapist, time_off_form=form, status=400)


@therapist_only
@require_POST
def remove_time_off(request, therapist: Therapist, pk: int):
    try:
        availability.remove_time_off(therapist=therapist, time_off_id=pk)
    except TimeOff.DoesNotExist:
        raise Http404 from None
    messages.success(request, "The time off is removed.")
    return redirect("booking:hours")
