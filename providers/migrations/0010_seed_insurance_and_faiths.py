"""The major US insurance plans and a few faith traditions, so every migrated database
(demo, tests, production) offers them; admins add more in the admin."""

from django.db import migrations

INSURANCE = [
    ("aetna", "Aetna"),
    ("anthem-bcbs", "Anthem / Elevance Blue Cross Blue Shield"),
    ("cigna", "Cigna / Evernorth"),
    ("unitedhealthcare", "UnitedHealthcare / Optum"),
    ("humana", "Humana"),
    ("kaiser-permanente", "Kaiser Permanente"),
    ("medicare", "Medicare"),
    ("medicaid", "Medicaid"),
    ("tricare", "TRICARE"),
    ("magellan", "Magellan"),
    ("beacon-carelon", "Beacon / Carelon"),
]
FAITHS = [
    ("christian", "Christian"),
    ("jewish", "Jewish"),
    ("muslim", "Muslim"),
    ("buddhist", "Buddhist"),
    ("hindu", "Hindu"),
    ("latter-day-saints", "Latter-day Saints"),
]


def seed(apps, schema_editor):
    Insurance = apps.get_model("providers", "Insurance")
    Faith = apps.get_model("providers", "Faith")
    for slug, name in INSURANCE:
        Insurance.objects.update_or_create(slug=slug, defaults={"name": name})
    for slug, name in FAITHS:
        Faith.objects.update_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("providers", "0009_insurance_faith_and_identity")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
