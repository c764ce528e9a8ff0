"""service_transaction: a transaction of its own whose lock waits are bounded, and whose
lock timeout becomes Busy once it has rolled back."""

import time

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from psycopg2.errors import LockNotAvailable

from providers.models import Modality
from tests.booking.helpers import row_locked
from therapy_directory.transactions import Busy, service_transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _lock_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        return cursor.fetchone()[0]


def test_the_lock_timeout_is_the_setting_and_lasts_only_the_transaction(settings):
    settings.LOCK_TIMEOUT_MS = 1500
    with service_transaction():
        assert _lock_timeout() == "1500ms"
    assert _lock_timeout() == "0"  # PostgreSQL's default again: the next request's own


def test_a_lock_held_too_long_raises_busy_after_the_rollback(settings):
    settings.LOCK_TIMEOUT_MS = 200
    locked = Modality.objects.create(slug="held", name="Held")
    with row_locked(Modality, locked.pk):
        started = time.monotonic()
        with pytest.raises(Busy) as caught, service_transaction():
            Modality.objects.create(slug="written-first", name="Written first")
            Modality.objects.select_for_update().get(pk=locked.pk)
        waited = time.monotonic() - started
        assert not connection.in_atomic_block  # raised after the transaction ended
    assert waited < 10  # while the holder still held it (it holds for 30 s)
    assert isinstance(caught.value.__cause__, OperationalError)
    assert isinstance(caught.value.__cause__.__cause__, LockNotAvailable)
    assert caught.value.http_status == 503
    assert not Modality.objects.filter(slug="written-first").exists()  # rolled back


def test_other_database_errors_pass_through_unchanged():
    Modality.objects.create(slug="taken", name="Taken")
    with pytest.raises(IntegrityError), service_transaction():
        Modality.objects.create(slug="taken", name="Taken again")


def test_a_service_transaction_inside_another_transaction_is_refused():
    with (
        pytest.raises(RuntimeError, match="durable"),
        transaction.atomic(),
        service_transaction(),
    ):
        pass  # pragma: no cover


def test_it_decorates_a_function_with_a_transaction_of_its_own():
    @service_transaction()
    def change() -> bool:
        return connection.in_atomic_block

    assert change() is True
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        change()
