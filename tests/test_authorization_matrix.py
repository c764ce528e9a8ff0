"""The authorization matrix (issue 8.3, PRODUCT rule 11).

Every URL of the site and of the API is listed here. A URL that names an object
(its pattern has keyword arguments) has one or more CASES: how to build it for a
fresh set of fixture objects, the methods, and what each kind of caller gets:

    ok         reached the object (2xx, a redirect that is not the log-in page, or
               a 400 / 409 about the request itself)
    hidden     404 — the object may as well not exist
    login      anonymous: the log-in redirect (pages) or 401 / 403 (API)
    forbidden  403 for a caller of the wrong role (API), decided before the object
               is looked up
    refused    403 for a caller who may see the object but not do this (the client
               confirming their own booking, staff cancelling a client's session)

Callers: anonymous, the owner (the client), another client (who books the same
therapist and sits in the same group), the owner's therapist, another therapist,
staff (with the license verify and the client-records permissions), and a verifier
(staff with the license verify permission only: clients' records are hidden from them).
Callers not named in a case get the default: anonymous `login`, everyone else `hidden`.

Whatever a caller who may not see the object gets must not depend on whether it
exists: each such request is repeated with an id that does not exist and must
answer the same (no existence oracle).

URLs without object arguments are either owner-scoped by the session (``me/``) or
public; they are listed in NO_OBJECT with the reason. A URL in neither table fails
``test_every_url_is_in_the_matrix``: add it to one when you add a route.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from booking import availability
from booking.groups import services as groups
from booking.models import CalendarFeed
from providers import photos
from providers.models import License
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, bookable_therapist, client_in, next_weekday
from tests.factories import LicenseFactory, make_records_viewer, make_verifier
from tests.providers.photo_helpers import jpeg_with_everything

ROLES = (
    "anonymous",
    "other_client",
    "other_therapist",
    "verifier",
    "staff",
    "owner",
    "therapist",
)
MISSING_ID = 2_000_000_000

# --- Every URL: the matrix, or why it names no object ----------------------------------------

# Capability URLs: the secret in the address is the authorization; nobody owns them.
CAPABILITY_URLS = {"accounts:password_reset_confirm", "accounts:signup_confirm"}

NO_OBJECT = {
    "healthz": "public health check: no client data",
    "robots_txt": "public: what crawlers may read",
    "favicon": "public: the site's icon",
    "matching:front_door": "public: the guided match's questions",
    "matching:match": "public: the guided match's answers",
    "accounts:signup": "public form",
    "accounts:login": "public form",
    "accounts:logout": "ends the caller's own session",
    "accounts:home": "redirects the caller to their own start page",
    "accounts:account": "the caller's own account (request.user)",
    "accounts:password_change": "the caller's own password",
    "accounts:password_reset": "public form; does not reveal whether an address exists",
    "accounts:password_reset_done": "static page",
    "accounts:password_reset_complete": "static page",
    # A capability URL: the signed token *is* the authorization (Django's token
    # generator), there is no owner to compare with.
    "accounts:password_reset_confirm": "signed one-time token checked by Django",
    "accounts:signup_sent": "static page",
    # The sign-up link's secret is the authorization (only its hash is stored).
    "accounts:signup_confirm": "one-time sign-up link checked against its stored hash",
    "providers:search": "public directory",
    "providers:browse_states": "public directory: the states with their counts",
    "sitemap": "public: the sitemap's index, for crawlers",
    "providers:dashboard_profile": "the signed-in therapist's own profile",
    "providers:dashboard_licenses": "the signed-in therapist's own licenses",
    "providers:dashboard_photo": "uploads the signed-in therapist's own photo",
    "providers:dashboard_photo_remove": "removes the signed-in therapist's own photo",
    "providers:staff_licenses": "staff queue: verifier only, 404 for others",
    "providers:staff_licenses_expiring": "staff list: verifier only, 404 for others",
    "booking:my_sessions": "the caller's own sessions",
    "booking:my_calendar": "the caller's own calendar address",
    "booking:my_calendar_ics": "the caller's own feed",
    "booking:rotate_calendar": "rotates the caller's own feed token",
    "booking:dashboard_home": "the signed-in therapist's own home (404 for others)",
    "booking:requests": "the signed-in therapist's own requests",
    "booking:calendar": "the signed-in therapist's own week",
    "booking:hours": "the signed-in therapist's own hours",
    "booking:add_time_off": "adds to the signed-in therapist's own time off",
    "booking:groups": "public group list",
    "booking:dashboard_groups": "the signed-in therapist's own groups",
    "booking:create_group": "creates a group for the signed-in therapist",
    "notifications:reminder_health": "staff only, 404 for others",
    "audit:audit_log": "staff only, 404 for others",
    "audit:record_access": "the caller's own record access",
    "api-v1:register": "public",
    "api-v1:token": "public",
    "api-v1:logout": "revokes the caller's own token",
    "api-v1:me": "the caller's own account",
    "api-v1:modalities": "public",
    "api-v1:insurances": "public",
    "api-v1:match": "public: the guided match",
    "api-v1:my-profile": "the caller's own profile (therapists)",
    "api-v1:my-licenses": "the caller's own licenses (therapists)",
    "api-v1:therapist-list": "public directory",
    "api-v1:license-list": "staff with the verify permission only (403 for others)",
    "api-v1:my-availability": "the caller's own hours (therapists)",
    "api-v1:my-time-off": "the caller's own time off (therapists)",
    "api-v1:my-sessions": "the caller's own sessions",
    "api-v1:my-calendar": "the caller's own feed",
    "api-v1:my-groups": "the caller's own groups (therapists)",
    "api-v1:groups": "public group list",
    "api-v1:booking-list": "scoped by the caller (courses.selectors.bookings_visible_to)",
    "api-v1:my-record-access": "the caller's own record access",
    "api-v1:schema": "public OpenAPI schema",
    "api-v1:docs": "public API docs",
    "api-v1:not-found": "JSON 404 for any other address under the API",
}


@dataclass
class World:
    """One of everything, owned by `owner` (a client) and `therapist`."""

    users: dict
    therapist: object
    booking: object
    session: object
    group: object
    meeting: object
    enrolment: object
    time_off: object
    license: object
    feed: object


def make_world() -> World:
    therapist = group_therapist()
    other_therapist = bookable_therapist()
    owner, other_client = client_in(), client_in()
    booking = book(owner, therapist, at(next_weekday(1), 10), weeks=3)
    group = make_group(therapist)
    enrolment = groups.enrol(client=owner, group_id=group.pk)
    # The other client is as close as a stranger gets: the same therapist, the same group.
    book(other_client, therapist, at(next_weekday(2), 10), weeks=3)
    groups.enrol(client=other_client, group_id=group.pk)
    start = next_weekday(4, weeks_ahead=6)
    return World(
        users={
            "anonymous": None,
            "owner": owner,
            "other_client": other_client,
            "therapist": therapist.user,
            "other_therapist": other_therapist.user,
            "verifier": make_verifier(),
            "staff": make_records_viewer(make_verifier()),
        },
        therapist=therapist,
        booking=booking,
        session=booking.sessions.order_by("start").first(),
        group=group,
        meeting=group.meetings.order_by("start").first(),
        enrolment=enrolment,
        time_off=availability.add_time_off(therapist=therapist, start_date=start, end_date=start),
        license=LicenseFactory(therapist=therapist, state="NJ"),
        feed=CalendarFeed.objects.create(user=owner),
    )


@dataclass
class Case:
    name: str  # the URL's name, namespaced
    kwargs: Callable[[World], dict]
    methods: tuple[str, ...] = ("GET",)
    expect: dict[str, str] = field(default_factory=dict)  # role -> outcome
    data: Callable[[World], dict] = lambda w: {}
    setup: Callable[[World], None] | None = None
    label: str = ""

    @property
    def api(self) -> bool:
        return self.name.startswith("api-v1:")

    def outcome_for(self, role: str) -> str:
        return self.expect.get(role, "login" if role == "anonymous" else "hidden")

    def __str__(self) -> str:
        return f"{self.name}{f' ({self.label})' if self.label else ''}"


PUBLIC = dict.fromkeys(ROLES, "ok")
SIGNED_IN = {**dict.fromkeys(ROLES, "ok"), "anonymous": "login"}
PARTIES = {"owner": "ok", "therapist": "ok", "staff": "ok"}
THERAPIST = {"therapist": "ok"}
# API actions only a client takes (IsClient): other roles are refused before lookup.
CLIENTS_ONLY_API = {
    "owner": "ok",
    "other_client": "ok",
    "therapist": "forbidden",
    "other_therapist": "forbidden",
    "staff": "forbidden",
    "verifier": "forbidden",
}
# API endpoints for therapists (IsTherapist): clients and staff are refused by role,
# another therapist finds nothing.
OWN_THERAPIST_API = {
    "therapist": "ok",
    "owner": "forbidden",
    "other_client": "forbidden",
    "staff": "forbidden",
    "verifier": "forbidden",
}
VERIFIER_API = {
    "staff": "ok",
    "verifier": "ok",
    "owner": "forbidden",
    "other_client": "forbidden",
    "therapist": "forbidden",
    "other_therapist": "forbidden",
}
REASON = {"reason": "Something came up."}


def _booking(w):
    return {"pk": w.booking.pk}


def _session(w):
    return {"pk": w.session.pk}


def _group(w):
    return {"pk": w.group.pk}


def _meeting(w):
    return {"pk": w.group.pk, "session_pk": w.meeting.pk}


def _meeting_api(w):
    return {"pk": w.group.pk, "session_id": w.meeting.pk}


def _unlist(w):
    # A cancelled group is no longer listed: only its people and staff may see it.
    groups.cancel_group(by=w.therapist.user, group_id=w.group.pk, reason="Closed")


def _unfindable(w):
    License.objects.filter(therapist=w.therapist).update(status=License.Status.REJECTED)


def _photo(w):
    content = photos.prepare(io.BytesIO(jpeg_with_everything()))
    w.therapist = photos.set_photo(therapist=w.therapist, by=w.therapist.user, content=content)


def _move_to(w):
    return {"start": at(next_weekday(1, weeks_ahead=3), 11).isoformat()}


# The other client is a fellow member: people who are or were in a group still see it.
UNLISTED_GROUP = {**PARTIES, "other_client": "ok", "anonymous": "hidden"}

CASES = [
    # Public pages about a therapist or a group.
    Case("providers:profile", lambda w: {"slug": w.therapist.slug}, expect=PUBLIC),
    Case(
        "providers:profile",
        lambda w: {"slug": w.therapist.slug},
        setup=_unfindable,
        label="not yet findable: a preview for its therapist and staff",
        expect={"therapist": "ok", "staff": "ok", "verifier": "ok", "anonymous": "hidden"},
    ),
    Case("booking:book", lambda w: {"slug": w.therapist.slug}, expect=PUBLIC),
    # The directory by state and the sitemap: public lists (their argument names no one's
    # data: a state, a therapy, a sitemap file).
    Case("providers:browse_state", lambda w: {"state": "new-york"}, expect=PUBLIC),
    Case(
        "providers:browse_modality",
        lambda w: {"state": "new-york", "modality": "ipt"},
        expect=PUBLIC,
    ),
    Case("sitemap_section", lambda w: {"section": "therapists"}, expect=PUBLIC),
    Case("booking:group_detail", _group, expect=PUBLIC),
    Case("booking:group_detail", _group, setup=_unlist, label="unlisted", expect=UNLISTED_GROUP),
    Case("api-v1:therapist-detail", lambda w: {"pk": w.therapist.pk}, expect=PUBLIC),
    Case("api-v1:therapist-slots", lambda w: {"pk": w.therapist.pk}, expect=PUBLIC),
    Case("api-v1:group", _group, expect=PUBLIC),
    Case("api-v1:group", _group, setup=_unlist, label="unlisted", expect=UNLISTED_GROUP),
    # A therapist's photo, as public as their profile (development only: in production
    # the proxy or the storage serves it).
    Case("media", lambda w: {"path": w.therapist.photo.name}, setup=_photo, expect=PUBLIC),
    # The private calendar feed: its token is the credential, whoever holds it.
    Case("booking:calendar_feed", lambda w: {"token": w.feed.token}, expect=PUBLIC),
    # A client's booking and sessions: the client, their therapist and staff.
    Case("booking:booking_detail", _booking, expect=PARTIES),
    Case("booking:booking_ics", _booking, expect=PARTIES),
    # Staff may open these (the service then refuses them with a message).
    Case("booking:cancel_session", _session, ("POST",), PARTIES, lambda w: REASON),
    # A confirmation page (GET, or a POST without `confirm`), then the cancellation.
    Case("booking:cancel_booking", _booking, ("GET", "POST"), PARTIES, lambda w: REASON),
    Case(
        "booking:cancel_booking",
        _booking,
        ("POST",),
        PARTIES,
        lambda w: {**REASON, "confirm": "yes"},
        label="confirmed",
    ),
    Case("booking:move_booking", _booking, ("POST",), PARTIES, _move_to),
    Case("api-v1:booking-detail", _booking, expect=PARTIES),
    Case(
        "api-v1:booking-cancel",
        _booking,
        ("POST",),
        {**PARTIES, "staff": "refused"},
        lambda w: REASON,
    ),
    Case(
        "api-v1:booking-move",
        _booking,
        ("POST",),
        {**PARTIES, "staff": "refused"},
        _move_to,
    ),
    Case(
        "api-v1:session-cancel",
        _session,
        ("POST",),
        {**PARTIES, "staff": "refused"},
        lambda w: REASON,
    ),
    Case(
        "api-v1:booking-confirm",
        _booking,
        ("POST",),
        {"therapist": "ok", "owner": "refused", "staff": "refused"},
    ),
    Case(
        "api-v1:booking-decline",
        _booking,
        ("POST",),
        {"therapist": "ok", "owner": "refused", "staff": "refused"},
    ),
    # The therapist's dashboard: their own requests, sessions, time off and groups.
    Case("booking:confirm_request", _booking, ("POST",), THERAPIST),
    Case("booking:decline_request", _booking, ("POST",), THERAPIST),
    Case("booking:mark_session", _session, ("POST",), THERAPIST, lambda w: {"status": "completed"}),
    Case("booking:remove_time_off", lambda w: {"pk": w.time_off.pk}, ("GET", "POST"), THERAPIST),
    Case(
        "booking:remove_time_off",
        lambda w: {"pk": w.time_off.pk},
        ("POST",),
        THERAPIST,
        lambda w: {"confirm": "yes"},
        label="confirmed",
    ),
    # Sessions booked in the therapist's time off: keep, cancel or defer each.
    Case("booking:keep_in_time_off", _session, ("POST",), THERAPIST),
    Case("booking:cancel_in_time_off", _session, ("POST",), THERAPIST, lambda w: REASON),
    Case("booking:defer_in_time_off", _session, ("POST",), THERAPIST),
    # Its therapist only: to anyone else the session does not exist.
    Case("api-v1:session-defer", _session, ("POST",), {"therapist": "ok"}),
    Case("booking:dashboard_group", _group, expect=THERAPIST),
    Case("booking:edit_group", _group, expect=THERAPIST),
    Case("booking:cancel_group", _group, ("POST",), THERAPIST, lambda w: REASON),
    Case("booking:group_attendance", _meeting, expect=THERAPIST),
    Case("booking:cancel_meeting", _meeting, ("POST",), THERAPIST, lambda w: REASON),
    Case(
        "booking:remove_member",
        lambda w: {"pk": w.group.pk, "enrolment_pk": w.enrolment.pk},
        ("POST",),
        THERAPIST,
    ),
    Case(
        "api-v1:my-time-off-item", lambda w: {"pk": w.time_off.pk}, ("DELETE",), OWN_THERAPIST_API
    ),
    Case(
        "api-v1:my-group",
        _group,
        ("GET", "PATCH"),
        OWN_THERAPIST_API,
        lambda w: {"title": "Grief and loss group (renamed)"},
    ),
    # A group's roster names its members: its therapist and staff with the records
    # permission only.
    Case("api-v1:group-roster", _group, expect={"therapist": "ok", "staff": "ok"}),
    # Attendance: its therapist sees every member's marks, each member (the owner and the
    # other client, both in the group) their own; marking is the therapist's alone (the
    # world's meeting is still to come: a 409 about the request).
    Case(
        "api-v1:group-attendance",
        _group,
        expect={"therapist": "ok", "owner": "ok", "other_client": "ok"},
    ),
    Case(
        "api-v1:group-meeting-attendance",
        _meeting_api,
        ("GET", "PUT"),
        THERAPIST,
        lambda w: {"marks": [{"client": w.users["owner"].pk, "present": True}]},
    ),
    # Joining a (listed, public) group: any signed-in client; the service decides.
    Case("booking:group_enrol", _group, ("POST",), SIGNED_IN),
    Case("booking:group_leave", _group, ("GET", "POST"), SIGNED_IN),
    Case(
        "booking:group_leave",
        _group,
        ("POST",),
        SIGNED_IN,
        lambda w: {"confirm": "yes"},
        label="confirmed",
    ),
    Case("booking:group_accept", _group, ("POST",), SIGNED_IN),
    Case("booking:group_decline", _group, ("POST",), SIGNED_IN),
    Case("api-v1:group-enrol", _group, ("POST",), CLIENTS_ONLY_API),
    Case("api-v1:group-leave", _group, ("POST",), CLIENTS_ONLY_API),
    Case("api-v1:group-accept", _group, ("POST",), CLIENTS_ONLY_API),
    Case("api-v1:group-decline", _group, ("POST",), CLIENTS_ONLY_API),
    # License decisions: staff with the verify permission; not even the license's owner.
    Case(
        "providers:staff_license_verify",
        lambda w: {"pk": w.license.pk},
        ("POST",),
        {"staff": "ok", "verifier": "ok"},
        lambda w: {"source": "NJ board look-up"},
    ),
    Case(
        "providers:staff_license_reject",
        lambda w: {"pk": w.license.pk},
        ("POST",),
        {"staff": "ok", "verifier": "ok"},
        lambda w: {"reason": "Number not found"},
    ),
    Case(
        "api-v1:license-verify",
        lambda w: {"pk": w.license.pk},
        ("POST",),
        VERIFIER_API,
        lambda w: {"source": "NJ board look-up"},
    ),
    Case(
        "api-v1:license-reject",
        lambda w: {"pk": w.license.pk},
        ("POST",),
        VERIFIER_API,
        lambda w: {"reason": "Number not found"},
    ),
]


# --- Walking the URL configuration -----------------------------------------------------------


def _walk(patterns, namespace: str | None = None, route: str = "", kwargs: tuple = ()):
    for pattern in patterns:
        own = tuple(pattern.pattern.regex.groupindex)
        path = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns, path, kwargs + own)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                name = f"<unnamed {path}>"
            else:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, path, kwargs + own


def site_urls() -> dict[str, tuple[str, ...]]:
    """Every named URL of the site and the API with its keyword arguments. The Django
    admin is left out: `admin_view` lets only active staff in (tested below)."""
    return {
        name: kwargs
        for name, path, kwargs in _walk(get_resolver().url_patterns)
        if not path.startswith("admin/")
    }


def test_every_url_is_in_the_matrix():
    in_matrix = {case.name for case in CASES}
    unlisted = {name for name in site_urls() if name not in in_matrix and name not in NO_OBJECT}
    assert not unlisted, (
        f"New URLs without an authorization entry: {sorted(unlisted)}. Add a Case to CASES "
        "(it names an object) or a reason to NO_OBJECT (it does not)."
    )


def test_every_url_that_names_an_object_has_a_case():
    naming = {name for name, kwargs in site_urls().items() if kwargs}
    missing = naming - {case.name for case in CASES} - CAPABILITY_URLS
    assert not missing, f"URLs naming an object without a matrix case: {sorted(missing)}"
    wrongly_exempt = naming & set(NO_OBJECT) - CAPABILITY_URLS
    assert not wrongly_exempt


def test_the_matrix_lists_no_url_that_does_not_exist():
    known = set(site_urls())
    stale = ({case.name for case in CASES} | set(NO_OBJECT)) - known
    assert not stale, f"Entries for URLs that are gone: {sorted(stale)}"


# --- Requesting every case as every caller ---------------------------------------------------


def _caller(user, *, api: bool):
    if api:
        caller = APIClient()
        if user is not None:
            caller.credentials(
                HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
            )
        return caller
    caller = Client()
    if user is not None:
        caller.force_login(user)
    return caller


def _send(caller, method: str, url: str, data: dict, *, api: bool):
    send = getattr(caller, method.lower())
    if method == "GET":
        return send(url)
    if api:
        return send(url, data, format="json")
    return send(url, data)


def _outcome(response, *, api: bool) -> str:
    status = response.status_code
    if status == 404:
        return "hidden"
    if api and status == 401:
        return "login"
    if status == 403:
        return "forbidden"
    login = resolve_url(settings.LOGIN_URL)
    if status == 302 and response["Location"].startswith(login):
        return "login"
    return "ok"


def _missing(kwargs: dict) -> dict:
    return {k: MISSING_ID if isinstance(v, int) else "no-such-thing" for k, v in kwargs.items()}


def _expected(case: Case, role: str) -> set[str]:
    expected = case.outcome_for(role)
    if expected == "refused":
        return {"forbidden"}
    if expected == "login" and case.api:
        # DRF answers an anonymous caller 401 (token auth) or 403.
        return {"login", "forbidden"}
    return {expected}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_only_the_people_it_belongs_to_reach_it(case: Case):
    world = make_world()
    if case.setup:
        case.setup(world)
    kwargs = case.kwargs(world)
    url = reverse(case.name, kwargs=kwargs)
    nowhere = reverse(case.name, kwargs=_missing(kwargs))
    # Denied callers first: their requests change nothing, the allowed ones may.
    roles = sorted(ROLES, key=lambda role: case.outcome_for(role) == "ok")
    failures = []
    for method in case.methods:
        for role in roles:
            caller = _caller(world.users[role], api=case.api)
            response = _send(caller, method, url, case.data(world), api=case.api)
            got = _outcome(response, api=case.api)
            if got not in _expected(case, role):
                failures.append(
                    f"{method} {url} as {role}: expected {case.outcome_for(role)}, "
                    f"got {got} ({response.status_code})"
                )
            if case.outcome_for(role) not in ("ok", "refused"):
                # No existence oracle: the answer is the same for an id that does not exist.
                blind = _send(caller, method, nowhere, case.data(world), api=case.api)
                same_body = not case.api or blind.content == response.content
                if blind.status_code != response.status_code or not same_body:
                    failures.append(
                        f"{method} {url} as {role}: {response.status_code} "
                        f"{response.content[:200]!r} for the real object, {blind.status_code} "
                        f"{blind.content[:200]!r} for a missing one"
                    )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_admin_lets_only_staff_in(client):
    world = make_world()
    owners_account = reverse("admin:accounts_user_change", args=[world.users["owner"].pk])
    for role in ("owner", "other_client", "therapist"):
        client.force_login(world.users[role])
        response = client.get(owners_account)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    client.force_login(world.users["staff"])
    assert client.get(reverse("admin:index")).status_code == 200
