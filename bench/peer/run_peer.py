"""The peer side of bench/peer_slots.py, run with the peer's own virtualenv.

Reads the scenario as JSON on stdin (working hours, booked appointments, the days to
ask about, how many runs), sets up django-appointment 3.12 the way its admin would
(a Config, a 50-minute Service, a StaffMember offering it with a 60-minute slot
duration, WorkingHours per weekday, one AppointmentRequest + Appointment per booked
session), then times ``appointment.services.get_available_slots_for_staff`` called
once per day, as the peer's own views do. Prints {"ms": [...], "slots": [...]} as JSON.
"""

import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")


def main() -> None:
    scenario = json.load(sys.stdin)
    out, sys.stdout = sys.stdout, sys.stderr  # the peer logs to stdout: keep it for JSON
    # django-appointment ships no migrations: make them in a throw-away package.
    migrations = Path(tempfile.mkdtemp(prefix="peer-migrations-"))
    (migrations / "peer_appointment_migrations").mkdir()
    (migrations / "peer_appointment_migrations" / "__init__.py").touch()
    sys.path.insert(0, str(migrations))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("makemigrations", "appointment", verbosity=0)
    call_command("migrate", verbosity=0)
    shutil.rmtree(migrations)
    call_command("flush", interactive=False, verbosity=0)

    from appointment.models import (
        Appointment,
        AppointmentRequest,
        Config,
        Service,
        StaffMember,
        WorkingHours,
    )
    from appointment.services import get_available_slots_for_staff
    from appointment.utils.db_helpers import get_weekday_num_from_date
    from django.contrib.auth import get_user_model

    session = dt.timedelta(minutes=scenario["session_minutes"])
    Config.objects.create(
        slot_duration=scenario["step_minutes"], lead_time=dt.time(9), finish_time=dt.time(17),
        appointment_buffer_time=0, default_to_service_duration=True,
    )  # fmt: skip
    service = Service.objects.create(name="Therapy session", duration=session, price=0)
    User = get_user_model()
    staff = StaffMember.objects.create(
        user=User.objects.create_user(username="therapist", first_name="Bench"),
        slot_duration=scenario["step_minutes"],
        appointment_buffer_time=0,
    )
    staff.services_offered.add(service)
    for weekday, start, end in scenario["hours"]:  # weekday: 0 = Monday, as in Rapport
        WorkingHours.objects.create(
            staff_member=staff,
            day_of_week=(weekday + 1) % 7,  # the peer counts from Sunday
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
        )
    client = User.objects.create_user(username="client")
    for day, start, end in scenario["booked"]:
        request = AppointmentRequest.objects.create(
            date=dt.date.fromisoformat(day), start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end), service=service, staff_member=staff,
        )  # fmt: skip
        Appointment.objects.create(client=client, appointment_request=request)

    first_day = dt.date.fromisoformat(scenario["first_day"])
    days = [first_day + dt.timedelta(days=n) for n in range(scenario["days"])]
    staff = StaffMember.objects.get(pk=staff.pk)
    service = Service.objects.get(pk=service.pk)

    def ask() -> list:
        found = []
        for day in days:
            weekday = get_weekday_num_from_date(day)
            found += get_available_slots_for_staff(day, staff, weekday, service=service)
        return found

    slots = ask()  # warm-up, as for Rapport's side
    timings = []
    for _ in range(scenario["runs"]):
        t0 = time.perf_counter()
        ask()
        timings.append((time.perf_counter() - t0) * 1000)
    json.dump(
        {
            "ms": timings,
            "slots": [s.isoformat(timespec="minutes") for s in slots],
            "versions": {"django": django.get_version(), "appointment": _version()},
        },
        out,
    )


def _version() -> str:
    from importlib.metadata import version

    return version("django-appointment")


if __name__ == "__main__":
    main()
