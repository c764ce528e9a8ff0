"""The profile page shows every field its form saves: a field the form has but the page
leaves out arrives empty on every save, and the profile writer stores it so (the office
address, the video link and the reminder times were cleared this way)."""

import re

import pytest
from django.urls import reverse

from providers.forms import TherapistProfileForm
from tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db


def test_the_profile_page_has_an_input_for_every_field_of_its_form(client):
    therapist = TherapistFactory()
    client.force_login(therapist.user)
    html = client.get(reverse("providers:dashboard_profile")).content.decode()
    shown = set(re.findall(r'name="([a-z_]+)"', html))
    assert set(TherapistProfileForm.Meta.fields) - shown == set()


def test_saving_the_page_as_shown_keeps_the_address_video_link_and_reminders(client):
    therapist = TherapistFactory(
        office_address="1 Main St",
        video_url="https://video.example/room",
        reminder_minutes=[1440, 60],
    )
    client.force_login(therapist.user)
    page = client.get(reverse("providers:dashboard_profile"))
    form = page.context["form"]
    shown = set(re.findall(r'name="([a-z_]+)"', page.content.decode()))
    data = {}
    for name, field in form.fields.items():
        if name not in shown:
            continue  # the browser sends only what the page shows
        value = form[name].value()
        if value is None or value is False:
            continue
        if hasattr(field, "queryset") or isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif value is True:
            data[name] = "on"
        elif field.widget.format_value(value) is not None:
            data[name] = field.widget.format_value(value)
    assert client.post(reverse("providers:dashboard_profile"), data).status_code == 302
    therapist.refresh_from_db()
    assert therapist.office_address == "1 Main St"
    assert therapist.video_url == "https://video.example/room"
    assert therapist.reminder_minutes == [1440, 60]
