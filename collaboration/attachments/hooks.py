"""Registrations of attachments with the platform's seams; imported by CollaborationConfig.ready().

- The document page's and the editor's panels (panels.py).
- Stored files follow their row: when an Attachment row is deleted, by the service, by the
  cascade of a deleted document or from the admin, its files are removed once the deletion
  is committed (never before: a rolled-back deletion keeps its files). A receiver rather
  than a call in each place, because the cascade of a document's deletion passes through
  no attachments code.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from config import panels as page_panels

from . import panels, storage
from .models import Attachment


@receiver(post_delete, sender=Attachment, dispatch_uid="attachments.delete_stored_files")
def delete_stored_files(sender, instance: Attachment, **kwargs) -> None:
    names = [instance.storage_name, instance.thumbnail_storage_name]
    transaction.on_commit(partial(storage.delete_stored, names), robust=True)


page_panels.register("document", "collaboration.attachments", panels.document_attachments_panel)
page_panels.register("editor", "collaboration.attachments", panels.editor_attachments_panel)
