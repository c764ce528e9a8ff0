"""Scheduled booking jobs: thin, idempotent, safe to run twice."""

from celery import shared_task

from booking.courses import services


@shared_task(time_limit=300, soft_time_limit=270)
def expire_pending_bookings() -> int:
    return services.expire_pending_bookings()


@shared_task(time_limit=300, soft_time_limit=270)
def refresh_stale_openings() -> int:
    return services.refresh_stale_openings()


@shared_task(time_limit=300, soft_time_limit=270)
def expire_group_offers() -> int:
    from booking.groups import services as groups

    return groups.expire_offers()
