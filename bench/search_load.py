"""Search throughput under load: requests/s of the search page and the search API served
by gunicorn (2 workers, DEBUG off) over 100 000 therapists, measured with wrk on
loopback, divided by the requests/s of a trivial Django view on the same server
(``/bench/constant/`` from ``search_urls``, a URL conf only the benchmark loads).

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

    def __init__(self, database: str, *, conn_max_age: int = CONN_MAX_AGE):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop())
        env = scratch.database_env(database)
        env.update(
            DJANGO_SETTINGS_MODULE="search_settings",
            DEBUG="false",
            CONN_MAX_AGE=str(conn_max_age),
            LOG_LEVEL="WARNING",
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


def wrk(url: str, seconds: int) -> float:
    """Requests/s; refuses a run with errors or non-2xx answers."""
    out = subprocess.run(
        [ensure_wrk(), "-t", "1", "-c", str(CONNECTIONS), "-d", f"{seconds}s", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        raise SystemExit(f"wrk saw failures on {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def measure(database: str, *, runs: int, seconds: int) -> dict:
    """Per run, each URL in turn (so machine noise falls on all of them alike);
    ratios are taken within a run."""
    ensure_wrk()
    rps: dict[str, list[float]] = {name: [] for name in ["trivial", *SEARCHES]}
    ratios: dict[str, list[float]] = {name: [] for name in SEARCHES}
    with Server(database) as server:
        for path in [TRIVIAL, *SEARCHES.values()]:  # warm both workers and the caches
            for _ in range(10):
                if server.get(path) != 200:
                    raise SystemExit(f"{path} did not answer 200")
        for run in range(1, runs + 1):
            trivial = wrk(server.base + TRIVIAL, seconds)
            rps["trivial"].append(trivial)
            line = [f"trivial {trivial:.0f}/s"]
            for name, path in SEARCHES.items():
                value = wrk(server.base + path, seconds)
                rps[name].append(value)
                ratios[name].append(value / trivial)
                line.append(f"{name} {value:.1f}/s ({value / trivial:.3f})")
            print(f"run {run}: " + ", ".join(line), flush=True)
    return {"rps": rps, "ratios": ratios, "runs": runs, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    database = scratch.seeded_database()
    result = measure(database, runs=args.runs, seconds=args.seconds)
    for name, values in result["ratios"].items():
        print(f"{name}: ratio median {statistics.median(values):.3f} (target ≥ {TARGET})")


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
