"""Fixtures for the accounts tests."""

import pytest

from collaboration.realtime import publish


@pytest.fixture
def access_changes(monkeypatch) -> list[int]:
    """The user ids announced to open sockets through publish.access_changed, in order."""
    announced: list[int] = []

    def record(*, document_id=None, user_id=None, room_id=None):
        announced.append(user_id)

    monkeypatch.setattr(publish, "access_changed", record)
    return announced
