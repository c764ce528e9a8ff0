import datetime as dt

import pytest
from django.conf import settings
from django.utils.timezone import localdate

from providers.models import License, LicenseDecision, Therapist
from tests.factories import verified_license
from tests.workers import celery_worker, wait_until


def test_the_beat_schedule_runs_license_expiry_and_notices():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "providers.tasks.expire_licenses",
        "providers.tasks.send_license_expiry_notices",
    } <= tasks


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_licenses_through_redis_and_the_therapist_is_no_longer_found():
    lapsed = verified_license(state="NY", expires_on=localdate() - dt.timedelta(days=1))
    current = verified_license(state="NY")
    assert lapsed.therapist in Therapist.objects.all()
    with celery_worker() as worker:
        worker.send("providers.tasks.expire_licenses")
        assert wait_until(
            lambda: License.objects.filter(pk=lapsed.pk, status="expired").exists()
        ), "the worker did not expire the license"
        # Running it again (beat fires hourly) changes nothing.
        worker.send("providers.tasks.expire_licenses")
        assert wait_until(lambda: worker.succeeded("providers.tasks.expire_licenses") == 2)
    assert LicenseDecision.objects.filter(license=lapsed, action="expired").count() == 1
    current.refresh_from_db()
    assert current.status == "verified"
    assert list(Therapist.objects.findable_in("NY")) == [current.therapist]
