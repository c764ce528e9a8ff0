"""Realistic demo data for every app: ``manage.py seed_demo``."""
