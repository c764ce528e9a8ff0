"""A scratch database for a benchmark: the app's settings, pointed at a database of its
own on the same server (embedded or ``DATABASE_URL``), migrated."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{database}"))
    else:
        os.environ["RAPPORT_DB_NAME"] = database  # the embedded server creates it
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
