from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from notifications import dispatch


@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
    time_limit=60,
    soft_time_limit=50,
)
def send_email(*, to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


@shared_task(time_limit=120, soft_time_limit=100)
def dispatch_reminders() -> dict:
    """Beat runs this every minute; several can run at once on several workers."""
    return dispatch.dispatch(time_budget=50.0)
