from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"

    def ready(self) -> None:
        from providers import signals  # noqa: F401  (connects the search cache's bumps)
