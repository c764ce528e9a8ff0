"""The profile's bounds and "in person needs an office" move into the model (and the
database). Rows written before, through the API, may be in person with no office: they
can't be met in person anywhere we can name, so they keep their other formats (the
therapist re-adds in person with an office from the dashboard). A fee out of range is
cleared."""

import django.contrib.postgres.fields
from django.conf import settings
from django.db import migrations, models

import providers.models

FIX_ROWS = """
UPDATE providers_therapist SET formats = array_remove(formats, 'in_person')
WHERE 'in_person' = ANY(formats) AND (office_city = '' OR office_state = '');
UPDATE providers_therapist SET fee = NULL WHERE fee > 100000;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0006_therapist_reminder_minutes_bounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(FIX_ROWS, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveConstraint(
            model_name="therapist",
            name="therapist_notice_hours_range",
        ),
        migrations.AlterField(
            model_name="therapist",
            name="fee",
            field=models.IntegerField(
                blank=True,
                null=True,
                validators=[
                    providers.models.Between(0, 100000, "Give a fee between $0 and $100,000.")
                ],
                verbose_name="fee per session (USD)",
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="formats",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[("telehealth", "Telehealth (video)"), ("in_person", "In person")],
                    max_length=16,
                ),
                default=list,
                error_messages={"blank": "Choose at least one format."},
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="notice_hours",
            field=models.SmallIntegerField(
                default=24,
                validators=[
                    providers.models.Between(0, 336, "Choose between 0 and 336 hours (two weeks).")
                ],
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="session_minutes",
            field=models.SmallIntegerField(
                default=50,
                validators=[
                    providers.models.Between(15, 240, "A session lasts between 15 and 240 minutes.")
                ],
            ),
        ),
        migrations.AlterField(
            model_name="therapist",
            name="slot_step_minutes",
            field=models.SmallIntegerField(
                choices=[(15, "every 15 minutes"), (30, "every 30 minutes"), (60, "every hour")],
                default=60,
                error_messages={
                    "invalid_choice": "Sessions can start every 15 minutes, every 30 minutes or every hour."
                },
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(("notice_hours__gte", 0), ("notice_hours__lte", 336)),
                name="therapist_notice_hours_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("fee__isnull", True),
                    models.Q(("fee__gte", 0), ("fee__lte", 100000)),
                    _connector="OR",
                ),
                name="therapist_fee_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="therapist",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("formats__contains", ["in_person"]), _negated=True),
                    models.Q(
                        models.Q(("office_city", ""), _negated=True),
                        models.Q(("office_state", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="therapist_in_person_has_office",
            ),
        ),
    ]
