"""Slot finder vs. a peer (issue 7): the free single-session starts of one therapist over
28 days — weekly hours Mon–Fri 09:00–17:00, 50-minute sessions on the hour, 30 % of
them booked — answered by Rapport (``booking.selectors.free_slots``) and by
django-appointment 3.12 (``appointment.services.get_available_slots_for_staff``, called
once per day as its views do), on the same PostgreSQL server with the same data.

The peer runs in its own virtualenv (``.bench-peer-venv/``, made here from
``bench/peer/requirements.txt``) as a subprocess (``bench/peer/run_peer.py``) with its
own database; both sides' answers must be the same set of starts, or the run fails.
Writes the ``peer`` section of BENCHMARKS.md.

    .venv/bin/python bench/peer_slots.py [--runs 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402  (bench/report.py, beside this script)
import scratch  # noqa: E402
import slot_finder  # noqa: E402

SCRATCH_DB = "rapport_bench_slots"
PEER_DB = "rapport_bench_slots_peer"
PEER_VENV = ROOT / ".bench-peer-venv"
PEER_REQUIREMENTS = HERE / "peer" / "requirements.txt"
DAYS = 28
BOOKED_SHARE = 0.3
HOURS = [(weekday, "09:00", "17:00") for weekday in range(5)]  # Mon–Fri
SESSION_MINUTES, STEP_MINUTES = 50, 60
ZONE = "America/New_York"


def peer_python() -> Path:
    """The peer's virtualenv, (re)made when its pinned requirements change."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".requirements-sha256"
    wanted = hashlib.sha256(PEER_REQUIREMENTS.read_bytes()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"making {PEER_VENV.name}/ from bench/peer/requirements.txt", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-r", str(PEER_REQUIREMENTS)],
            check=True,
        )
        stamp.write_text(wanted)
    return python


def setup() -> None:
    slot_finder.create_database(SCRATCH_DB)
    scratch.setup_django(SCRATCH_DB)
    from django.db import connection

    with connection.cursor() as cursor:  # a clean slate on every run of the script
        cursor.execute(
            "TRUNCATE booking_session, booking_booking, booking_availabilityrule, "
            "booking_timeoff, providers_licensedecision, providers_license, "
            "providers_therapist_modalities, providers_therapist, accounts_user CASCADE"
        )
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PEER_DB])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{PEER_DB}"')


def seed():
    """The therapist, the 28-day grid, and 30 % of its starts booked (one session each)."""
    from django.utils.timezone import now

    from accounts.models import User
    from booking import availability
    from booking.models import Booking, Session

    therapist = slot_finder.make_therapist(0)
    therapist.session_minutes, therapist.slot_step_minutes = SESSION_MINUTES, STEP_MINUTES
    therapist.timezone, therapist.notice_hours = ZONE, 0
    therapist.save()
    availability.set_weekly_hours(
        therapist=therapist,
        ranges=[(w, dt.time.fromisoformat(s), dt.time.fromisoformat(e)) for w, s, e in HOURS],
    )
    tz = ZoneInfo(ZONE)
    first_day = now().astimezone(tz).date() + dt.timedelta(days=1)
    grid = [
        dt.datetime.combine(first_day + dt.timedelta(days=n), dt.time(hour), tzinfo=tz)
        for n in range(DAYS)
        if (first_day + dt.timedelta(days=n)).weekday() < 5
        for hour in range(9, 17)
        if hour * 60 + SESSION_MINUTES <= 17 * 60
    ]
    booked = sorted(random.Random(7).sample(grid, round(BOOKED_SHARE * len(grid))))
    client = User.objects.create_user(email="bench-peer-client@example.com", role="client")
    modality = therapist.modalities.get()
    length = dt.timedelta(minutes=SESSION_MINUTES)
    bookings = Booking.objects.bulk_create(
        Booking(
            client=client,
            therapist=therapist,
            modality=modality,
            format="telehealth",
            weeks=1,
            status="confirmed",
        )  # fmt: skip
        for _ in booked
    )
    Session.objects.bulk_create(
        Session(
            booking=b,
            therapist=therapist,
            client=client,
            week=1,
            start=start,
            end=start + length,
            status="confirmed",
        )  # fmt: skip
        for b, start in zip(bookings, booked, strict=True)
    )
    return therapist, first_day, grid, booked


