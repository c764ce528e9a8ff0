"""Course pages: the course picker, a course's page (cancel, move, its .ics), and the
therapist's requests (confirm, decline) and session marks.

Views parse input with a form, call one selector or service and render. The rules
(what is free, who may cancel, what overlaps) live in ``booking.courses.services``; the
domain errors it raises become messages beside the form they concern. Times are
rendered in the viewer's zone (``accounts.middleware``), always with its label.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts.templatetags.us_time import us_date, us_datetime, us_weekly
from audit.services import record_staff_view
from booking import calendar
from booking.courses import picker, selectors, services
from booking.courses.forms import (
    BookCourseForm,
    CancelForm,
    CourseQueryForm,
    DeclineForm,
    MarkSessionForm,
    MoveForm,
)
from booking.exceptions import (
    InvalidTransition,
    NotAcceptingClients,
    NotLicensedInState,
    SlotConflict,
)
from booking.models import Booking
from booking.pages import (
    add_service_errors,
    conflict_rows,
    dashboard,
    error_text,
    ics_response,
    therapist_only,
    when,
)
from booking.sessions import sessions_visible_to
from providers.models import Therapist
from providers.selectors import therapist_profile
from therapy_directory.transactions import Busy
from therapy_directory.validators import REASON_MAX


def _therapist_id(user) -> int | None:
    return getattr(user, "therapist_pk", None)


# --- The course picker ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def book(request, slug: str):
    """The course picker on a page of its own (the profile shows it too), and the request
    it sends: book the chosen course (clients only) or show the picker again with the
    reason, each conflicting week named."""
    therapist = get_object_or_404(therapist_profile(), slug=slug)
    action = reverse("booking:book", kwargs={"slug": therapist.slug})
    if request.method == "GET":
        return _render_book(request, therapist, source=request.GET, action=action)

    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(f"{action}?{urlencode(picker.carried(request.POST))}")
    today = timezone.now().astimezone(ZoneInfo(therapist.timezone)).date()
    query = CourseQueryForm(request.POST, today=today)
    form = BookCourseForm(request.POST, therapist=therapist)
    conflicts: list[dict] = []
    problem = ""
    status = 400
    if not user.is_client:
        problem, status = "Only client accounts can book a course.", 403
    elif query.is_valid() and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.book_course(
                client=user,
                therapist_id=therapist.pk,
                start=data["start"],
                weeks=query.cleaned_data["weeks"],
                modality=data["modality"],
                format=data["format"],
            )
        except Therapist.DoesNotExist:
            raise Http404 from None
        except SlotConflict as exc:
            conflicts, status = conflict_rows(exc), exc.http_status
        except (NotLicensedInState, NotAcceptingClients, Busy) as exc:
            problem, status = exc.detail, exc.http_status
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _booked_message(booking, data["start"]))
            return redirect("booking:booking_detail", pk=booking.pk)
    return _render_book(
        request,
        therapist,
        source=request.POST,
        action=action,
        form=form,
        conflicts=conflicts,
        problem=problem,
        status=status,
    )


def _render_book(request, therapist: Therapist, *, source, action: str, status=200, **sent):
    context = picker.course_picker(request, therapist, source=source, action=action, **sent)
    return render(
        request, "booking/book.html", {"therapist": therapist, "picker": context}, status=status
    )


def _booked_message(booking: Booking, start: dt.datetime) -> str:
    who = booking.therapist.display_name
    course = "1 session" if booking.weeks == 1 else f"{booking.weeks} weekly sessions"
    at = us_datetime(start) if booking.weeks == 1 else f"{us_weekly(start)}, from {us_date(start)}"
    if booking.status == Booking.Status.CONFIRMED:
        return f"Confirmed: {course} with {who}, {at}."
    hours = round((booking.hold_until - booking.created_at).total_seconds() / 3600)
    return f"Requested: {course}, waiting for {who} to confirm within {hours} h ({at})."


# --- A client's sessions and bookings -----------------------------------------------------


def _visible_booking(request, pk: int) -> Booking:
    return get_object_or_404(selectors.bookings_visible_to(request.user), pk=pk)


def _render_booking(
    request,
    booking: Booking,
    *,
    status: int = 200,
    failed_session: int | None = None,
    session_form: CancelForm | None = None,
    cancel_form: CancelForm | None = None,
    move_form: MoveForm | None = None,
    move_conflicts: list[dict] | None = None,
):
    user = request.user
    is_client = user.pk == booking.client_id
    is_therapist = _therapist_id(user) == booking.therapist_id
    sessions = list(booking.sessions.order_by("start", "id"))
    current = timezone.now()
    rows = []
    for session in sessions:
        can_cancel = (is_client or is_therapist) and session.is_active and session.start > current
        form = None
        if can_cancel:
            if session_form is not None and failed_session == session.pk:
                form = session_form
            else:
                form = CancelForm(
                    auto_id=f"id_session_{session.pk}_%s", reason_required=is_therapist
                )
        rows.append({"session": session, "form": form})
    remaining = sum(1 for row in rows if row["form"] is not None)
    # The weekly time as it stands now: a moved course shows its new time.
    upcoming = [s for s in sessions if s.is_active and s.start > current]
    first = upcoming[0] if upcoming else (sessions[0] if sessions else None)
    record_staff_view(request, target_type="booking", seen=[(booking.client_id, booking.pk)])
    return render(
        request,
        "booking/booking_detail.html",
        {
            "booking": booking,
            "rows": rows,
            "first": first,
            "remaining": remaining,
            "is_client": is_client,
            "is_therapist": is_therapist,
            "is_party": is_client or is_therapist,
            "therapist_zone": booking.therapist.timezone,
            "cancel_form": cancel_form
            or CancelForm(auto_id="id_cancel_%s", reason_required=is_therapist),
            "move_form": move_form or MoveForm(auto_id="id_move_%s"),
            "move_conflicts": move_conflicts or [],
            "decline_form": DeclineForm(auto_id=f"id_decline_{booking.pk}_%s"),
        },
        status=status,
    )


@login_required
def booking_detail(request, pk: int):
    return _render_booking(request, _visible_booking(request, pk))


@login_required
def booking_ics(request, pk: int):
    booking = _visible_booking(request, pk)
    record_staff_view(request, target_type="booking", seen=[(booking.client_id, booking.pk)])
    return ics_response(
        calendar.booking_calendar(booking, request.user), f"rapport-course-{booking.pk}.ics"
    )


@login_required
@require_POST
def cancel_session(request, pk: int):
    session = get_object_or_404(sessions_visible_to(request.user), pk=pk)
    booking = _visible_booking(request, session.booking_id)
    is_therapist = _therapist_id(request.user) == booking.therapist_id
    form = CancelForm(
        request.POST, auto_id=f"id_session_{session.pk}_%s", reason_required=is_therapist
    )
    if form.is_valid():
        try:
            session = services.cancel_session(
                session_id=session.pk, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (InvalidTransition, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return redirect("booking:booking_detail", pk=booking.pk)
        else:
            text = f"Cancelled the session on {when(session.start)}."
            if session.late_cancellation:
                text += (
                    f" It is a late cancellation: less than {booking.therapist.notice_hours} h "
                    "before it."
                )
            messages.success(request, text)
            return redirect("booking:booking_detail", pk=booking.pk)
    return _render_booking(
        request, booking, status=400, failed_session=session.pk, session_form=form
    )


@login_required
@require_POST
def move_booking(request, pk: int):
    booking = _visible_booking(request, pk)
    form = MoveForm(request.POST, auto_id="id_move_%s")
    conflicts: list[dict] = []
    status = 400
    if form.is_valid():
        start = form.cleaned_data["start"]  # made aware in the viewer's zone
        try:
            booking = services.move_booking(booking_id=booking.pk, by=request.user, start=start)
        except SlotConflict as exc:
            conflicts = conflict_rows(exc)
            status = exc.http_status
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (InvalidTransition, NotLicensedInState, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return redirect("booking:booking_detail", pk=booking.pk)
        else:
            messages.success(
                request,
                f"Moved the rest of the course to {us_weekly(timezone.localtime(start))}, "
                f"from {us_date(timezone.localtime(start))}.",
            )
            return redirect("booking:booking_detail", pk=booking.pk)
    return _render_booking(
        request, booking, status=status, move_form=form, move_conflicts=conflicts
    )


# --- The private calendar feed ------------------------------------------------------------


# --- The therapist's dashboard -------------------------------------------------------------


@therapist_only
def booking_requests(request, therapist: Therapist):
    # The therapist's own requests, even for one who may also read every client's records.
    pending = (
        selectors.bookings_visible_to(request.user)
        .filter(therapist=therapist, status=Booking.Status.PENDING)
        .annotate(first_start=Min("sessions__start"))
        .order_by("hold_until", "id")
    )
    rows = [
        {"booking": b, "decline_form": DeclineForm(auto_id=f"id_decline_{b.pk}_%s")}
        for b in pending
    ]
    return render(
        request,
        "booking/requests.html",
        dashboard(therapist, "requests", rows=rows, now=timezone.now()),
    )


def _after_decision(request, booking_id: int):
    if request.POST.get("return_to") == "booking":
        return redirect("booking:booking_detail", pk=booking_id)
    return redirect("booking:requests")


@therapist_only
@require_POST
def confirm_request(request, therapist: Therapist, pk: int):
    booking = _visible_booking(request, pk)
    try:
        booking = services.confirm_booking(booking_id=booking.pk, by=request.user)
    except (InvalidTransition, NotLicensedInState) as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            f"Confirmed {booking.client.name}’s course of {booking.weeks} weekly sessions. "
            "They are told by e-mail.",
        )
    return _after_decision(request, booking.pk)


@therapist_only
@require_POST
def decline_request(request, therapist: Therapist, pk: int):
    booking = _visible_booking(request, pk)
    form = DeclineForm(request.POST, auto_id=f"id_decline_{booking.pk}_%s")
    if not form.is_valid():
        messages.error(request, f"The reason is too long: keep it to {REASON_MAX:,} characters.")
        return _after_decision(request, booking.pk)
    try:
        booking = services.decline_booking(
            booking_id=booking.pk, by=request.user, reason=form.cleaned_data["reason"]
        )
    except InvalidTransition as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"Declined {booking.client.name}’s request. Its times are free again."
        )
    return _after_decision(request, booking.pk)


@therapist_only
@require_POST
def mark_session(request, therapist: Therapist, pk: int):
    session = get_object_or_404(sessions_visible_to(request.user), pk=pk)
    form = MarkSessionForm(request.POST)
    week = request.POST.get("week", "")
    if session.group_id is not None:
        messages.error(request, "A group meeting is marked per member: take its attendance.")
    elif form.is_valid():
        try:
            session = services.mark_session(
                session_id=session.pk, by=request.user, status=form.cleaned_data["status"]
            )
        except (InvalidTransition, ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request,
                f"Marked {session.client.name}’s session on {when(session.start)} as "
                f"{session.get_status_display().lower()}.",
            )
    else:
        messages.error(request, "Mark a session as completed or as a no-show.")
    url = reverse("booking:calendar")
    try:
        return redirect(f"{url}?{urlencode({'week': dt.date.fromisoformat(week).isoformat()})}")
    except ValueError:
        return redirect(url)
