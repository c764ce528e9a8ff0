"""A therapist's office ZIP code and its coordinates (PRODUCT.md rule 13, distance); in
person needs a ZIP code from now on (in place of a city and state: they follow from it).

Rows from before are in person with a city and state but no ZIP. They get one when we
can name it: a ZIP code ending their street address, else the first ZIP code of their
city in their state (its centroid is then the city's, close enough to sort by distance;
the therapist corrects it from the dashboard, which asks for a ZIP and an address at
their next edit anyway). Rows whose city the data does not know keep their other
formats, as in 0007: they can't be met in person anywhere we can place."""

from django.db import migrations, models

import providers.geo

FIX_ROWS = r"""
UPDATE providers_therapist t
SET office_zip = c.zip, office_lat = c.lat, office_lon = c.lon
FROM providers_zipcentroid c
WHERE 'in_person' = ANY(t.formats) AND t.office_zip = ''
  AND c.zip = substring(t.office_address from '([0-9]{5})(-[0-9]{4})?\s*$')
  AND (t.office_state = '' OR c.state = t.office_state);

UPDATE providers_therapist t
SET office_zip = c.zip, office_lat = c.lat, office_lon = c.lon
FROM (
    SELECT DISTINCT ON (state, city) state, city, zip, lat, lon FROM (
        -- A city's key: "St. Louis", "st louis" and "Saint Louis" are one city; so
        -- are "New York City" and "New York" (the office's below, the same way).
        SELECT state,
            regexp_replace(regexp_replace(lower(trim(city)), '^st\.? ', 'saint '), ' city$', '') AS city,
            zip, lat, lon
        FROM providers_zipcentroid
    ) keyed ORDER BY state, city, zip
) c
WHERE 'in_person' = ANY(t.formats) AND t.office_zip = ''
  AND c.state = t.office_state AND c.city = regexp_replace(
      regexp_replace(lower(trim(t.office_city)), '^st\.? ', 'saint '), ' city$', ''
  );

-- An office we cannot place loses in person. A therapist who offered nothing else is
-- left with no format, so not accepting, until their next edit (which asks for one).
UPDATE providers_therapist SET accepting_new_clients = false
WHERE formats = '{in_person}' AND office_zip = '';

UPDATE providers_therapist SET formats = array_remove(formats, 'in_person')
WHERE 'in_person' = ANY(formats) AND office_zip = '';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0013_zip_centroids"),
    ]

    operations = [
        migrations.AddField(
            model_name="therapist",
            name="office_zip",
            field=models.CharField(
                blank=True,
                help_text="5 digits. Clients searching near their ZIP code see how far you are.",
                max_length=5,
                validators=[providers.geo.validate_zip_shape, providers.geo.validate_known_zip],
                verbose_name="office ZIP code",
            ),
        ),
        migrations.AddField(
            model_name="therapist",
            name="office_lat",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="therapist",
            name="office_lon",
            field=models.FloatField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FIX_ROWS, reverse_sql=migrations.RunSQL.noop),
        # In person needs a ZIP code now, which names the place; the office's city and
        # state follow from it (the profile's writer fills them in), so a form may leave
        # them empty and the old rule (city and state) would refuse it before they are.
        migrations.RemoveConstraint(
            model_name="therapist",
            name="therapist_in_person_has_office",
        ),
        migrations.AddIndex(
            model_name="therapist",
            index=models.Index(
                condition=models.Q(("office_lat__isnull", False)),
                fields=["office_lat", "office_lon"],
                name="therapist_office_point_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("office_zip", ""), ("office_zip__regex", "^[0-9]{5}$"), _connector="OR"
                ),
                name="therapist_office_zip_shape",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("office_zip", ""),
                        ("office_lat__isnull", True),
                        ("office_lon__isnull", True),
                    ),
                    models.Q(
                        models.Q(("office_zip", ""), _negated=True),
                        ("office_lat__isnull", False),
                        ("office_lon__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="therapist_office_point_with_zip",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("formats__contains", ["in_person"]), _negated=True),
                    models.Q(("office_zip", ""), _negated=True),
                    _connector="OR",
                ),
                name="therapist_in_person_has_zip",
            ),
        ),
    ]
