"""Settings for the search throughput benchmark's gunicorn: the app's own settings, with
the bench-only URL conf (``search_urls``: the app's URLs plus a constant view). Lives in
bench/, so production never loads it."""

from therapy_directory.settings import *  # noqa: F403

ROOT_URLCONF = "search_urls"
