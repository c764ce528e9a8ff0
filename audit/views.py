"""The staff audit log and a client's "who looked at my record"."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.decorators import staff_required
from audit import selectors
from therapy_directory.pagination import filter_links

EVENTS_PER_PAGE = 50


@staff_required
def staff_log(request):
    """Every recorded event, filterable by who, whose data, action and day. Staff only;
    to anyone else this page does not exist."""
    search, qs = selectors.staff_log(request.GET)
    page = Paginator(qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    decisions = selectors.license_decisions_of(page.object_list)
    rows = [{"event": e, "decision": decisions.get(e.pk)} for e in page.object_list]
    return render(
        request,
        "audit/staff_log.html",
        {
            "form": search.form,
            "fields": list(search.form),
            "valid": search.is_valid(),
            "page": page,
            "rows": rows,
            **filter_links(request.GET),
            "section": "audit",
        },
        status=200 if search.is_valid() else 400,
    )


@login_required
def record_access(request):
    """Who on our staff looked at my data, what and when (newest first)."""
    page = Paginator(selectors.record_access_of(request.user), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [{"event": e, "what": selectors.what_was_seen(e)} for e in page.object_list]
    return render(request, "audit/record_access.html", {"page": page, "rows": rows})
