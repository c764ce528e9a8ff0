"""A therapist's profile photo (PRODUCT.md rule 13): the name of a square JPEG in the
default storage, empty when there is none (the cards show the initials)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("providers", "0011_board_lookups"),
    ]

    operations = [
        migrations.AddField(
            model_name="therapist",
            name="photo",
            field=models.ImageField(blank=True, editable=False, upload_to=""),
        ),
    ]
