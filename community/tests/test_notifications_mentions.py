"""@mentions: who counts as mentioned, and that they are told once."""

import pytest

from accounts.tests.factories import UserFactory
from community.mentions import MAX_MENTIONS, mentioned_user_ids, notify_mentions
from community.models import Notification, NotificationKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def test_mentions_match_usernames_case_insensitively_in_order():
    ada, lin = UserFactory(username="Ada"), UserFactory(username="lin.wei")
    assert mentioned_user_ids("thanks @lin.wei. and @ADA, @ada again, @nobody") == [lin.pk, ada.pk]


def test_code_emails_and_inactive_accounts_are_not_mentions():
    UserFactory(username="ada")
    UserFactory(username="gone", is_active=False)
    text = "mail ada@example.org, `@ada` in code,\n```\n@ada\n```\n    @ada indented\n@gone"
    assert mentioned_user_ids(text) == []


def test_at_most_twenty_people_per_text():
    people = [UserFactory(username=f"p{i}") for i in range(25)]
    text = " ".join(f"@{p.username}" for p in people)
    assert mentioned_user_ids(text) == [p.pk for p in people[:MAX_MENTIONS]]


def test_notify_mentions_skips_the_author_and_the_excluded_and_never_doubles(
    django_capture_on_commit_callbacks,
):
    author, ada, lin = UserFactory(), UserFactory(username="ada"), UserFactory(username="lin")
    for _ in range(2):  # an edit keeping the mention notifies nobody again
        with django_capture_on_commit_callbacks(execute=True):
            notify_mentions(
                text=f"@ada @lin @{author.username}",
                actor_id=author.pk,
                key_prefix="post:1",
                title="You were mentioned",
                url="/x/",
                exclude_ids=[lin.pk],
            )
    rows = Notification.objects.all()
    assert [(n.recipient_id, n.kind, n.key) for n in rows] == [
        (ada.pk, NotificationKind.MENTION, "post:1:mention")
    ]
