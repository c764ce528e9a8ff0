"""The file e-mail backend, slowed down per message, so a test can kill a worker in
the middle of a batch. Each message is flushed to disk before send returns."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def write_message(self, message):
        time.sleep(float(os.environ.get("RAPPORT_TEST_MAIL_DELAY", "0.01")))
        super().write_message(message)
