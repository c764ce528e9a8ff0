"""The state boards' public license look-ups the staff queue links each license to, kept
by admins in the admin; seeded with the boards' look-up pages (providers.board_lookups)."""

from django.db import migrations, models

import therapy_directory.validators
from providers.board_lookups import seed


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0010_seed_insurance_and_faiths"),
    ]

    operations = [
        migrations.CreateModel(
            name="BoardLookup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("AL", "Alabama"),
                            ("AK", "Alaska"),
                            ("AZ", "Arizona"),
                            ("AR", "Arkansas"),
                            ("CA", "California"),
                            ("CO", "Colorado"),
                            ("CT", "Connecticut"),
                            ("DE", "Delaware"),
                            ("DC", "District of Columbia"),
                            ("FL", "Florida"),
                            ("GA", "Georgia"),
                            ("HI", "Hawaii"),
                            ("ID", "Idaho"),
                            ("IL", "Illinois"),
                            ("IN", "Indiana"),
                            ("IA", "Iowa"),
                            ("KS", "Kansas"),
                            ("KY", "Kentucky"),
                            ("LA", "Louisiana"),
                            ("ME", "Maine"),
                            ("MD", "Maryland"),
                            ("MA", "Massachusetts"),
                            ("MI", "Michigan"),
                            ("MN", "Minnesota"),
                            ("MS", "Mississippi"),
                            ("MO", "Missouri"),
                            ("MT", "Montana"),
                            ("NE", "Nebraska"),
                            ("NV", "Nevada"),
                            ("NH", "New Hampshire"),
                            ("NJ", "New Jersey"),
                            ("NM", "New Mexico"),
                            ("NY", "New York"),
                            ("NC", "North Carolina"),
                            ("ND", "North Dakota"),
                            ("OH", "Ohio"),
                            ("OK", "Oklahoma"),
                            ("OR", "Oregon"),
                            ("PA", "Pennsylvania"),
                            ("RI", "Rhode Island"),
                            ("SC", "South Carolina"),
                            ("SD", "South Dakota"),
                            ("TN", "Tennessee"),
                            ("TX", "Texas"),
                            ("UT", "Utah"),
                            ("VT", "Vermont"),
                            ("VA", "Virginia"),
                            ("WA", "Washington"),
                            ("WV", "West Virginia"),
                            ("WI", "Wisconsin"),
                            ("WY", "Wyoming"),
                        ],
                        max_length=2,
                    ),
                ),
                (
                    "license_type",
                    models.CharField(
                        choices=[
                            ("LCSW", "LCSW — Licensed Clinical Social Worker"),
                            ("LICSW", "LICSW — Licensed Independent Clinical Social Worker"),
                            ("LPC", "LPC — Licensed Professional Counselor"),
                            ("LPCC", "LPCC — Licensed Professional Clinical Counselor"),
                            ("LMHC", "LMHC — Licensed Mental Health Counselor"),
                            ("LMFT", "LMFT — Licensed Marriage and Family Therapist"),
                            ("Psychologist", "Psychologist (PhD / PsyD)"),
                            ("MD", "Physician (MD / DO, psychiatry)"),
                            ("PMHNP", "Psychiatric Mental Health Nurse Practitioner"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "name",
                    models.CharField(
                        help_text="The board's name, as it says.",
                        max_length=200,
                        validators=[therapy_directory.validators.validate_single_line],
                        verbose_name="board",
                    ),
                ),
                (
                    "url",
                    models.URLField(
                        help_text="The board's public license look-up page (not its home page).",
                        max_length=500,
                        verbose_name="look-up address",
                    ),
                ),
            ],
            options={
                "verbose_name": "state board look-up",
                "ordering": ["state", "license_type"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("state", "license_type"), name="board_lookup_one_per_state_type"
                    )
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
