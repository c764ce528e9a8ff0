"""Booking pages that span courses and group meetings: a person's sessions and private
calendar feed, the therapist's week calendar, weekly hours and time off (and the sessions
booked in it: keep, cancel or defer each), and the confirmation pages before cancelling
the rest of a course or removing time off.

Views parse input with a form, call one selector or service and render; every write is
a POST (a GET writes nothing). Times are rendered in the viewer's zone
(``accounts.middleware``), always with its label.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.templatetags.us_time import us_date, us_datetime
from audit.services import record_staff_view
from booking import availability, calendar, therapist_week, video
from booking.courses import selectors as course_selectors
from booking.courses import services as courses
from booking.courses.forms import CancelForm
from booking.exceptions import REASONS, InvalidTransition, NotLicensedInState, SlotConflict
from booking.forms import TimeOffForm, WeeklyHoursFormSet
from booking.groups import services as groups
from booking.models import AvailabilityRule, Session, TimeOff
from booking.pages import (
    add_service_errors,
    dashboard,
    error_text,
    ics_response,
    therapist_only,
)
from booking.sessions import own_sessions, with_own_attendance
from providers.models import Therapist
from therapy_directory.transactions import Busy

# The field a confirmation page posts: a POST without it (an old form, a script) only
# shows what would happen.
CONFIRM = "confirm"

PAST_SESSIONS_PER_PAGE = 25


# --- A person's sessions -------------------------------------------------------------------


@login_required
def my_sessions(request):
    """Upcoming sessions that still hold a time, past ones, and the cancelled (declined,
    expired) ones apart: they are neither upcoming nor counted."""
    sessions = own_sessions(request.user)
    held = with_own_attendance(sessions.exclude(status__in=Session.ENDED_UNHELD), request.user)
    past = Paginator(held.past(), PAST_SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    # The join button: upcoming sessions, and one under way (it is "past" once started).
    access = video.VideoAccess(request.user)
    upcoming = access.attach(sessions.active().upcoming())
    past.object_list = access.attach(past.object_list)
    cancelled = list(
        sessions.filter(status__in=Session.ENDED_UNHELD).order_by("-start", "-id")[
            :PAST_SESSIONS_PER_PAGE
        ]
    )
    return render(
        request,
        "booking/my_sessions.html",
        {"upcoming": upcoming, "past": past, "cancelled": cancelled},
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


@therapist_only
def week_calendar(request, therapist: Therapist):
    """Monday to Sunday in the therapist's zone: hours shaded, sessions, group meetings and
    time off; ``?week=`` any day of the week to show (this week without one)."""
    current = timezone.now()
    today = current.astimezone(ZoneInfo(therapist.timezone)).date()
    monday, refused = therapist_week.week_asked(request.GET.get("week"), today=today)
    week = therapist_week.week_of(
        therapist, sessions=own_sessions(request.user), monday=monday, at=current
    )
    return render(
        request,
        "booking/week_calendar.html",
        dashboard(
            therapist,
            "calendar",
            week=week,
            previous_week=monday - dt.timedelta(days=7),
            next_week=monday + dt.timedelta(days=7),
            this_week=therapist_week.monday_of(today),
            week_error="Choose a date within ten years of today." if refused else "",
        ),
    )


def _hours_table(therapist: Therapist) -> list[dict]:
    rules = list(availability.weekly_hours(therapist))
    return [
        {"name": name, "ranges": [r for r in rules if r.weekday == weekday]}
        for weekday, name in AvailabilityRule.WEEKDAYS
    ]


def _decisions(
    therapist: Therapist, *, failed: int | None, cancel_form: CancelForm | None, problem: str
) -> list[dict]:
    """The sessions booked in the therapist's time off, each with what deferring it would
    do and its cancel form (the one that failed, with its errors)."""
    sessions = availability.sessions_to_decide(therapist, at=timezone.now())
    previews = availability.deferral_previews(therapist, sessions)
    rows = []
    for session in sessions:
        plan = previews.get(session.pk)
        form = (
            cancel_form
            if failed == session.pk and cancel_form is not None
            else CancelForm(auto_id=f"id_off_{session.pk}_%s", reason_required=True)
        )
        if session.group_id is not None:
            form.fields["reason"].label = "Reason (the members read it)"
        rows.append(
            {
                "session": session,
                "defer_to": plan.sessions[0] if plan and plan.sessions else None,
                "defer_skips": plan.skipped if plan else (),
                "defer_problem": [
                    {"start": start, "reason": REASONS.get(reason, reason)}
                    for start, reason in (plan.conflicts if plan else ())
                ],
                "cancel_form": form,
                "problem": problem if failed == session.pk else "",
            }
        )
    return rows


def _render_hours(
    request,
    therapist: Therapist,
    *,
    formset=None,
    time_off_form=None,
    hours_errors: list[str] | None = None,
    failed_session: int | None = None,
    cancel_form: CancelForm | None = None,
    problem: str = "",
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
            decisions=_decisions(
                therapist, failed=failed_session, cancel_form=cancel_form, problem=problem
            ),
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
            booked = availability.sessions_booked_in(
                therapist,
                start_date=time_off.start_date,
                end_date=time_off.end_date,
                after=timezone.now(),
            ).count()
            text = f"Time off {_days(time_off)} is saved."
            if booked:
                text += (
                    f" {booked} session{'s are' if booked > 1 else ' is'} already booked on "
                    "those days: for each, choose below to keep it, cancel it or defer it."
                )
            messages.success(request, text)
            return redirect(reverse("booking:hours") + ("#decide" if booked else "#time-off"))
    return _render_hours(request, therapist, time_off_form=form, status=400)


def _days(time_off: TimeOff) -> str:
    """'on Dec 28, 2026' or 'from Dec 28, 2026 to Jan 3, 2027'."""
    if time_off.start_date == time_off.end_date:
        return f"on {us_date(time_off.start_date)}"
    return f"from {us_date(time_off.start_date)} to {us_date(time_off.end_date)}"


@therapist_only
@require_http_methods(["GET", "POST"])
def remove_time_off(request, therapist: Therapist, pk: int):
    """A confirmation page (GET, or a POST without ``confirm``), then the removal."""
    time_off = get_object_or_404(TimeOff, therapist=therapist, pk=pk)
    if request.method == "POST" and CONFIRM in request.POST:
        try:
            availability.remove_time_off(therapist=therapist, time_off_id=time_off.pk)
        except TimeOff.DoesNotExist:
            raise Http404 from None
        messages.success(request, f"The time off {_days(time_off)} is removed.")
        return redirect(reverse("booking:hours") + "#time-off")
    return render(
        request,
        "booking/confirm_remove_time_off.html",
        dashboard(therapist, "hours", time_off=time_off, days=_days(time_off)),
    )


# --- Sessions booked in time off: keep, cancel or defer each (PRODUCT.md rule 4) ------------


def _session_in_time_off(therapist: Therapist, pk: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related("client", "group", "booking"), therapist=therapist, pk=pk
    )


def _who(session: Session) -> str:
    if session.group_id is not None:
        return f"the “{session.group.title}” meeting"
    return f"{session.client.name}’s session"


def _back_to_decisions():
    return redirect(reverse("booking:hours") + "#decide")


@therapist_only
@require_POST
def keep_in_time_off(request, therapist: Therapist, pk: int):
    session = _session_in_time_off(therapist, pk)
    try:
        availability.keep_session(therapist=therapist, session_id=session.pk)
    except InvalidTransition as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"Kept {_who(session)} on {us_datetime(session.start)}: it stays booked."
        )
    return _back_to_decisions()


@therapist_only
@require_POST
def cancel_in_time_off(request, therapist: Therapist, pk: int):
    """Cancel with a reason, through the course's or the group's own service (which
    tells the client, or every member)."""
    session = _session_in_time_off(therapist, pk)
    form = CancelForm(request.POST, auto_id=f"id_off_{session.pk}_%s", reason_required=True)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if session.group_id is not None:
                groups.cancel_meeting(by=request.user, session_id=session.pk, reason=reason)
            else:
                courses.cancel_session(session_id=session.pk, by=request.user, reason=reason)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (InvalidTransition, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return _back_to_decisions()
        else:
            told = "The members are" if session.group_id is not None else "Your client is"
            messages.success(
                request,
                f"Cancelled {_who(session)} on {us_datetime(session.start)}. "
                f"{told} told by e-mail, with your reason.",
            )
            return _back_to_decisions()
    return _render_hours(
        request, therapist, failed_session=session.pk, cancel_form=form, status=400
    )


@therapist_only
@require_POST
def defer_in_time_off(request, therapist: Therapist, pk: int):
    session = _session_in_time_off(therapist, pk)
    was = session.start
    try:
        booking = courses.defer_session(session_id=session.pk, by=request.user)
    except SlotConflict as exc:
        problem = "; ".join(
            f"{us_datetime(start)} is {REASONS.get(reason, reason)}" for start, reason in exc.weeks
        )
        return _render_hours(
            request,
            therapist,
            failed_session=session.pk,
            problem=f"Not deferred: {problem}. Keep it or cancel it instead.",
            status=exc.http_status,
        )
    except (InvalidTransition, NotLicensedInState, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return _back_to_decisions()
    moved = booking.sessions.get(pk=session.pk)
    messages.success(
        request,
        f"Deferred {_who(session)} from {us_datetime(was)} to {us_datetime(moved.start)}, "
        "a week after the course’s last session. Your client is told by e-mail.",
    )
    return _back_to_decisions()


# --- Cancelling the rest of a course: a confirmation first --------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def cancel_course(request, pk: int):
    """What cancelling the rest of the course would do (GET, or a POST without
    ``confirm``), then the cancellation (``courses.services.cancel_booking``)."""
    booking = get_object_or_404(course_selectors.bookings_visible_to(request.user), pk=pk)
    is_therapist = getattr(request.user, "therapist_pk", None) == booking.therapist_id
    status = 200
    if request.method == "POST" and CONFIRM in request.POST:
        form = CancelForm(request.POST, auto_id="id_cancel_%s", reason_required=is_therapist)
        if form.is_valid():
            try:
                courses.cancel_booking(
                    booking_id=booking.pk, by=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except (InvalidTransition, PermissionDenied) as exc:
                messages.error(request, error_text(exc))
                return redirect("booking:booking_detail", pk=booking.pk)
            else:
                messages.success(request, "Cancelled the rest of the course. Both of you are told.")
                return redirect("booking:booking_detail", pk=booking.pk)
        status = 400
    else:
        # A GET, or a one-click POST from an old form: only what would happen (with the
        # reason typed there, if any).
        form = CancelForm(
            initial={"reason": request.POST.get("reason", "")},
            auto_id="id_cancel_%s",
            reason_required=is_therapist,
        )
    remaining = list(
        booking.sessions.active().filter(start__gt=timezone.now()).order_by("start", "id")
    )
    record_staff_view(request, target_type="booking", seen=[(booking.client_id, booking.pk)])
    return render(
        request,
        "booking/confirm_cancel_course.html",
        {
            "booking": booking,
            "remaining": remaining,
            "form": form,
            "is_therapist": is_therapist,
            "is_client": request.user.pk == booking.client_id,
            "late": [
                s
                for s in remaining
                if s.start - timezone.now() < dt.timedelta(hours=booking.therapist.notice_hours)
            ],
        },
        status=status,
    )
