"""Fixtures shared by the collaboration tests."""

import pytest

from accounts.tests.factories import UserFactory


@pytest.fixture
def owner():
    return UserFactory(username="owner")
