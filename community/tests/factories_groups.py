"""factory_boy factories for study groups: made through the services, as people make
them, so the owner's membership, the room and `member_count` are all in place."""

import factory

from accounts.tests.factories import UserFactory
from community.models import StudyGroup
from community.services import groups


class StudyGroupFactory(factory.django.DjangoModelFactory):
    """A public group of 10 seats with one goal; pass is_private=True, learning_goals=[...]."""

    class Meta:
        model = StudyGroup

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Study group {n}")
    description = "We read one page a week and meet on Thursdays."
    topic_focus = "transformers"
    max_members = 10
    is_private = False
    learning_goals = factory.LazyFunction(lambda: ["Explain attention"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return groups.group_create(**kwargs)
