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
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.templatetags.us_time import us_weekly
from booking.exceptions import GroupFull, InvalidTransition, NotLicensedInState, SlotConflict
from booking.groups import selectors, services
from booking.groups.forms import GroupForm, ReasonForm
from booking.models import ACTIVE_SESSION_STATES, Attendance, Enrolment, Group, Session
from booking.pages import (
    add_service_errors,
    conflict_rows,
    dashboard,
    error_text,
    therapist_only,
    when,
)
from providers.models import License, Therapist
from therapy_directory.pagination import filter_links

GROUPS_PER_PAGE = 20


def _weekly_label(group: Group, start: dt.datetime | None) -> str:
    """'Wednesdays at 6:00 PM ET' in the viewer's zone (from the next meeting)."""
    if start is None:
        return ""
    return us_weekly(timezone.localtime(start))


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
    group = _visible_group(request, pk)
    user = request.user
    is_own = getattr(user, "therapist_pk", None) == group.therapist_id
    blocker = ""
    if getattr(user, "is_client", False) and group.my_status is None:
        try:
            services.check_licensure(group, user)
        except NotLicensedInState as exc:
            blocker = exc.detail
    meetings = list(group.meetings.order_by("start"))
    return render(
        request,
        "booking/groups/detail.html",
        {
            "group": group,
            "meetings": meetings,
            "seats_left": selectors.seats_left(group),
            "weekly": _weekly_label(group, group.next_meeting or group.first_meeting),
            "is_own": is_own,
            "can_join": getattr(user, "is_client", False)
            and not blocker
            and group.status == "active"
            and group.next_meeting is not None,
            "blocker": blocker,
            "now": timezone.now(),
        },
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


@_client_action
def enrol(request, group: Group) -> str:
    enrolment = services.enrol(
        client=request.user, group_id=group.pk, waitlist=request.POST.get("waitlist") != "0"
    )
    if enrolment.status == Enrolment.Status.ENROLLED:
        return f"You joined “{group.title}”. Its meetings are in your sessions."
    position = services.waitlist_position(enrolment)
    return (
        f"“{group.title}” is full: you are number {position} on the waitlist. "
        "We e-mail you if a seat frees up."
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
    return render(
        request, "booking/groups/confirm_leave.html", {"group": group, "upcoming": upcoming}
    )


@_client_action
def accept_offer(request, group: Group) -> str:
    services.accept_offer(client=request.user, group_id=group.pk)
    return f"The seat is yours: you joined “{group.title}”."


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
    return render(
        request,
        "booking/groups/dashboard_list.html",
        dashboard(therapist, "groups", groups=rows),
    )


def _render_form(request, therapist, form, *, group=None, conflicts=None, status=200):
    return render(
        request,
        "booking/groups/form.html",
        dashboard(
            therapist,
            "groups",
            form=form,
            group=group,
            conflicts=conflicts or [],
            licensed_states=_licensed_states(therapist),
        ),
        status=status,
    )


def _save_group(request, therapist, form, *, group=None):
    try:
        if group is None:
            saved = services.create_group(therapist=therapist, **form.group_fields())
        else:
            saved = services.update_group(group_id=group.pk, by=request.user, **form.group_fields())
    except SlotConflict as exc:
        return _render_form(
            request,
            therapist,
            form,
            group=group,
            conflicts=conflict_rows(exc),
            status=exc.http_status,
        )
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
                request, f"Cancelled the meeting on {when(meeting.start)}. Members are told."
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
    marked = dict(Attendance.objects.filter(session=meeting).values_list("client_id", "present"))
    members = [
        e.client for e in group.enrolments.filter(status="enrolled").select_related("client")
    ]
    known = {m.pk for m in members}
    members += [
        a.client
        for a in Attendance.objects.filter(session=meeting)
        .exclude(client_id__in=known)
        .select_related("client")
    ]
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
                f"Attendance saved for {when(meeting.start)}: {count} of {len(present)} present.",
            )
            return redirect("booking:dashboard_group", pk=group.pk)
    rows = [{"client": m, "present": marked.get(m.pk)} for m in members]
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
            and meeting.status in ("confirmed", "completed"),
        ),
    )
