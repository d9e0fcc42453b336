"""Helpers for the proposals' tests: documents made by the service (with their snapshot
and hook cursors, as the site makes them), people of each role, and edits of a text."""

from __future__ import annotations

import uuid

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import history
from collaboration.models import Document, EditSource
from collaboration.services import document_apply_operation, document_create

ARTICLE = """# Attention

## Queries and keys

Each token asks a question with its query.

## Values

The answer mixes the values by the weights.

## Heads

Several heads look at different things.
"""


def make_document(*, owner=None, content: str = ARTICLE, **fields) -> Document:
    return document_create(
        owner=owner or UserFactory(),
        title=fields.pop("title", "Attention"),
        content=content,
        **fields,
    )


def reviewer():
    return UserFactory(role=Role.REVIEWER)


def edit_text(document: Document, user, new_text: str, *, source: str = EditSource.API):
    """Commits the change from the document's current text to `new_text` as `user`."""
    document.refresh_from_db()
    result = document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=document.revision,
        client_op_id=f"test-{uuid.uuid4()}",
        ops=history.minimal_operation(document.content, new_text),
        source=source,
    )
    assert result.error is None, result.error
    document.refresh_from_db()
    return result


def replace_in(document: Document, user, old: str, new: str):
    document.refresh_from_db()
    assert old in document.content, f"{old!r} is not in the text"
    return edit_text(document, user, document.content.replace(old, new, 1))
