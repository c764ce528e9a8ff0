"""Every HTML form and search filter, fuzzed through its real view (issue 8, item 6):
arbitrary text, unicode, huge, empty and NUL values never give a 500, and input the
form refuses re-renders (or redirects) with a message and changes nothing in the
database.

Issue 14 adds the inputs that got through before: dates at the year boundaries, digits of
other scripts (superscripts, fullwidth, Arabic-Indic), line breaks (CR, LF, U+2028) in
one-line fields, huge text and look-alike letters. Whatever a form accepts, what it
stores stays sane: one-line fields hold no line break, text fits its limit, dates lie in
their window (``assert_stored_rows_are_sane``). ``BOUNDARY_CASES`` sends each of these
inputs once in an otherwise valid form, so the rule that must refuse it is reached.

``FORM_TARGETS`` names, for each form or FilterSet class of the project, where it is
sent and as whom; ``test_every_form_class_has_a_fuzz_target`` fails when a new one has
no entry."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.db.models import CharField, TextField
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import SignupRequest
from booking import availability
from booking.groups import services as groups
from booking.models import Group, Session, TimeOff
from providers import licensing
from providers.forms import TherapistProfileForm
from providers.models import License, Therapist
from tests.booking.group_helpers import group_therapist, make_group
from tests.booking.helpers import at, book, client_in, next_weekday
from tests.factories import PASSWORD, LicenseFactory, UserFactory, make_verifier
from tests.providers.profile_data import profile_form_data
from therapy_directory import clock
from therapy_directory.validators import booking_window, validate_single_line

PROJECT_PACKAGES = [
    "accounts",
    "providers",
    "booking",
    "matching",
    "notifications",
    "therapy_directory",
]
MAX_EXAMPLES = 12

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "0000-00-00",
    "25:61",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31 23:59",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ‮ reversed",
    "\ud7ff\ue000\ufffd",
    "x" * 100_000,
]
# Issue 14: what got through (or gave a 500) before.
BOUNDARY = [
    # dates at the year boundaries, and just outside the windows
    "0001-01-01",
    "0001-01-01T00:00:00-12:00",
    "1899-12-31",
    "9990-01-01",
    "9999-12-31",
    "9999-12-31T23:59:59-12:00",
    "10000-01-01",
    # digits of other scripts: int() reads most of them, isdigit() says yes to all
    "123456789³",
    "１２３４５６７８９３",
    "١٢٣٤٥٦٧٨٩٣",
    "۱۲۳۴۵۶۷۸۹۳",
    "２０２７-０１-０４",
    "٢٠٢٧-٠١-٠٤",
    "¹⁵⁰",
    "１５０",
    # line breaks in one-line fields
    "Dr. Ann Lee\r\nClick http://evil.example",
    "Dr. Ann Lee\nBcc: someone@evil.example",
    "Dr. Ann Lee\rX",
    "Dr. Ann Lee\u2028Click http://evil.example",
    "Dr. Ann Lee\u2029X",
    "Dr. Ann Lee\x85X",
    "Dr. Ann Lee\x0bX",
    # huge text: just over the limits, and a megabyte
    "x" * 2_001,
    "x" * 5_001,
    "y" * 1_000_000,
    # look-alike letters
    "ｔｒｕｅ",
    "Ｔrue",
    "tеlehealth",  # Cyrillic е
    "ⅰpt",  # Roman numeral one
    "Ιpt",  # Greek capital iota
    "NΥ",  # Greek capital upsilon
    "lısa.sims@example.com",  # dotless ı
    "liſa@example.com",  # long s
    "ＮＹ",
]
JUNK = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(BOUNDARY),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
)


@dataclass
class Target:
    """Where a form posts, as whom (``None``: signed out), and its field names."""

    role: str | None
    url: Callable[[dict], str]
    fields: list[str]
    method: str = "post"
    # Multi-valued fields (checkboxes): sent as lists.
    lists: list[str] = field(default_factory=list)
    # Extra fixed data the page needs (formset management form...).
    fixed: Callable[[dict], dict] = lambda world: {}
    # Valid values to mix in, so that some examples get past the first field.
    valid: dict[str, list[str]] = field(default_factory=dict)


HOURS_MANAGEMENT = {
    "form-TOTAL_FORMS": "2",
    "form-INITIAL_FORMS": "0",
    "form-MIN_NUM_FORMS": "0",
    "form-MAX_NUM_FORMS": "1000",
}

FORM_TARGETS: dict[str, Target] = {
    "accounts.forms.SignupForm": Target(
        None,
        lambda w: "/accounts/signup/",
        ["role", "name", "email", "state", "timezone"],
        valid={"role": ["client", "therapist"], "state": ["NY", "CA"], "email": ["a@b.co"]},
    ),
    "accounts.forms.ChoosePasswordForm": Target(
        None, lambda w: w["signup_url"], ["password1", "password2"]
    ),
    "accounts.forms.EmailAuthenticationForm": Target(
        None,
        lambda w: "/accounts/login/",
        ["username", "password"],
        valid={"username": ["person@example.com"]},
    ),
    "accounts.forms.AccountForm": Target(
        "client",
        lambda w: "/accounts/me/",
        ["name", "state", "timezone", "email_reminders"],
        valid={"state": ["NY"], "timezone": ["America/New_York"]},
    ),
    "accounts.forms.EmailPasswordResetForm": Target(
        None, lambda w: "/accounts/password-reset/", ["email"]
    ),
    "accounts.forms.RapportSetPasswordForm": Target(
        None, lambda w: w["reset_url"], ["new_password1", "new_password2"]
    ),
    "accounts.forms.RapportPasswordChangeForm": Target(
        "client",
        lambda w: "/accounts/password/",
        ["old_password", "new_password1", "new_password2"],
        valid={"old_password": [PASSWORD]},
    ),
    "providers.forms.TherapistProfileForm": Target(
        "therapist",
        lambda w: "/dashboard/profile/",
        list(TherapistProfileForm.Meta.fields),
        lists=["modalities", "specialties", "languages", "formats", "insurance", "age_groups"],
        valid={
            "formats": ["telehealth"],
            "timezone": ["America/New_York"],
            "gender": ["woman"],
            "age_groups": ["adults"],
        },
    ),
    # The photo upload: text in place of a file here; files of any bytes are fuzzed in
    # tests/providers/test_photos.py.
    "providers.forms.PhotoForm": Target(
        "therapist", lambda w: "/dashboard/profile/photo/", ["photo"]
    ),
    "providers.forms.LicenseSubmitForm": Target(
        "therapist",
        lambda w: "/dashboard/licenses/",
        ["state", "license_type", "number", "expires_on"],
        valid={"state": ["CA"], "license_type": ["LCSW"], "expires_on": ["2020-01-01"]},
    ),
    "providers.forms.VerifyLicenseForm": Target(
        "staff", lambda w: f"/staff/licenses/{w['decided_license']}/verify/", ["source"]
    ),
    "providers.forms.RejectLicenseForm": Target(
        "staff", lambda w: f"/staff/licenses/{w['decided_license']}/reject/", ["reason"]
    ),
    "providers.forms.LicenseQueueFilterForm": Target(
        "staff",
        lambda w: "/staff/licenses/",
        ["state", "license_type", "page"],
        method="get",
        valid={"state": ["TX", "DC"], "license_type": ["LCSW", "MD"]},
    ),
    "booking.courses.forms.CourseQueryForm": Target(
        "client",
        lambda w: f"/therapists/{w['slug']}/book/",
        ["weeks", "from", "time", "start"],
        method="get",
        valid={"time": ["tue-1000"]},
    ),
    "booking.courses.forms.BookCourseForm": Target(
        "client",
        lambda w: f"/therapists/{w['slug']}/book/",
        ["start", "modality", "format"],
        valid={"modality": ["ipt"], "format": ["telehealth"]},
    ),
    "booking.courses.forms.CancelForm": Target(
        "client", lambda w: f"/my/sessions/{w['past_session']}/cancel/", ["reason"]
    ),
    "booking.courses.forms.MoveForm": Target(
        "client", lambda w: f"/my/bookings/{w['booking']}/move/", ["start"]
    ),
    "booking.courses.forms.DeclineForm": Target(
        "therapist", lambda w: f"/dashboard/requests/{w['booking']}/decline/", ["reason"]
    ),
    "booking.courses.forms.MarkSessionForm": Target(
        "therapist", lambda w: f"/dashboard/sessions/{w['future_session']}/mark/", ["status"]
    ),
    "booking.forms.WeeklyHoursRowForm": Target(
        "therapist",
        lambda w: "/dashboard/hours/",
        ["form-0-weekday", "form-0-start", "form-0-end", "form-1-weekday", "form-1-start"],
        fixed=lambda w: HOURS_MANAGEMENT,
        valid={"form-0-weekday": ["0"], "form-0-start": ["09:00"], "form-0-end": ["08:00"]},
    ),
    "booking.forms.TimeOffForm": Target(
        "therapist",
        lambda w: "/dashboard/hours/time-off/",
        ["start_date", "end_date", "note"],
        valid={"start_date": ["2027-01-10"], "end_date": ["2027-01-01"]},
    ),
    "booking.groups.forms.GroupForm": Target(
        "therapist",
        lambda w: "/dashboard/groups/new/",
        [
            "title",
            "description",
            "kind",
            "modality",
            "format",
            "weekdays",
            "start_time",
            "meeting_minutes",
            "start_date",
            "weeks",
            "capacity",
            "fee",
            "video_url",
            "states",
            "individual",
            "confirm_time_off",
        ],  # fmt: skip
        lists=["states"],
        valid={
            "kind": ["grief"],
            "modality": ["group"],
            "format": ["telehealth"],
            "individual": ["offered", "none"],
        },
    ),
    # Joining a program that offers a weekly individual course, with its first session.
    "booking.groups.forms.EnrolForm": Target(
        "client",
        lambda w: f"/groups/{w['program']}/enrol/",
        ["individual_start", "modality"],
        valid={"modality": ["ipt", "group"]},
    ),
    "accounts.admin.EmailUserCreationForm": Target(
        "admin",
        lambda w: "/admin/accounts/user/add/",
        ["email", "name", "role", "usable_password", "password1", "password2"],
        valid={"role": ["client", "therapist", "staff"], "usable_password": ["true"]},
    ),
    "accounts.admin.EmailUserChangeForm": Target(
        "admin",
        lambda w: f"/admin/accounts/user/{w['users']['client'].pk}/change/",
        ["email", "name", "role", "state", "timezone", "is_active", "is_staff", "groups"],
        lists=["groups"],
        valid={"role": ["client"], "state": ["NY"], "timezone": ["America/New_York"]},
    ),
    "accounts.forms.RapportAdminPasswordChangeForm": Target(
        "admin",
        lambda w: f"/admin/accounts/user/{w['users']['client'].pk}/password/",
        ["usable_password", "password1", "password2"],
        valid={"usable_password": ["true", "false"]},
    ),
    # The shared search filters: the pages' filter panels (and the staff API's).
    "providers.filters.TherapistFilter": Target(
        None,
        lambda w: "/therapists/",
        [
            "state",
            "modality",
            "specialty",
            "format",
            "language",
            "insurance",
            "superbill",
            "gender",
            "age_group",
            "lgbtq_affirming",
            "faith",
            "accepting",
            "available_within",
            "fee_max",
            "q",
            "ordering",
        ],  # fmt: skip
        method="get",
        valid={
            "state": ["NY"],
            "modality": ["ipt"],
            "ordering": ["fee"],
            "insurance": ["aetna"],
            "age_group": ["teens"],
        },
    ),
    "booking.groups.selectors.GroupFilter": Target(
        "client",
        lambda w: "/groups/",
        ["state", "modality", "kind", "format", "starts_after"],
        method="get",
        valid={"state": ["NY"], "kind": ["grief"]},
    ),
    # The guided match's questions (the front door's form, and GET /api/v1/match/).
    "matching.forms.MatchForm": Target(
        None,
        lambda w: "/match/",
        ["state", "concern", "format", "insurance", "fee_max", "weeks", "times", "group"],
        method="get",
        lists=["times"],
        valid={
            "state": ["NY"],
            "concern": ["grief"],
            "times": ["tue-evening", "mon-morning,sun-evening"],
            "group": ["true"],
        },
    ),
    "providers.api.LicenseReviewFilter": Target(
        "staff",
        lambda w: "/api/v1/licenses/",
        ["status", "expiring_within", "page"],
        method="get",
        valid={"status": ["pending"]},
    ),
    "booking.groups.forms.ReasonForm": Target(
        "therapist", lambda w: f"/dashboard/groups/{w['cancelled_group']}/cancel/", ["reason"]
    ),
}


def project_form_classes() -> set[str]:
    found = set()
    for package_name in PROJECT_PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in info.name or info.name.endswith((".wsgi", ".celery")):
                continue
            module = importlib.import_module(info.name)
            # type(obj), not inspect.isclass: the latter evaluates Celery's lazy task
            # proxies (a task of a module not yet imported is NotRegistered).
            for name, obj in list(vars(module).items()):
                if not issubclass(type(obj), type):
                    continue
                is_form = issubclass(obj, forms.BaseForm | django_filters.FilterSet)
                if is_form and obj.__module__ == module.__name__:
                    found.add(f"{obj.__module__}.{name}")
    return found


def test_every_form_class_has_a_fuzz_target():
    missing = project_form_classes() - set(FORM_TARGETS)
    assert not missing, f"Add these forms to FORM_TARGETS in {__file__}: {sorted(missing)}"
    stale = set(FORM_TARGETS) - project_form_classes()
    assert not stale, f"No such forms any more: {sorted(stale)}"


@pytest.fixture
def world(db):
    """A therapist with hours and a verified license, a client with a pending course,
    a past session, a group, a license already decided, a password-reset link."""
    therapist = group_therapist()
    client = client_in("NY")
    monday = next_weekday(0)
    booking = book(client, therapist, at(monday, 10), weeks=4)
    cancelled = make_group(therapist, title="Cancelled group")
    groups.cancel_group(group_id=cancelled.pk, by=therapist.user, reason="Not enough members.")
    program = make_group(therapist, title="Evening program", kind="intensive", individual="offered")
    decided = LicenseFactory(therapist=therapist, state="NJ")
    staff = make_verifier()
    admin = UserFactory(role="staff", is_staff=True, is_superuser=True)
    licensing.reject_license(license_id=decided.pk, by=staff, reason="No such number.")
    past_session = Session.objects.filter(booking=booking).order_by("start").first()
    future = Session.objects.filter(booking=booking).order_by("-start").first()
    availability.add_time_off(
        therapist=therapist,
        start_date=monday + dt.timedelta(weeks=10),
        end_date=monday + dt.timedelta(weeks=10),
    )
    return {
        "users": {"client": client, "therapist": therapist.user, "staff": staff, "admin": admin},
        "slug": therapist.slug,
        "booking": booking.pk,
        "past_session": past_session.pk,
        "future_session": future.pk,
        "cancelled_group": cancelled.pk,
        "program": program.pk,
        "decided_license": decided.pk,
    }


def fresh_reset_address(browser: Client, user) -> str:
    """Follow a new reset link: it keeps the token in the session and redirects to the
    address the form posts to. (A password set by an earlier example spent the last.)"""
    user.refresh_from_db()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return browser.get(f"/accounts/reset/{uid}/{token}/")["Location"]


def fresh_signup_address() -> str:
    """A new sign-up link (a valid password spends the last one)."""
    token = secrets.token_urlsafe(16)
    SignupRequest.objects.create(
        email=f"fuzz-{token.lower()}@example.com",
        name="Fuzz",
        role="client",
        state="NY",
        timezone="America/New_York",
        token_digest=account_services._digest(token),
    )
    return f"/accounts/signup/finish/{token}/"


def snapshot() -> dict:
    """Every row of the project's own tables (they are small here), minus login stamps."""
    rows = {}
    for label in ["accounts", "providers", "booking", "notifications"]:
        for model in apps.get_app_config(label).get_models():
            values = list(model.objects.order_by("pk").values())
            for row in values:
                row.pop("last_login", None)
            rows[model._meta.label] = values
    return rows


_LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def assert_stored_rows_are_sane() -> None:
    """What any accepted form left in the directory and booking tables: no line break in a
    one-line field, no text over its limit, an NPI of ASCII digits, dates in their window."""
    for label in ["providers", "booking"]:
        for model in apps.get_app_config(label).get_models():
            texts = [f for f in model._meta.fields if isinstance(f, CharField | TextField)]
            one_line = [f.name for f in texts if validate_single_line in f.validators]
            limited = {f.name: f.max_length for f in texts if f.max_length}
            if not (one_line or limited):
                continue
            for row in model.objects.values("pk", *{*one_line, *limited}):
                for name in one_line:
                    assert not any(ch in _LINE_BREAKS for ch in row[name]), (model, row)
                for name, most in limited.items():
                    assert len(row[name]) <= most, (model, name, row["pk"])
    for npi in Therapist.objects.exclude(npi="").values_list("npi", flat=True):
        assert npi.isascii() and npi.isdigit() and len(npi) == 10, npi
    first, last = booking_window()
    assert not TimeOff.objects.exclude(start_date__gte=first, end_date__lte=last).exists()
    assert not Group.objects.filter(start_date__gt=last).exists()
    assert not License.objects.filter(
        expires_on__gt=clock.today() + licensing.FURTHEST_EXPIRY
    ).exists()


