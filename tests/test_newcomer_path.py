"""The newcomer's path, as `make run` takes it: no configuration at all, a fresh
embedded PostgreSQL, migrate, seed_demo, then web + worker + beat from the Procfile."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
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


def _call(url: str, body: dict | None = None, token: str = "") -> tuple[int, dict | list]:
    request = urllib.request.Request(  # noqa: S310 (loopback only)
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Token {token}"} if token else {}),
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _book_a_course_as_the_demo_client(api: str) -> None:
    """The demo books for real: a 12-week course through the API, on the embedded server
    whose exclusion constraint guards the therapist's calendar."""
    from demo.management.commands.seed_demo import DEMO_CLIENTS, DEMO_PASSWORD

    status, body = _call(
        f"{api}/auth/token/", {"email": DEMO_CLIENTS[0][0], "password": DEMO_PASSWORD}
    )
    assert status == 200, body
    token = body["token"]
    status, found = _call(
        f"{api}/therapists/?state=NY&modality=ipt&format=telehealth&accepting=true&ordering=next_opening"
    )
    assert status == 200 and found["count"] > 0, found
    for therapist in found["results"][:5]:
        status, free = _call(f"{api}/therapists/{therapist['id']}/slots/?days=28&weeks=12")
        assert status == 200, free
        if not free:
            continue
        course = {
            "therapist": therapist["id"], "start": free[0]["start"], "weeks": 12,
            "modality": "ipt", "format": "telehealth",
        }  # fmt: skip
        status, booking = _call(f"{api}/bookings/", course, token)
        assert status == 201, booking
        assert len(booking["sessions"]) == 12
        again, conflict = _call(f"{api}/bookings/", course, token)
        assert again == 409 and len(conflict["conflicts"]) == 12, conflict
        return
    raise AssertionError("no NY IPT therapist had a 12-week opening in the demo data")


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
        return response.status, response.read().decode()


def test_make_run_tells_the_site_its_own_address():
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8100"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    (seed,) = [line for line in lines if "seed_demo" in line]
    (start,) = [line for line in lines if "honcho start" in line]
    assert "SITE_URL=http://127.0.0.1:8100 " in seed  # its e-mails are queued then
    assert "SITE_URL=http://127.0.0.1:8100 " in start
    assert "-p 8100" in start


@pytest.mark.slow
def test_a_newcomer_gets_a_seeded_site_with_web_worker_and_beat_on_embedded_postgres(tmp_path):
    data = tmp_path / "data"
    env = _fresh_env(data)
    port = _free_port()
    # As `make run PORT=…` does: links in e-mails point at the port the site is served on.
    env["SITE_URL"] = f"http://127.0.0.1:{port}"
    manage = [sys.executable, "manage.py"]
    run = dict(cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    migrated = subprocess.run([*manage, "migrate", "--noinput"], **run)
    assert migrated.returncode == 0, migrated.stderr
    assert (data / "postgres" / "PG_VERSION").exists()
    seeded = subprocess.run([*manage, "seed_demo", "--therapists", "40", "--if-empty"], **run)
    assert seeded.returncode == 0, seeded.stderr
    again = subprocess.run([*manage, "seed_demo", "--therapists", "40", "--if-empty"], **run)
    assert again.returncode == 0, again.stderr

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
        assert "IPT therapists licensed in New York" in page
        assert "988" in page
        assert _get(f"http://127.0.0.1:{port}/api/v1/therapists/?state=NY")[0] == 200
        _book_a_course_as_the_demo_client(f"http://127.0.0.1:{port}/api/v1")
        # The request e-mail to the therapist (console back-end) links to this server.
        request_link = f"http://127.0.0.1:{port}/dashboard/requests/"
        while time.monotonic() < deadline:
            output = log_path.read_text()
            if "ready." in output and "beat: Starting" in output and request_link in output:
                break
            time.sleep(0.5)
        output = log_path.read_text()
        assert "ready." in output, output[-3000:]  # the Celery worker
        assert "beat: Starting" in output, output[-3000:]
        assert "filesystem" in output  # the zero-setup broker
        assert request_link in output, output[-3000:]
        assert "127.0.0.1:8000" not in output
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
