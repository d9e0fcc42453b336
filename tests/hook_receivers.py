"""A receiver of the post-commit hook that server processes load in tests
(REVISION_RECEIVERS=tests.hook_receivers.record).

It appends each revision it is given to a Redis list right away, while the delivery
holds the cursor's lock: deliveries of one document from different processes queue on
that lock, so the list shows the order the receiver was called in. (A real receiver
writes to the database instead, where its writes commit or roll back with the cursor;
an outside side effect made after commit would happen once, but two processes'
after-commit effects may land in either order.)
"""

import json

import redis
from django.conf import settings


def key(document_id: int) -> str:
    return f"test:hook:{document_id}"


def record(event) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.rpush(
            key(event.document_id), json.dumps([event.revision, event.source, event.author_id])
        )
    finally:
        client.close()
