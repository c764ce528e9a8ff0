"""Reminders against real Celery workers and a real Redis: exactly once across
several workers, nothing lost when a worker is SIGKILLed or Redis restarts."""

import collections
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from notifications.models import Reminder
from tests.notifications.helpers import make_due_reminders
from tests.workers import CeleryProcesses, redis_url, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
HEADER = re.compile(r"^X-Rapport-Reminder: (\d+)$", re.MULTILINE)


def sent_ids(mail_dir: Path) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    for path in mail_dir.glob("*"):
        counts.update(int(m) for m in HEADER.findall(path.read_text(errors="replace")))
    return counts


def all_marked_sent(ids) -> bool:
    return Reminder.objects.filter(pk__in=ids, status="sent").count() == len(ids)


def test_1000_due_reminders_over_3_workers_are_each_sent_exactly_once(tmp_path):
    ids = make_due_reminders(1000)
    mail_dir = tmp_path / "mail"
    celery = CeleryProcesses(
        broker=redis_url(),
        extra_env={"EMAIL_URL": f"filemail://{mail_dir}"},
    )
    try:
        for _ in range(3):
            celery.start_worker()
        # All three up before the tasks go out: a worker that started first could drain
        # the 1 000 rows (five batches) before the others are up, and nothing would race.
        assert wait_until(lambda: celery.ready_workers() == 3, timeout=60), celery.output()
        # What beat does every minute, several times at once so every worker races.
        for _ in range(6):
            celery.send("notifications.tasks.dispatch_reminders")
        assert wait_until(lambda: all_marked_sent(ids), timeout=90), celery.output()[-3000:]
    finally:
        celery.stop()
    counts = sent_ids(mail_dir)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1, [i for i, n in counts.items() if n > 1]
    workers = {r.claimed_by.split(":")[1] for r in Reminder.objects.filter(pk__in=ids)}
    assert len(workers) >= 2, "the batches should have been shared between workers"


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one(tmp_path):
    ids = make_due_reminders(300)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    celery = CeleryProcesses(
        broker=redis_url(),
        extra_env={
            "EMAIL_BACKEND": "tests.notifications.slow_mail.SlowFileBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "RAPPORT_TEST_MAIL_DELAY": "0.02",
            "REMINDER_LEASE_SECONDS": "3",
        },
    )
    try:
        victim = celery.start_worker()
        celery.send("notifications.tasks.dispatch_reminders")
        assert wait_until(lambda: sum(sent_ids(mail_dir).values()) >= 40, timeout=60)
        celery.kill(victim)  # SIGKILL, worker and its pool, in the middle of a batch
        left_sending = set(
            Reminder.objects.filter(pk__in=ids, status="sending").values_list("pk", flat=True)
        )
        assert left_sending
        handed_before_kill = sent_ids(mail_dir)
        time.sleep(3.5)  # the dead worker's lease runs out
        celery.start_worker()
        celery.send("notifications.tasks.dispatch_reminders")
        assert wait_until(lambda: all_marked_sent(ids), timeout=90), celery.output()[-3000:]
    finally:
        celery.stop()
    counts = sent_ids(mail_dir)
    duplicated = {i for i, n in counts.items() if n > 1}
    duplicates = sum(n - 1 for n in counts.values())
    print(f"duplicates after one SIGKILL: {duplicates} (rows left sending: {len(left_sending)})")
    assert set(counts) == set(ids), "a reminder was lost"
    # One killed dispatcher: at most the one message it had handed over but not yet
    # marked is sent again, and only a row it left ``sending`` after handing it over.
    assert duplicates <= 1
    assert duplicated <= left_sending & set(handed_before_kill)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(port: int, workdir: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server", "--port", str(port),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    assert wait_until(lambda: _pings(client), timeout=10)
    return server


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.RedisError:
        return False


def test_reminders_due_while_redis_restarts_are_all_sent_once_it_is_back(tmp_path):
    port = _free_port()
    server = _start_redis(port, tmp_path)
    mail_dir = tmp_path / "mail"
    celery = CeleryProcesses(
        broker=f"redis://127.0.0.1:{port}/0",
        extra_env={
            "EMAIL_URL": f"filemail://{mail_dir}",
            "REMINDER_DISPATCH_EVERY_SECONDS": "1",
        },
    )
    try:
        celery.start_worker()
        celery.start_beat(tmp_path)
        assert wait_until(lambda: "ready." in celery.output(), timeout=30)
        # Redis goes away, taking every queued task with it, while reminders fall due.
        redis.Redis(port=port).flushall()
        server.terminate()
        server.wait(timeout=10)
        ids = make_due_reminders(120)
        time.sleep(2)
        server = _start_redis(port, tmp_path)
        assert wait_until(lambda: all_marked_sent(ids), timeout=90), celery.output()[-3000:]
    finally:
        celery.stop()
        server.terminate()
        server.wait(timeout=10)
    counts = sent_ids(mail_dir)
    assert set(counts) == set(ids)
    assert max(counts.values()) == 1
