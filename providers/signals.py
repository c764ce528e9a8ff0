"""Saves and deletes that can change a search result or card bump the directory version
(providers/search_cache.py) once they commit. Writes that send no signals (``.update()``,
``execute_values``, COPY) call ``search_cache.bump_directory_version`` themselves.

A save bumps only when it can change an answer: a therapist's or a license's save that
touches none of the fields below (a reminder time, a video link...) leaves the cache
alone. Link changes bump only when links were added or removed."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from providers import search_cache
from providers.models import Language, License, Modality, Specialty, Therapist

CARD_MODELS = (Therapist, License, Modality, Specialty, Language)
LINKS = (Therapist.modalities.through, Therapist.specialties.through, Therapist.languages.through)

# What the search filters and sorts by (providers/filters.py) and what a result card
# shows, on the page (templates/providers/_search_content.html) and in the API
# (providers/api.py, TherapistSerializer), read by selectors.result_cards. A field added
# to either must be added here (tests/providers/test_search_cache.py checks the cards'
# columns and the filters' fields). The reference lists (Modality, Specialty, Language)
# are not listed: any save of theirs bumps (the filter panel shows their names).
SEARCH_FIELDS = {
    Therapist: frozenset(
        {
            "id",
            "slug",
            "display_name",
            "credentials",
            "bio",
            "formats",
            "fee",
            "sliding_scale",
            "accepting_new_clients",
            "next_opening",
            "timezone",
            "office_city",
            "office_state",
        }
    ),
    License: frozenset({"therapist", "state", "status", "expires_on", "verified_on"}),
}


def _note_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before the save: will it change a field a search reads? With ``update_fields``,
    their names say; a full save of a stored row is compared with the row (one read by
    primary key); a new row, a fixture or a row not found counts as a change. (A
    concurrent save committed between that read and this write can go unbumped:
    ``SEARCH_CACHE_SECONDS`` bounds how long that answer stays stale.)"""
    fields = SEARCH_FIELDS[sender]
    meta = sender._meta
    if update_fields is not None:
        changed = any(meta.get_field(name).name in fields for name in update_fields)
    elif raw or instance._state.adding or instance.pk is None:
        changed = True
    else:
        columns = [meta.get_field(name).attname for name in sorted(fields)]
        stored = sender._base_manager.filter(pk=instance.pk).values(*columns).first()
        changed = stored is None or any(
            stored[column] != getattr(instance, column) for column in columns
        )
    instance._search_changed = changed


def _bump_on_save(sender, instance, created=False, **kwargs) -> None:
    if created or instance.__dict__.pop("_search_changed", True):
        search_cache.bump_directory_version()


def _bump(sender, **kwargs) -> None:
    search_cache.bump_directory_version()


def _bump_links(sender, action, pk_set=None, **kwargs) -> None:
    # ``set()`` adds and removes nothing for an unchanged list, but ``add()`` of links
    # already there still sends post_add, with an empty ``pk_set``.
    if action == "post_clear" or (action in ("post_add", "post_remove") and pk_set):
        search_cache.bump_directory_version()


for model in CARD_MODELS:
    uid = model.__name__
    if model in SEARCH_FIELDS:
        receiver(pre_save, sender=model, dispatch_uid=f"search-cache-pre-{uid}")(_note_change)
        receiver(post_save, sender=model, dispatch_uid=f"search-cache-save-{uid}")(_bump_on_save)
    else:
        receiver(post_save, sender=model, dispatch_uid=f"search-cache-save-{uid}")(_bump)
    receiver(post_delete, sender=model, dispatch_uid=f"search-cache-del-{uid}")(_bump)
for link in LINKS:
    receiver(m2m_changed, sender=link, dispatch_uid=f"search-cache-m2m-{link.__name__}")(
        _bump_links
    )
