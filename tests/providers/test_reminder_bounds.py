"""A therapist's reminder times (up to five, each 5 minutes to 14 days before a session)
hold for every writer: the model validates them (the admin, any ModelForm) and the
database refuses what skips validation."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from accounts.models import User
from providers.models import Therapist
from tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db

OUT_OF_BOUNDS = [[4], [0], [20161], [1440, 60, 30, 20, 10, 5]]


@pytest.mark.parametrize("minutes", [[], [5], [20160, 1440, 60, 30, 5]])
def test_reminder_times_within_the_bounds_are_valid_and_stored(minutes):
    therapist = TherapistFactory(reminder_minutes=minutes)
    therapist.full_clean()
    Therapist.objects.filter(pk=therapist.pk).update(reminder_minutes=minutes)
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == minutes


@pytest.mark.parametrize("minutes", OUT_OF_BOUNDS)
def test_full_clean_refuses_reminder_times_out_of_bounds(minutes):
    therapist = TherapistFactory()
    therapist.reminder_minutes = minutes
    with pytest.raises(ValidationError) as refused:
        therapist.full_clean()
    assert set(refused.value.message_dict) == {"reminder_minutes"}


@pytest.mark.parametrize("minutes", [*OUT_OF_BOUNDS, [60, None]])
def test_the_database_refuses_reminder_times_out_of_bounds(minutes):
    therapist = TherapistFactory(reminder_minutes=[60])
    with pytest.raises(IntegrityError, match="therapist_reminder"), transaction.atomic():
        Therapist.objects.filter(pk=therapist.pk).update(reminder_minutes=minutes)
    with (
        pytest.raises(IntegrityError, match="therapist_reminder"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE providers_therapist SET reminder_minutes = %s WHERE id = %s",
            [minutes, therapist.pk],
        )
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == [60]


def _admin_change_data(page) -> dict:
    """What the admin's change form posts back, as its page shows it."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def test_the_admin_refuses_reminder_times_out_of_bounds(client):
    admin = User.objects.create_superuser(email="admin@example.com", password="pw")
    therapist = TherapistFactory(reminder_minutes=[1440, 60])
    client.force_login(admin)
    url = reverse("admin:providers_therapist_change", args=[therapist.pk])
    data = _admin_change_data(client.get(url))
    assert client.post(url, data).status_code == 302  # as shown: saved

    for minutes in ("1", "30000", "10, 20, 30, 40, 50, 60"):
        response = client.post(url, {**data, "reminder_minutes": minutes})
        assert response.status_code == 200
        assert "reminder_minutes" in response.context["adminform"].form.errors
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == [1440, 60]


@pytest.mark.parametrize(
    "stored, repaired",
    [
        ([3, None, 30000, 60, 60, 10, 20, 30], [60, 30, 20, 10, 5]),  # the five nearest
        ([1440, 60], [1440, 60]),  # within the bounds: left as it was
        ([None], []),
        ([0, 100000], [20160, 5]),
    ],
)
def test_the_migration_repairs_rows_written_before_the_bounds(stored, repaired):
    """migrations/0006's data fix, on rows the constraints (dropped for the test, inside
    its transaction) would refuse today."""
    import importlib

    fix_rows = importlib.import_module(
        "providers.migrations.0006_therapist_reminder_minutes_bounds"
    ).FIX_ROWS
    therapist = TherapistFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending
        cursor.execute(
            "ALTER TABLE providers_therapist DROP CONSTRAINT therapist_reminders_at_most_5, "
            "DROP CONSTRAINT therapist_reminder_minutes_range"
        )
        cursor.execute(
            "UPDATE providers_therapist SET reminder_minutes = %s::int[] WHERE id = %s",
            [stored, therapist.pk],
        )
        cursor.execute(fix_rows)
    assert Therapist.objects.get(pk=therapist.pk).reminder_minutes == repaired
