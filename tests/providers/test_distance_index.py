"""A search near a ZIP code uses the office-point index at 100 000 therapists (PRODUCT.md
rule 13; BENCHMARKS.md times it): the bounding box is an index range, not a scan of
every therapist. Planned (EXPLAIN), never timed."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from providers.filters import TherapistFilter
from providers.models import License, Therapist
from providers.selectors import result_cards
from tests.factories import TherapistFactory, verified_license

pytestmark = pytest.mark.django_db

THERAPISTS = 100_000


def _copy_rows(
    table: str, template_id: int, overrides: dict[str, str], source: str, where: str = "TRUE"
) -> None:
    """INSERT one row per row of ``source`` (SQL joined to the template row ``t``), every
    column as the template's but those in ``overrides`` (SQL expressions). The columns
    are read from the table, so columns added later are copied too."""
    with connection.cursor() as cursor:
        columns = [
            c.name
            for c in connection.introspection.get_table_description(cursor, table)
            if c.name != "id"
        ]
        values = ", ".join(overrides.get(name, f"t.{name}") for name in columns)
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own names)
            f"SELECT {values} FROM {table} t, {source} WHERE t.id = %s AND ({where})",
            [template_id],
        )


@pytest.fixture
def directory_of_100k():
    """100 000 findable therapists, two in five in person at an office somewhere in the
    country (ZIP centroids in turn), the others by video only; planner statistics fresh."""
    template = TherapistFactory(formats=["telehealth"])
    license = verified_license(therapist=template, state="NY")
    _copy_rows(
        "accounts_user",
        template.user_id,
        {"email": "'bulk' || g || '@example.com'"},
        f"generate_series(1, {THERAPISTS}) g",
    )
    in_person = "u.id %% 5 < 2"
    _copy_rows(
        "providers_therapist",
        template.pk,
        {
            "user_id": "u.id",
            "slug": "'bulk-' || u.id",
            "formats": f"CASE WHEN {in_person} THEN '{{telehealth,in_person}}'::varchar[] "
            "ELSE '{telehealth}'::varchar[] END",
            "office_address": f"CASE WHEN {in_person} THEN '1 Main St' ELSE '' END",
            "office_zip": f"CASE WHEN {in_person} THEN c.zip ELSE '' END",
            "office_lat": f"CASE WHEN {in_person} THEN c.lat END",
            "office_lon": f"CASE WHEN {in_person} THEN c.lon END",
        },
        "accounts_user u JOIN (SELECT zip, lat, lon, row_number() OVER (ORDER BY zip) - 1 AS n "
        "FROM providers_zipcentroid) c ON c.n = u.id %% 40000",
        "u.email LIKE 'bulk%%@example.com'",
    )
    _copy_rows(
        "providers_license",
        license.pk,
        {"therapist_id": "p.id", "number": "'B' || p.id"},
        "providers_therapist p",
        "p.slug LIKE 'bulk-%%'",
    )
    with connection.cursor() as cursor:
        for table in ("accounts_user", "providers_therapist", "providers_license"):
            cursor.execute(f"ANALYZE {table}")
    assert Therapist.objects.count() == THERAPISTS + 1
    assert License.objects.count() == THERAPISTS + 1


def _plan(params: dict) -> str:
    search = TherapistFilter(params, queryset=result_cards())
    assert search.is_valid(), search.errors
    sql, values = search.qs[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", values)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_an_in_person_search_near_a_zip_ranges_over_the_office_point_index(directory_of_100k):
    for params in (
        {"near": "10001", "format": "in_person"},
        {"near": "10001", "format": "in_person", "radius": "100", "ordering": "distance"},
        {"near": "59001", "format": "in_person", "state": "NY"},
    ):
        plan = _plan(params)
        assert "therapist_office_point_idx" in plan, plan
        # The therapist table itself is never read whole (its link tables, such as
        # providers_therapist_insurance, are empty here and may be).
        assert not re.search(r"Seq Scan on providers_therapist\s", plan), plan
