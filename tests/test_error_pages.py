"""Error pages (PRODUCT rule 12: every page shows crisis resources): a 404 (also every
privacy denial), 403, 400, an expired form (CSRF) and a server error all carry the
crisis banner and a way back."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import get_resolver

from tests.accounts.test_pages import assert_crisis_banner
from tests.factories import TherapistFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_a_404_page_with_the_crisis_banner(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_crisis_banner(response)
    assert "Page not found" in response.content.decode()


def test_a_page_that_is_not_yours_is_the_same_404_page(client):
    hidden = TherapistFactory()  # no verified license: not findable
    client.force_login(UserFactory())
    response = client.get(f"/therapists/{hidden.slug}/")
    assert response.status_code == 404
    assert_crisis_banner(response)
    assert "Page not found" in response.content.decode()


def test_an_expired_form_is_a_403_page_with_the_crisis_banner():
    response = Client(enforce_csrf_checks=True).post(
        "/accounts/login/", {"username": "a@example.com", "password": "x"}
    )
    assert response.status_code == 403
    assert_crisis_banner(response)
    assert "This form has expired" in response.content.decode()


@pytest.mark.parametrize(
    "call, status, title",
    [
        (lambda handler, r: handler(r, PermissionDenied()), 403, "Not allowed"),
        (lambda handler, r: handler(r, ValueError()), 400, "Request not understood"),
        (lambda handler, r: handler(r), 500, "Something went wrong"),
    ],
)
def test_the_other_error_pages_carry_the_crisis_banner(call, status, title):
    # The handlers the URL conf names (JSON under /api/, tests/api/test_json_only.py).
    handler = get_resolver().resolve_error_handler(status)
    request = RequestFactory().get("/somewhere/")
    request.user = UserFactory()
    response = call(handler, request)
    assert response.status_code == status
    assert_crisis_banner(response)
    assert title in response.content.decode()


def test_a_form_over_the_body_limit_is_a_413_page_that_says_what_to_do(settings):
    therapist = TherapistFactory()
    browser = Client()
    browser.force_login(therapist.user)
    bio = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = browser.post("/dashboard/profile/", {"bio": bio})
    assert response.status_code == 413
    page = response.content.decode()
    assert 'class="errornote"' in page
    assert "Nothing was saved" in page
    assert_crisis_banner(response)
    therapist.refresh_from_db()
    assert therapist.bio != bio
