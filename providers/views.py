"""The directory's pages: search, profile, the therapist's dashboard and the staff
license queue. Views parse input, call one selector or service, and render."""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import staff_required
from accounts.places import STATE_NAMES
from booking.courses import picker
from booking.groups import selectors as group_selectors
from providers import licensing, photos, profiles, search_cache
from providers.forms import (
    LicenseQueueFilterForm,
    LicenseSubmitForm,
    PhotoForm,
    RejectLicenseForm,
    TherapistProfileForm,
    VerifyLicenseForm,
    prepare_search_form,
)
from providers.models import License, LicenseDecision, Therapist
from providers.selectors import (
    board_lookups_for,
    pending_counts_by_state,
    pending_licenses,
    search_therapists,
    therapist_profile,
)
from therapy_directory import clock
from therapy_directory.pagination import filter_links
from therapy_directory.validators import REASON_MAX

SEARCH_PAGE_SIZE = 20
QUEUE_PAGE_SIZE = 20
DEFAULT_VIEWER_TIMEZONE = "America/New_York"


def _viewer_timezone(request) -> str:
    """The zone times are shown in: the signed-in person's, else New York's."""
    name = getattr(request.user, "timezone", "") or DEFAULT_VIEWER_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return DEFAULT_VIEWER_TIMEZONE
    return name


# --- Public pages -------------------------------------------------------------------


def search(request):
    """The directory search. Its filters and results are the same for every viewer in one
    zone: they come from the search cache when an identical search was answered since the
    directory last changed. Invalid filters are never cached."""
    viewer_tz = _viewer_timezone(request)
    key, cached = search_cache.lookup(
        "page", [("tz", viewer_tz), *search_cache.query_parts(request.GET)]
    )
    if cached is None:
        content, state_name, valid = _search_results(request.GET, viewer_tz)
        if valid:
            search_cache.store(key, (content, state_name))
    else:
        content, state_name = cached  # a SafeString stays one through the cache
    return render(request, "providers/search.html", {"content": content, "state_name": state_name})


def _search_results(params, viewer_tz: str) -> tuple[str, str, bool]:
    """The filter panel and results, rendered without the request (so nothing of the
    visitor's gets in), the state's name, and whether the filters were valid."""
    filterset = search_therapists(params)
    fields = prepare_search_form(filterset)
    form = filterset.form
    page = None
    state_name = ""
    if form.is_valid():
        paginator = Paginator(filterset.qs, SEARCH_PAGE_SIZE)
        page = paginator.get_page(params.get("page"))
        state_name = STATE_NAMES.get(form.cleaned_data.get("state") or "", "")
    content = render_to_string(
        "providers/_search_content.html",
        {
            "filterset": filterset,
            "form": form,
            "fields": fields,
            "page": page,
            "page_range": (
                page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
                if page
                else []
            ),
            "state_name": state_name,
            **filter_links(params),  # pagination keeps every filter
            # A card's links carry the search: the profile preselects its therapy and
            # state, and its "Back to the search" keeps every filter.
            "profile_suffix": _query_suffix(picker.carried(params)),
            "viewer_tz": viewer_tz,
        },
    )
    return content, state_name, page is not None


def _query_suffix(params: list[tuple[str, str]]) -> str:
    return f"?{urlencode(params)}" if params else ""


