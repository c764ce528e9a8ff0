"""Group pages: browse and join groups (clients), run them (therapists).

Thin, like the course pages: parse with a form, call one service from
``booking.groups.services``, render; domain errors become messages beside what they concern.
Rosters and attendance exist only for the group's therapist; anyone else gets a 404.
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

from accounts.templatetags.us_time import us_date, us_datetime, us_weekly
from booking import slots, video
from booking.courses import picker
from booking.exceptions import (
    GroupFull,
    IndividualCourseConflict,
    InvalidTransition,
    NotLicensedInState,
    SlotConflict,
)
from booking.groups import selectors, services
from booking.groups.forms import EnrolForm, GroupForm, ReasonForm
from booking.groups.pattern import weekly_pattern
from booking.models import (
    ACTIVE_SESSION_STATES,
    Attendance,
    Booking,
    Enrolment,
    Group,
    Session,
)
from booking.pages import (
    add_service_errors,
    conflict_rows,
    dashboard,
    error_text,
    therapist_only,
)
from providers.models import License, Therapist
from therapy_directory.pagination import filter_links
from therapy_directory.transactions import Busy

GROUPS_PER_PAGE = 20


def _weekly_label(group: Group, start: dt.datetime | None) -> str:
    """ "Mon, Wed, Thu · 6:00–9:00 PM ET · 8 weeks · from Jan 4" in the viewer's zone
    (from the next meeting)."""
    return weekly_pattern(group, start)


# --- Browse and join --------------------------------------------------------------------------


def group_list(request):
    params = request.GET.copy()
    user = request.user
    if "state" not in params and getattr(user, "is_client", False) and user.state:
        params["state"] = user.state  # licensure follows the client: start with theirs
    search, qs = selectors.listed_groups(user, params)
    page = None
    if search.is_valid():
        page = Paginator(qs, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        for group in page.object_list:
            group.seats_left = selectors.seats_left(group)
            group.weekly = _weekly_label(group, group.next_meeting)
    return render(
        request,
        "booking/groups/list.html",
        {
            "form": search.form,
            "fields": list(search.form),
            "page": page,
            # A blank state means "any state" (not the client's own): it stays in links.
            **filter_links(params, keep_blank={"state"}),
        },
    )


def _visible_group(request, pk: int) -> Group:
    visible = selectors.groups_visible_to(request.user).filter(pk=pk)
    group = selectors.with_seats(visible, request.user).first()
    if group is None:
        raise Http404
    return group


def group_detail(request, pk: int):
    return _render_detail(request, _visible_group(request, pk), source=request.GET)


def _individual_modalities(group: Group) -> list[tuple[str, str]]:
    return [(m.slug, m.name) for m in services.individual_modalities(group.therapist)]


def _enrol_form(group: Group, data=None) -> EnrolForm:
    choices = _individual_modalities(group)
    form = EnrolForm(data, modalities=choices)
    default = services.default_individual_modality(group, group.therapist)
    form.fields["modality"].initial = default.slug if default else None
    return form


def _program_span(group: Group) -> tuple[dt.datetime, dt.datetime] | None:
    """When the individual course's first session may be: from six days before the
    program's first meeting to its last (as ``services.enrol`` checks)."""
    if group.first_meeting is None:
        return None
    return group.first_meeting - dt.timedelta(days=6), group.last_meeting


