"""Benchmark ``manage.py seed_demo`` at 100 000 therapists on a fresh database.

Each run drops and re-creates a scratch database (``rapport_bench`` on the same server as
the app's database), migrates it, then times ``seed_demo`` as a user runs it: a separate
``manage.py`` process, start-up included. Writes min / median / max and the machine into
the ``seed_demo`` section of BENCHMARKS.md.

    .venv/bin/python bench/seed_demo.py [--therapists 100000] [--runs 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402  (bench/report.py, beside this script)

BENCH_DB = "rapport_bench"
LIMIT_SECONDS = 60


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()  # the embedded server starts on the first connection


def bench_env() -> dict[str, str]:
    """The environment that points manage.py at the scratch database."""
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        parts = urlsplit(env["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    else:
        env["RAPPORT_DB_NAME"] = BENCH_DB  # settings create it on the embedded server
    return env


def maintenance_connection():
    """A connection to the server's ``postgres`` database, to drop the scratch one."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    conn.autocommit = True
    return conn


def drop_bench_database() -> None:
    conn = maintenance_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    finally:
        conn.close()


def create_bench_database() -> None:
    conn = maintenance_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{BENCH_DB}"')
    finally:
        conn.close()


def manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=bench_env(),
        check=True,
        capture_output=True,
        text=True,
    )


def count_therapists() -> int:
    out = manage(
        "shell", "-c", "from providers.models import Therapist; print(Therapist.objects.count())"
    )
    return int(out.stdout.strip().splitlines()[-1])


def one_run(therapists: int, seed: int) -> tuple[float, str]:
    drop_bench_database()
    create_bench_database()
    manage("migrate", "--noinput")
    started = time.perf_counter()
    out = manage("seed_demo", "--therapists", str(therapists), "--seed", str(seed))
    elapsed = time.perf_counter() - started
    found = count_therapists()
    if found != therapists:
        raise SystemExit(f"seed_demo made {found} therapists, expected {therapists}")
    summary = next(line for line in out.stdout.splitlines() if line.startswith("Seeded"))
    return elapsed, summary


def server_version() -> str:
    conn = maintenance_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        conn.close()


def section(*, therapists, seed, times, summary, load) -> str:
    import django

    verdict = "within" if max(times) <= LIMIT_SECONDS else "OVER"
    return "\n".join(
        [
            "## seed_demo",
            "",
            f"`manage.py seed_demo --therapists {therapists} --seed {seed}` on a fresh, "
            "migrated database, timed as a separate process (start-up, generation, COPY with "
            "its foreign-key checks, commit and ANALYZE included). "
            f"Budget: {LIMIT_SECONDS} s ({verdict} budget).",
            "",
            "| therapists | runs | min | median | max |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {therapists} | {len(times)} | {min(times):.1f} s | "
            f"{statistics.median(times):.1f} s | {max(times):.1f} s |",
            "",
            f"- Runs (s): {', '.join(f'{t:.1f}' for t in times)}",
            f"- Last run: {summary}",
            f"- Machine: {report.cpu_model()}, {os.cpu_count()} cores; load average before the "
            f"runs {load}",
            f"- Python {platform.python_version()}, Django {django.get_version()}, "
            f"PostgreSQL {server_version()}",
            f"- Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/seed_demo.py`",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--therapists", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    django_setup()  # attaches to (or starts) the embedded server for the whole benchmark
    load = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    times, summary = [], ""
    try:
        for run in range(1, args.runs + 1):
            elapsed, summary = one_run(args.therapists, args.seed)
            times.append(elapsed)
            print(f"run {run}: {elapsed:.1f} s — {summary}", flush=True)
    finally:
        drop_bench_database()
    report.write_section(
        "seed_demo",
        section(
            therapists=args.therapists, seed=args.seed, times=times, summary=summary, load=load
        ),
    )
    print(
        f"seed_demo x{args.runs}: min {min(times):.1f} s, median "
        f"{statistics.median(times):.1f} s, max {max(times):.1f} s → {report.BENCHMARKS.name}"
    )


if __name__ == "__main__":
    main()
