"""Settings: reading them has no side effects, a bad value stops the process with a message
naming the variable, and every setting the code reads is defined (and documented)."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from therapy_directory.environment import Environment

ROOT = Path(__file__).resolve().parent.parent
APP_CODE_EXCLUDED = {"tests", "bench", ".venv", ".data", "node_modules", "static", "templates"}


def _fresh_env(data_dir: Path, **extra: str) -> dict:
    """The environment of `make run` on a fresh machine: no database, broker, e-mail or
    static settings inherited from the test run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "CELERY_", "EMAIL_", "RAPPORT_", "STATIC_ROOT"))
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(RAPPORT_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="therapy_directory.settings")
    env.update(extra)
    return env


def _python(code: str, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, **kwargs,
    )  # fmt: skip


def _servers_on(pgdata: Path) -> list[psutil.Process]:
    return [
        process
        for process in psutil.process_iter(attrs=["name", "cmdline"])
        if process.info["name"] == "postgres" and str(pgdata) in (process.info["cmdline"] or [])
    ]


def _wait_until_stopped(pgdata: Path, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not (pgdata / "postmaster.pid").exists() and not _servers_on(pgdata):
            return True
        time.sleep(0.2)
    return False


# --- No side effects on import ---------------------------------------------------------


@pytest.mark.slow
def test_no_server_runs_after_the_settings_are_read_and_one_runs_after_the_first_query(
    tmp_path,
):
    data = tmp_path / "data"
    pgdata = (data / "postgres").resolve()
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys
            import django
            django.setup()
            from django.conf import settings
            settings.DATABASES, settings.STATIC_ROOT, settings.CELERY_BROKER_TRANSPORT_OPTIONS
            print("setup", flush=True)
            sys.stdin.readline()
            from django.db import connection
            connection.ensure_connection()
            print("connected", flush=True)
            sys.stdin.readline()
            """
        )],
        cwd=ROOT, env=_fresh_env(data), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout.readline().strip() == "setup", process.stderr.read()
        assert not data.exists()
        assert not _servers_on(pgdata)
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "connected", process.stderr.read()
        assert (pgdata / "postmaster.pid").exists()
        assert _servers_on(pgdata)
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.wait(timeout=60) == 0, process.stderr.read()
    finally:
        process.kill()
    assert _wait_until_stopped(pgdata)


# --- The embedded server's lifetime ----------------------------------------------------

ATTACH_AND_WAIT = """
import sys
import django
django.setup()
from django.db import connection
connection.ensure_connection()
print("attached", flush=True)
sys.stdin.readline()
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
print("still served", flush=True)
"""


def _attached(data: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", ATTACH_AND_WAIT], cwd=ROOT, env=_fresh_env(data),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout.readline().strip() == "attached", process.stderr.read()
    return process


def _release(process: subprocess.Popen) -> str:
    out, err = process.communicate("\n", timeout=60)
    assert process.returncode == 0, err[-3000:]
    return out


@pytest.mark.slow
def test_the_server_stays_while_a_process_is_attached_and_stops_after_the_last(tmp_path):
    data = tmp_path / "data"
    pgdata = (data / "postgres").resolve()
    first, second = _attached(data), _attached(data)
    try:
        _release(first)
        assert _servers_on(pgdata), "stopped while another process was attached"
        assert "still served" in _release(second)
    finally:
        first.kill()
        second.kill()
    assert _wait_until_stopped(pgdata)


@pytest.mark.slow
def test_a_killed_process_does_not_keep_the_server_up(tmp_path):
    data = tmp_path / "data"
    pgdata = (data / "postgres").resolve()
    killed, survivor = _attached(data), _attached(data)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert _servers_on(pgdata)
        assert "still served" in _release(survivor)
    finally:
        killed.kill()
        survivor.kill()
    assert _wait_until_stopped(pgdata), "a SIGKILLed process kept the server up"


@pytest.mark.slow
def test_a_forked_child_leaving_does_not_stop_its_parents_server(tmp_path):
    """A prefork pool: children share the parent's attachment and leave before it."""
    data = tmp_path / "data"
    pgdata = (data / "postgres").resolve()
    result = _python(
        """
        import os, sys
        import django
        django.setup()
        from django.db import connection
        connection.ensure_connection()
        connection.close()
        child = os.fork()
        if child == 0:
            sys.exit(0)  # runs the exit handlers, as a gunicorn worker does
        os.waitpid(child, 0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        print("parent still served", flush=True)
        """,
        _fresh_env(data),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "parent still served" in result.stdout
    assert _wait_until_stopped(pgdata)


# --- Bad values fail loudly ------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("DEBUG", "Ture", ["DEBUG='Ture'", "true", "false"]),
        ("RAPPORT_HTTPS", "yes please", ["RAPPORT_HTTPS='yes please'", "true"]),
        ("AXES_FAILURE_LIMIT", "five", ["AXES_FAILURE_LIMIT='five'", "whole number"]),
        ("BOOKING_PENDING_HOLD_HOURS", "0", ["BOOKING_PENDING_HOLD_HOURS=0", "minimum"]),
        ("LOG_FORMAT", "xml", ["LOG_FORMAT='xml'", "json", "text"]),
    ],
)
def test_a_bad_value_stops_the_settings_with_the_variable_and_what_it_accepts(
    tmp_path, variable, value, words
):
    result = _python(
        "import therapy_directory.settings", _fresh_env(tmp_path / "data", **{variable: value})
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("value", ["true", "True", "1", "yes", "on", " TRUE "])
def test_booleans_read_every_usual_spelling_of_true(value):
    assert Environment({"X": value}).bool("X", default=False) is True


@pytest.mark.parametrize("value", ["false", "False", "0", "no", "off"])
def test_booleans_read_every_usual_spelling_of_false(value):
    assert Environment({"X": value}).bool("X", default=True) is False


def test_unset_or_empty_takes_the_default_and_numbers_are_checked():
    env = Environment({"EMPTY": " ", "N": "7", "BAD": "1.5"})
    assert env.bool("MISSING", default=True) is True
    assert env.bool("EMPTY", default=False) is False
    assert env.int("N", default=1) == 7
    assert env.int("MISSING", default=3) == 3
    with pytest.raises(ImproperlyConfigured, match="BAD='1.5' is not a whole number"):
        env.int("BAD", default=1)
    with pytest.raises(ImproperlyConfigured, match="N=7 is below its minimum, 10"):
        env.int("N", default=10, minimum=10)
    assert Environment({"L": " a, b ,,c "}).list("L", default=[]) == ["a", "b", "c"]
    assert Environment({"S": "key "}).str("S") == "key "  # a secret is taken as set
    assert Environment({"C": " text "}).choice("C", "json", ("json", "text")) == "text"


# --- Every setting read is defined ---------------------------------------------------------

SETTING_READ = re.compile(r"\bsettings\.([A-Z][A-Z0-9_]*)\b")
GETATTR_READ = re.compile(r"getattr\(\s*settings\s*,\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*(,)?")


def _app_sources() -> list[Path]:
    """The project's own Python files, without tests, benchmarks and installed packages."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in APP_CODE_EXCLUDED]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return found


def _reads() -> dict[str, set[str]]:
    reads: dict[str, set[str]] = {}
    for path in _app_sources():
        text = path.read_text()
        for match in [*SETTING_READ.finditer(text), *GETATTR_READ.finditer(text)]:
            reads.setdefault(match.group(1), set()).add(str(path.relative_to(ROOT)))
    return reads


def test_every_setting_the_code_reads_is_defined():
    reads = _reads()
    assert "BOOKING_PENDING_HOLD_HOURS" in reads  # the scan sees the getattr reads
    missing = {name: files for name, files in reads.items() if not hasattr(settings, name)}
    assert not missing, f"read but defined nowhere: {missing}"


def test_no_setting_is_read_with_a_fallback_default():
    fallbacks = {
        f"{path.relative_to(ROOT)}: {match.group(1)}"
        for path in _app_sources()
        for match in GETATTR_READ.finditer(path.read_text())
        if match.group(2)
    }
    assert not fallbacks, f"a default here would hide a missing setting: {sorted(fallbacks)}"


ENV_READ = re.compile(r"\benv\.\w+\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")


def test_every_variable_the_settings_read_is_in_the_readme_table():
    source = (ROOT / "therapy_directory" / "settings.py").read_text()
    variables = set(ENV_READ.findall(source))
    assert {"DEBUG", "BOOKING_PENDING_HOLD_HOURS", "GROUP_OFFER_HOLD_HOURS"} <= variables
    table = "\n".join(
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")
    )
    undocumented = {name for name in variables if f"`{name}`" not in table}
    assert not undocumented, f"read from the environment but not in README's table: {undocumented}"


def test_no_environment_read_outside_the_settings():
    readers = re.compile(r"os\.environ\[|os\.environ\.get\(|os\.getenv\(|environ\.Env\(")
    found = [
        str(path.relative_to(ROOT)) for path in _app_sources() if readers.search(path.read_text())
    ]
    assert not found, f"read the environment in settings.py only: {found}"
