"""Expired sign-up requests are deleted by a beat job, in bulk, not on the sign-up page."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.timezone import now

from accounts import services, tasks
from accounts.models import SignupRequest
from tests.workers import celery_worker, wait_until

TASK = "accounts.tasks.delete_expired_signup_requests"


def make_requests(*, expired: int, fresh: int) -> tuple[list[int], list[int]]:
    lifetime = services.signup_link_lifetime()
    ages = [lifetime + dt.timedelta(minutes=1)] * expired + [lifetime / 2] * fresh
    rows = SignupRequest.objects.bulk_create(
        SignupRequest(
            email=f"person{i}@example.com",
            name="Maya",
            role="client",
            timezone="America/New_York",
            token_digest=f"{i:064x}",
        )
        for i in range(len(ages))
    )
    for row, age in zip(rows, ages, strict=True):  # auto_now_add: set the age afterwards
        SignupRequest.objects.filter(pk=row.pk).update(created_at=now() - age)
    ids = [row.pk for row in rows]
    return ids[:expired], ids[expired:]


def test_the_beat_schedule_deletes_expired_sign_up_requests():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert TASK in tasks_scheduled


@pytest.mark.django_db
def test_the_task_deletes_only_expired_requests_in_one_statement(django_assert_num_queries):
    expired, fresh = make_requests(expired=30, fresh=3)
    with django_assert_num_queries(1):
        assert tasks.delete_expired_signup_requests() == 30
    assert sorted(SignupRequest.objects.values_list("pk", flat=True)) == fresh
    assert tasks.delete_expired_signup_requests.delay().get() == 0  # safe to run again


@pytest.mark.django_db
def test_signing_up_leaves_expired_requests_to_the_beat(client, django_capture_on_commit_callbacks):
    expired, fresh = make_requests(expired=5, fresh=1)
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            reverse("accounts:signup"),
            {
                "role": "client",
                "name": "Maya Lopez",
                "email": "maya@example.com",
                "state": "NY",
                "timezone": "America/New_York",
            },
        )
    assert response.status_code == 302
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert SignupRequest.objects.filter(pk__in=expired + fresh).count() == 6
    assert SignupRequest.objects.filter(email="maya@example.com").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_cleanup():
    expired, fresh = make_requests(expired=3, fresh=2)
    with celery_worker() as worker:
        worker.send(TASK)
        assert wait_until(lambda: not SignupRequest.objects.filter(pk__in=expired).exists())
        assert wait_until(lambda: worker.succeeded(TASK) == 1)
    assert sorted(SignupRequest.objects.values_list("pk", flat=True)) == fresh