def time_ours(therapist, first_day: dt.date, runs: int, *, days: int, weeks: int):
    from booking.courses import selectors

    found = selectors.free_slots(therapist, first_day=first_day, days=days, weeks=weeks)
    timings = []
    for _ in range(runs):
        t0 = time.perf_counter()
        selectors.free_slots(therapist, first_day=first_day, days=days, weeks=weeks)
        timings.append((time.perf_counter() - t0) * 1000)
    return timings, found


def run_peer(first_day: dt.date, booked: list[dt.datetime], runs: int) -> dict:
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "settings",
        "PEER_DB_NAME": PEER_DB,
        "PEER_DB_USER": db.get("USER") or "",
        "PEER_DB_PASSWORD": db.get("PASSWORD") or "",
        "PEER_DB_HOST": db.get("HOST") or "",
        "PEER_DB_PORT": str(db.get("PORT") or ""),
    }
    length = dt.timedelta(minutes=SESSION_MINUTES)
    scenario = {
        "first_day": first_day.isoformat(),
        "days": DAYS,
        "runs": runs,
        "hours": HOURS,
        "session_minutes": SESSION_MINUTES,
        "step_minutes": STEP_MINUTES,
        "booked": [[s.date().isoformat(), f"{s:%H:%M}", f"{s + length:%H:%M}"] for s in booked],
    }
    done = subprocess.run(
        [str(peer_python()), str(HERE / "peer" / "run_peer.py")],
        input=json.dumps(scenario), capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the peer failed:\n{done.stderr}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    peer_python()  # before timing anything: making it is slow
    setup()
    therapist, first_day, grid, booked = seed()
    ours_ms, ours_found = time_ours(therapist, first_day, args.runs, days=DAYS, weeks=1)
    peer = run_peer(first_day, booked, args.runs)
    tz = ZoneInfo(ZONE)
    ours_slots = sorted(s.astimezone(tz).replace(tzinfo=None).isoformat(timespec="minutes")
                        for s, _ in ours_found)  # fmt: skip
    if ours_slots != sorted(peer["slots"]):
        raise SystemExit(
            f"the answers differ: Rapport {len(ours_slots)} starts, peer {len(peer['slots'])}; "
            f"only Rapport: {sorted(set(ours_slots) - set(peer['slots']))[:5]}, "
            f"only peer: {sorted(set(peer['slots']) - set(ours_slots))[:5]}"
        )
    course_ms, course_found = time_ours(therapist, first_day, args.runs, days=62, weeks=16)
    ratio = statistics.median(peer["ms"]) / statistics.median(ours_ms)
    verdict = "met" if ratio > 1 else "MISSED"
    peer_spread = report.spread(peer["ms"], "ms", 2)
    body = f"""
## Slot finder vs. a peer

Free single-session starts for one therapist over {DAYS} days from tomorrow — weekly hours
Mon–Fri 09:00–17:00 ({ZONE}), {SESSION_MINUTES}-minute sessions on a {STEP_MINUTES}-minute
grid, {len(booked)} of the {len(grid)} grid starts ({BOOKED_SHARE:.0%}) booked — asked of
Rapport's `booking.selectors.free_slots(days={DAYS}, weeks=1)` (one call: reads hours, time off
and sessions, then finds) and of django-appointment {peer["versions"]["appointment"]}'s
`appointment.services.get_available_slots_for_staff` called for each of the {DAYS} days, as its
own views do (Config, a {SESSION_MINUTES}-minute Service, a StaffMember with a
{STEP_MINUTES}-minute slot duration, WorkingHours Mon–Fri, one Appointment per booked session;
Django {peer["versions"]["django"]}, its own virtualenv and database on the same PostgreSQL
server). Both answered the same {len(ours_slots)} starts. {args.runs} timed runs each, after
one warm-up. Target: ours faster ({verdict}).

| what | min / median / max |
| --- | --- |
| Rapport, `free_slots`, {DAYS} days | {report.spread(ours_ms, "ms", 2)} |
| django-appointment, {DAYS} × `get_available_slots_for_staff` | {peer_spread} |
| **ratio** peer / Rapport (medians) | **{ratio:.1f}×** |

The peer answers one day at a time for single appointments; it has no question for "the
same weekly time for 16 weeks". Rapport answers that too, on the same data: every start in
the next 62 days free for all 16 weekly occurrences ({len(course_found)} starts) in
{report.spread(course_ms, "ms", 2)} (min / median / max).

{report.machine("peer_slots.py")}
"""
    report.write_section("peer", body)
    print(body)


if __name__ == "__main__":
    main()
