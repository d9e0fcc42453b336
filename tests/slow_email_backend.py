"""A test-only email backend for tests that kill a worker mid-delivery: each message
takes a while and is recorded (its Message-ID, one line) in the file SLOW_EMAIL_LOG, which
outlives the killed process."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        delay = float(os.environ.get("SLOW_EMAIL_SECONDS", "0.2"))
        for message in email_messages:
            time.sleep(delay)
            with open(os.environ["SLOW_EMAIL_LOG"], "a", encoding="utf-8") as log:
                log.write(f"{message.extra_headers['Message-ID']} {message.to[0]}\n")
                log.flush()
                os.fsync(log.fileno())
        return len(email_messages)
