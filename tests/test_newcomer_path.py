"""The newcomer's path, as `make run` takes it: no configuration at all, a fresh
embedded PostgreSQL, migrate, seed_demo, then web + worker + beat from the Procfile."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_"))}
    # As `make run` starts it: a thread pool stops at once on Ctrl-C.
    env.update(
        RAPPORT_DATA_DIR=str(data_dir), PATH=f"{BIN}:{env.get('PATH', '')}", CELERY_POOL="threads"
    )
    env.pop("REDIS_URL", None)
    env.pop("EMAIL_URL", None)
    return env


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode()


@pytest.mark.slow
def test_a_newcomer_gets_a_seeded_site_with_web_worker_and_beat_on_embedded_postgres(tmp_path):
    data = tmp_path / "data"
    env = _fresh_env(data)
    manage = [sys.executable, "manage.py"]
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    migrated = subprocess.run([*manage, "migrate", "--noinput"], **run)
    assert migrated.returncode == 0, migrated.stderr
    assert (data / "postgres" / "PG_VERSION").exists()
    seeded = subprocess.run([*manage, "seed_demo", "--therapists", "40", "--if-empty"], **run)
    assert seeded.returncode == 0, seeded.stderr
    again = subprocess.run([*manage, "seed_demo", "--therapists", "40", "--if-empty"], **run)
    assert again.returncode == 0, again.stderr

    port = _free_port()
    log_path = tmp_path / "honcho.log"
    with open(log_path, "w") as log:
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile", "-p", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        status, page = 0, ""
        while time.monotonic() < deadline:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/therapists/?state=NY&modality=ipt")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, log_path.read_text()[-3000:]
        assert "Showing therapists licensed in New York" in page
        assert "988" in page
        assert _get(f"http://127.0.0.1:{port}/api/v1/therapists/?state=NY")[0] == 200
        while time.monotonic() < deadline:
            output = log_path.read_text()
            if "ready." in output and "beat: Starting" in output:
                break
            time.sleep(0.5)
        output = log_path.read_text()
        assert "ready." in output, output[-3000:]  # the Celery worker
        assert "beat: Starting" in output, output[-3000:]
        assert "filesystem" in output  # the zero-setup broker
    finally:
        # What Ctrl-C in `make run` does: SIGINT to the whole foreground group.
        os.killpg(honcho.pid, signal.SIGINT)
        honcho.wait(timeout=60)

    # The last process to leave stops the embedded server.
    deadline = time.monotonic() + 30
    while (data / "postgres" / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    handles = (data / "postgres" / ".handle_pids.json").read_text()
    assert not (data / "postgres" / "postmaster.pid").exists(), (
        f"embedded PostgreSQL still running; attached processes: {handles}\n"
        + log_path.read_text()[-3000:]
    )
