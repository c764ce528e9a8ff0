from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for every app (``manage.py seed_demo``); it owns no models."""

    name = "demo"
