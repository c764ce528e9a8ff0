"""Traffic: the site under a realistic mix of requests at fixed offered rates, as deployed
(gunicorn, its default 2 workers, Redis cache on, DEBUG off), on 100 000 therapists and
a year of sessions. Writes the ``traffic`` section of BENCHMARKS.md.

Serves the app in ``--app DIR`` (its manage.py and wsgi, with this virtualenv), so the
same load can be offered to two checkouts. Per step (offered rate): locust
(``bench/traffic_locust.py``) offers the mix for a warm-up and a measured window; the
server time of each request is its duration in the app's own request log line (gunicorn's
stderr), matched to its class by the request id; errors are locust's failures plus any
5xx in the log. The ladder goes up until a step breaks (a class's p95 over the target,
or any error); the capacity is the highest offered rate at which every class kept its
p95 ≤ 100 ms with no error.

The database is the machine's PostgreSQL (``--database-url``, ``rapport_bench_traffic``),
re-created and seeded on every run: both checkouts then meet the same server, set up by
the same interface a deployment uses (``DATABASE_URL``), whatever either checkout does
with the embedded server; the demo and test databases are not touched.

    .venv/bin/python bench/traffic.py [--app DIR] [--label before] [--therapists 100000]
        [--rates 4,8,12,16,24,32] [--step 45] [--warmup 10] [--repeat 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402  (bench/report.py, beside this script)
import traffic_data  # noqa: E402
from traffic_mix import MIX  # noqa: E402

RUNS = HERE / "traffic_runs.json"  # every labelled run, for the section (before / after)
TARGET_MS = 100
GIVE_UP_MS = 3000  # the default of --give-up-ms, for the section's text
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/rapport_bench_traffic"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def app_env(args, data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RAPPORT_", "DATABASE_", "REDIS_", "SEARCH_"))
    }
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DEBUG="False",
        RAPPORT_DATA_DIR=str(data_dir),
        LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(args, env, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=args.app, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_database(args, env, catalogue: Path) -> dict:
    """Re-created, migrated, seeded (seed_demo + a year of sessions), VACUUM ANALYZEd."""
    parts = urlsplit(args.database_url)
    name = parts.path.lstrip("/")
    server = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()
    timings = {}
    t0 = time.perf_counter()
    manage(args, env, "migrate", "--noinput")
    timings["migrate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    manage(args, env, "seed_demo", "--therapists", str(args.therapists), "--seed", "1")
    timings["seed_demo_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn = psycopg2.connect(args.database_url)
    counts = traffic_data.add_year(
        conn, bookings=args.bookings, personas=args.personas,
        therapist_personas=args.personas // 2, groups=args.groups,
    )  # fmt: skip
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    traffic_data.catalogue(
        conn, catalogue, personas=args.personas, therapist_personas=args.personas // 2
    )
    conn.close()
    timings["year_s"] = time.perf_counter() - t0
    return {**counts, **timings}


def start_server(args, env, log_path: Path) -> subprocess.Popen:
    """gunicorn as the Procfile runs it, its stderr (the app's JSON log) to ``log_path``."""
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()  # a cold cache, ours alone (own db number)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "therapy_directory.wsgi",
         "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.workers)],
        cwd=args.app, env=env, stdout=subprocess.DEVNULL, stderr=log_path.open("w"),
        start_new_session=True,
    )  # fmt: skip
    for _ in range(60):
        try:
            if requests.get(f"{base(args)}/accounts/login/", timeout=10).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def base(args) -> str:
    return f"http://127.0.0.1:{args.port}"


def sign_in(args, email: str, password: str) -> dict:
    """A persona's session cookie and CSRF token, through the log-in page."""
    session = requests.Session()
    page = session.get(f"{base(args)}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base(args)}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base(args)}/accounts/login/"},
        allow_redirects=False, timeout=30,
    )  # fmt: skip
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"signing in {email} failed: {answer.status_code}")
    cookies = session.cookies.get_dict()
    return {
        "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "csrf": cookies.get("csrftoken", ""),
    }


def personas(args, catalogue: dict, path: Path) -> None:
    password = catalogue["password"]
    # A few at a time: each sign-in re-hashes the password with Argon2 (slow by design).
    with ThreadPoolExecutor(4) as pool:
        clients = list(pool.map(lambda email: sign_in(args, email, password),
                                [email for email, _, _ in catalogue["clients"]]))  # fmt: skip
        therapists = list(pool.map(lambda email: sign_in(args, email, password),
                                   catalogue["therapist_logins"]))  # fmt: skip
    clients = [
        {**cookies, "state": state, "booking": booking}
        for cookies, (_, state, booking) in zip(clients, catalogue["clients"], strict=True)
    ]
    path.write_text(json.dumps({"clients": clients, "therapists": therapists}))


