"""Answers to a signed-in caller are theirs alone: ``Cache-Control: private, no-store``.

Pages and API alike, whatever the status (a redirect, a 404 or a form error is still
about that person). ``request.user`` is the session's user (AuthenticationMiddleware, on
the way in) or, for ``Authorization: Token`` callers, the token's user: DRF
authenticates inside the view and sets the Django request's ``user`` too. Answers to
anonymous visitors are left as the view made them (public pages may be cached); the
calendar feed fetched anonymously by its secret address marks itself
(``booking.pages.ics_response``), and so do the API's answers that hand out a token
(``never_cache`` on ``auth/register/`` and ``auth/token/``)."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateAnswersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # A request with an Authorization header counts as signed in even where no view
        # authenticated it (the API's log-in and sign-up, a JSON 404, an error answered
        # before DRF's authentication ran).
        if "Authorization" in request.headers or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
