"""Scheduled booking jobs: thin, idempotent, safe to run twice."""

from celery import shared_task

from booking import openings
from booking.courses import services as courses
from booking.groups import services as groups


@shared_task(time_limit=300, soft_time_limit=270)
def expire_pending_bookings() -> int:
    return courses.expire_pending_bookings()


@shared_task(time_limit=300, soft_time_limit=270)
def refresh_stale_openings() -> int:
    return openings.refresh_stale_openings()


@shared_task(time_limit=300, soft_time_limit=270)
def expire_group_offers() -> int:
    return groups.expire_offers()