def run_step(args, rate: float, files: dict, log_path: Path) -> dict:
    """One offered rate: locust for warm-up + step seconds; the server times of the
    requests that started in the measured window."""
    users = max(20, math.ceil(rate * args.gap))
    env = {
        **os.environ,
        "TRAFFIC_CATALOGUE": str(files["catalogue"]),
        "TRAFFIC_PERSONAS": str(files["personas"]),
        "TRAFFIC_RATE": str(rate),
        "TRAFFIC_USERS": str(users),
    }
    prefix = files["dir"] / f"locust-{rate:g}"
    offset = log_path.stat().st_size
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(HERE / "traffic_locust.py"), "--headless",
         "--users", str(users), "--spawn-rate", str(users), "--host", base(args),
         "--run-time", f"{args.warmup + args.step}s", "--stop-timeout", "10",
         "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.DEVNULL, stderr=(files["dir"] / "locust.log").open("a"),
        check=False,
    )  # fmt: skip
    window = (started + args.warmup, started + args.warmup + args.step)
    server = server_times(log_path, offset, window)
    failures = locust_failures(prefix)
    classes = {}
    for kind in [*MIX, *sorted(set(server) - set(MIX))]:
        times = server.get(kind, {"ms": [], "5xx": 0})
        if not times["ms"] and kind not in failures:
            continue
        classes[kind] = {
            "count": len(times["ms"]),
            **percentiles(times["ms"]),
            "errors": failures.get(kind, 0) + times["5xx"],
        }
    measured = sum(c["count"] for c in classes.values())
    return {
        "rate": rate,
        "users": users,
        "achieved": measured / args.step,
        "conflicts": failures.get("book: conflict (409)", 0),
        "classes": classes,
        "ok": all(
            c["errors"] == 0 and (c["p95"] is None or c["p95"] <= TARGET_MS)
            for c in classes.values()
        ),
        "ok_errors": all(c["errors"] == 0 for c in classes.values()),
    }


def server_times(log_path: Path, offset: int, window: tuple[float, float]) -> dict:
    """Request class → server durations (ms) and 5xx count, from the app's JSON lines
    whose request id names a class and whose time falls in ``window``."""
    found: dict = defaultdict(lambda: {"ms": [], "5xx": 0})
    with log_path.open() as lines:
        lines.seek(offset)
        for line in lines:
            if '"rapport.request"' not in line:
                continue
            entry = json.loads(line)
            kind = entry.get("request_id", "").split(".", 1)[0].replace("_", " ")
            if kind not in MIX and kind != "slots API":
                continue
            # The line is written when the request ends: its start is time - duration.
            ended = dt.datetime.fromisoformat(entry["time"]).timestamp()
            if not window[0] <= ended - entry["duration_ms"] / 1000 < window[1]:
                continue
            found[kind]["ms"].append(entry["duration_ms"])
            if entry["status"] >= 500:
                found[kind]["5xx"] += 1
    return found


def locust_failures(prefix: Path) -> dict[str, int]:
    path = Path(f"{prefix}_stats.csv")
    if not path.exists():
        return {"locust": 1}
    import csv

    counts = {}
    with path.open() as rows:
        for row in csv.DictReader(rows):
            if row["Name"] == "Aggregated":
                continue
            if row["Name"] == "book: conflict (409)":
                counts[row["Name"]] = int(row["Request Count"])
            elif int(row["Failure Count"]):
                counts[row["Name"]] = int(row["Failure Count"])
    return counts


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def ladder(args, files, log_path) -> list[dict]:
    steps = []
    for rate in args.rates:
        log(f"offering {rate:g} req/s for {args.warmup}+{args.step} s")
        step = run_step(args, rate, files, log_path)
        steps.append(step)
        worst = max(((c["p95"] or 0, k) for k, c in step["classes"].items()), default=(0, "-"))
        errors = sum(c["errors"] for c in step["classes"].values())
        log(
            f"  achieved {step['achieved']:.1f} req/s; worst p95 {worst[0]:.0f} ms ({worst[1]}); "
            f"errors {errors}; {'ok' if step['ok'] else 'BROKEN'}"
        )
        # Past the target the ladder goes on (a class that misses it at every rate would
        # otherwise hide how the others fare), until the site fails: errors, or a page
        # slower than GIVE_UP_MS at p95.
        if errors or worst[0] > args.give_up_ms:
            break
    return steps


def capacity(steps: list[dict]) -> float:
    """The highest offered rate up to which every step kept every class's p95 within the
    target, with no error (0 when the lowest rate already missed)."""
    passed = 0.0
    for step in steps:
        if not step["ok"]:
            break
        passed = step["rate"]
    return passed


