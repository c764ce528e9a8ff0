"""A group meets on one or several weekdays (issue 18: intensive programs). Each group's
old ``weekday`` becomes ``weekdays = [weekday]``; its meetings, numbered by week until now,
keep their numbers (one meeting a week: meeting n is week n)."""

import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0008_group_individual_video_url"),
    ]

    operations = [
        migrations.AddField(
            model_name="group",
            name="weekdays",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(
                    choices=[
                        (0, "Monday"),
                        (1, "Tuesday"),
                        (2, "Wednesday"),
                        (3, "Thursday"),
                        (4, "Friday"),
                        (5, "Saturday"),
                        (6, "Sunday"),
                    ]
                ),
                null=True,
                size=None,
            ),
        ),
        # Nullable for a moment, so that going back can fill it again before it is required.
        migrations.AlterField(
            model_name="group",
            name="weekday",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (0, "Monday"),
                    (1, "Tuesday"),
                    (2, "Wednesday"),
                    (3, "Thursday"),
                    (4, "Friday"),
                    (5, "Saturday"),
                    (6, "Sunday"),
                ],
                null=True,
            ),
        ),
        migrations.RunSQL(
            "UPDATE booking_group SET weekdays = ARRAY[weekday]::smallint[]",
            reverse_sql="UPDATE booking_group SET weekday = weekdays[1]",
        ),
        migrations.AlterField(
            model_name="group",
            name="weekdays",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.PositiveSmallIntegerField(
                    choices=[
                        (0, "Monday"),
                        (1, "Tuesday"),
                        (2, "Wednesday"),
                        (3, "Thursday"),
                        (4, "Friday"),
                        (5, "Saturday"),
                        (6, "Sunday"),
                    ]
                ),
                help_text="The days it meets each week (0 = Monday), in order: one, or several "
                "for an intensive program.",
                size=None,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="group",
            name="group_weekday_valid",
        ),
        migrations.RemoveField(
            model_name="group",
            name="weekday",
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("weekdays__len__gte", 1),
                    ("weekdays__len__lte", 7),
                    ("weekdays__contained_by", [0, 1, 2, 3, 4, 5, 6]),
                ),
                name="group_weekdays_valid",
            ),
        ),
        migrations.AlterField(
            model_name="session",
            name="week",
            field=models.PositiveSmallIntegerField(
                help_text="1 for the first week of a course; a group numbers its meetings 1, 2, …"
            ),
        ),
    ]
