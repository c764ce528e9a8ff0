"""Search server time vs. its SQL: the median time of the search view in-process (Django's
test Client, DEBUG off, the full middleware stack) over 100 000 therapists, divided by the
median time of the same SQL run directly. The SQL is what ``CaptureQueriesContext``
records for one request, timed two ways: summed ``EXPLAIN (ANALYZE, BUFFERS)`` planning +
execution times, and ``pgbench -n -M prepared -f page.sql`` (one transaction = the whole
page's queries, client round trips included).

The search cache is off for all of that (every request runs the search). Then it is
turned on (Redis, as deployed) and the view timed again on repeated requests (warm: all
hits, no SQL at all), against the same SQL: the ratio says what a hit costs relative to
the search it saves.

Used by ``bench/search.py``, which writes the ``search`` section of BENCHMARKS.md; run on
its own it prints the figures (``--profile`` adds a pyinstrument profile of the view).

    .venv/bin/python bench/search_sql.py [--requests 60] [--pgbench-seconds 10]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import scratch  # noqa: E402  (bench/scratch.py, beside this script)

SEARCHES = {
    "HTML page": "/therapists/?state=CA&modality=ipt",
    "API": "/api/v1/therapists/?state=CA&modality=ipt",
}
TARGET = 2.0  # view time / SQL time
# A model-choice field iterates its queryset through a server-side cursor; run directly,
# the SELECT inside the DECLARE is the query.
DECLARE = re.compile(r'^DECLARE\s+"[^"]+"\s+NO SCROLL CURSOR WITH(?:OUT)? HOLD FOR\s+', re.I)


CACHE_REDIS = os.environ.get("BENCH_CACHE_REDIS_URL", "redis://127.0.0.1:6379/14")


def setup_django(database: str) -> None:
    os.environ["DEBUG"] = "false"
    os.environ["CONN_MAX_AGE"] = "60"  # one connection for the whole measurement
    os.environ["LOG_LEVEL"] = "WARNING"  # as the load benchmark's gunicorn: no line per request
    os.environ["REDIS_URL"] = CACHE_REDIS  # the search cache's, when turned on
    os.environ["RAPPORT_REDIS_CACHE"] = "true"
    os.environ["SEARCH_CACHE_SECONDS"] = "0"  # off unless a measurement turns it on
    scratch.setup_django(database)


def search_cache(seconds: int) -> None:
    from django.conf import settings

    settings.SEARCH_CACHE_SECONDS = seconds


def time_view(path: str, requests: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this process: Python, not PostgreSQL) seconds per request."""
    from django.test import Client

    client = Client()
    for _ in range(5):
        assert client.get(path).status_code == 200
    wall, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    return wall, cpu


def capture(path: str) -> tuple[list[str], float]:
    """The SQL one request runs (cursor DECLAREs unwrapped) and the database time Django
    saw for it (round trips included)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    statements = []
    for query in ctx.captured_queries:
        sql = query["sql"]
        if sql.startswith(("FETCH ", "CLOSE ", "SAVEPOINT", "RELEASE SAVEPOINT")):
            continue
        statements.append(DECLARE.sub("", sql))
    return statements, sum(float(q["time"]) for q in ctx.captured_queries)


def explain_each(statements: list[str]) -> list[tuple[float, int]]:
    """Per statement: planning + execution time (ms) and shared buffers touched by the
    execution (hit + read: a cost that does not depend on how busy the machine is)."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            ms = sum(
                float(re.search(label + r": ([\d.]+) ms", plan).group(1))
                for label in ("Planning Time", "Execution Time")
            )
            top = re.search(r"Buffers: shared((?: \w+=\d+)+)", plan)
            buffers = 0
            if top:
                counts = dict(part.split("=") for part in top.group(1).split())
                buffers = int(counts.get("hit", 0)) + int(counts.get("read", 0))
            out.append((ms, buffers))
    return out


def explain_ms(statements: list[str]) -> float:
    """Planning + execution time of the page's statements, summed (ms)."""
    return sum(ms for ms, _ in explain_each(statements))


