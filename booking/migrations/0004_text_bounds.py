"""Group titles and time-off notes are one line (a validator); descriptions and the
reasons for declining or cancelling have a length limit, held by the database too. Text
written before over its limit is cut to it (far above anything typed by hand)."""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models

import therapy_directory.validators

FIX_ROWS = """
UPDATE booking_booking SET decline_reason = left(decline_reason, 2000)
WHERE length(decline_reason) > 2000;
UPDATE booking_session SET cancel_reason = left(cancel_reason, 2000)
WHERE length(cancel_reason) > 2000;
UPDATE booking_group SET description = left(description, 5000) WHERE length(description) > 5000;
UPDATE booking_group SET cancel_reason = left(cancel_reason, 2000)
WHERE length(cancel_reason) > 2000;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_session_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="booking",
            name="decline_reason",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
            ),
        ),
        migrations.AlterField(
            model_name="group",
            name="cancel_reason",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
            ),
        ),
        migrations.AlterField(
            model_name="group",
            name="description",
            field=models.TextField(
                blank=True,
                max_length=5000,
                validators=[django.core.validators.MaxLengthValidator(5000)],
            ),
        ),
        migrations.AlterField(
            model_name="group",
            name="title",
            field=models.CharField(
                max_length=120, validators=[therapy_directory.validators.validate_single_line]
            ),
        ),
        migrations.AlterField(
            model_name="session",
            name="cancel_reason",
            field=models.TextField(
                blank=True,
                max_length=2000,
                validators=[django.core.validators.MaxLengthValidator(2000)],
            ),
        ),
        migrations.AlterField(
            model_name="timeoff",
            name="note",
            field=models.CharField(
                blank=True,
                max_length=120,
                validators=[therapy_directory.validators.validate_single_line],
            ),
        ),
        migrations.RunSQL(FIX_ROWS, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="booking",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("decline_reason"), 2000
                ),
                name="booking_booking_decline_reason_at_most_2000",
            ),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("description"), 5000
                ),
                name="booking_group_description_at_most_5000",
            ),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("cancel_reason"), 2000
                ),
                name="booking_group_cancel_reason_at_most_2000",
            ),
        ),
        migrations.AddConstraint(
            model_name="session",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("cancel_reason"), 2000
                ),
                name="booking_session_cancel_reason_at_most_2000",
            ),
        ),
    ]
