"""Real Celery workers for tests: `celery worker` (and `celery beat`) subprocesses on the
test database, fed through a real Redis on a queue of their own (the machine's Redis is
shared). ``CeleryProcesses`` starts them; ``celery_worker`` is one worker for a block."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "", safe="")
    password = f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{host}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def _is_task_success(line: str, task_name: str) -> bool:
    """The worker logs one JSON line per task (therapy_directory/structured_logs.py)."""
    if not line.startswith("{"):
        return False
    try:
        entry = json.loads(line)
    except ValueError:
        return False
    return entry.get("task") == task_name and entry.get("state") == "SUCCESS"


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class CeleryProcesses:
    """Several `celery worker` (and optionally `celery beat`) processes on one queue,
    each in its own process group so a test can SIGKILL one whole worker."""

    def __init__(self, *, broker: str, extra_env: dict | None = None):
        self.broker = broker
        self.queue = f"test-{uuid.uuid4().hex[:10]}"
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": broker,
            "CELERY_QUEUE": self.queue,
            "EMAIL_URL": "consolemail://",
            **(extra_env or {}),
        }
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        # Not the current app: tasks the code under test queues afterwards stay on
        # the project's app (eager in tests), not on this broker that the test stops.
        self.sender = Celery(broker=broker, set_as_current=False)

    def _start(self, args: list[str]) -> subprocess.Popen:
        log = ROOT / ".data" / f"{self.queue}-{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "therapy_directory", *args],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        return process

    def start_worker(self, *, concurrency: int = 1) -> subprocess.Popen:
        return self._start(
            [
                "worker", "--queues", self.queue, "--concurrency", str(concurrency),
                "--pool", "prefork", "--loglevel", "INFO", "--without-heartbeat",
                "--without-gossip", "--without-mingle", "-n", f"w{len(self.logs)}@%h",
            ]
        )  # fmt: skip

    def start_beat(self, schedule_dir: Path) -> subprocess.Popen:
        return self._start(
            ["beat", "--loglevel", "INFO", "-s", str(schedule_dir / "celerybeat-schedule")]
        )

    def ready_workers(self) -> int:
        """How many of the started workers have said they are ready."""
        return len(re.findall(r"w\d+@\S+ ready\.", self.output()))

    def send(self, task_name: str, **kwargs):
        return self.sender.send_task(task_name, kwargs=kwargs, queue=self.queue)

    def output(self) -> str:
        return "\n".join(log.read_text() for log in self.logs if log.exists())

    def succeeded(self, task_name: str) -> int:
        """How many runs of ``task_name`` the workers have finished so far."""
        return sum(1 for line in self.output().splitlines() if _is_task_success(line, task_name))

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.sender.close()
        print(self.output()[-4000:])  # shown by pytest when the test fails
        for log in self.logs:
            log.unlink(missing_ok=True)


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 1, extra_env: dict | None = None):
    """One worker on the test Redis; yields its ``CeleryProcesses`` (``send``,
    ``succeeded``, ``output``) and stops it afterwards."""
    celery = CeleryProcesses(broker=redis_url(), extra_env=extra_env)
    try:
        celery.start_worker(concurrency=concurrency)
        yield celery
    finally:
        celery.stop()
