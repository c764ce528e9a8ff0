"""Indexes for the search's modality, specialty and language filters: each link table led
by the linked id, then the therapist, so a search's COUNT merges them with the therapist
key and ``license_valid_state_idx`` instead of probing the link table once per candidate
(~730 shared buffers instead of ~35 000 for CA + IPT at 100 000 therapists; BENCHMARKS.md,
"Search"). The link tables are Django's automatic ones, hence plain SQL; the migration
state does not change."""

from django.db import migrations

LINKS = [
    ("providers_therapist_modalities", "modality_id"),
    ("providers_therapist_specialties", "specialty_id"),
    ("providers_therapist_languages", "language_id"),
]


class Migration(migrations.Migration):
    dependencies = [("providers", "0004_therapist_next_opening_stale_at")]

    operations = [
        migrations.RunSQL(
            sql=f'CREATE INDEX IF NOT EXISTS "{table}_search_idx" ON "{table}" ({column}, therapist_id)',
            reverse_sql=f'DROP INDEX IF EXISTS "{table}_search_idx"',
        )
        for table, column in LINKS
    ]
