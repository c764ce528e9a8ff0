"""The one place e-mails are rendered: plain text, from ``.txt`` templates, with
autoescape off. HTML escaping in a text message only mangles it (``O'Brien & Co`` would
arrive as ``O&#x27;Brien &amp; Co``). Pages keep Django's escaping; no e-mail has an
HTML part. Every writer of an e-mail (``notifications.email.queue_email``, the reminder
dispatcher, the password-reset form's subject) comes here."""

from functools import cache

from django.conf import settings
from django.template.backends.django import DjangoTemplates


@cache
def _text_engine() -> DjangoTemplates:
    """The project's template directories and libraries, without autoescaping (and
    without context processors: an e-mail is rendered without a request)."""
    project = next(t for t in settings.TEMPLATES if t["BACKEND"].endswith("DjangoTemplates"))
    options = {k: v for k, v in project.get("OPTIONS", {}).items() if k != "context_processors"}
    return DjangoTemplates(
        {
            "NAME": "plain_text_email",
            "DIRS": project.get("DIRS", []),
            "APP_DIRS": project.get("APP_DIRS", False),
            "OPTIONS": {**options, "autoescape": False},
        }
    )


def render_text(template: str, context: dict) -> str:
    """A plain-text e-mail (a subject or a body) from a ``.txt`` template, unescaped."""
    if not template.endswith(".txt"):
        raise ValueError(f"E-mails are plain text: {template} is not a .txt template.")
    return _text_engine().get_template(template).render(context)
