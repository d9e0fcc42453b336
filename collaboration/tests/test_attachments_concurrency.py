"""The quota under concurrent uploads: two uploads at once by one person, with room for
only one, give exactly one attachment and one refusal, and only the accepted file is left
in the storage. On PostgreSQL the user's row lock orders them; on SQLite the write lock
taken at BEGIN does, so this runs on both."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.files import File
from django.db import connection

from accounts.tests.factories import UserFactory
from collaboration.attachments import services
from collaboration.attachments.models import Attachment
from collaboration.attachments.validation import AttachmentRefused
from collaboration.tests.attachments_helpers import files_under, image_bytes, use_storage_root
from collaboration.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)

UPLOADERS = 2


def test_two_uploads_at_once_cannot_both_fit_in_the_room_for_one(settings, tmp_path):
    storage_root = use_storage_root(settings, tmp_path)
    owner = UserFactory()
    documents = [DocumentFactory(owner=owner) for _ in range(UPLOADERS)]
    figure = image_bytes((200, 150))
    first = services.attachment_upload(
        document=documents[0], user=owner, upload=File(io.BytesIO(figure), name="first.png")
    )
    # Room for one more figure of this size, not two.
    settings.ATTACHMENT_QUOTA_BYTES = first.size * 2 + first.size // 2
    start = threading.Barrier(UPLOADERS)
    outcomes: list[str] = []

    def attach(index: int) -> None:
        try:
            start.wait(timeout=30)
            services.attachment_upload(
                document=documents[index],
                user=owner,
                upload=File(io.BytesIO(figure), name=f"racer-{index}.png"),
            )
            outcomes.append("attached")
        except AttachmentRefused as refusal:
            outcomes.append(refusal.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attach, args=(i,)) for i in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["attached", "quota_exceeded"]
    assert Attachment.objects.filter(uploaded_by=owner).count() == 2
    assert len(files_under(storage_root)) == 2  # no thumbnails at this size; nothing left over
