"""``Cache-Control: private, no-store`` on every answer to a signed-in caller (issue 14.5).

Every URL pattern of the project (pages, API, robots/favicon, the Django admin) is
classified below:

    Private(who)   signed-in only: requested as that caller (pages with the session,
                   the API with ``Authorization: Token``) and the answer must say
                   ``private, no-store``
    SecretAddress  fetched anonymously by calendar programs: the secret in the address
                   is the credential, so the answer is private without a session
    Public         anyone: answered to an anonymous visitor it may be cached (no
                   ``no-store`` unless Django marks the view ``never_cache`` itself);
                   answered to a signed-in caller it is theirs (``private, no-store``)

A URL pattern that is in no table fails ``test_every_url_pattern_is_classified``: add a
new route here, and its answers are then checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.test_authorization_matrix import World, make_world

pytestmark = pytest.mark.django_db

ADMIN_PREFIX = "admin/"


def _none(w: World) -> dict:
    return {}


def _booking(w: World) -> dict:
    return {"pk": w.booking.pk}


def _session(w: World) -> dict:
    return {"pk": w.session.pk}


def _group(w: World) -> dict:
    return {"pk": w.group.pk}


def _meeting(w: World) -> dict:
    return {"pk": w.group.pk, "session_pk": w.meeting.pk}


def _meeting_api(w: World) -> dict:
    return {"pk": w.group.pk, "session_id": w.meeting.pk}


def _therapist_pk(w: World) -> dict:
    return {"pk": w.therapist.pk}


def _slug(w: World) -> dict:
    return {"slug": w.therapist.slug}


def _license(w: World) -> dict:
    return {"pk": w.license.pk}


def _reset_link(w: World) -> dict:
    user = w.users["owner"]
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }


REASON = {"reason": "Something came up."}


@dataclass(frozen=True)
class Private:
    who: str  # "client", "therapist" or "staff"
    kwargs: Callable[[World], dict] = _none
    method: str = "GET"
    data: dict = field(default_factory=dict)
    # A GET must reach the page (200); an action answers whatever it answers (not 5xx).
    status: int | None = 200


@dataclass(frozen=True)
class SecretAddress:
    kwargs: Callable[[World], dict]


@dataclass(frozen=True)
class Public:
    why: str
    kwargs: Callable[[World], dict] = _none
    # False: Django marks the view never_cache itself (its forms carry one-time tokens).
    cacheable: bool = True
    path: str = ""  # for a pattern that cannot be reversed (a regular expression)


def _client(**kw) -> Private:
    return Private("client", **kw)


def _therapist(**kw) -> Private:
    return Private("therapist", **kw)


def _staff(**kw) -> Private:
    return Private("staff", **kw)


def _action(who: str, kwargs=_none, method: str = "POST", data=None) -> Private:
    return Private(who, kwargs, method, data or {}, status=None)


URLS: dict[str, Private | SecretAddress | Public] = {
    # --- Public pages and files --------------------------------------------------------------
    "healthz": Public("health check"),
    "robots_txt": Public("what crawlers may read"),
    "favicon": Public("the site's icon"),
    "media": Public("therapists' photos (development only)", path="/media/photos/none.jpg"),
    "matching:front_door": Public("the front door: the guided match's questions"),
    "matching:match": Public(
        "the guided match's answers", path="/match/?state=NY&concern=grief&group=true"
    ),
    "providers:search": Public("the directory"),
    "providers:profile": Public("a therapist's public profile", _slug),
    "providers:browse_states": Public("the directory by state"),
    "providers:browse_state": Public("a state's therapists", lambda w: {"state": "new-york"}),
    "providers:browse_modality": Public(
        "a state's therapists of one therapy", lambda w: {"state": "new-york", "modality": "ipt"}
    ),
    "sitemap": Public("the sitemap's index, for crawlers"),
    "sitemap_section": Public("a sitemap file", lambda w: {"section": "therapists"}),
    "booking:book": Public("a therapist's course picker", _slug),
    "booking:groups": Public("the public group list"),
    "booking:group_detail": Public("a listed group", _group),
    "accounts:signup": Public("sign-up form"),
    "accounts:signup_sent": Public("static page"),
    "accounts:signup_confirm": Public(
        "one-time sign-up link", lambda w: {"token": "no-such-link"}, cacheable=False
    ),
    "accounts:login": Public("log-in form", cacheable=False),
    "accounts:password_reset": Public("public form"),
    "accounts:password_reset_done": Public("static page"),
    "accounts:password_reset_confirm": Public(
        "one-time reset link (Django: never_cache)", _reset_link, cacheable=False
    ),
    "accounts:password_reset_complete": Public("static page"),
    # Ends the session: its answer goes to a caller who is no longer signed in.
    "accounts:logout": Public("ends the caller's session (Django: never_cache)", cacheable=False),
    "api-v1:register": Public("sign-up: its answer holds a new token", cacheable=False),
    "api-v1:token": Public("log-in: its answer holds the token", cacheable=False),
    "api-v1:logout": _action("client"),
    "api-v1:modalities": Public("reference list"),
    "api-v1:insurances": Public("reference list"),
    "api-v1:match": Public("the guided match", path="/api/v1/match/?state=NY&group=true"),
    "api-v1:therapist-list": Public("the directory"),
    "api-v1:therapist-detail": Public("a therapist's public profile", _therapist_pk),
    "api-v1:therapist-slots": Public("a therapist's free times", _therapist_pk),
    "api-v1:groups": Public("the public group list"),
    "api-v1:group": Public("a listed group", _group),
    "api-v1:schema": Public("the OpenAPI schema"),
    "api-v1:docs": Public("the API docs"),
    "api-v1:not-found": Public("JSON 404", path="/api/v1/no-such-thing/"),
    # --- The calendar feed's secret address ------------------------------------------------
    "booking:calendar_feed": SecretAddress(lambda w: {"token": w.feed.token}),
    # --- Clients -------------------------------------------------------------------------------
    "accounts:home": _client(status=302),
    "accounts:account": _client(),
    "accounts:password_change": _client(),
    "audit:record_access": _client(),
    "booking:my_sessions": _client(),
    "booking:my_calendar": _client(),
    "booking:my_calendar_ics": _client(),
    "booking:booking_detail": _client(kwargs=_booking),
    "booking:booking_ics": _client(kwargs=_booking),
    "booking:rotate_calendar": _action("client"),
    "booking:cancel_session": _action("client", _session, data=REASON),
    "booking:cancel_booking": _action("client", _booking, data=REASON),
    "booking:move_booking": _action("client", _booking),
    "booking:group_enrol": _action("client", _group),
    "booking:group_leave": _action("client", _group),
    "booking:group_accept": _action("client", _group),
    "booking:group_decline": _action("client", _group),
    "api-v1:me": _client(),
    "api-v1:my-sessions": _client(),
    "api-v1:my-calendar": _client(),
    "api-v1:my-record-access": _client(),
    "api-v1:booking-list": _client(),
    "api-v1:booking-detail": _client(kwargs=_booking),
    "api-v1:booking-cancel": _action("client", _booking, data=REASON),
    "api-v1:booking-move": _action("client", _booking),
    "api-v1:session-cancel": _action("client", _session, data=REASON),
    "api-v1:group-enrol": _action("client", _group),
    "api-v1:group-leave": _action("client", _group),
    "api-v1:group-accept": _action("client", _group),
    "api-v1:group-decline": _action("client", _group),
    # --- Therapists ----------------------------------------------------------------------------
    "providers:dashboard_profile": _therapist(),
    "providers:dashboard_licenses": _therapist(),
    "booking:dashboard_home": _therapist(),
    "providers:dashboard_photo": _action("therapist"),  # no file: the field error (400)
    # The world's therapist has no photo: nothing to remove, back to the profile.
    "providers:dashboard_photo_remove": _therapist(status=302),
    "booking:requests": _therapist(),
    "booking:calendar": _therapist(),
    "booking:hours": _therapist(),
    "booking:dashboard_groups": _therapist(),
    "booking:create_group": _therapist(),
    "booking:dashboard_group": _therapist(kwargs=_group),
    "booking:edit_group": _therapist(kwargs=_group),
    "booking:group_attendance": _therapist(kwargs=_meeting),
    "booking:add_time_off": _action("therapist"),
    "booking:remove_time_off": _action("therapist", lambda w: {"pk": w.time_off.pk}),
    "booking:keep_in_time_off": _action("therapist", _session),
    "booking:cancel_in_time_off": _action("therapist", _session, data=REASON),
    "booking:defer_in_time_off": _action("therapist", _session),
    "api-v1:session-defer": _action("therapist", _session),
    "booking:confirm_request": _action("therapist", _booking),
    "booking:decline_request": _action("therapist", _booking),
    "booking:mark_session": _action("therapist", _session, data={"status": "completed"}),
    "booking:cancel_group": _action("therapist", _group, data=REASON),
    "booking:cancel_meeting": _action("therapist", _meeting, data=REASON),
    "booking:remove_member": _action(
        "therapist", lambda w: {"pk": w.group.pk, "enrolment_pk": w.enrolment.pk}
    ),
    "api-v1:my-profile": _therapist(),
    "api-v1:my-licenses": _therapist(),
    "api-v1:my-availability": _therapist(),
    "api-v1:my-time-off": _therapist(),
    "api-v1:my-time-off-item": _action("therapist", lambda w: {"pk": w.time_off.pk}, "DELETE"),
    "api-v1:my-groups": _therapist(),
    "api-v1:my-group": _therapist(kwargs=_group),
    "api-v1:group-roster": _therapist(kwargs=_group),
    "api-v1:group-attendance": _therapist(kwargs=_group),
    "api-v1:group-meeting-attendance": _therapist(kwargs=_meeting_api),
    "api-v1:booking-confirm": _action("therapist", _booking),
    "api-v1:booking-decline": _action("therapist", _booking),
    # --- Staff ---------------------------------------------------------------------------------
    "providers:staff_licenses": _staff(),
    "providers:staff_licenses_expiring": _staff(),
    "providers:staff_license_verify": _action("staff", _license, data={"source": "NJ board"}),
    "providers:staff_license_reject": _action("staff", _license, data={"reason": "Not found"}),
    "notifications:reminder_health": _staff(),
    "audit:audit_log": _staff(),
    "api-v1:license-list": _staff(),
    "api-v1:license-verify": _action("staff", _license, data={"source": "NJ board"}),
    "api-v1:license-reject": _action("staff", _license, data={"reason": "Not found"}),
}
# Every pattern under admin/ is the Django admin: staff only, each one requested below.


# --- Walking the URL configuration -----------------------------------------------------------


def _walk(patterns, namespace: str | None = None, route: str = ""):
    for pattern in patterns:
        path = route + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns, path)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                name = f"<unnamed {path}>"
            else:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, path, pattern


def _site_patterns() -> dict[str, str]:
    return {
        name: path
        for name, path, _ in _walk(get_resolver().url_patterns)
        if not path.startswith(ADMIN_PREFIX)
    }


def test_every_url_pattern_is_classified():
    unclassified = sorted(set(_site_patterns()) - set(URLS))
    assert not unclassified, (
        f"URL patterns with no Cache-Control entry: {unclassified}. Add each to URLS in "
        "tests/test_cache_control.py (Private, SecretAddress or Public)."
    )


def test_the_table_names_no_url_that_does_not_exist():
    assert not sorted(set(URLS) - set(_site_patterns()))


def test_the_admin_is_all_that_is_left_out_and_it_is_there():
    everything = list(_walk(get_resolver().url_patterns))
    assert any(path.startswith(ADMIN_PREFIX) for _, path, _ in everything)


# --- Requesting -------------------------------------------------------------------------------


def _is_api(name: str) -> bool:
    return name.startswith("api-v1:")


def _url(name: str, entry, world: World) -> str:
    if isinstance(entry, Public) and entry.path:
        return entry.path
    return reverse(name, kwargs=entry.kwargs(world))


def _signed_in(user: User, *, api: bool):
    if api:
        caller = APIClient()  # the token only: no session cookie
        token = Token.objects.get_or_create(user=user)[0].key
        caller.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return caller
    caller = Client()
    caller.force_login(user)
    return caller


def _send(caller, method: str, url: str, data: dict, *, api: bool):
    send = getattr(caller, method.lower())
    if method in ("GET", "DELETE"):
        return send(url)
    return send(url, data, format="json") if api else send(url, data)


def _directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip().lower() for part in header.split(",") if part.strip()}


def _is_private(response) -> bool:
    return {"private", "no-store"} <= _directives(response)


def _callers(world: World) -> dict[str, User]:
    staff = UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True)
    return {"client": world.users["owner"], "therapist": world.therapist.user, "staff": staff}


def test_every_private_answer_to_its_signed_in_caller_is_private_and_not_stored():
    world = make_world()
    callers = _callers(world)
    private = [(name, e) for name, e in URLS.items() if isinstance(e, Private)]
    # Reads first: the actions after them may cancel the booking or the group.
    private.sort(key=lambda item: item[1].method != "GET")
    failures = []
    for name, entry in private:
        api = _is_api(name)
        url = _url(name, entry, world)
        caller = _signed_in(callers[entry.who], api=api)
        response = _send(caller, entry.method, url, entry.data, api=api)
        seen = f"{entry.method} {url} as {entry.who} ({'token' if api else 'session'})"
        if entry.status is not None and response.status_code != entry.status:
            failures.append(f"{seen}: {response.status_code}, expected {entry.status}")
        elif response.status_code >= 500:
            failures.append(f"{seen}: {response.status_code}")
        if not _is_private(response):
            failures.append(f"{seen}: Cache-Control {response.headers.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)


def test_the_api_signed_in_with_the_session_is_private_too():
    world = make_world()
    caller = Client()
    caller.force_login(world.users["owner"])
    for name in ("api-v1:me", "api-v1:booking-list", "api-v1:my-sessions"):
        response = caller.get(reverse(name))
        assert response.status_code == 200, name
        assert _is_private(response), name


def test_the_calendar_feed_fetched_anonymously_by_its_secret_address_is_private():
    world = make_world()
    for name, entry in URLS.items():
        if isinstance(entry, SecretAddress):
            response = APIClient().get(_url(name, entry, world))
            assert response.status_code == 200, name
            assert response["Content-Type"].startswith("text/calendar")
            assert _is_private(response), name


def test_public_answers_to_anonymous_visitors_may_still_be_cached():
    world = make_world()
    failures = []
    for name, entry in URLS.items():
        if not isinstance(entry, Public):
            continue
        response = Client().get(_url(name, entry, world))
        if response.status_code == 500:
            failures.append(f"{name}: {response.status_code}")
        if entry.cacheable and "no-store" in _directives(response):
            failures.append(f"{name}: Cache-Control {response.headers['Cache-Control']!r}")
    assert not failures, "\n".join(failures)


def test_public_pages_answered_to_a_signed_in_caller_are_theirs():
    world = make_world()
    client = world.users["owner"]
    failures = []
    for name, entry in URLS.items():
        if not isinstance(entry, Public) or name == "accounts:logout":
            continue
        api = _is_api(name)
        response = _signed_in(client, api=api).get(_url(name, entry, world))
        if not _is_private(response):
            failures.append(f"{name}: Cache-Control {response.headers.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)


def test_the_directory_answered_anonymously_is_unchanged():
    """Public pages keep exactly the caching headers they had: no Cache-Control at all."""
    world = make_world()
    for url in (
        reverse("providers:search"),
        reverse("providers:profile", kwargs=_slug(world)),
        reverse("booking:groups"),
        reverse("api-v1:therapist-list"),
    ):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert "Cache-Control" not in response.headers, url


def test_a_token_caller_is_the_django_requests_user_when_the_answer_leaves():
    """What the middleware relies on: DRF authenticates inside the view and sets the
    Django request's user, so a token caller is known on the way out."""
    world = make_world()
    response = _signed_in(world.users["owner"], api=True).get(reverse("api-v1:me"))
    assert response.status_code == 200
    assert response.wsgi_request.user == world.users["owner"]
    assert _is_private(response)


