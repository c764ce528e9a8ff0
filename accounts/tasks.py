"""Scheduled account jobs: thin, idempotent, safe to run twice."""

from celery import shared_task

from accounts import services


@shared_task(time_limit=300, soft_time_limit=270)
def delete_expired_signup_requests() -> int:
    return services.delete_expired_signup_requests()
