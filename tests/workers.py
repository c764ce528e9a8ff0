"""Real Celery workers for tests: a `celery worker` subprocess on the test database,
fed through the real Redis on a queue of its own (the machine's Redis is shared)."""

from __future__ import annotations

import contextlib
import os
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


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 1, extra_env: dict | None = None):
    """Start a worker; yield a handle that sends tasks by name and reads what ran."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": redis_url(),
        "CELERY_QUEUE": queue,
        "EMAIL_URL": "consolemail://",
        **(extra_env or {}),
    }
    log = open(ROOT / ".data" / f"{queue}.log", "w+")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "therapy_directory", "worker",
            "--queues", queue, "--concurrency", str(concurrency), "--pool", "prefork",
            "--loglevel", "INFO", "--without-heartbeat", "--without-gossip", "--without-mingle",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sender = Celery(broker=redis_url())

    class Handle:
        def send(self, task_name: str, **kwargs):
            return sender.send_task(task_name, kwargs=kwargs, queue=queue)

        def succeeded(self, task_name: str) -> int:
            """How many runs of ``task_name`` the worker has finished so far."""
            log.flush()
            text = Path(log.name).read_text()
            return sum(1 for line in text.splitlines() if task_name in line and "succeeded" in line)

    try:
        yield Handle()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        sender.close()
        log.seek(0)
        output = log.read()
        log.close()
        Path(log.name).unlink(missing_ok=True)
        print(output[-4000:])  # shown by pytest when the test fails


def wait_until(predicate, *, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
