"""Scheduled license jobs: thin, idempotent, safe to run twice."""

from celery import shared_task

from providers import licensing


@shared_task(time_limit=300, soft_time_limit=270)
def expire_licenses() -> int:
    return licensing.expire_licenses()


@shared_task(time_limit=300, soft_time_limit=270)
def send_license_expiry_notices() -> int:
    return licensing.send_license_expiry_notices()
