"""factory_boy factories for community posts."""

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory
from community.models import Answer, Comment, CommentType, Question


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    author = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"How does attention work in layer {n}?")
    content = "I read the paper but the **softmax** part confuses me."
    last_activity_at = factory.LazyFunction(timezone.now)


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Answer

    question = factory.SubFactory(QuestionFactory)
    author = factory.SubFactory(UserFactory)
    content = "Each query is compared with every key; softmax turns scores into weights."


class CommentFactory(factory.django.DjangoModelFactory):
    """A general comment on a document (pass comment_type and anchor_* for inline ones)."""

    class Meta:
        model = Comment

    document = factory.SubFactory(DocumentFactory)
    author = factory.SubFactory(UserFactory)
    content = "Could this section link to the original paper?"
    comment_type = CommentType.GENERAL