def class_capacity(steps: list[dict], kind: str) -> float:
    """The same, for one request class alone."""
    passed = 0.0
    for step in steps:
        got = step["classes"].get(kind)
        if got is not None and (got["errors"] or (got["p95"] or 0) > TARGET_MS):
            break
        passed = step["rate"]
    return passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--label", default="current code")
    parser.add_argument("--therapists", type=int, default=100_000)
    parser.add_argument("--bookings", type=int, help="courses in the year (0.3 × therapists)")
    parser.add_argument("--groups", type=int, help="default: therapists ÷ 200")
    parser.add_argument("--personas", type=int, default=24, help="signed-in clients (½ therapists)")
    parser.add_argument("--rates", default="4,8,12,16,24,32")
    parser.add_argument("--step", type=int, default=45, help="measured seconds per rate")
    parser.add_argument("--warmup", type=int, default=10, help="seconds per rate not measured")
    parser.add_argument("--gap", type=float, default=5.0, help="mean s between a user's actions")
    parser.add_argument("--repeat", type=int, default=1, help="ladders on the same server")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 2)))
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument(
        "--database-url", default=os.environ.get("TRAFFIC_DATABASE_URL", DEFAULT_DB)
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument(
        "--give-up-ms", type=float, default=3000, help="stop the ladder past this p95"
    )
    parser.add_argument("--no-write", action="store_true", help="leave BENCHMARKS.md alone")
    args = parser.parse_args()
    args.app = args.app.resolve()
    args.rates = [float(r) for r in args.rates.split(",")]
    args.bookings = args.bookings or int(args.therapists * 0.3)
    args.groups = args.groups or max(10, args.therapists // 200)
    begun = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="rapport-traffic-"))
    files = {"dir": work, "catalogue": work / "catalogue.json", "personas": work / "personas.json"}
    env = app_env(args, work / "data")
    commit = subprocess.run(
        ["git", "-C", str(args.app), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    log(f"seeding {args.therapists} therapists + {args.bookings} courses ({args.app}, {commit})")
    data = prepare_database(args, env, files["catalogue"])
    log(f"  {data}")
    log_path = work / "gunicorn.log"
    server = start_server(args, env, log_path)
    try:
        personas(args, json.loads(files["catalogue"].read_text()), files["personas"])
        load_before = os.getloadavg()
        ladders = [ladder(args, files, log_path) for _ in range(args.repeat)]
    finally:
        stop_server(server)
    run = {
        "label": args.label,
        "app": str(args.app),
        "commit": commit,
        "measured": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "machine": report.machine("traffic.py").split("\n")[0].removeprefix("- Machine: "),
        "load_before": load_before,
        "therapists": args.therapists,
        "data": data,
        "workers": args.workers,
        "step_s": args.step,
        "warmup_s": args.warmup,
        "ladders": ladders,
        "capacities": [capacity(steps) for steps in ladders],
        "class_capacities": {
            kind: [class_capacity(steps, kind) for steps in ladders] for kind in MIX
        },
        "total_s": time.perf_counter() - begun,
    }
    (work / "run.json").write_text(json.dumps(run, indent=1))
    print(step_table(ladders))
    log(f"capacity {run['capacities']} req/s; whole run {run['total_s']:.0f} s; files in {work}")
    if not args.no_write:
        runs = json.loads(RUNS.read_text()) if RUNS.exists() else {}
        runs[args.label] = run
        RUNS.write_text(json.dumps(runs, indent=1) + "\n")
        write_section()


def write_section() -> None:
    """The ``traffic`` section from every labelled run in ``bench/traffic_runs.json``."""
    report.write_section("traffic", section(json.loads(RUNS.read_text())))
    return 0


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if value >= 10 or float(value).is_integer() else f"{value:.1f}"


def spread(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    if len(values) == 1:
        return fmt(values[0])
    return " / ".join(fmt(v) for v in (min(values), statistics.median(values), max(values)))


def section(runs: dict) -> str:
    total = sum(MIX.values())
    mix = "\n".join(f"| {kind} | {weight / total:.0%} |" for kind, weight in MIX.items())
    parts = [
        f"""
## Traffic

The site as deployed (gunicorn, `--workers 2`, Redis cache on, DEBUG off, the machine's
PostgreSQL) under a fixed offered rate of a realistic mix, on `seed_demo --therapists N`
plus a year of weekly courses (`bench/traffic_data.py`: one client per 12-week course,
starts spread over the last 40 weeks and the next 4, inside the therapists' hours) and
groups. Open loop (`bench/traffic_locust.py`): every simulated user keeps its own Poisson
timetable and starts its next action at once when it is behind, and there are ~5 s × rate
users, so a slow server does not lower the offered rate. Searches spread over states,
modalities and pages and profiles over therapists by Zipf popularity. **Server time** is
the app's own duration of each request (its JSON request log line, matched by request
id), so it leaves out the wait for a free gunicorn worker; errors are locust's failures
(409 on a booking race excluded: it is the designed answer) and any 5xx. Each rate runs a
warm-up, then a measured window; the ladder goes on past the target until a step has errors
or a class's p95 passes {GIVE_UP_MS:g} ms. **Capacity**: the highest offered rate at which every
class kept p95 ≤ {TARGET_MS} ms with no error; **per class**, the same for that class alone.

| request class | share of actions |
| --- | ---: |
{mix}

`book` is the slots API for a therapist licensed in the client's state, then
`POST /api/v1/bookings/` of one of its free starts (12 weeks); `cancel` cancels the rest of
a course booked earlier in the run. Both change the therapist's next opening, and so the
cached search answers.

    .venv/bin/python bench/traffic.py --app DIR --label NAME   # the lead's before/after runs
"""
    ]
    parts.append(comparison(runs))
    for label, run in runs.items():
        caps = run["capacities"]
        data = run["data"]
        lowest = min(step["rate"] for steps in run["ladders"] for step in steps)
        shown = spread(caps) if any(caps) else f"below {lowest:g}"
        repeats = len(run["ladders"])
        parts.append(
            f"\n### {label}: capacity **{shown} req/s**\n\n"
            f"`{run['app']}` at `{run['commit']}`, measured {run['measured']}; "
            f"{run['therapists']} therapists, {data['bookings']} courses "
            f"({data['sessions']} sessions), {data['groups']} groups; seeding "
            f"{data['migrate_s'] + data['seed_demo_s'] + data['year_s']:.0f} s, whole run "
            f"{run['total_s'] / 60:.1f} min. {run['workers']} gunicorn workers; each rate "
            f"{run['warmup_s']} s warm-up + {run['step_s']} s measured; {repeats} ladder(s)"
            f"{' (min / median / max over them)' if repeats > 1 else ''}. Machine: "
            f"{run['machine'].split(', load average')[0]}; load average before the ladder "
            f"{' / '.join(f'{x:.2f}' for x in run['load_before'])}.\n\n"
            f"{step_table(run['ladders'])}\n"
        )
    return "\n".join(parts)


def keeps_up(steps: list[dict]) -> float:
    """The highest offered rate the site kept up with: at least 90 % of it served in the
    measured window, with no error, whatever the response times."""
    kept = [s["rate"] for s in steps if s["achieved"] >= 0.9 * s["rate"] and s["ok_errors"]]
    return max(kept, default=0.0)


def comparison(runs: dict) -> str:
    """Capacity, whole and per class, of every run side by side (req/s; 0: the lowest
    offered rate already missed the target)."""
    labels = list(runs)
    head = "| | " + " | ".join(labels) + " |\n| --- |" + " ---: |" * len(labels)
    rows = [
        "| **every class** (p95 ≤ 100 ms, no error) | "
        + " | ".join(spread(runs[x]["capacities"]) for x in labels),
        "| kept up with (≥ 90 % served, no error) | "
        + " | ".join(spread([keeps_up(steps) for steps in runs[x]["ladders"]]) for x in labels),
    ]
    for kind in MIX:
        cells = [spread(runs[x].get("class_capacities", {}).get(kind, [])) for x in labels]
        rows.append(f"| {kind} | " + " | ".join(cells))
    return "\n### Capacity (req/s)\n\n" + head + "\n" + " |\n".join(rows) + " |\n"


def step_table(ladders: list[list[dict]]) -> str:
    """Per offered rate and class: server p50 / p95 / p99 (ms), requests, errors."""
    by_rate: dict = defaultdict(list)
    for steps in ladders:
        for step in steps:
            by_rate[step["rate"]].append(step)
    rows = [
        "| offered req/s | achieved | class | requests | p50 ms | p95 ms | p99 ms | errors |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rate, steps in sorted(by_rate.items()):
        verdict = "ok" if all(s["ok"] for s in steps) else "**broken**"
        achieved = spread([s["achieved"] for s in steps])
        kinds = [k for k in MIX if any(k in s["classes"] for s in steps)]
        for i, kind in enumerate(kinds):
            got = [s["classes"][kind] for s in steps if kind in s["classes"]]
            lead = f"| {rate:g} ({verdict}) | {achieved} " if i == 0 else "| | "
            rows.append(
                f"{lead}| {kind} | {spread([c['count'] for c in got])} "
                f"| {spread([c['p50'] for c in got])} | {spread([c['p95'] for c in got])} "
                f"| {spread([c['p99'] for c in got])} | {spread([c['errors'] for c in got])} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
