"""Insurance plans and faith traditions (admin-kept lists), and a therapist's insurance,
superbill, gender, ages served, LGBTQ+ affirming and faith (PRODUCT rule 13). The link
table to the plans gets the search index its siblings have (0005): led by the plan, then
the therapist."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models

import therapy_directory.validators


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0008_text_and_npi_bounds"),
    ]

    operations = [
        migrations.CreateModel(
            name="Faith",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(unique=True)),
                (
                    "name",
                    models.CharField(
                        max_length=100,
                        validators=[therapy_directory.validators.validate_single_line],
                    ),
                ),
            ],
            options={
                "verbose_name": "faith tradition",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Insurance",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(unique=True)),
                (
                    "name",
                    models.CharField(
                        max_length=100,
                        validators=[therapy_directory.validators.validate_single_line],
                    ),
                ),
            ],
            options={
                "verbose_name": "insurance plan",
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="therapist",
            name="age_groups",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("children", "Children (under 13)"),
                        ("teens", "Teens (13–17)"),
                        ("adults", "Adults (18–64)"),
                        ("older_adults", "Older adults (65 and over)"),
                    ],
                    max_length=16,
                ),
                blank=True,
                default=list,
                size=None,
                verbose_name="ages served",
            ),
        ),
        migrations.AddField(
            model_name="therapist",
            name="gender",
            field=models.CharField(
                blank=True,
                choices=[("woman", "Woman"), ("man", "Man"), ("nonbinary", "Nonbinary")],
                error_messages={
                    "invalid_choice": "Choose woman, man, nonbinary or leave it empty."
                },
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="therapist",
            name="lgbtq_affirming",
            field=models.BooleanField(default=False, verbose_name="LGBTQ+ affirming"),
        ),
        migrations.AddField(
            model_name="therapist",
            name="superbill",
            field=models.BooleanField(
                default=False,
                help_text="Clients can claim the session from their plan as out-of-network care.",
                verbose_name="out of network — superbill provided",
            ),
        ),
        migrations.AddField(
            model_name="therapist",
            name="faith",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="therapists",
                to="providers.faith",
                verbose_name="faith-informed practice",
            ),
        ),
        migrations.AddField(
            model_name="therapist",
            name="insurance",
            field=models.ManyToManyField(
                blank=True,
                related_name="therapists",
                to="providers.insurance",
                verbose_name="insurance plans",
            ),
        ),
        migrations.AddIndex(
            model_name="therapist",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["age_groups"], name="therapist_age_groups_gin"
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("gender", ""), ("gender__in", ["woman", "man", "nonbinary"]), _connector="OR"
                ),
                name="therapist_gender_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("age_groups__contained_by", ["children", "teens", "adults", "older_adults"])
                ),
                name="therapist_age_groups_valid",
            ),
        ),
        migrations.RunSQL(
            sql='CREATE INDEX IF NOT EXISTS "providers_therapist_insurance_search_idx" '
            'ON "providers_therapist_insurance" (insurance_id, therapist_id)',
            reverse_sql='DROP INDEX IF EXISTS "providers_therapist_insurance_search_idx"',
        ),
    ]
