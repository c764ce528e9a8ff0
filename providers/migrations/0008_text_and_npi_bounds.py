"""Names, credentials, addresses and license numbers are one line (a validator); a display
name may be as long as an account's name (150); bio, descriptions and reject reasons have
a length limit, held by the database too; an NPI is ten ASCII digits (a CHECK; the check
digit stays the validator's).

Rows written before: an NPI that is not ten ASCII digits (fullwidth or Arabic-Indic
digits passed the old check) matches no registry and is cleared; text over its limit is
cut to it (the limits are far above anything a person writes by hand)."""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

import therapy_directory.validators

FIX_ROWS = """
UPDATE providers_therapist SET npi = '' WHERE npi <> '' AND npi !~ '^[0-9]{10}$';
UPDATE providers_therapist SET bio = left(bio, 5000) WHERE length(bio) > 5000;
UPDATE providers_modality SET description = left(description, 5000)
WHERE length(description) > 5000;
UPDATE providers_licensedecision SET reason = left(reason, 2000) WHERE length(reason) > 2000;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0007_profile_rules_in_the_model"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="language",
            name="name",
            field=models.CharField(
                max_length=60, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="license",
            name="number",
            field=models.CharField(
                max_length=40, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="licensedecision",
            name="reason",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
            ),
        ),
        migrations.AlterField(
            model_name="licensedecision",
            name="source",
            field=models.CharField(
                blank=True,
                max_length=300,
                validators=[therapy_directory.validators.validate_single_line],
            ),
        ),
        migrations.AlterField(
            model_name="modality",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
            ),
        ),
        migrations.AlterField(
            model_name="modality",
            name="name",
            field=models.CharField(
                max_length=100, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="specialty",
            name="name",
            field=models.CharField(
                max_length=100, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="bio",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="credentials",
            field=models.CharField(
                blank=True,
                help_text="Degrees and license types, e.g. “PhD, LCSW”.",
                max_length=120,
                validators=[therapy_directory.validators.validate_single_line],
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="display_name",
            field=models.CharField(
                max_length=150, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="office_address",
            field=models.CharField(
                blank=True,
                help_text="Street address, shown to booked clients only.",
                max_length=200,
                validators=[therapy_directory.validators.validate_single_line],
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="office_city",
            field=models.CharField(
                blank=True,
                max_length=80,
                validators=[therapy_directory.validators.validate_single_line],
            ),
        ),
        migrations.RunSQL(FIX_ROWS, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="licensedecision",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("reason"), 2000
                ),
                name="providers_licensedecision_reason_at_most_2000",
            ),
        ),
        migrations.AddConstraint(
            model_name="modality",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("description"), 5000
                ),
                name="providers_modality_description_at_most_5000",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(("npi", ""), ("npi__regex", "^[0-9]{10}$"), _connector="OR"),
                name="therapist_npi_shape",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("bio"), 5000
                ),
                name="providers_therapist_bio_at_most_5000",
            ),
        ),
    ]
