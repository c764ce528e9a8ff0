"""Slot finder: a 16-week course over 62 days for a therapist with 10 000 existing
sessions, both the pure finder and through the database (``selectors.free_slots``).

Runs on a scratch database (``rapport_bench_booking``) and writes the ``slot-finder``
section of BENCHMARKS.md.

    .venv/bin/python bench/slot_finder.py [--runs 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (bench/, beside this script)
import scratch  # noqa: E402

SCRATCH_DB = "rapport_bench_booking"


def create_database(name: str) -> None:
    """With ``DATABASE_URL`` the server is not ours to set up: make the scratch database
    there (the embedded server makes its own)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return
    import psycopg2
    from psycopg2 import sql

    server = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server.close()


def make_therapist(n: int, *, state: str = "NY"):
    from accounts.models import User
    from booking import availability
    from providers.models import License, Modality, Therapist
    from therapy_directory import clock

    user = User.objects.create_user(
        email=f"bench-therapist-{n}@example.com", name=f"Therapist {n}", role="therapist"
    )
    therapist = Therapist.objects.create(
        user=user, slug=f"bench-therapist-{n}", display_name=f"Therapist {n}",
        formats=["telehealth"], notice_hours=0, timezone="America/New_York",
    )  # fmt: skip
    therapist.modalities.set(Modality.objects.filter(slug="ipt"))
    License.objects.create(
        therapist=therapist, state=state, license_type="LCSW", number=f"B{n}",
        expires_on=clock.today() + dt.timedelta(days=3650), status="verified",
        verified_on=clock.today(),
    )  # fmt: skip
    availability.set_weekly_hours(
        therapist=therapist,
        ranges=[(d, dt.time(7), dt.time(22)) for d in range(7)],
    )
    return therapist


def slot_finder(runs: int) -> dict:
    """10 000 sessions: ~7 a day over four years around the searched window."""
    from django.utils.timezone import now

    from accounts.models import User
    from booking import schedules, slots
    from booking.courses import selectors
    from booking.models import Booking, Session

    therapist = make_therapist(0)
    client = User.objects.create_user(email="bench-client-0@example.com", role="client", state="NY")
    booking = Booking.objects.create(
        client=client, therapist=therapist, modality=therapist.modalities.get(),
        format="telehealth", weeks=16, status="confirmed",
    )  # fmt: skip
    base = now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=700)
    sessions, week = [], 1
    hours = [7, 9, 12, 14, 16, 18, 20]
    day = 0
    while len(sessions) < 10_000:
        for h in hours:
            start = base + dt.timedelta(days=day, hours=h)
            sessions.append(
                Session(
                    booking=booking, therapist=therapist, client=client, week=week,
                    start=start, end=start + dt.timedelta(minutes=50), status="confirmed",
                )
            )  # fmt: skip
            week += 1
        day += 1
    Session.objects.bulk_create(sessions[:10_000], batch_size=5000)

    first_day = now().date() + dt.timedelta(days=1)
    window_start = now() - dt.timedelta(days=1)
    window_end = now() + dt.timedelta(days=62 + 16 * 7 + 2)
    schedule = schedules.schedule_for(therapist, window_start=window_start, window_end=window_end)
    # The pure finder with *every* one of the 10 000 sessions as busy time.
    all_busy = list(Session.objects.filter(therapist=therapist).values_list("start", "end"))
    full = slots.Schedule(
        tz=schedule.tz, hours=schedule.hours, session_minutes=50, step_minutes=60, busy=all_busy
    )
    pure, via_db = [], []
    found = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        found = len(slots.free_course_starts(full, first_day=first_day, days=62, weeks=16))
        pure.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        selectors.free_slots(therapist, first_day=first_day, days=62, weeks=16)
        via_db.append((time.perf_counter() - t0) * 1000)
    return {"pure": pure, "db": via_db, "found": found, "in_window": len(schedule.busy)}


def setup_django() -> None:
    create_database(SCRATCH_DB)
    scratch.setup_django(SCRATCH_DB)
    from django.db import connection

    with connection.cursor() as cursor:  # a clean slate on every run of the script
        cursor.execute(
            "TRUNCATE booking_session, booking_booking, booking_availabilityrule, "
            "booking_timeoff, providers_licensedecision, providers_license, "
            "providers_therapist_modalities, providers_therapist, accounts_user CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    finder = slot_finder(args.runs)
    pure = report.spread(finder["pure"], "ms")
    via_db = report.spread(finder["db"], "ms")
    verdict = "met" if statistics.median(finder["pure"]) <= 20 else "MISSED"
    body = f"""
## Slot finder

A 16-week course over 62 days, 50-minute sessions on a 60-minute grid,
hours 07:00–22:00 every day, for a therapist with 10 000 existing sessions
({finder["found"]} free starts; {finder["in_window"]} of the sessions fall in the window the
database read covers). Target ≤ 20 ms.

| what | min / median / max | target |
| --- | --- | --- |
| pure finder, all 10 000 sessions busy | {pure} | {verdict} |
| `selectors.free_slots` (reads the window, then finds) | {via_db} | — |

{report.machine("slot_finder.py")}
"""
    report.write_section("slot-finder", body)
    print(body)


if __name__ == "__main__":
    main()
