"""What the search's SQL relies on (BENCHMARKS.md, "Search"): the link-table indexes the
COUNT merges, and sessions without parallel plans."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("providers_therapist_modalities", ["modality_id", "therapist_id"]),
        ("providers_therapist_specialties", ["specialty_id", "therapist_id"]),
        ("providers_therapist_languages", ["language_id", "therapist_id"]),
        ("providers_therapist_insurance", ["insurance_id", "therapist_id"]),
    ],
)
def test_each_search_link_table_has_an_index_led_by_the_linked_id(table, columns):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    assert any(c["index"] and c["columns"] == columns for c in constraints.values())


def test_app_sessions_run_without_parallel_plans():
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
