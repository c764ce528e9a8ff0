"""Pagination links of a list filtered by its query string (the search, the audit log,
the groups): one way to keep the filters in them."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlencode


def filter_links(params, *, keep_blank: Collection[str] = ()) -> dict[str, str | bool]:
    """For the template: ``query_prefix``, to which a pagination link adds ``page=N``,
    keeping every filter of ``params`` (a QueryDict) in its order, repeated ones too;
    blank ones stay out of the shared URL, unless named in ``keep_blank`` (where a blank
    value means something, e.g. "any state" rather than the visitor's own). And
    ``has_filters``: whether any filter is set (to offer "Clear all filters")."""
    kept = [
        (key, value)
        for key, values in params.lists()
        if key != "page"
        for value in values
        if value or key in keep_blank
    ]
    return {
        "query_prefix": f"?{urlencode(kept)}&" if kept else "?",
        "has_filters": any(value for _, value in kept),
    }
