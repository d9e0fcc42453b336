"""Fixtures shared by the collaboration tests."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from accounts.tests.factories import UserFactory
from collaboration.realtime.registry import Registry


@pytest.fixture
def owner():
    return UserFactory(username="owner")


@pytest.fixture
async def registry_cleanup():
    """Stops this loop's registry after the test (usefixtures("registry_cleanup"))."""
    yield
    loop = asyncio.get_running_loop()
    registry = Registry._by_loop.get(id(loop))
    if registry is not None:
        await registry.stop()
        Registry._by_loop.pop(id(loop), None)
    # The helpers above ran ORM calls in asgiref's shared thread: close what they opened,
    # or the next test (possibly one without database access) inherits the connection.
    await sync_to_async(connections.close_all)()
