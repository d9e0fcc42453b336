"""Attaching files to documents and removing them: every write of attachments is here.

An upload is checked in this order, so the cheapest refusal comes first and nothing is
stored for a refused file: the right to edit, the size, the content (validation.py), then
the person's quota under a lock on their user row, so that two uploads at once cannot
both fit in the space left for one. The bytes are written while that lock is held and
removed again if the row is not created.

Removing a row removes its files after the commit (hooks.py), whoever removes it: this
service, the cascade of a deleted document, or the admin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import transaction

from ..models import Document
from ..services import ActionForbidden
from . import rules, storage, validation
from .models import Attachment
from .selectors import attachment_bytes_used
from .validation import AttachmentRefused, CleanFile, megabytes

if TYPE_CHECKING:
    from accounts.models import User

__all__ = ["AttachmentRefused", "attachment_delete", "attachment_upload", "current_limits"]


def current_limits() -> validation.Limits:
    return validation.Limits(
        max_bytes=settings.ATTACHMENT_MAX_BYTES,
        max_pixels=settings.ATTACHMENT_MAX_PIXELS,
        thumbnail_pixels=settings.ATTACHMENT_THUMBNAIL_PIXELS,
    )


def _read(upload: File, max_bytes: int) -> bytes:
    """The upload's bytes; one more than the limit is enough to know it is too large."""
    upload.seek(0)
    return upload.read(max_bytes + 1)


def attachment_upload(*, document: Document, user: User, upload: File) -> Attachment:
    """Attaches `upload` to `document` for `user`.

    Raises ActionForbidden (may not edit the document) or AttachmentRefused (the file or
    the quota; the message says which). Nothing is stored when it raises.
    """
    if not rules.can_attach(user, document):
        raise ActionForbidden("You may read this document but not attach files to it.")
    limits = current_limits()
    validation.check_size(upload.size or 0, max_bytes=limits.max_bytes)
    cleaned = validation.clean_upload(
        data=_read(upload, limits.max_bytes), name=upload.name or "", limits=limits
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            _reserve_quota(user=user, size=len(cleaned.data))
            _store(cleaned, into=stored)
            return Attachment.objects.create(
                document=document,
                uploaded_by=user,
                name=cleaned.name,
                kind=cleaned.kind,
                content_type=cleaned.content_type,
                size=len(cleaned.data),
                width=cleaned.width,
                height=cleaned.height,
                sha256=cleaned.sha256,
                storage_name=stored[0],
                thumbnail_storage_name=stored[1] if len(stored) > 1 else "",
            )
    except BaseException:
        # The row was not written (refused, or the commit failed): nor are its files.
        storage.delete_stored(stored)
        raise


def _reserve_quota(*, user: User, size: int) -> None:
    """Refuses the upload if it does not fit in the person's quota.

    Takes the user's row lock for the rest of the transaction, so the person's uploads
    are counted one at a time. FOR NO KEY UPDATE: edits that merely reference the user
    (an operation's author) are not held up by it.
    """
    get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    quota = settings.ATTACHMENT_QUOTA_BYTES
    used = attachment_bytes_used(user=user)
    if used + size > quota:
        left = max(0, quota - used)
        raise AttachmentRefused(
            validation.QUOTA_EXCEEDED,
            f"This file ({megabytes(size)}) does not fit in your storage: you use "
            f"{megabytes(used)} of your {megabytes(quota)}, so {megabytes(left)} are left. "
            "Delete files you no longer need from your documents' attachments and try again.",
        )


def _store(cleaned: CleanFile, *, into: list[str]) -> None:
    """Writes the file and its thumbnail, listing each stored name in `into` at once, so
    the caller can remove them whatever fails next."""
    into.append(storage.store(cleaned.data, storage.new_storage_name(cleaned.extension)))
    if cleaned.thumbnail is not None:
        name = storage.new_storage_name(cleaned.thumbnail_extension, suffix="-thumb")
        into.append(storage.store(cleaned.thumbnail, name))


def attachment_delete(*, document: Document, attachment_id: int, user: User) -> None:
    """Removes an attachment of `document` (its files go after the commit).

    Raises Attachment.DoesNotExist (not an attachment of this document) or
    ActionForbidden (neither its uploader, who may still edit, nor the document's owner,
    nor a moderator).
    """
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(document=document, pk=attachment_id)
        if not rules.can_delete(user, attachment, document):
            raise ActionForbidden(
                "Only the person who uploaded this file, the document's owner or a "
                "moderator may delete it."
            )
        attachment.delete()
