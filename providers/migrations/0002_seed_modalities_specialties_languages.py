from django.db import migrations

MODALITIES = [
    (
        "ipt",
        "Interpersonal Therapy (IPT)",
        "A time-limited therapy (12–16 weekly sessions) that links mood to relationships: "
        "grief, role disputes, role transitions and isolation.",
    ),
    (
        "cbt",
        "Cognitive Behavioral Therapy (CBT)",
        "A structured therapy that works on the links between thoughts, feelings and actions.",
    ),
    (
        "group",
        "Group therapy",
        "Therapy in a small group led by a therapist, including IPT groups and support groups.",
    ),
]
SPECIALTIES = [
    ("loneliness", "Loneliness"),
    ("grief", "Grief and loss"),
    ("role-disputes", "Role disputes"),
    ("role-transitions", "Role transitions"),
    ("interpersonal-deficits", "Interpersonal deficits / isolation"),
    ("depression", "Depression"),
    ("anxiety", "Anxiety"),
    ("perinatal", "Perinatal and postpartum"),
    ("trauma", "Trauma"),
    ("relationships", "Relationships"),
]
LANGUAGES = [
    ("en", "English"), ("es", "Spanish"), ("zh", "Chinese"), ("vi", "Vietnamese"),
    ("tl", "Tagalog"), ("ar", "Arabic"), ("fr", "French"), ("ko", "Korean"),
    ("ru", "Russian"), ("pt", "Portuguese"), ("ht", "Haitian Creole"), ("de", "German"),
    ("hi", "Hindi"), ("asl", "American Sign Language"),
]  # fmt: skip


def seed(apps, schema_editor):
    Modality = apps.get_model("providers", "Modality")
    Specialty = apps.get_model("providers", "Specialty")
    Language = apps.get_model("providers", "Language")
    for slug, name, description in MODALITIES:
        Modality.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    for slug, name in SPECIALTIES:
        Specialty.objects.update_or_create(slug=slug, defaults={"name": name})
    for code, name in LANGUAGES:
        Language.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
