"""A therapist's profile save (the dashboard form and ``PATCH /api/v1/me/profile/``) is
the row and its three lists of links together: a failure part-way changes nothing."""

import pytest
from django.db.models.signals import m2m_changed
from django.urls import reverse
from rest_framework.test import APIClient

from providers.models import Language, Therapist
from tests.factories import TherapistFactory
from tests.providers.profile_data import profile_form_data

pytestmark = pytest.mark.django_db


class LinkWriteFailed(Exception):
    pass


@pytest.fixture
def languages_fail():
    """The languages' links fail to save (as a lost connection or a constraint would),
    after the therapist's row was written."""

    def fail(sender, action, **kwargs):
        if action == "pre_add":
            raise LinkWriteFailed

    m2m_changed.connect(fail, sender=Therapist.languages.through, dispatch_uid="fail-links")
    yield
    m2m_changed.disconnect(sender=Therapist.languages.through, dispatch_uid="fail-links")


def test_the_dashboard_form_saves_all_or_nothing(client, languages_fail):
    therapist = TherapistFactory(display_name="Ada Byron")
    client.force_login(therapist.user)
    data = profile_form_data(
        therapist,
        display_name="Ada Lovelace",
        languages=list(Language.objects.filter(code="es").values_list("pk", flat=True)),
    )
    with pytest.raises(LinkWriteFailed):
        client.post(reverse("providers:dashboard_profile"), data)
    assert Therapist.objects.get(pk=therapist.pk).display_name == "Ada Byron"


def test_the_api_saves_all_or_nothing(languages_fail):
    therapist = TherapistFactory(display_name="Ada Byron")
    api = APIClient()
    api.force_authenticate(therapist.user)
    with pytest.raises(LinkWriteFailed):
        api.patch(
            "/api/v1/me/profile/",
            {"display_name": "Ada Lovelace", "languages": ["es"]},
            format="json",
        )
    assert Therapist.objects.get(pk=therapist.pk).display_name == "Ada Byron"
