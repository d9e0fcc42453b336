"""factory_boy factories for notifications and watches."""

import factory

from accounts.tests.factories import UserFactory
from community.models import Notification, NotificationKind, Watch, WatchLevel, WatchTarget


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.ANSWER
    title = factory.Sequence(lambda n: f"Someone answered your question {n}")
    url = "/questions/1/"
    key = factory.Sequence(lambda n: f"test:{n}")


class WatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Watch

    user = factory.SubFactory(UserFactory)
    target_type = WatchTarget.QUESTION
    level = WatchLevel.WATCHING
