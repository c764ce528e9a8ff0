"""``therapy_directory.pagination.filter_links``: the pagination links of the search,
the audit log and the groups keep every filter, and leave blank ones out."""

from django.http import QueryDict

from therapy_directory.pagination import filter_links


def test_every_filter_is_kept_in_order_and_the_page_is_dropped():
    links = filter_links(QueryDict("state=NY&page=3&language=es&language=fr&q=grief+loss"))
    assert links == {
        "query_prefix": "?state=NY&language=es&language=fr&q=grief+loss&",
        "has_filters": True,
    }


def test_blank_filters_stay_out_of_the_shared_url():
    assert filter_links(QueryDict("state=&modality=ipt&page=")) == {
        "query_prefix": "?modality=ipt&",
        "has_filters": True,
    }
    assert filter_links(QueryDict("state=&page=2")) == {"query_prefix": "?", "has_filters": False}
    assert filter_links(QueryDict("")) == {"query_prefix": "?", "has_filters": False}


def test_a_blank_that_means_something_can_be_kept():
    # The groups list: no state means the client's own, a blank one means any state.
    links = filter_links(QueryDict("state=&kind=&page=2"), keep_blank={"state"})
    assert links == {"query_prefix": "?state=&", "has_filters": False}


def test_values_are_quoted_as_a_query_string():
    links = filter_links(QueryDict("q=a%26b%3Dc+d%2Fe&actor=x%40example.com"))
    assert links["query_prefix"] == "?q=a%26b%3Dc+d%2Fe&actor=x%40example.com&"
