"""The document page names who is on the live editor right now."""

import pytest

from accounts.tests.factories import UserFactory
from collaboration.realtime import presence
from collaboration.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def document():
    return DocumentFactory(
        title="Presence notes", content="# Presence\n\nSome text.\n", owner=UserFactory()
    )


def test_document_page_shows_who_is_editing_now(client, document, monkeypatch):
    asked = []

    def fake_participants_now(document_id):
        asked.append(document_id)
        return [{"user_id": 7, "username": "zoe_editor", "color": "#3cb44b"}]

    monkeypatch.setattr(presence, "participants_now", fake_participants_now)
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert asked == [document.pk]
    assert 'id="editing-now"' in html
    assert "Editing now:" in html
    assert "zoe_editor" in html
    assert "background:#3cb44b" in html


def test_several_people_editing_are_all_listed(client, document, monkeypatch):
    people = [
        {"user_id": 1, "username": "ada", "color": "#e6194b"},
        {"user_id": 2, "username": "lin", "color": "#4363d8"},
    ]
    monkeypatch.setattr(presence, "participants_now", lambda document_id: people)
    html = client.get(document.get_absolute_url()).content.decode()
    block = html[html.index('id="editing-now"') :]
    block = block[: block.index("</p>")]
    assert "ada" in block and "lin" in block
    assert "#e6194b" in block and "#4363d8" in block


def test_usernames_are_escaped(client, document, monkeypatch):
    monkeypatch.setattr(
        presence,
        "participants_now",
        lambda document_id: [{"user_id": 3, "username": "<b>x</b>", "color": "#000075"}],
    )
    html = client.get(document.get_absolute_url()).content.decode()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


def test_nobody_editing_shows_no_block(client, document, monkeypatch):
    monkeypatch.setattr(presence, "participants_now", lambda document_id: [])
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Editing now" not in html
    assert 'id="editing-now"' not in html


def test_without_live_editors_the_real_lookup_is_empty(client, document):
    html = client.get(document.get_absolute_url()).content.decode()
    assert "Editing now" not in html
