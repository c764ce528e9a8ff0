"""The audit log is append-only: the ORM, the admin and the database all refuse to
change or remove an event."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit import services as audit
from audit.models import AuditEvent, AuditLogIsAppendOnly
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    person = UserFactory()
    return audit.record(
        action=AuditEvent.Action.BOOKING_CONFIRMED,
        actor=person,
        target=person,
        subject_id=person.pk,
    )


def test_saving_an_existing_event_again_is_refused(event):
    event.action = AuditEvent.Action.BOOKING_DECLINED
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    event.refresh_from_db()
    assert event.action == "booking_confirmed"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_bulk_updates_are_refused(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(details={"forged": True})


def test_an_event_built_with_an_existing_id_cannot_overwrite_it(event):
    forged = AuditEvent(pk=event.pk, actor_role="system", action="license_verified")
    with pytest.raises(DatabaseError), transaction.atomic():
        forged.save()  # an INSERT, never an UPDATE: the primary key refuses it
    event.refresh_from_db()
    assert event.action == "booking_confirmed"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'license_verified' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_sql_updates_and_deletes(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "booking_confirmed"


def test_the_admin_shows_events_but_offers_no_add_change_or_delete(client, event):
    client.force_login(UserFactory(role="staff", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content  # a view-only page
    url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
