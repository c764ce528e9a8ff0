import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")

app = Celery("therapy_directory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Kombu's filesystem broker (the zero-setup default) reads and writes folders it does not
# make, and beat writes its schedule file beside them: made when the app is first
# configured (a worker or beat starting, a web process sending its first task), never by
# reading the settings.
FILESYSTEM_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder")


@app.on_after_configure.connect
def make_data_folders(sender: Celery, source, **kwargs) -> None:
    folders = [Path(source.beat_schedule_filename).parent]
    if str(source.broker_url or "").startswith("filesystem://"):
        options = source.broker_transport_options or {}
        folders += [Path(options[key]) for key in FILESYSTEM_BROKER_FOLDERS if key in options]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


# One JSON log line per task (the signal handlers connect on import).
import therapy_directory.structured_logs  # noqa: E402, F401