def draw_data(target: Target, world: dict, data) -> dict:
    posted = dict(target.fixed(world))
    for name in target.fields:
        options = [JUNK]
        if name in target.valid:
            options.append(st.sampled_from(target.valid[name]))
        value = st.one_of(options)
        if name in target.lists:
            posted[name] = data.draw(st.lists(value, max_size=3), label=name)
        elif data.draw(st.booleans(), label=f"send {name}") or name in target.valid:
            posted[name] = data.draw(value, label=name)
    return posted


def client_for(target: Target, world: dict) -> Client:
    browser = Client()
    if target.role:
        browser.force_login(world["users"][target.role])
    return browser


@pytest.mark.parametrize("form_name", sorted(FORM_TARGETS))
def test_bad_input_to_a_form_is_refused_with_a_message_and_changes_nothing(world, form_name):
    target = FORM_TARGETS[form_name]
    browser = client_for(target, world)

    @given(data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def post_junk(data):
        posted = draw_data(target, world, data)
        if form_name == "accounts.forms.RapportSetPasswordForm":
            world["reset_url"] = fresh_reset_address(browser, world["users"]["client"])
        if form_name == "accounts.forms.ChoosePasswordForm":
            world["signup_url"] = fresh_signup_address()
        url = target.url(world)
        before = snapshot()
        send = browser.get if target.method == "get" else browser.post
        response = send(url, posted)
        assert response.status_code < 500, (response.status_code, posted)
        errors = [
            m.message
            for m in get_messages(response.wsgi_request)
            if m.level >= message_levels.ERROR
        ]
        if response.status_code in (301, 302) and not errors:
            assert_stored_rows_are_sane()
            return  # accepted: a valid submission may change things
        if target.method == "get":
            assert response.status_code in (200, 400), (response.status_code, posted)
        else:
            page = response.content.decode()
            assert errors or 'class="errorlist' in page or 'class="errornote' in page, (
                response.status_code,
                posted,
            )
        assert snapshot() == before, posted

    post_junk()


# --- Issue 14: each boundary input once, in an otherwise valid form -------------------------


def valid_time_off(world: dict) -> dict:
    day = next_weekday(2, weeks_ahead=3).isoformat()
    return {"start_date": day, "end_date": day, "note": "Conference"}


def valid_group(world: dict) -> dict:
    return {
        "title": "Friday morning group",
        "description": "A weekly group.",
        "kind": "grief",
        "modality": "group",
        "format": "telehealth",
        "weekdays": "4",
        "start_time": "07:00",
        "meeting_minutes": "60",
        "start_date": next_weekday(4).isoformat(),
        "weeks": "4",
        "capacity": "8",
        "states": ["NY"],
    }


def valid_license(world: dict) -> dict:
    expires = clock.today() + dt.timedelta(days=365)
    return {"state": "CA", "license_type": "LCSW", "number": "A1234", "expires_on": str(expires)}


def valid_profile(world: dict) -> dict:
    return profile_form_data(Therapist.objects.get(user=world["users"]["therapist"]))


BASELINES = {
    "booking.forms.TimeOffForm": valid_time_off,
    "booking.groups.forms.GroupForm": valid_group,
    "providers.forms.LicenseSubmitForm": valid_license,
    "providers.forms.TherapistProfileForm": valid_profile,
}

CRLF, LS = "Dr. Ann Lee\r\nClick http://evil.example", "Dr. Ann Lee\u2028Click here"
NOT_ASCII_NPIS = ["123456789³", "１２３４５６７８９３", "١٢٣٤٥٦٧٨٩٣"]
BOUNDARY_CASES = [
    ("booking.forms.TimeOffForm", {"start_date": "0001-01-01", "end_date": "0001-01-02"}),
    ("booking.forms.TimeOffForm", {"start_date": "9999-12-30", "end_date": "9999-12-31"}),
    ("booking.forms.TimeOffForm", {"end_date": "9999-12-31"}),
    ("booking.forms.TimeOffForm", {"note": CRLF}),
    ("booking.forms.TimeOffForm", {"note": LS}),
    ("booking.groups.forms.GroupForm", {"start_date": "0001-01-01"}),
    ("booking.groups.forms.GroupForm", {"start_date": "9990-01-01"}),
    ("booking.groups.forms.GroupForm", {"start_date": "9999-12-31"}),
    ("booking.groups.forms.GroupForm", {"title": CRLF}),
    ("booking.groups.forms.GroupForm", {"title": LS}),
    ("booking.groups.forms.GroupForm", {"description": "x" * 5_001}),
    ("booking.groups.forms.GroupForm", {"fee": "-1"}),
    ("booking.groups.forms.GroupForm", {"fee": "100001"}),
    ("booking.groups.forms.GroupForm", {"video_url": "javascript:alert(1)"}),
    ("booking.groups.forms.GroupForm", {"video_url": "http://video.example.com/room"}),
    ("booking.groups.forms.GroupForm", {"video_url": "https://video.example.com/a\nb"}),
    ("providers.forms.LicenseSubmitForm", {"expires_on": "9999-12-31"}),
    ("providers.forms.LicenseSubmitForm", {"number": CRLF[:40]}),
    ("providers.forms.LicenseSubmitForm", {"number": LS[:40]}),
    *[("providers.forms.TherapistProfileForm", {"npi": npi}) for npi in NOT_ASCII_NPIS],
    ("providers.forms.TherapistProfileForm", {"display_name": CRLF}),
    ("providers.forms.TherapistProfileForm", {"display_name": LS}),
    ("providers.forms.TherapistProfileForm", {"credentials": "PhD\nLCSW"}),
    ("providers.forms.TherapistProfileForm", {"office_address": "1 Main St\rFloor 2"}),
    ("providers.forms.TherapistProfileForm", {"bio": "x" * 5_001}),
    ("providers.forms.TherapistProfileForm", {"bio": "y" * 1_000_000}),
]


@pytest.mark.parametrize("form_name", sorted(BASELINES))
def test_each_baseline_is_accepted(world, form_name):
    """The control for ``BOUNDARY_CASES``: without the boundary input, the form saves."""
    target = FORM_TARGETS[form_name]
    response = client_for(target, world).post(target.url(world), BASELINES[form_name](world))
    assert response.status_code == 302, response.content.decode()[-3000:]


@pytest.mark.parametrize(
    ("form_name", "change"),
    BOUNDARY_CASES,
    ids=[
        f"{name.rsplit('.', 1)[1]}-{next(iter(change))}-{i}"
        for i, (name, change) in enumerate(BOUNDARY_CASES)
    ],  # fmt: skip
)
def test_a_boundary_input_in_a_valid_form_is_refused_beside_its_field(world, form_name, change):
    target = FORM_TARGETS[form_name]
    posted = {**BASELINES[form_name](world), **change}
    before = snapshot()
    response = client_for(target, world).post(target.url(world), posted)
    assert response.status_code == 400 or (
        response.status_code == 200 and response.context["form"].errors
    ), response.status_code
    page = response.content.decode()
    for name in change:
        if name != "end_date" or "start_date" not in change:
            assert f'id="id_{name}_error"' in page or f"id_time_off_{name}_error" in page, name
    assert snapshot() == before


@pytest.mark.parametrize("value", ["junk", "ｔｒｕｅ", "Ｔrue", "2"])
def test_a_look_alike_yes_no_filter_is_an_error_on_the_search_page(world, value):
    response = Client().get("/therapists/", {"accepting": value, "state": "NY"})
    assert response.status_code == 200
    assert "Some filters could not be used." in response.content.decode()


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "２０２７-０１-０４", "٢٠٢٧-٠١-٠٤"])
def test_dates_at_the_year_boundaries_in_the_filters_are_no_500(world, value):
    browser = client_for(FORM_TARGETS["booking.groups.selectors.GroupFilter"], world)
    assert browser.get("/groups/", {"starts_after": value}).status_code < 500
    assert browser.get("/api/v1/groups/", {"starts_after": value}).status_code in (200, 400)
    browser.force_login(world["users"]["admin"])
    for param in ("since", "until"):
        assert browser.get("/staff/audit/", {param: value}).status_code in (200, 400)