def _render_detail(
    request,
    group: Group,
    *,
    source,
    form: EnrolForm | None = None,
    conflicts: list[dict] | None = None,
    status: int = 200,
):
    """The group's page; for a program with an individual course, the weekly times free
    for all its weeks and the form that joins (or takes the offered seat) and books it,
    with what went wrong beside it (``form``, ``conflicts``)."""
    user = request.user
    is_own = getattr(user, "therapist_pk", None) == group.therapist_id
    is_client = getattr(user, "is_client", False)
    blocker = ""
    if is_client and group.my_status is None:
        try:
            services.check_licensure(group, user)
        except NotLicensedInState as exc:
            blocker = exc.detail
    meetings = list(group.meetings.order_by("start"))
    current = timezone.now()
    access = video.VideoAccess(user, at=current)
    # A member's (or the therapist's) next meeting they may join now, if any.
    join = next(({"meeting": m, "url": url} for m in meetings if (url := access.link(m))), None)
    # A member's (or former member's) own attendance; nobody else's is ever on this page.
    mine = (
        selectors.attendance_sheet(group, at=current, client=user)
        if getattr(user, "is_client", False)
        else []
    )
    marked = [row for row in mine if row.present is not None]
    seats_left = selectors.seats_left(group)
    can_join = (
        is_client and not blocker and group.status == "active" and group.next_meeting is not None
    )
    # The individual course is chosen with a seat: joining one that is free, or taking
    # the one offered. On the waitlist it waits for the offer.
    takes_seat = (can_join and group.my_status is None and seats_left > 0) or (
        is_client and group.my_status == "offered"
    )
    span = _program_span(group)
    program = None
    if (
        group.individual != Group.Individual.NONE
        and takes_seat
        and span is not None
        and group.weeks <= slots.MAX_WEEKS
    ):
        program = picker.program_picker(
            request,
            group.therapist,
            weeks=group.weeks,
            span=span,
            source=source,
            page=group.get_absolute_url(),
            conflicts=conflicts,
        )
        program["form"] = form or _enrol_form(group)
        program["action"] = reverse(
            "booking:group_accept" if group.my_status == "offered" else "booking:group_enrol",
            args=[group.pk],
        )
        choices = program["form"].fields["modality"].choices
        program["only_modality"] = choices[0] if len(choices) == 1 else None
    return render(
        request,
        "booking/groups/detail.html",
        {
            "group": group,
            "meetings": meetings,
            "join": join,
            "my_attendance": mine,
            "attended": sum(1 for row in marked if row.present),
            "marked": len(marked),
            "unmarked": len(mine) - len(marked),
            "seats_left": seats_left,
            "weekly": _weekly_label(group, group.next_meeting or group.first_meeting),
            "is_own": is_own,
            "can_join": can_join,
            "blocker": blocker,
            "now": current,
            "program": program,
            "p": program,
            "therapist": group.therapist,
            "enrol_form": form,
            "enrol_conflicts": conflicts or [],
        },
        status=status,
    )


def _client_action(view):
    @login_required
    @require_POST
    def wrapped(request, pk: int):
        group = _visible_group(request, pk)
        try:
            text = view(request, group)
        except (
            GroupFull,
            NotLicensedInState,
            InvalidTransition,
            PermissionDenied,
            ValidationError,
        ) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, text)
        return redirect("booking:group_detail", pk=group.pk)

    wrapped.__name__ = view.__name__
    return wrapped


def _joined_message(group: Group, enrolment: Enrolment) -> str:
    if enrolment.status == Enrolment.Status.ENROLLED:
        text = f"You joined “{group.title}”. Its meetings are in your sessions."
        booking = getattr(enrolment, "individual_booking", None)
        if booking is not None:
            first = booking.sessions.order_by("start").first()
            state = "confirmed" if booking.status == "confirmed" else "requested"
            text += (
                f" Your weekly individual session is {state}: {booking.weeks} sessions, "
                f"{us_weekly(first.start)} from {us_date(first.start)}."
            )
        return text
    position = services.waitlist_position(enrolment)
    waiting = (
        f"“{group.title}” is full: you are number {position} on the waitlist. "
        "We e-mail you if a seat frees up."
    )
    if group.individual != Group.Individual.NONE:
        waiting += " You choose the time of your weekly individual session when it is offered."
    return waiting


@_client_action
def _enrol_only(request, group: Group) -> str:
    enrolment = services.enrol(
        client=request.user, group_id=group.pk, waitlist=request.POST.get("waitlist") != "0"
    )
    return _joined_message(group, enrolment)


@login_required
@require_POST
def enrol(request, pk: int):
    """Join a group. A program with an individual course (offered or required) books
    it too, from the weekly time chosen on the page; what goes wrong is said beside the
    form on the page itself."""
    group = _visible_group(request, pk)
    if group.individual == Group.Individual.NONE:
        return _enrol_only(request, pk)
    return _take_seat(request, group, accepting=False)


