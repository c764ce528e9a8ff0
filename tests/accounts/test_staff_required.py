"""``accounts.decorators.staff_required``: the one check behind every staff page (the
license queue needs the verify permission, the audit log any active staff)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.decorators import staff_required
from tests.factories import UserFactory, make_verifier

pytestmark = pytest.mark.django_db


@staff_required
def any_staff(request):
    return HttpResponse("ok")


@staff_required(permission="providers.verify_license")
def verifiers(request):
    return HttpResponse("ok")


def call(view, user):
    request = RequestFactory().get("/staff/page/")
    request.user = user
    return view(request)


def test_anonymous_visitors_are_sent_to_log_in():
    for view in (any_staff, verifiers):
        response = call(view, AnonymousUser())
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    "kind", ["client", "therapist", "inactive staff", "inactive verifier", "active user"]
)
def test_everyone_else_gets_a_404(kind):
    user = {
        "client": lambda: UserFactory(role="client"),
        "therapist": lambda: UserFactory(role="therapist"),
        "inactive staff": lambda: UserFactory(role="staff", is_staff=True, is_active=False),
        "inactive verifier": lambda: make_verifier(is_active=False),
        "active user": lambda: UserFactory(role="staff", is_staff=False),
    }[kind]()
    for view in (any_staff, verifiers):
        with pytest.raises(Http404):
            call(view, user)


def test_staff_pass_and_a_named_permission_is_required():
    staff = UserFactory(role="staff", is_staff=True)
    assert call(any_staff, staff).content == b"ok"
    with pytest.raises(Http404):
        call(verifiers, staff)
    verifier = make_verifier()
    assert call(any_staff, verifier).content == b"ok"
    assert call(verifiers, verifier).content == b"ok"
    assert verifiers.__name__ == "verifiers"  # wraps the view


def test_the_license_queue_and_the_audit_log_use_it(client):
    staff = UserFactory(role="staff", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("audit:audit_log")).status_code == 200
    assert client.get(reverse("providers:staff_licenses")).status_code == 404
    client.force_login(make_verifier())
    assert client.get(reverse("providers:staff_licenses")).status_code == 200
