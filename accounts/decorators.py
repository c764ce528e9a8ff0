"""Who may open a page: the checks the staff pages share."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


def staff_required(view=None, *, permission: str | None = None):
    """Active staff only, holding ``permission`` when one is named: to anyone else signed
    in the page does not exist (404, as for what they may not see); anonymous visitors
    are sent to log in. ``@staff_required`` or ``@staff_required(permission="app.codename")``."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.is_staff):
                raise Http404
            if permission is not None and not user.has_perm(permission):
                raise Http404
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorate if view is None else decorate(view)
