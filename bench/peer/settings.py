"""A minimal Django project around django-appointment, for bench/peer_slots.py only.

Its database (on the same server as Rapport's) comes from the PEER_DB_* variables
that bench/peer_slots.py sets; the appointment app ships no migrations, so the
runner creates its tables with ``migrate --run-syncdb``.
"""

import os

SECRET_KEY = "bench-peer-only"  # noqa: S105 — never served
DEBUG = False
USE_TZ = True
TIME_ZONE = "America/New_York"  # the same zone as the benchmark's therapist
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "phonenumber_field",
    "appointment",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["PEER_DB_NAME"],
        "USER": os.environ.get("PEER_DB_USER", ""),
        "PASSWORD": os.environ.get("PEER_DB_PASSWORD", ""),
        "HOST": os.environ.get("PEER_DB_HOST", ""),
        "PORT": os.environ.get("PEER_DB_PORT", ""),
    }
}
MIGRATION_MODULES = {"appointment": "peer_appointment_migrations"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING = {"version": 1, "disable_existing_loggers": True}
