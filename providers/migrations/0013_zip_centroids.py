"""ZIP code centroids (PRODUCT.md rule 13, distance): the table, and its rows from the
pinned ``zipcodes`` package (requirements.txt), so that every migrated database has them.
Only the 50 states and DC (the directory's states); ZIP codes the data places at 0, 0
(military mail) have no place to measure from and are left out.

The table is not managed by Django (providers.models.ZipCentroid says why); this
migration creates it. Refreshing the data for a newer ``zipcodes`` is a new migration
that runs ``load_centroids`` again (it replaces every row)."""

import csv
import io

from django.db import migrations, models

CREATE = """
CREATE TABLE providers_zipcentroid (
    zip varchar(5) PRIMARY KEY CHECK (zip ~ '^[0-9]{5}$'),
    lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    state varchar(2) NOT NULL,
    city varchar(60) NOT NULL
);
"""


def centroid_rows() -> list[tuple[str, float, float, str, str]]:
    """(zip, lat, lon, state, city) for every ZIP code of the 50 states and DC."""
    import zipcodes

    from accounts.places import US_STATES

    states = {code for code, _ in US_STATES}
    rows = []
    for entry in zipcodes.list_all():
        lat, lon = float(entry["lat"]), float(entry["long"])
        if entry["state"] in states and (lat, lon) != (0.0, 0.0):
            rows.append((entry["zip_code"], lat, lon, entry["state"], entry["city"][:60]))
    return rows


def load_centroids(apps, schema_editor) -> None:
    """Every row in one COPY (~40 000 rows, well under a second)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(centroid_rows())
    buffer.seek(0)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM providers_zipcentroid")
        cursor.copy_expert(
            "COPY providers_zipcentroid (zip, lat, lon, state, city) FROM STDIN WITH (FORMAT csv)",
            buffer,
        )
        cursor.execute("ANALYZE providers_zipcentroid")


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0012_therapist_photo"),
    ]

    operations = [
        migrations.CreateModel(
            name="ZipCentroid",
            fields=[
                ("zip", models.CharField(max_length=5, primary_key=True, serialize=False)),
                ("lat", models.FloatField()),
                ("lon", models.FloatField()),
                ("state", models.CharField(max_length=2)),
                ("city", models.CharField(max_length=60)),
            ],
            options={
                "db_table": "providers_zipcentroid",
                "ordering": ["zip"],
                "managed": False,
            },
        ),
        migrations.RunSQL(CREATE, reverse_sql="DROP TABLE providers_zipcentroid"),
        migrations.RunPython(load_centroids, reverse_code=migrations.RunPython.noop),
    ]
