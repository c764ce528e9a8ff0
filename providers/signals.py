"""Saves and deletes that can change a search result or card bump the directory version
(providers/search_cache.py) once they commit. Writes that send no signals (``.update()``,
``execute_values``, COPY) call ``search_cache.bump_directory_version`` themselves."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from providers import search_cache
from providers.models import Language, License, Modality, Specialty, Therapist

CARD_MODELS = (Therapist, License, Modality, Specialty, Language)
LINKS = (Therapist.modalities.through, Therapist.specialties.through, Therapist.languages.through)


def _bump(sender, **kwargs) -> None:
    search_cache.bump_directory_version()


def _bump_links(sender, action, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        search_cache.bump_directory_version()


for model in CARD_MODELS:
    receiver(post_save, sender=model, dispatch_uid=f"search-cache-save-{model.__name__}")(_bump)
    receiver(post_delete, sender=model, dispatch_uid=f"search-cache-del-{model.__name__}")(_bump)
for link in LINKS:
    receiver(m2m_changed, sender=link, dispatch_uid=f"search-cache-m2m-{link.__name__}")(
        _bump_links
    )
