import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")

app = Celery("therapy_directory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One JSON log line per task (the signal handlers connect on import).
import therapy_directory.structured_logs  # noqa: E402, F401
