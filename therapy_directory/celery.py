import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "therapy_directory.settings")

app = Celery("therapy_directory")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
