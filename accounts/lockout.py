"""Repeated failed log-ins lock that e-mail *from that address* for a while (django-axes).

Why username + IP together: locking by e-mail alone would let anyone lock a therapist
out of their own account with five bad guesses; locking by IP alone would lock a whole
clinic or campus behind one NAT, and costs a botnet nothing. Keyed on both, one client
address gets ``AXES_FAILURE_LIMIT`` guesses per account per ``AXES_COOLOFF_TIME``, and
the owner, from their own address, can still log in. A guesser spread over many
addresses is slowed by Argon2 and the password validators, not by this.

The same lock covers the HTML log-in and ``POST /api/v1/auth/token/``; the page says so
in words, the API answers 429 ``{detail}`` with ``Retry-After``, as DRF's throttles do.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

from accounts.email_addresses import normalise_email
from accounts.forms import EmailAuthenticationForm


def lockout_minutes() -> int:
    return max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))


def lockout_message() -> str:
    return (
        "Too many failed log-ins for this e-mail from your network. For your safety, "
        f"log-in is paused for {lockout_minutes()} minutes. If you have forgotten your "
        "password, you can reset it now."
    )


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, for requests only: ``authenticate()`` without a request comes from
    our own code (management commands, the test client), never from the network."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def normalised_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The lockout's key: the typed e-mail through ``normalise_email``, the same function
    the account look-up uses, so every spelling that reaches an account (``Ana@X.com``,
    fullwidth or long-s look-alikes) shares that account's one counter, and one that
    does not normalise to it (a dotless ı) reaches no account at all."""
    if credentials:
        username = credentials.get("username") or credentials.get("email")
    else:
        data = getattr(request, "data", None) or request.POST
        username = data.get("username") or data.get("email")
    if not isinstance(username, str):
        return None
    return normalise_email(username) or None


def client_ip(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind ``RAPPORT_TRUSTED_PROXIES`` reverse proxies the address the
    nearest untrusted hop gave in X-Forwarded-For (the left part can be forged)."""
    proxies = settings.RAPPORT_TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": lockout_message()}, status=429)
    else:
        form = EmailAuthenticationForm(request, data=None)
        username = normalised_username(request, credentials)
        if username:
            form.initial["username"] = username
        response: HttpResponse = TemplateResponse(
            request,
            "registration/login.html",
            {"form": form, "locked_out": lockout_message(), "next": request.POST.get("next", "")},
            status=429,
        )
        response.render()
    response["Retry-After"] = retry_after
    return response
