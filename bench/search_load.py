"""Search throughput under load: requests/s of the search page and the search API served
by gunicorn (2 workers, DEBUG off) over 100 000 therapists, measured with wrk on
loopback, divided by the requests/s of a trivial Django view on the same server
(``/bench/constant/`` from ``search_urls``, a URL conf only the benchmark loads).

Measured twice, on two servers: with the search cache off (``SEARCH_CACHE_SECONDS=0``:
every request runs the search) and on (``SEARCH_CACHE_SECONDS=60``, Redis as deployed).
With the cache on: the same URL over and over (warm: every request after the first is a
hit), and a *mix*: a fixed sequence of popular and rare searches (every state, each
modality or none, pages 1–3, drawn with Zipf weights as real traffic repeats its popular
queries), started each run from an empty cache, so every distinct search in it is a miss
once.

Used by ``bench/search.py``, which writes the ``search`` section of BENCHMARKS.md; run on
its own it prints the figures.

    .venv/bin/python bench/search_load.py [--runs 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import scratch  # noqa: E402  (bench/scratch.py, beside this script)

TRIVIAL = "/bench/constant/"
SEARCHES = {
    "HTML page": "/therapists/?state=CA&modality=ipt",
    "API": "/api/v1/therapists/?state=CA&modality=ipt",
}
TARGET = 0.5  # search rps / trivial rps
CACHE_SECONDS = 60  # the app's default
# A Redis database of the benchmark's own: flushed before each mix run.
CACHE_REDIS = os.environ.get("BENCH_CACHE_REDIS_URL", "redis://127.0.0.1:6379/14")
MIX_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY",
]  # fmt: skip
MIX_LENGTH = 2000  # requests in the sequence wrk cycles through
MIX_ZIPF = 1.1
WORKERS = 2
CONNECTIONS = 4  # two per worker: each worker always has the next request waiting
# Persistent database connections, as a production deployment sets them (CONN_MAX_AGE):
# without, every request that touches the database pays for a new PostgreSQL backend.
CONN_MAX_AGE = 60


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    print("installing wrk (apt-get install -y wrk)", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    path = shutil.which("wrk")
    if not path:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command() -> list[str]:
    beside = Path(sys.executable).with_name("gunicorn")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "gunicorn"]


class Server:
    """gunicorn with the app's settings plus the constant view, on a free loopback port."""

    def __init__(self, database: str, *, cache_seconds: int = 0, conn_max_age: int = CONN_MAX_AGE):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop())
        env = scratch.database_env(database)
        env.update(
            DJANGO_SETTINGS_MODULE="search_settings",
            DEBUG="false",
            CONN_MAX_AGE=str(conn_max_age),
            LOG_LEVEL="WARNING",
            SEARCH_CACHE_SECONDS=str(cache_seconds),
            REDIS_URL=CACHE_REDIS,
            RAPPORT_REDIS_CACHE="true",
        )
        self.process = subprocess.Popen(
            [
                *gunicorn_command(),
                "--pythonpath",
                str(HERE),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "therapy_directory.wsgi",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,  # a file, not a pipe nobody reads while wrk runs
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited: {self.tail()}")
            try:
                with urllib.request.urlopen(self.base + TRIVIAL, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within a minute")

    def tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def get(self, path: str) -> int:
        with urllib.request.urlopen(self.base + path, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the master stops its workers
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def wrk(url: str, seconds: int, script: str | None = None) -> tuple[float, int]:
    """Requests/s and requests made; refuses a run with errors or non-2xx answers."""
    command = [ensure_wrk(), "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise SystemExit(f"wrk saw failures on {url}:\n{out}")
    made = int(re.search(r"(\d+) requests in", out).group(1))
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), made


def mix_paths(path: str) -> list[str]:
    """The mix for one search path (``/therapists/`` or the API's): ``MIX_LENGTH`` draws,
    with Zipf weights, from every state × (any, each modality) × pages 1–3; the order of
    popularity shuffled by a fixed seed, so every run and both paths see the same mix."""
    import random

    queries = [
        f"{path}?state={state}" + (f"&modality={modality}" if modality else "")
        + (f"&page={page}" if page > 1 else "")
        for state in MIX_STATES
        for modality in ("", "ipt", "cbt", "group")
        for page in (1, 2, 3)
    ]  # fmt: skip
    rng = random.Random(7)
    rng.shuffle(queries)
    weights = [1 / rank**MIX_ZIPF for rank in range(1, len(queries) + 1)]
    return rng.choices(queries, weights=weights, k=MIX_LENGTH)


def mix_script(paths: list[str]) -> str:
    """A wrk Lua script cycling through ``paths``."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
    with handle:
        handle.write("local paths = {\n")
        handle.writelines(f'  "{p}",\n' for p in paths)
        handle.write(
            "}\nlocal i = 0\nrequest = function()\n  i = i % #paths + 1\n"
            '  return wrk.format("GET", paths[i])\nend\n'
        )
    return handle.name


def flush_cache() -> None:
    import redis

    redis.Redis.from_url(CACHE_REDIS).flushdb()


MIXES = {"HTML page": "/therapists/", "API": "/api/v1/therapists/"}


def _warm(server: Server, paths) -> None:
    for path in paths:  # warm both workers (and, with the cache on, the cache)
        for _ in range(10):
            if server.get(path) != 200:
                raise SystemExit(f"{path} did not answer 200")


def measure_server(database: str, *, cached: bool, runs: int, seconds: int) -> dict:
    """One server, the cache on or off. Per run, each URL in turn (so machine noise falls
    on all of them alike); ratios are taken within a run."""
    names = ["trivial", *SEARCHES, *([f"{n} mix" for n in MIXES] if cached else [])]
    rps: dict[str, list[float]] = {name: [] for name in names}
    ratios: dict[str, list[float]] = {name: [] for name in names[1:]}
    mix = {}
    with Server(database, cache_seconds=CACHE_SECONDS if cached else 0) as server:
        if cached:
            flush_cache()
        _warm(server, [TRIVIAL, *SEARCHES.values()])
        scripts = {}
        if cached:
            for name, path in MIXES.items():
                paths = mix_paths(path)
                scripts[name] = mix_script(paths)
                mix[name] = {"distinct": len(set(paths)), "length": len(paths), "made": []}
        try:
            for run in range(1, runs + 1):
                trivial, _ = wrk(server.base + TRIVIAL, seconds)
                rps["trivial"].append(trivial)
                line = [f"trivial {trivial:.0f}/s"]
                urls = [(name, path, None) for name, path in SEARCHES.items()]
                urls += [(f"{n} mix", MIXES[n], scripts[n]) for n in scripts]
                for name, path, script in urls:
                    if script:
                        flush_cache()  # every distinct search of the mix misses once
                    value, made = wrk(server.base + path, seconds, script)
                    if script:
                        mix[name.removesuffix(" mix")]["made"].append(made)
                    rps[name].append(value)
                    ratios[name].append(value / trivial)
                    line.append(f"{name} {value:.1f}/s ({value / trivial:.3f})")
                label = "cache on" if cached else "cache off"
                print(f"run {run} ({label}): " + ", ".join(line), flush=True)
        finally:
            for script in scripts.values():
                os.unlink(script)
    return {"rps": rps, "ratios": ratios, "mix": mix}


def measure(database: str, *, runs: int, seconds: int) -> dict:
    """The cache off (cold: every request searches), then on (warm and mix)."""
    ensure_wrk()
    return {
        "uncached": measure_server(database, cached=False, runs=runs, seconds=seconds),
        "cached": measure_server(database, cached=True, runs=runs, seconds=seconds),
        "runs": runs,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    database = scratch.seeded_database()
    result = measure(database, runs=args.runs, seconds=args.seconds)
    for mode in ("uncached", "cached"):
        for name, values in result[mode]["ratios"].items():
            median = statistics.median(values)
            print(f"{mode} {name}: ratio median {median:.3f} (target ≥ {TARGET})")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
