"""Where attachments' bytes live: the "attachments" entry of settings.STORAGES.

A folder under MEDIA_ROOT by default, an S3-compatible bucket when configured (see the
settings block). Names are made here, from a random UUID: the uploader's file name never
reaches the storage, so no name can climb out of its root or overwrite another file.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

STORAGE_ALIAS = "attachments"

logger = logging.getLogger(__name__)


def attachment_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def new_storage_name(extension: str, *, suffix: str = "") -> str:
    """`ab/ab12…ef<suffix><extension>`: two-character folders keep each folder small."""
    key = uuid.uuid4().hex
    return f"{key[:2]}/{key}{suffix}{extension}"


def store(data: bytes, name: str) -> str:
    """Writes `data` under `name`; the name actually used (a storage may change it)."""
    return attachment_storage().save(name, ContentFile(data))


def delete_stored(names: Iterable[str]) -> None:
    """Removes stored files; a file already gone is not an error (deleting twice is fine).

    Runs after the commit that removed their rows: a storage failure here must not undo
    that, so it is logged for the operator instead.
    """
    storage = attachment_storage()
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:  # a boundary: any storage's failure (disk, S3) is only logged
            logger.exception("Could not delete the stored attachment file %s", name)