def _take_seat(request, group: Group, *, accepting: bool):
    form = _enrol_form(group, request.POST)
    conflicts: list[dict] = []
    status = 400
    if form.is_valid():
        individual = {
            "individual_start": form.cleaned_data["individual_start"],
            "modality": form.cleaned_data["modality"] or None,
        }
        try:
            if accepting:
                enrolment = services.accept_offer(
                    client=request.user, group_id=group.pk, **individual
                )
            else:
                enrolment = services.enrol(
                    client=request.user,
                    group_id=group.pk,
                    waitlist=request.POST.get("waitlist") != "0",
                    **individual,
                )
        except IndividualCourseConflict as exc:
            conflicts, status = conflict_rows(exc), exc.http_status
        except ValidationError as exc:
            add_service_errors(form, exc)
        except (GroupFull, NotLicensedInState, InvalidTransition, Busy) as exc:
            form.add_error(None, error_text(exc))
            status = exc.http_status
        except PermissionDenied as exc:
            form.add_error(None, error_text(exc))
            status = 403
        else:
            text = _joined_message(group, enrolment)
            if accepting:
                text = text.replace("You joined", "The seat is yours: you joined", 1)
            messages.success(request, text)
            return redirect("booking:group_detail", pk=group.pk)
    return _render_detail(
        request,
        _visible_group(request, group.pk),
        source=request.POST,
        form=form,
        conflicts=conflicts,
        status=status,
    )


@_client_action
def _leave(request, group: Group) -> str:
    enrolment = services.leave(client=request.user, group_id=group.pk)
    return f"You left “{group.title}”." if enrolment else ""


@login_required
@require_http_methods(["GET", "POST"])
def leave(request, pk: int):
    """What leaving gives up (GET, or a POST without ``confirm``: an old one-click form
    only shows it), then leaving the group or its waitlist."""
    if request.method == "POST" and "confirm" in request.POST:
        return _leave(request, pk)
    group = _visible_group(request, pk)
    upcoming = list(
        group.meetings.filter(status__in=ACTIVE_SESSION_STATES, start__gt=timezone.now())
        .order_by("start")
        .values_list("start", flat=True)
    )
    courses = []
    if group.individual != Group.Individual.NONE:
        # The program's individual course is a booking of its own: leaving keeps it.
        courses = list(
            Booking.objects.filter(
                client=request.user,
                therapist_id=group.therapist_id,
                status__in=[Booking.Status.PENDING, Booking.Status.CONFIRMED],
            ).order_by("created_at")
        )
    return render(
        request,
        "booking/groups/confirm_leave.html",
        {"group": group, "upcoming": upcoming, "courses": courses},
    )


@_client_action
def _accept_only(request, group: Group) -> str:
    services.accept_offer(client=request.user, group_id=group.pk)
    return f"The seat is yours: you joined “{group.title}”."


@login_required
@require_POST
def accept_offer(request, pk: int):
    """Take the seat offered; a program's individual course is booked with it, as
    ``enrol`` books it."""
    group = _visible_group(request, pk)
    if group.individual == Group.Individual.NONE:
        return _accept_only(request, pk)
    return _take_seat(request, group, accepting=True)


@_client_action
def decline_offer(request, group: Group) -> str:
    services.decline_offer(client=request.user, group_id=group.pk)
    return "You turned down the seat; it goes to the next person in line."


# --- The therapist runs groups ----------------------------------------------------------------


def _licensed_states(therapist: Therapist) -> list[str]:
    licenses = License.objects.valid().filter(therapist=therapist)
    return sorted(set(licenses.values_list("state", flat=True)))


def _own_group(therapist: Therapist, pk: int) -> Group:
    return get_object_or_404(
        selectors.with_seats(Group.objects.filter(therapist=therapist, pk=pk)), pk=pk
    )


@therapist_only
def dashboard_groups(request, therapist: Therapist):
    own = selectors.with_seats(Group.objects.filter(therapist=therapist)).order_by(
        "-start_date", "-id"
    )
    rows = list(own)
    for group in rows:
        group.seats_left = selectors.seats_left(group)
        group.weekly = _weekly_label(group, group.next_meeting or group.first_meeting)
    return render(
        request,
        "booking/groups/dashboard_list.html",
        dashboard(therapist, "groups", groups=rows),
    )


def _render_form(request, therapist, form, *, group=None, warnings=(), confirm="", status=200):
    """The group form; ``warnings``: meetings in time off or over booked sessions, with
    ``confirm`` the key of the "create anyway" button when they may be kept."""
    warnings = list(warnings)
    rows: dict = {}  # one line per meeting, whatever it meets
    for w in warnings:
        row = rows.setdefault(w.start, {"start": w.start, "refused": False, "time_off": None})
        row["refused"] |= w.refused
        row["time_off"] = row["time_off"] or w.time_off
    return render(
        request,
        "booking/groups/form.html",
        dashboard(
            therapist,
            "groups",
            form=form,
            fields=form.visible_group_fields(),
            group=group,
            warnings=list(rows.values()),
            refused=[w for w in warnings if w.refused],
            in_time_off=[w for w in warnings if w.reason == "time_off"],
            confirm=confirm,
            licensed_states=_licensed_states(therapist),
        ),
        status=status,
    )


