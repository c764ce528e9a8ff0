"""An e-mail backend whose server refuses every message (for retry tests)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("SMTP server went away")