def test_answers_that_hand_out_a_token_are_not_stored():
    world = make_world()
    owner = world.users["owner"]
    response = APIClient().post(
        reverse("api-v1:token"), {"email": owner.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200 and "token" in response.json()
    assert _is_private(response)
    response = APIClient().post(
        reverse("api-v1:register"),
        {
            "email": "new.person@example.com",
            "password": "a long enough pass phrase",
            "name": "New Person",
            "role": "client",
            "state": "NY",
            "timezone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert _is_private(response)


# --- The Django admin -------------------------------------------------------------------------


def _admin_url(path: str, staff: User) -> str:
    """A concrete address for an admin pattern: the staff member's own row where an id
    is asked for (any answer to a signed-in caller must be private, found or not)."""
    path = re.sub(r"<(path:)?(object_id|id)>", str(staff.pk), path)
    path = path.replace("<path:content_type_id>", "1")
    path = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$$", "accounts/", path)  # the app's index
    path = path.replace("(?P<url>.*)$", "no-such-page/")  # the admin's catch-all
    assert "<" not in path and "^" not in path, path
    return "/" + path


def test_every_admin_answer_to_staff_is_private():
    staff = UserFactory(role=User.Role.STAFF, is_staff=True, is_superuser=True)
    caller = Client()
    caller.force_login(staff)
    failures = []
    urls = [
        _admin_url(path, staff)
        for _, path, _ in _walk(get_resolver().url_patterns)
        if path.startswith(ADMIN_PREFIX) and "logout" not in path
    ]
    assert len(urls) > 50
    for url in urls:
        response = caller.get(url)
        if response.status_code >= 500 or not _is_private(response):
            failures.append(f"{url}: {response.status_code} {response.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)
