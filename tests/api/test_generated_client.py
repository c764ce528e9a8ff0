"""A client generated from our own OpenAPI schema (issue 14): other programs will call us
through clients like it, so every module it generates must import, and the course flow
must run through it alone against a live server (register, profile, license, verify,
hours, search, slots, book, confirm, cancel a session, move, calendar).

Generation needs no network and starts no program: the schema is read from the app and
written to a file, and the generator's post-hooks (``ruff check --fix`` and ``ruff
format``, run as subprocesses found on PATH) are turned off: they only restyle the code,
and an import of every module checks what matters here."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import pkgutil
import sys
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as DjangoClient
from django.utils.timezone import localdate
from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from tests.factories import PASSWORD, make_verifier

PACKAGE = "rapport_api_client"
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, django_db_setup, django_db_blocker):
    """The generated package, imported: ``generated.api.me.me_retrieve`` and so on."""
    folder = tmp_path_factory.mktemp("generated")
    schema_file = folder / "schema.json"
    with django_db_blocker.unblock():
        response = DjangoClient().get(
            "/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
    assert response.status_code == 200
    schema_file.write_bytes(response.content)
    config = Config.from_sources(
        ConfigFile(post_hooks=[]),
        meta_type=MetaType.NONE,
        document_source=schema_file,
        file_encoding="utf-8",
        overwrite=False,
        output_path=folder / PACKAGE,
    )
    errors = generate(config=config)
    assert not errors, "\n".join(f"{e.level} {e.header}: {e.detail}" for e in errors)
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_every_generated_module_imports(generated):
    failures = {}
    names = [m.name for m in pkgutil.walk_packages(generated.__path__, f"{PACKAGE}.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # collect every module that fails, not only the first
            failures[name] = f"{type(exc).__name__}: {exc}"
    assert len(names) > 100
    assert not failures, failures


def call(operation: str, **kwargs):
    """One generated operation (``"me.me_retrieve"``): its answer, parsed into the
    generated models; anything but a 2xx fails with the status and body."""
    module = importlib.import_module(f"{PACKAGE}.api.{operation}")
    response = module.sync_detailed(**kwargs)
    assert 200 <= response.status_code < 300, (
        module.__name__,
        response.status_code,
        response.content,
    )
    return response.parsed


@pytest.mark.django_db(transaction=True)
def test_the_course_flow_runs_through_the_generated_client(generated, live_server):
    models = importlib.import_module(f"{PACKAGE}.models")
    client_module = importlib.import_module(f"{PACKAGE}.client")
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def signed_in(token: str):
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=token, prefix="Token", raise_on_unexpected_status=True
        )

    # Register a therapist and a client.
    signed_up = call(
        "auth.auth_register_create",
        client=anonymous,
        body=models.RegisterRequest(
            email="ana.reyes@example.com",
            password=PASSWORD,
            name="Ana Reyes",
            role=models.RegisterRoleEnum.THERAPIST,
            timezone="America/New_York",
        ),
    )
    therapist = signed_in(signed_up.token)
    registered = call(
        "auth.auth_register_create",
        client=anonymous,
        body=models.RegisterRequest(
            email="sam.ortiz@example.com",
            password=PASSWORD,
            name="Sam Ortiz",
            role=models.RegisterRoleEnum.CLIENT,
            state=models.UsStateEnum.NY,
            timezone="America/New_York",
        ),
    )
    client = signed_in(registered.token)

    # The therapist's profile, and a license for staff to verify.
    profile = call(
        "me.me_profile_partial_update",
        client=therapist,
        body=models.PatchedProfileRequest(
            display_name="Ana Reyes",
            credentials="PhD, LCSW",
            bio="Interpersonal therapy for grief and life changes.",
            modalities=["ipt"],
            formats=[models.FormatEnum.TELEHEALTH],
            fee=140,
            accepting_new_clients=True,
            notice_hours=24,
        ),
    )
    assert profile.modalities == ["ipt"]
    license_ = call(
        "me.me_licenses_create",
        client=therapist,
        body=models.MyLicenseRequest(
            state=models.UsStateEnum.NY,
            license_type=models.LicenseTypeEnum.LCSW,
            number="NY-123456",
            expires_on=localdate() + dt.timedelta(days=400),
        ),
    )
    assert license_.status == models.LicenseStatusEnum.PENDING

    # Staff with the verify permission (made by the ORM) verify it through the client.
    staff_user = make_verifier()
    staff_token = call(
        "auth.auth_token_create",
        client=anonymous,
        body=models.TokenRequestRequest(email=staff_user.email, password=PASSWORD),
    ).token
    verified = call(
        "licenses.licenses_verify_create",
        id=license_.id,
        client=signed_in(staff_token),
        body=models.VerifyRequest(source="NYS Office of the Professions, online lookup"),
    )
    assert verified.status == models.LicenseStatusEnum.VERIFIED

    # Weekly hours, then the directory finds the therapist and offers starts.
    hours = call(
        "me.me_availability_update",
        client=therapist,
        body=[models.HoursRequest(weekday=day, start="09:00", end="17:00") for day in range(5)],
    )
    assert len(hours) == 5
    found = call(
        "therapists.therapists_list",
        client=anonymous,
        state=models.TherapistsListState.NY,
        modality="ipt",
    )
    assert [t.id for t in found.results] == [profile.id]
    starts = call("therapists.therapists_slots_list", id=profile.id, client=anonymous, weeks=4)
    first = starts[0].start

    # Book four weeks, confirm, cancel one session, move the rest a day later.
    booking = call(
        "bookings.bookings_create",
        client=client,
        body=models.BookingRequestRequest(
            therapist=profile.id,
            start=first,
            weeks=4,
            modality="ipt",
            format_=models.FormatEnum.TELEHEALTH,
        ),
    )
    assert len(booking.sessions) == 4
    confirmed = call("bookings.bookings_confirm_create", id=booking.id, client=therapist)
    assert confirmed.status == models.BookingStatusEnum.CONFIRMED
    last = booking.sessions[-1]
    cancelled = call(
        "sessions.sessions_cancel_create",
        id=last.id,
        client=client,
        body=models.ReasonRequest(reason="Away that week."),
    )
    assert cancelled.status == models.SessionStatusEnum.CANCELLED
    local_first = first.astimezone(NY)
    moved_to = local_first + dt.timedelta(days=1 if local_first.weekday() < 4 else 3)
    moved = call(
        "bookings.bookings_move_create",
        id=booking.id,
        client=client,
        body=models.MoveRequest(start=moved_to),
    )
    active = [s for s in moved.sessions if s.status == models.SessionStatusEnum.CONFIRMED]
    assert [s.start.astimezone(NY).weekday() for s in active] == [moved_to.weekday()] * 3

    # The client's calendar.
    feed = call("me.me_calendar_ics_retrieve", client=client)
    assert feed.startswith("BEGIN:VCALENDAR")
    assert feed.count("BEGIN:VEVENT") >= 3


def test_the_schema_types_ids_as_integers_and_asks_no_token_of_open_operations(client):
    """What a generated client reads: ``bookings/{id}/`` takes an int like
    ``sessions/{id}/`` does, and register / token take a client without a token."""
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    id_types = {
        (path, parameter["schema"].get("type"))
        for path, operations in paths.items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path"
    }
    assert {kind for _, kind in id_types} == {"integer"}, sorted(id_types)
    assert ("/api/v1/bookings/{id}/", "integer") in id_types
    for path in ("/api/v1/auth/register/", "/api/v1/auth/token/"):
        assert "security" not in paths[path]["post"]
    assert {"tokenAuth": []} in paths["/api/v1/me/"]["get"]["security"]
