"""REST API: revisions, text at a revision, diff, restore, authorship and chat history."""

import pytest

from accounts.tests.factories import UserFactory
from collaboration import services
from collaboration.models import ChatMessage, EditPolicy, Snapshot
from collaboration.tests.api_helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return UserFactory(username="ada"), UserFactory(username="lin")


@pytest.fixture
def doc(people):
    """0 "hello", 1 "hello world" (lin), 2 "Hello world" (ada), 3 "Hello, world!" (lin)."""
    ada, lin = people
    document = services.document_create(owner=ada, title="Greeting", content="hello")
    for user, base, ops in (
        (lin, 0, [5, " world"]),
        (ada, 1, ["H", -1, 10]),
        (lin, 2, [5, ",", 6, "!"]),
    ):
        result = services.document_apply_operation(
            document_id=document.pk,
            user=user,
            base_revision=base,
            client_op_id=f"op{base}",
            ops=ops,
            source="socket",
        )
        assert result.committed
    document.refresh_from_db()
    return document


def test_revision_list(doc, people):
    _ada, lin = people
    response = client_for().get(f"/api/documents/{doc.slug}/revisions")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["revision"] == 3
    assert first["user"] == {"id": lin.pk, "username": "lin"}
    assert (first["chars_inserted"], first["chars_deleted"], first["source"]) == (2, 0, "socket")
    assert "created_at" in first
    assert [r["revision"] for r in body["results"]] == [3, 2, 1]
    paged = client_for().get(f"/api/documents/{doc.pk}/revisions/?page_size=1&page=2").json()
    assert [r["revision"] for r in paged["results"]] == [2]


def test_revision_detail(doc, people):
    ada, _ = people
    response = client_for().get(f"/api/documents/{doc.pk}/revisions/2")
    assert response.status_code == 200
    body = response.json()
    assert body["content"] == "Hello world"
    assert body["user"] == {"id": ada.pk, "username": "ada"}
    assert body["ops"] == ["H", -1, 10]
    created = client_for().get(f"/api/documents/{doc.pk}/revisions/0").json()
    assert (created["content"], created["source"], created["user"]["username"]) == (
        "hello",
        "create",
        "ada",
    )
    assert_error(client_for().get(f"/api/documents/{doc.pk}/revisions/4"), 404, "not_found")
    assert_error(
        client_for().get(f"/api/documents/{doc.pk}/revisions/99999999999999999999999"),
        404,
        "not_found",
    )


def test_revision_detail_after_the_log_is_gone(doc):
    Snapshot.objects.filter(document=doc).delete()
    doc.operations.filter(revision=1).delete()
    error = assert_error(
        client_for().get(f"/api/documents/{doc.pk}/revisions/1"), 410, "history_unavailable"
    )
    assert "revision 1" in error["message"]


def test_diff(doc):
    response = client_for().get(f"/api/documents/{doc.pk}/diff?from=0&to=3")
    assert response.status_code == 200
    body = response.json()
    assert body["lines"] == [
        {"op": "delete", "text": "hello"},
        {"op": "insert", "text": "Hello, world!"},
    ]
    assert "+Hello, world!" in body["unified"]
    # Defaults: `to` is the current revision, `from` the one before it.
    default = client_for().get(f"/api/documents/{doc.pk}/diff").json()
    assert (default["from_revision"], default["to_revision"]) == (2, 3)


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=x", "from"), ("from=-1", "from"), ("to=9", "to"), ("from=4&to=1", "from")],
)
def test_diff_bad_revisions(doc, query, field):
    error = assert_error(client_for().get(f"/api/documents/{doc.pk}/diff?{query}"), 400, "invalid")
    assert field in error["fields"]


def test_restore(doc, people):
    ada, _ = people
    response = client_for(ada).post(f"/api/documents/{doc.pk}/restore", {"revision": 1})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["revision"] == 4
    assert body["restored_from"] == 1
    assert body["client_op_id"].startswith("restore-")
    doc.refresh_from_db()
    assert (doc.content, doc.revision) == ("hello world", 4)
    latest = client_for().get(f"/api/documents/{doc.pk}/revisions").json()["results"][0]
    assert (latest["revision"], latest["source"]) == (4, "restore")
    # The old revisions are still there.
    old = client_for().get(f"/api/documents/{doc.pk}/revisions/3").json()
    assert old["content"] == "Hello, world!"


def test_restore_errors(doc, people):
    ada, lin = people
    url = f"/api/documents/{doc.pk}/restore"
    assert_error(client_for(ada).post(url, {"revision": 9}), 400, "invalid")
    assert_error(client_for(ada).post(url, {"revision": "1"}), 400, "invalid")
    assert_error(client_for(ada).post(url, {}), 400, "invalid")
    assert_error(client_for().post(url, {"revision": 1}), 401, "not_authenticated")
    services.document_update_metadata(document=doc, user=ada, edit_policy=EditPolicy.MEMBERS)
    assert_error(client_for(lin).post(url, {"revision": 1}), 403, "forbidden")
    doc.refresh_from_db()
    assert doc.revision == 3


def test_authorship(doc, people):
    ada, lin = people
    response = client_for().get(f"/api/documents/{doc.pk}/authorship")
    assert response.status_code == 200
    assert response.json() == {
        "revision": 3,
        "spans": [
            {"start": 0, "end": 5, "user_id": ada.pk, "username": "ada"},
            {"start": 5, "end": 13, "user_id": lin.pk, "username": "lin"},
        ],
    }


# --- chat -------------------------------------------------------------------------------------


def test_chat_history_newest_page_first(doc, people):
    ada, lin = people
    for number in range(1, 8):
        services.chat_message_create(
            document=doc, user=ada if number % 2 else lin, message=f"m{number}"
        )
    url = f"/api/documents/{doc.pk}/chat"
    page = client_for().get(f"{url}?page_size=3").json()
    assert [m["message"] for m in page["results"]] == ["m5", "m6", "m7"]
    assert page["has_more"] is True
    first = page["results"][0]
    assert set(first) == {"id", "user", "message", "message_type", "created_at", "session"}
    assert first["user"] == {"id": ada.pk, "username": "ada"}

    older = client_for().get(page["next"]).json()
    assert [m["message"] for m in older["results"]] == ["m2", "m3", "m4"]
    oldest = client_for().get(f"{url}?page_size=3&before={older['before']}").json()
    assert [m["message"] for m in oldest["results"]] == ["m1"]
    assert (oldest["has_more"], oldest["before"], oldest["next"]) == (False, None, None)

    everything = client_for().get(url).json()
    assert len(everything["results"]) == 7 and everything["has_more"] is False


@pytest.mark.parametrize(
    "query", ["before=x", "before=0", "before=%C2%B2", "page_size=0", "page_size=101"]
)
def test_chat_bad_parameters(doc, query):
    assert_error(client_for().get(f"/api/documents/{doc.pk}/chat?{query}"), 400, "invalid")


def test_chat_of_deleted_users_has_no_user(doc, people):
    ada, _ = people
    message = services.chat_message_create(document=doc, user=ada, message="hi")
    ChatMessage.objects.filter(pk=message.pk).update(user=None)
    body = client_for().get(f"/api/documents/{doc.pk}/chat").json()
    assert body["results"][0]["user"] is None