def explain_plan(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def pgbench_path() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise SystemExit("pgbench not found: install the PostgreSQL client (postgresql-client)")
    return found


def pgbench_ms(statements: list[str], seconds: int) -> float:
    """Mean latency of one transaction running all the page's statements (ms)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        for sql in statements:
            script.write(" ".join(sql.split()) + ";\n")
    env = dict(os.environ)
    if db.get("OPTIONS", {}).get("options"):
        env["PGOPTIONS"] = db["OPTIONS"]["options"]  # the app's session settings, as its SQL ran
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    command = [pgbench_path(), "-n", "-M", "prepared", "-f", script.name, "-T", str(seconds)]
    for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    command.append(db["NAME"])
    try:
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    finally:
        os.unlink(script.name)
    return float(re.search(r"latency average = ([\d.]+) ms", out).group(1))


def profile(path: str, requests: int = 30) -> str:
    from django.test import Client
    from pyinstrument import Profiler

    client = Client()
    client.get(path)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(requests):
        client.get(path)
    profiler.stop()
    return profiler.output_text(color=False, show_all=False, short_mode=True)


def measure(database: str, *, requests: int, pgbench_seconds: int, repeats: int = 3) -> dict:
    setup_django(database)
    results = {}
    for name, path in SEARCHES.items():
        statements, _ = capture(path)
        view, view_cpu = time_view(path, requests)
        each = [explain_each(statements) for _ in range(max(5, repeats))]
        explain = [sum(ms for ms, _ in run) for run in each]
        slowest = max(range(len(statements)), key=lambda i: each[0][i][0])
        pgbench = [pgbench_ms(statements, pgbench_seconds) for _ in range(repeats)]
        in_db = [capture(path)[1] for _ in range(10)]
        view_ms = statistics.median(view) * 1000
        search_cache(60)
        cached, cached_cpu = time_view(path, requests)  # its warm-up requests fill the cache
        search_cache(0)
        cached_ms = statistics.median(cached) * 1000
        results[name] = {
            "path": path,
            "queries": len(statements),
            "view_ms": [t * 1000 for t in view],
            "view_cpu_ms": [t * 1000 for t in view_cpu],
            "buffers": sum(b for _, b in each[-1]),
            "slowest": " ".join(statements[slowest].split()[:3]),
            "slowest_share": statistics.median(
                run[slowest][0] / max(sum(ms for ms, _ in run), 1e-9) for run in each
            ),
            "explain_ms": explain,
            "pgbench_ms": pgbench,
            "django_db_ms": [t * 1000 for t in in_db],
            "ratio_pgbench": view_ms / statistics.median(pgbench),
            "ratio_explain": view_ms / statistics.median(explain),
            "cached_ms": [t * 1000 for t in cached],
            "cached_cpu_ms": [t * 1000 for t in cached_cpu],
            "ratio_cached": cached_ms / statistics.median(pgbench),
            "statements": statements,
        }
        print(
            f"{name}: {len(statements)} queries; view median {view_ms:.1f} ms "
            f"(CPU {statistics.median(view_cpu) * 1000:.1f} ms); SQL by "
            f"pgbench {statistics.median(pgbench):.2f} ms, by EXPLAIN "
            f"{statistics.median(explain):.2f} ms; ratio {results[name]['ratio_pgbench']:.2f} "
            f"(pgbench) / {results[name]['ratio_explain']:.2f} (EXPLAIN); cached (warm) "
            f"view {cached_ms:.2f} ms, ratio {results[name]['ratio_cached']:.3f}",
            flush=True,
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args()
    database = scratch.seeded_database()
    results = measure(database, requests=args.requests, pgbench_seconds=args.pgbench_seconds)
    for name, result in results.items():
        if args.explain:
            for sql in result["statements"]:
                print(f"--- {name}\n{sql}\n{explain_plan(sql)}\n")
        if args.profile:
            print(f"--- profile: {name}\n{profile(result['path'])}")


if __name__ == "__main__":
    main()
