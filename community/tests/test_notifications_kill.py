"""A Celery worker killed (SIGKILL) in the middle of sending an event's emails: after
another worker takes over, every notification exists once and every email went once, but
for at most the one being handed to the mail server at the instant of the kill.

Real processes on PostgreSQL and Redis: the killed worker's task comes back from the
broker (acks late, CELERY_VISIBILITY_TIMEOUT short here) and the rows it had sent are
skipped (each email is marked sent in the transaction that sends it).
"""

import collections
import signal
import subprocess
import sys
import time
from pathlib import Path

import config.celery
from accounts.tests.factories import UserFactory
from community.models import EmailStatus, Notification
from community.tasks import notifications as notification_tasks
from tests.servers import ROOT, SEVERAL_PROCESSES, child_environment

pytestmark = SEVERAL_PROCESSES

RECIPIENTS = 30


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery",
         "--concurrency", "1", "-P", "solo", "-l", "info", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def emailed_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(tmp_path):
    config.celery.app.control.purge()
    people = [UserFactory() for _ in range(RECIPIENTS)]
    sent_log = tmp_path / "emails.log"
    worker_log = tmp_path / "worker.log"
    env = child_environment(
        EMAIL_BACKEND="tests.slow_email_backend.EmailBackend",
        SLOW_EMAIL_LOG=str(sent_log),
        SLOW_EMAIL_SECONDS="0.15",
        CELERY_VISIBILITY_TIMEOUT="2",
    )
    notification_tasks.notify.delay(
        {
            "recipient_ids": [p.pk for p in people],
            "kind": "answer",
            "key": "answer:kill-test",
            "title": "ada answered your question “Why softmax?”",
            "url": "/questions/1/",
        }
    )
    first = start_worker(env, worker_log)
    try:
        wait_for(lambda: len(emailed_lines(sent_log)) >= 5, 60, "the first emails")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    sent_before_kill = len(emailed_lines(sent_log))
    assert sent_before_kill < RECIPIENTS, "the worker finished before it was killed"

    time.sleep(2.5)  # the broker's visibility timeout: the task is handed out again
    second = start_worker(env, worker_log)
    try:
        wait_for(
            lambda: (
                not Notification.objects.filter(email_status=EmailStatus.PENDING).exists()
                and len(emailed_lines(sent_log)) >= RECIPIENTS
            ),
            90,
            "the second worker to send the rest",
        )
        time.sleep(1)  # anything doubled would show up now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(20)

    rows = Notification.objects.filter(key="answer:kill-test")
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(p.pk for p in people)
    assert set(rows.values_list("email_status", flat=True)) == {EmailStatus.SENT}
    per_message = collections.Counter(line.split()[0] for line in emailed_lines(sent_log))
    assert len(per_message) == RECIPIENTS
    # The one email the mail server may have accepted in the instant before the kill, and
    # whose "sent" mark never committed, goes again, with the same Message-ID (mail clients
    # show it once): the most mail allows (community/services/notification_email.py).
    doubled = [message for message, count in per_message.items() if count > 1]
    assert len(doubled) <= 1 and all(per_message[m] == 2 for m in doubled), doubled