def _warn(request, therapist, form, *, group, warnings) -> object | None:
    """Before saving: meetings over booked sessions refuse the save (409, as the service
    would); meetings in time off are shown until the therapist confirms exactly those.
    None when the save may go ahead."""
    refused = [w for w in warnings if w.refused]
    if refused:
        form.add_error(
            None,
            f"Nothing is saved: {len(refused)} meeting{'s' if len(refused) != 1 else ''} "
            "would overlap sessions already in your calendar (listed above). "
            "Choose another weekly time or first week.",
        )
        return _render_form(request, therapist, form, group=group, warnings=warnings, status=409)
    key = services.warnings_key(warnings)
    if key and form.cleaned_data.get("confirm_time_off") != key:
        count = len(warnings)
        form.add_error(
            None,
            f"Nothing is saved yet: {count} meeting{'s' if count != 1 else ''} "
            f"{'fall' if count != 1 else 'falls'} in your time off (listed above). "
            f"{'Create the group' if group is None else 'Save'} anyway, or change the schedule.",
        )
        return _render_form(request, therapist, form, group=group, warnings=warnings, confirm=key)
    return None


def _save_group(request, therapist, form, *, group=None):
    fields = form.group_fields()
    warnings = services.check_schedule(
        therapist=therapist, group_id=group.pk if group else None, **fields
    )
    warned = _warn(request, therapist, form, group=group, warnings=warnings)
    if warned is not None:
        return warned
    keep = bool(warnings)  # only time off is left, and the therapist confirmed it
    try:
        if group is None:
            saved = services.create_group(therapist=therapist, keep_in_time_off=keep, **fields)
        else:
            saved = services.update_group(
                group_id=group.pk, by=request.user, keep_in_time_off=keep, **fields
            )
    except SlotConflict as exc:  # booked since the check: refused all the same
        taken = [services.MeetingWarning(start, start, "taken") for start, _ in exc.weeks]
        refused = _warn(request, therapist, form, group=group, warnings=taken)
        return refused or _render_form(request, therapist, form, group=group, status=409)
    except ValidationError as exc:
        add_service_errors(form, exc)
    except (InvalidTransition, PermissionDenied) as exc:
        form.add_error(None, error_text(exc))
    else:
        messages.success(
            request,
            f"“{saved.title}” is saved; its {saved.weeks} meetings are in your calendar."
            if group is None
            else f"“{saved.title}” is updated. Members are told of any new time.",
        )
        return redirect("booking:dashboard_group", pk=saved.pk)
    return _render_form(request, therapist, form, group=group, status=400)


@therapist_only
@require_http_methods(["GET", "POST"])
def create_group(request, therapist: Therapist):
    kwargs = {"therapist": therapist, "licensed_states": _licensed_states(therapist)}
    if request.method == "GET":
        today = timezone.now().astimezone(ZoneInfo(therapist.timezone)).date()
        initial = {
            "start_date": today + dt.timedelta(days=7),
            "modality": "group",
            "start_time": dt.time(18),
            "fee": therapist.fee,
            "states": kwargs["licensed_states"][:1],
        }
        return _render_form(request, therapist, GroupForm(initial=initial, **kwargs))
    form = GroupForm(request.POST, **kwargs)
    if not form.is_valid():
        return _render_form(request, therapist, form, status=400)
    return _save_group(request, therapist, form)


@therapist_only
@require_http_methods(["GET", "POST"])
def edit_group(request, therapist: Therapist, pk: int):
    group = _own_group(therapist, pk)
    kwargs = {"therapist": therapist, "licensed_states": _licensed_states(therapist)}
    if request.method == "GET":
        initial = {f: getattr(group, f) for f in services.EDITABLE_FIELDS}
        initial["modality"] = group.modality.slug
        return _render_form(request, therapist, GroupForm(initial=initial, **kwargs), group=group)
    form = GroupForm(request.POST, **kwargs)
    if not form.is_valid():
        return _render_form(request, therapist, form, group=group, status=400)
    return _save_group(request, therapist, form, group=group)


