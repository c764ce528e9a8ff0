"""Pages write only through services, and reading a page writes nothing that a
reader's visit need not write (issue 13: "no GET writes")."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.services import update_account

pytestmark = pytest.mark.django_db


def _session_writes(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        1
        for q in queries.captured_queries
        if "django_session" in q["sql"]
        and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_a_therapist_reading_pages_slides_the_idle_limit_at_most_once_a_minute(
    client, therapist_user
):
    url = reverse("providers:dashboard_profile")
    with time_machine.travel(dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(therapist_user)
        assert _session_writes(client, url) == 1  # the 30-minute limit starts
        assert _session_writes(client, url) == 0
        clock.shift(dt.timedelta(seconds=59))
        assert _session_writes(client, url) == 0
        clock.shift(dt.timedelta(seconds=1))
        assert _session_writes(client, url) == 1  # slid again
    assert client.session.get_expiry_age() == 30 * 60


def test_the_account_page_saves_through_the_service(client, client_user):
    client.force_login(client_user)
    response = client.post(
        reverse("accounts:account"),
        {"name": "Ada King", "state": "CA", "timezone": "America/Los_Angeles"},
    )
    assert response.status_code == 302
    stored = User.objects.get(pk=client_user.pk)
    assert (stored.name, stored.state, stored.email_reminders) == ("Ada King", "CA", False)


def test_update_account_refuses_a_bad_value_and_writes_nothing(client_user):
    with pytest.raises(ValidationError) as refused:
        update_account(user=client_user, name="Ada King", timezone="Not/AZone")
    assert set(refused.value.message_dict) == {"timezone"}
    assert User.objects.get(pk=client_user.pk).name == client_user.name
    with pytest.raises(TypeError):
        update_account(user=client_user, is_staff=True)