def profile(request, slug):
    therapist = therapist_profile().filter(slug=slug).first()
    preview = False
    if therapist is None:
        # Unfindable (no verified license yet): only its therapist and staff may look.
        user = request.user
        if not user.is_authenticated:
            raise Http404
        candidates = Therapist.objects.filter(slug=slug)
        if not (user.is_active and user.is_staff):
            candidates = candidates.filter(user=user)
        therapist = get_object_or_404(therapist_profile(candidates))
        preview = True
    # The search the visitor came from (its filters, carried in the link).
    params = picker.carried(request.GET)
    warning = None if preview else picker.license_warning(therapist, request.user, params)
    return render(
        request,
        "providers/profile.html",
        {
            "therapist": therapist,
            "preview": preview,
            "search_url": picker.search_url(params),
            "warning": warning,
            "picker": None
            if preview
            else picker.course_picker(
                request,
                therapist,
                source=request.GET,
                action=therapist.get_absolute_url(),
                warned=warning is not None,
            ),
            "is_own": request.user.is_authenticated and therapist.user_id == request.user.pk,
            "viewer_tz": _viewer_timezone(request),
            "in_person": "in_person" in therapist.formats,
            "groups": group_selectors.run_by(therapist),
        },
    )


# --- Therapist dashboard ------------------------------------------------------------


def _own_therapist(request) -> Therapist:
    """The signed-in therapist's profile; everyone else gets a 404."""
    if not getattr(request.user, "is_therapist", False):
        raise Http404
    return get_object_or_404(Therapist, user=request.user)


def _has_valid_license(therapist: Therapist) -> bool:
    return therapist.licenses.valid().exists()


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_profile(request):
    therapist = _own_therapist(request)
    form = TherapistProfileForm(
        request.POST if request.method == "POST" else None, instance=therapist
    )
    if request.method == "POST" and form.is_valid():
        try:
            profiles.update_profile(therapist=therapist, by=request.user, **form.profile_changes())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Your profile is saved.")
            return redirect("providers:dashboard_profile")
    return render(
        request,
        "providers/dashboard_profile.html",
        {
            "therapist": therapist,
            "form": form,
            "has_valid_license": _has_valid_license(therapist),
            "section": "profile",
            "photo_form": PhotoForm(),
        },
    )


# The profile photo: its own form on the profile page (multipart), and a removal that
# asks first. providers.photos reads the file and writes.


