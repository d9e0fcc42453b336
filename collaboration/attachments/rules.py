"""Who may attach files to a document and who may delete them.

- Attach: whoever may edit the document (collaboration/permissions.py): a file is part
  of the document's content.
- Delete: the document's owner and moderators (who may manage it), and the person who
  uploaded the file while they may still edit the document.
- See and download: whoever may read the document (checked by the selectors and views).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import Document
from ..permissions import can_edit_document, can_manage_document, is_signed_in
from .models import Attachment

if TYPE_CHECKING:
    from ..permissions import AnyUser


def can_attach(user: AnyUser, document: Document) -> bool:
    return can_edit_document(user, document)


def can_delete(user: AnyUser, attachment: Attachment, document: Document) -> bool:
    if not is_signed_in(user):
        return False
    if can_manage_document(user, document):
        return True
    return attachment.uploaded_by_id == user.pk and can_edit_document(user, document)
