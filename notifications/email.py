"""E-mail is rendered now and sent by a Celery worker after the transaction commits,
so a rolled-back change never e-mails anybody. Messages carry no clinical detail.
Bodies are plain text, unescaped (``notifications.plain_text``)."""

from django.conf import settings
from django.db import transaction

from notifications.plain_text import render_text
from notifications.tasks import send_email


def queue_email(*, to: list[str], subject: str, template: str, context: dict) -> None:
    body = render_text(template, {**context, "site_url": settings.SITE_URL})

    def enqueue() -> None:
        send_email.delay(to=to, subject=subject, body=body)

    transaction.on_commit(enqueue)