@login_required
@require_POST
def dashboard_photo(request):
    therapist = _own_therapist(request)
    photo_form = PhotoForm(request.POST, request.FILES)
    if photo_form.is_valid():
        photos.set_photo(
            therapist=therapist, by=request.user, content=photo_form.cleaned_data["photo"]
        )
        messages.success(request, "Your photo is saved. Clients see it on your profile and card.")
        return redirect(reverse("providers:dashboard_profile") + "#photo")
    return render(
        request,
        "providers/dashboard_profile.html",
        {
            "therapist": therapist,
            "form": TherapistProfileForm(instance=therapist),
            "has_valid_license": _has_valid_license(therapist),
            "section": "profile",
            "photo_form": photo_form,
        },
        status=400,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_photo_remove(request):
    """A confirmation page (GET, or a POST without ``confirm``), then the removal."""
    therapist = _own_therapist(request)
    if not therapist.photo:
        messages.info(request, "You have no photo to remove.")
        return redirect(reverse("providers:dashboard_profile") + "#photo")
    if request.method == "POST" and "confirm" in request.POST:
        photos.remove_photo(therapist=therapist, by=request.user)
        messages.success(request, "Your photo is removed. Clients see your initials instead.")
        return redirect(reverse("providers:dashboard_profile") + "#photo")
    return render(request, "providers/confirm_remove_photo.html", {"therapist": therapist})


def _license_rows(therapist: Therapist) -> list[dict]:
    today = clock.today()
    licenses = therapist.licenses.prefetch_related(
        Prefetch("decisions", queryset=LicenseDecision.objects.order_by("-decided_at", "-id"))
    ).order_by("-submitted_at", "-id")
    rows = []
    for lic in licenses:
        latest = next(iter(lic.decisions.all()), None)
        if lic.status == License.Status.VERIFIED and lic.expires_on >= today:
            status = "verified"
        elif lic.status in (License.Status.VERIFIED, License.Status.EXPIRED):
            status = "expired"
        else:
            status = lic.status
        rows.append(
            {
                "license": lic,
                "status": status,
                "reason": latest.reason if latest and status == "rejected" else "",
            }
        )
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def dashboard_licenses(request):
    therapist = _own_therapist(request)
    form = LicenseSubmitForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            license = licensing.submit_license(
                therapist=therapist,
                state=data["state"],
                license_type=data["license_type"],
                number=data["number"],
                expires_on=data["expires_on"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"Your {license.license_type} license in {license.state_name} is submitted. "
                "Staff will check it against the state board; we will e-mail you the outcome.",
            )
            return redirect("providers:dashboard_licenses")
    return render(
        request,
        "providers/dashboard_licenses.html",
        {
            "therapist": therapist,
            "form": form,
            "rows": _license_rows(therapist),
            "has_valid_license": _has_valid_license(therapist),
            "section": "licenses",
        },
    )


# --- Staff ----------------------------------------------------------------------------


# Staff with the verify permission only; to anyone else these pages do not exist.
verifier_required = staff_required(permission="providers.verify_license")


# The queue's address carries these, and nothing else: the filters, then the page.
QUEUE_PARAMS = ("state", "license_type", "page")
# A refused decision, kept in the session for the queue the browser is sent back to.
REFUSED_DECISION = "providers.refused_license_decision"
# What of a refused form's text is kept for showing it again (the fields hold far less).
REFUSED_TEXT_KEPT = 4 * REASON_MAX


def _queue_address(params, *, license_id: int | None = None) -> str:
    """The queue at the same filters and page as ``params``: known, non-blank values only
    (a GET form sends its blank fields too; the address keeps only the filters in use),
    at the license's card when given."""
    kept = [(key, params.get(key)) for key in QUEUE_PARAMS if params.get(key)]
    address = reverse("providers:staff_licenses")
    if kept:
        address += f"?{urlencode(kept)}"
    if license_id is not None:
        address += f"#license-{license_id}"
    return address


def _refused_form(refused: dict, *, auto_id: str):
    """The decision form the queue shows again after a refused decision: what was typed,
    with the errors it was refused with beside it."""
    form_class = VerifyLicenseForm if refused["action"] == "verify" else RejectLicenseForm
    return form_class.as_refused(refused["data"], refused["errors"], auto_id=auto_id)


def _state_links(counts: list[dict], *, state: str, license_type: str) -> list[dict]:
    carried = [("license_type", license_type)] if license_type else []
    base = reverse("providers:staff_licenses")
    links = []
    for row in counts:
        query = urlencode([("state", row["state"]), *carried])
        links.append(
            {
                "state": row["state"],
                "name": STATE_NAMES.get(row["state"], row["state"]),
                "count": row["n"],
                "url": f"{base}?{query}",
                "current": row["state"] == state,
            }
        )
    return links


def _render_queue(request, *, refused: dict | None = None):
    filters = LicenseQueueFilterForm(request.GET)
    valid = filters.is_valid()
    state = filters.cleaned_data.get("state", "") if valid else ""
    license_type = filters.cleaned_data.get("license_type", "") if valid else ""
    queue = pending_licenses(state=state, license_type=license_type)
    page = Paginator(queue if valid else queue.none(), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lookups = board_lookups_for(page.object_list)
    items = []
    for lic in page:
        verify_form = VerifyLicenseForm(auto_id=f"id_verify_{lic.pk}_%s")
        reject_form = RejectLicenseForm(auto_id=f"id_reject_{lic.pk}_%s")
        error = ""
        if refused and refused["license_id"] == lic.pk:
            error = refused["error"]
            form = _refused_form(refused, auto_id=f"id_{refused['action']}_{lic.pk}_%s")
            if refused["action"] == "verify":
                verify_form = form
            else:
                reject_form = form
        items.append(
            {
                "license": lic,
                "lookup": lookups.get((lic.state, lic.license_type)),
                "verify_form": verify_form,
                "reject_form": reject_form,
                "error": error,
                "refused": bool(refused and refused["license_id"] == lic.pk),
            }
        )
    counts = pending_counts_by_state(license_type=license_type)
    in_use = filters.in_use() if valid else []
    return render(
        request,
        "providers/staff_licenses.html",
        {
            "page": page,
            "items": items,
            "filters": filters,
            "valid": valid,
            "has_filters": bool(in_use),
            "type_name": dict(License.LICENSE_TYPES).get(license_type, ""),
            "state_name": STATE_NAMES.get(state, ""),
            "all_states_url": _queue_address({"license_type": license_type}),
            "state_links": _state_links(counts, state=state, license_type=license_type),
            "counted": sum(row["n"] for row in counts),
            "query_prefix": f"?{urlencode(in_use)}&" if in_use else "?",
            # A decision's form sends the browser back to this very page of the queue.
            "return_query": urlencode(
                [(k, request.GET.get(k)) for k in QUEUE_PARAMS if request.GET.get(k)]
            ),
            "section": "queue",
        },
        status=200 if valid else 400,
    )


@verifier_required
def staff_licenses(request):
    """The pending licenses, oldest first, 20 a page, filtered by state and license type;
    each with its state board's look-up."""
    if any(not value for key in QUEUE_PARAMS for value in request.GET.getlist(key)):
        return redirect(_queue_address(request.GET))
    return _render_queue(request, refused=request.session.pop(REFUSED_DECISION, None))


@verifier_required
@require_POST
def staff_license_decide(request, pk: int, action: str):
    """Verify (with the source checked) or reject (with a reason). Either way the browser
    goes back to the queue at the same filters and page: refused, with the error beside
    the license and what was typed still in its field."""
    form_class = VerifyLicenseForm if action == "verify" else RejectLicenseForm
    form = form_class(request.POST, auto_id=f"id_{action}_{pk}_%s")
    error = ""
    if form.is_valid():
        try:
            if action == "verify":
                license = licensing.verify_license(
                    license_id=pk, by=request.user, source=form.cleaned_data["source"]
                )
            else:
                license = licensing.reject_license(
                    license_id=pk, by=request.user, reason=form.cleaned_data["reason"]
                )
        except License.DoesNotExist as exc:
            raise Http404 from exc
        except licensing.InvalidTransition as exc:
            error = exc.detail
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            who = license.therapist.display_name
            if action == "verify":
                messages.success(
                    request,
                    f"Verified {who}’s {license.license_type} license in {license.state_name}. "
                    f"They can now be found by clients in {license.state_name}.",
                )
            else:
                messages.success(
                    request,
                    f"Rejected {who}’s {license.license_type} license in {license.state_name}. "
                    "They have been e-mailed the reason.",
                )
            return redirect(_queue_address(request.GET))
    verb = "verify" if action == "verify" else "reject"
    messages.error(request, f"Could not {verb} license #{pk}: {error or 'see the form below.'}")
    request.session[REFUSED_DECISION] = {
        "license_id": pk,
        "action": action,
        "data": {name: str(form.data.get(name, ""))[:REFUSED_TEXT_KEPT] for name in form.fields},
        "errors": {field: list(errors) for field, errors in form.errors.items()},
        "error": error,
    }
    return redirect(_queue_address(request.GET, license_id=pk))


@verifier_required
def staff_licenses_expiring(request):
    days = settings.LICENSE_EXPIRING_WINDOW_DAYS
    expiring = (
        License.objects.expiring_within(days)
        .select_related("therapist__user")
        .order_by("expires_on", "id")
    )
    decisions = LicenseDecision.objects.select_related("license__therapist", "decided_by").order_by(
        "-decided_at", "-id"
    )[:50]
    return render(
        request,
        "providers/staff_expiring.html",
        {"expiring": expiring, "decisions": decisions, "days": days, "section": "expiring"},
    )