@therapist_only
def dashboard_group(request, therapist: Therapist, pk: int):
    group = _own_group(therapist, pk)
    current = timezone.now()
    meetings = list(group.meetings.order_by("week"))
    marked = set(
        Attendance.objects.filter(session__group=group).values_list("session_id", flat=True)
    )
    rows = [
        {
            "meeting": m,
            "can_cancel": m.is_active and m.start > current,
            "can_mark": m.start <= current and m.status in ("confirmed", "completed"),
            "marked": m.pk in marked,
            "form": ReasonForm(auto_id=f"id_meeting_{m.pk}_%s"),
        }
        for m in meetings
    ]
    roster = list(selectors.roster(group))
    positions = {}
    waiting = [e for e in roster if e.status == "waitlisted"]
    for n, e in enumerate(waiting, start=1):
        positions[e.pk] = n
    for e in roster:
        e.position = positions.get(e.pk)
    return render(
        request,
        "booking/groups/dashboard_detail.html",
        dashboard(
            therapist,
            "groups",
            group=group,
            weekly=_weekly_label(group, group.next_meeting or group.first_meeting),
            seats_left=selectors.seats_left(group),
            rows=rows,
            roster=roster,
            cancel_form=ReasonForm(auto_id="id_cancel_group_%s"),
        ),
    )


def _meeting_of(therapist: Therapist, group_pk: int, session_pk: int) -> tuple[Group, Session]:
    group = get_object_or_404(Group, therapist=therapist, pk=group_pk)
    return group, get_object_or_404(Session, group=group, pk=session_pk)


@therapist_only
@require_POST
def cancel_meeting(request, therapist: Therapist, pk: int, session_pk: int):
    group, meeting = _meeting_of(therapist, pk, session_pk)
    form = ReasonForm(request.POST, auto_id=f"id_meeting_{meeting.pk}_%s")
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
    else:
        try:
            services.cancel_meeting(
                by=request.user, session_id=meeting.pk, reason=form.cleaned_data["reason"]
            )
        except (InvalidTransition, ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, f"Cancelled the meeting on {us_datetime(meeting.start)}. Members are told."
            )
    return redirect("booking:dashboard_group", pk=group.pk)


@therapist_only
@require_POST
def cancel_group(request, therapist: Therapist, pk: int):
    group = get_object_or_404(Group, therapist=therapist, pk=pk)
    form = ReasonForm(request.POST, auto_id="id_cancel_group_%s")
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
    else:
        try:
            services.cancel_group(by=request.user, group_id=group.pk, **form.cleaned_data)
        except (InvalidTransition, ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, f"Cancelled “{group.title}”. Members are told.")
    return redirect("booking:dashboard_group", pk=group.pk)


@therapist_only
@require_POST
def remove_member(request, therapist: Therapist, pk: int, enrolment_pk: int):
    group = get_object_or_404(Group, therapist=therapist, pk=pk)
    enrolment = get_object_or_404(Enrolment, group=group, pk=enrolment_pk)
    try:
        services.remove_member(by=request.user, enrolment_id=enrolment.pk)
    except (InvalidTransition, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"Removed {enrolment.client.name} from the group.")
    return redirect("booking:dashboard_group", pk=group.pk)


@therapist_only
@require_http_methods(["GET", "POST"])
def attendance(request, therapist: Therapist, pk: int, session_pk: int):
    group, meeting = _meeting_of(therapist, pk, session_pk)
    sheet = selectors.meeting_marks(meeting)
    members = [mark.client for mark in sheet.marks]
    if request.method == "POST":
        present = {m.pk: request.POST.get(f"present_{m.pk}") == "1" for m in members}
        try:
            services.mark_attendance(by=request.user, session_id=meeting.pk, present=present)
        except (InvalidTransition, ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
        else:
            count = sum(present.values())
            messages.success(
                request,
                f"Attendance saved for {us_datetime(meeting.start)}: "
                f"{count} of {len(present)} present.",
            )
            return redirect("booking:dashboard_group", pk=group.pk)
    rows = [{"client": mark.client, "present": mark.present} for mark in sheet.marks]
    return render(
        request,
        "booking/groups/attendance.html",
        dashboard(
            therapist,
            "groups",
            group=group,
            meeting=meeting,
            rows=rows,
            can_mark=meeting.start <= timezone.now()
            and meeting.status in selectors.HELD_MEETING_STATES,
        ),
    )
