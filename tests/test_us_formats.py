"""No page or e-mail shows a time as "2026-12-08 10:00 EST" or "18:00": people in the USA
read "Tue, Dec 8 · 10:00 AM ET" (PRODUCT.md, "Pages"). The us_* filters say it that way;
machine-read places (a datetime attribute, a form value, a link's query) keep ISO dates."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# A date/time format with a 24-hour clock or an ISO date, as the `date` and `time` filters
# take it.
FORMAT = re.compile(r"""\|(?:date|time):\s*["']([^"']*)["']""")
ISO_OR_24H = re.compile(r"Y-m-d|H:i|G:i|\bH\b")
# Where a machine reads the value: an attribute or a URL query just before the tag.
MACHINE = re.compile(
    r"""(?:datetime|value|id|href|for|aria-labelledby)="[^"]*$|[?&][\w-]+=$|#[\w-]*$"""
)


def people_facing_formats():
    for path in sorted(TEMPLATES.rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in FORMAT.finditer(line):
                if not ISO_OR_24H.search(match.group(1)):
                    continue
                before = line[: match.start()]
                tag = before.rfind("{{")
                if MACHINE.search(before[:tag]):
                    continue
                yield f"{path.relative_to(TEMPLATES)}:{number}: {match.group(0)}"


def test_no_template_shows_a_person_an_iso_date_or_a_24_hour_time():
    assert list(people_facing_formats()) == []


def test_a_date_picker_is_not_explained_as_an_iso_pattern(client, db):
    """A date input shows the browser's own picker (mm/dd/yyyy in the USA): no
    "YYYY-MM-DD" hint beside it."""
    from providers.forms import LicenseSubmitForm

    page = client.get("/groups/").content.decode()
    assert 'type="date"' in page and "YYYY-MM-DD" not in page
    assert "YYYY-MM-DD" not in str(LicenseSubmitForm())
