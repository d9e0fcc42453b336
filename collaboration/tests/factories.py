"""factory_boy factories for collaboration: tags, documents, members, operations."""

import uuid

import factory
from django.utils.text import slugify

from accounts.tests.factories import UserFactory
from collaboration.models import (
    Document,
    DocumentMember,
    MemberRole,
    Operation,
    Tag,
    Visibility,
)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda t: slugify(t.name))
    description = ""


class DocumentFactory(factory.django.DjangoModelFactory):
    """A document at revision 0. Pass tags=[...] to tag it."""

    class Meta:
        model = Document
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Document {n}")
    slug = factory.LazyAttribute(lambda d: slugify(d.title))
    content = "## Introduction\n\nSome *Markdown* text.\n"
    revision = 0
    owner = factory.SubFactory(UserFactory)
    visibility = Visibility.PUBLIC

    @factory.post_generation
    def tags(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.tags.set(extracted)


class DocumentMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentMember

    document = factory.SubFactory(DocumentFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.EDITOR


class OperationFactory(factory.django.DjangoModelFactory):
    """An operation row only: it does not change the document's text or revision."""

    class Meta:
        model = Operation

    document = factory.SubFactory(DocumentFactory)
    revision = factory.Sequence(lambda n: n + 1)
    base_revision = factory.LazyAttribute(lambda o: o.revision - 1)
    ops = factory.LazyFunction(lambda: ["x"])
    client_op_id = factory.Sequence(lambda n: f"op-{n}")
    user = factory.SubFactory(UserFactory)
    source = "api"
    chars_inserted = 1


def commit_edit(document, user, ops) -> None:
    """Applies `ops` to the document's current text through the editor's commit path."""
    from collaboration import services

    document.refresh_from_db()
    result = services.document_apply_operation(
        document_id=document.pk,
        user=user,
        base_revision=document.revision,
        client_op_id=f"test-edit-{uuid.uuid4().hex}",
        ops=ops,
    )
    assert result.committed, result.error
    document.refresh_from_db()
