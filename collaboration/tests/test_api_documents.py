"""REST API: documents, members, tags and the operations endpoint."""

import pytest

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import ot, services
from collaboration.models import (
    Document,
    DocumentMember,
    EditPolicy,
    MemberRole,
    Operation,
    Tag,
    Visibility,
)
from collaboration.realtime import publish
from collaboration.tests.api_helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def doc(owner):
    return services.document_create(owner=owner, title="Attention", content="hello")


# --- list / create ----------------------------------------------------------------------------


def test_list_shows_only_readable_documents(owner):
    public = services.document_create(owner=owner, title="Public", tags=["nlp"])
    services.document_create(owner=owner, title="Private", visibility=Visibility.PRIVATE)
    restricted = services.document_create(
        owner=owner, title="Restricted", visibility=Visibility.RESTRICTED
    )
    member = UserFactory(username="member")
    DocumentMember.objects.create(document=restricted, user=member, role=MemberRole.VIEWER)

    anonymous = client_for().get("/api/documents/")
    assert anonymous.status_code == 200
    assert [d["title"] for d in anonymous.json()["results"]] == ["Public"]
    item = anonymous.json()["results"][0]
    assert item["id"] == public.pk
    assert item["owner"] == {"id": owner.pk, "username": "owner"}
    assert item["tags"] == ["nlp"]
    assert "content" not in item

    titles = {d["title"] for d in client_for(member).get("/api/documents/").json()["results"]}
    assert titles == {"Public", "Restricted"}
    assert client_for(owner).get("/api/documents/").json()["count"] == 3
    moderator = UserFactory(role=Role.MODERATOR)
    assert client_for(moderator).get("/api/documents").json()["count"] == 3  # no slash too


def test_list_filters_ordering_search_and_pagination(owner):
    other = UserFactory(username="other")
    services.document_create(owner=owner, title="Beta attention", tags=["nlp"])
    services.document_create(owner=other, title="Alpha vision", tags=["cv"])
    services.document_create(owner=owner, title="Gamma", visibility=Visibility.RESTRICTED)
    client = client_for(owner)

    def titles(query):
        response = client.get(f"/api/documents/{query}")
        assert response.status_code == 200, response.content
        return [d["title"] for d in response.json()["results"]]

    assert titles("?tag=nlp") == ["Beta attention"]
    assert titles("?owner=OTHER") == ["Alpha vision"]
    assert titles("?visibility=restricted") == ["Gamma"]
    assert titles("?ordering=title") == ["Alpha vision", "Beta attention", "Gamma"]
    assert titles("?ordering=-title") == ["Gamma", "Beta attention", "Alpha vision"]
    assert titles("?q=ATTENTION beta") == ["Beta attention"]
    assert titles("?ordering=-created_at") == ["Gamma", "Alpha vision", "Beta attention"]
    page = client.get("/api/documents/?page_size=2&ordering=title").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]

    assert_error(client.get("/api/documents/?visibility=secret"), 400, "invalid")
    assert_error(client.get("/api/documents/?page=99"), 404, "not_found")


def test_create_document(owner):
    Tag.objects.create(slug="nlp", name="NLP")
    response = client_for(owner).post(
        "/api/documents/",
        {
            "title": "Attention",
            "content": "# Attention\n\n<script>x</script>",
            "tags": ["nlp", "new-tag"],
            "visibility": "restricted",
            "edit_policy": "members",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "attention"
    assert body["revision"] == 0
    assert body["tags"] == ["new-tag", "nlp"]
    assert body["can_edit"] is True and body["can_manage"] is True
    assert "<script>" not in body["html"]
    assert "<h1" in body["html"]
    assert Tag.objects.filter(slug="new-tag").exists()
    document = Document.objects.get(pk=body["id"])
    assert document.snapshots.get().revision == 0

    second = client_for(owner).post("/api/documents/", {"title": "Attention"})
    assert second.json()["slug"] == "attention-2"
    assert second.json()["visibility"] == "public"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "T", "tags": ["Bad Slug"]}, "tags"),
        ({"title": "T", "tags": "nlp"}, "tags"),
        ({"title": "T", "visibility": "secret"}, "visibility"),
        ({"title": "T", "edit_policy": "anyone"}, "edit_policy"),
        ({"title": "T", "content": ["a"]}, "content"),
        ({"title": "T", "content": "a\x00b"}, "content"),
    ],
)
def test_create_document_validation(owner, payload, field):
    error = assert_error(client_for(owner).post("/api/documents/", payload), 400, "invalid")
    assert field in error["fields"]
    assert not Document.objects.exists()


def test_create_document_too_large(owner, settings):
    settings.MAX_DOCUMENT_CHARS = 5
    error = assert_error(
        client_for(owner).post("/api/documents/", {"title": "T", "content": "123456"}),
        400,
        "invalid",
    )
    assert "content" in error["fields"]


def test_create_needs_sign_in():
    assert_error(client_for().post("/api/documents/", {"title": "T"}), 401, "not_authenticated")


def test_bad_json_is_a_400(owner):
    response = client_for(owner).post(
        "/api/documents/", data="{nope", content_type="application/json"
    )
    assert_error(response, 400, "parse_error")
    response = client_for(owner).post("/api/documents/", data=[1, 2], format="json")
    assert_error(response, 400, "invalid")


# --- retrieve / patch / delete ----------------------------------------------------------------


def test_retrieve_by_id_or_slug(doc, owner):
    for ref in (doc.pk, doc.slug):
        response = client_for().get(f"/api/documents/{ref}/")
        assert response.status_code == 200
        body = response.json()
        assert body["content"] == "hello"
        assert body["html"] == "<p>hello</p>\n"
        assert body["can_edit"] is False and body["can_manage"] is False
    assert client_for(owner).get(f"/api/documents/{doc.pk}").json()["can_manage"] is True


@pytest.mark.parametrize("ref", ["999999", "no-such-doc", "9" * 40, "%00", "x" * 300, "%C2%B2"])
def test_unknown_refs_are_404(ref):
    assert_error(client_for().get(f"/api/documents/{ref}/"), 404, "not_found")


def test_invisible_documents_are_404_everywhere(owner):
    private = services.document_create(owner=owner, title="Secret", visibility="private")
    stranger = client_for(UserFactory())
    base = f"/api/documents/{private.pk}"
    assert_error(stranger.get(f"{base}/"), 404, "not_found")
    assert_error(stranger.patch(f"{base}/", {"title": "x"}), 404, "not_found")
    assert_error(stranger.delete(f"{base}/"), 404, "not_found")
    assert_error(stranger.get(f"{base}/members/"), 404, "not_found")
    assert_error(
        stranger.post(f"{base}/operations", {"revision": 0, "ops": ["x"]}), 404, "not_found"
    )
    assert_error(stranger.get(f"{base}/revisions"), 404, "not_found")
    assert_error(stranger.get(f"{base}/revisions/0"), 404, "not_found")
    assert_error(stranger.get(f"{base}/diff"), 404, "not_found")
    assert_error(stranger.post(f"{base}/restore", {"revision": 0}), 404, "not_found")
    assert_error(stranger.get(f"{base}/authorship"), 404, "not_found")
    assert_error(stranger.get(f"{base}/chat"), 404, "not_found")


def test_patch_metadata(doc, owner):
    response = client_for(owner).patch(
        f"/api/documents/{doc.slug}/",
        {"title": "Self-attention", "tags": ["nlp"], "edit_policy": "members"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["slug"], body["tags"]) == ("Self-attention", "attention", ["nlp"])
    assert body["edit_policy"] == "members"
    # The text is not metadata: it is ignored here and changes only through operations.
    client_for(owner).patch(f"/api/documents/{doc.pk}/", {"content": "changed"})
    doc.refresh_from_db()
    assert doc.content == "hello"

    assert_error(
        client_for(owner).patch(f"/api/documents/{doc.pk}/", {"title": ""}), 400, "invalid"
    )
    assert_error(client_for(owner).put(f"/api/documents/{doc.pk}/", {}), 405, "method_not_allowed")


def test_patch_and_delete_need_owner_or_moderator(doc, owner):
    editor = UserFactory()
    assert_error(
        client_for(editor).patch(f"/api/documents/{doc.pk}/", {"title": "x"}), 403, "forbidden"
    )
    assert_error(client_for(editor).delete(f"/api/documents/{doc.pk}/"), 403, "forbidden")
    assert_error(client_for().delete(f"/api/documents/{doc.pk}/"), 401, "not_authenticated")

    moderator = UserFactory(role=Role.MODERATOR)
    assert (
        client_for(moderator).patch(f"/api/documents/{doc.pk}/", {"title": "M"}).status_code == 200
    )
    assert client_for(moderator).delete(f"/api/documents/{doc.pk}/").status_code == 204
    assert not Document.objects.filter(pk=doc.pk).exists()


# --- access matrix over the API ---------------------------------------------------------------

ACCESS = {
    # persona: (read status, edit status, manage status)
    "anonymous": (404, 401, 401),  # writes need a signed-in user before anything else
    "outsider": (404, 404, 404),
    "viewer": (200, 403, 403),
    "editor": (200, 201, 403),
    "owner": (200, 201, 200),
    "moderator": (200, 201, 200),
}


@pytest.mark.parametrize("persona", list(ACCESS))
def test_access_matrix_on_a_restricted_members_only_document(owner, persona):
    document = services.document_create(
        owner=owner,
        title="Shared",
        content="abc",
        visibility=Visibility.RESTRICTED,
        edit_policy=EditPolicy.MEMBERS,
    )
    viewer = UserFactory(username="viewer")
    editor = UserFactory(username="editor")
    DocumentMember.objects.create(document=document, user=viewer, role=MemberRole.VIEWER)
    DocumentMember.objects.create(document=document, user=editor, role=MemberRole.EDITOR)
    users = {
        "anonymous": None,
        "outsider": UserFactory(),
        "viewer": viewer,
        "editor": editor,
        "owner": owner,
        "moderator": UserFactory(role=Role.MODERATOR),
    }
    client = client_for(users[persona])
    read, edit, manage = ACCESS[persona]

    assert client.get(f"/api/documents/{document.pk}/").status_code == read
    response = client.post(
        f"/api/documents/{document.pk}/operations",
        {"revision": 0, "client_op_id": "e", "ops": [3, "!"]},
    )
    assert response.status_code == edit
    if edit == 403:
        assert response.json()["error"]["code"] == "forbidden"
    assert client.patch(f"/api/documents/{document.pk}/", {"title": "T"}).status_code == manage
    document.refresh_from_db()
    assert document.content == ("abc!" if edit == 201 else "abc")


def test_anonymous_edits_on_public_documents_need_sign_in(doc):
    response = client_for().post(
        f"/api/documents/{doc.pk}/operations", {"revision": 0, "ops": [5, "!"]}
    )
    assert_error(response, 401, "not_authenticated")


# --- members ----------------------------------------------------------------------------------


def test_members_endpoints(doc, owner):
    ada = UserFactory(username="ada")
    url = f"/api/documents/{doc.pk}/members/"
    response = client_for(owner).post(url, {"username": "ada", "role": "viewer"})
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "ada"
    assert response.json()["user"] == {"id": ada.pk, "username": "ada"}
    client_for(owner).post(url, {"username": "ada", "role": "editor"})

    listing = client_for().get(url).json()
    assert [(m["username"], m["role"]) for m in listing["results"]] == [("ada", "editor")]

    assert_error(client_for(owner).post(url, {"username": "ghost"}), 400, "invalid")
    assert_error(client_for(owner).post(url, {"username": "ada", "role": "boss"}), 400, "invalid")
    assert_error(client_for(ada).post(url, {"username": "ada"}), 403, "forbidden")
    assert_error(client_for(ada).delete(f"{url}ada/"), 403, "forbidden")

    assert client_for(owner).delete(f"{url}ada/").status_code == 204
    assert_error(client_for(owner).delete(f"{url}ada/"), 404, "not_found")
    assert client_for(owner).delete(f"/api/documents/{doc.pk}/members/nobody").status_code == 404


# --- tags -------------------------------------------------------------------------------------


def test_tags_list_counts_readable_documents(owner):
    services.document_create(owner=owner, title="A", tags=["nlp", "cv"])
    services.document_create(owner=owner, title="B", tags=["nlp"])
    services.document_create(owner=owner, title="C", tags=["nlp"], visibility="private")
    response = client_for().get("/api/tags/")
    assert response.status_code == 200
    counts = {t["slug"]: t["document_count"] for t in response.json()["results"]}
    assert counts == {"nlp": 2, "cv": 1}
    owner_counts = {
        t["slug"]: t["document_count"] for t in client_for(owner).get("/api/tags").json()["results"]
    }
    assert owner_counts["nlp"] == 3


# --- operations -------------------------------------------------------------------------------


@pytest.fixture
def broadcasts(monkeypatch):
    sent = []
    monkeypatch.setattr(publish, "revisions_committed", lambda d, frames, av: sent.append(frames))
    return sent


def post_op(client, document, body):
    url = f"/api/documents/{document.pk}/operations"
    if isinstance(body, str):  # raw JSON, for what the test client cannot encode
        return client.post(url, body, content_type="application/json")
    return client.post(url, body, format="json")


def test_operation_list_form(doc, owner, broadcasts, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_op(
            client_for(owner), doc, {"revision": 0, "client_op_id": "c1", "ops": [5, " world"]}
        )
    assert response.status_code == 201, response.content
    assert response.json() == {
        "revision": 1,
        "client_op_id": "c1",
        "ops": [5, " world"],
        "duplicate": False,
    }
    assert broadcasts == [
        [{"revision": 1, "ops": [5, " world"], "user_id": owner.pk, "client_op_id": "c1"}]
    ]
    doc.refresh_from_db()
    assert (doc.content, doc.revision) == ("hello world", 1)


def test_operation_simple_forms(doc, owner):
    client = client_for(owner)
    top = post_op(
        client,
        doc,
        {"revision": 0, "client_op_id": "a", "operation": "insert", "position": 5, "text": "!"},
    )
    assert top.status_code == 201 and top.json()["ops"] == [5, "!"]
    nested = post_op(
        client,
        doc,
        {
            "revision": 1,
            "client_op_id": "b",
            "edit": {"operation": "delete", "position": 0, "length": 1},
        },
    )
    assert nested.status_code == 201 and nested.json()["ops"] == [-1, 5]
    socket_style = post_op(client, doc, {"revision": 2, "edit": {"ops": ["H", 5]}})
    assert socket_style.status_code == 201
    assert socket_style.json()["client_op_id"].startswith("api-")
    doc.refresh_from_db()
    assert doc.content == "Hello!"


def test_concurrent_rest_edits_on_a_stale_revision_transform(doc, owner):
    ada, lin = client_for(owner), client_for(UserFactory())
    first = post_op(ada, doc, {"revision": 0, "client_op_id": "a", "ops": [5, " ada"]})
    second = post_op(lin, doc, {"revision": 0, "client_op_id": "l", "ops": ["lin ", 5]})
    third = post_op(lin, doc, {"revision": 0, "client_op_id": "l2", "ops": [5, " lin"]})
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert [r.json()["revision"] for r in (first, second, third)] == [1, 2, 3]

    expected = "hello"
    committed = []
    for ops in ([5, " ada"], ["lin ", 5], [5, " lin"]):
        for earlier in committed:
            ops, _ = ot.transform(ops, earlier)
        committed.append(ops)
        expected = ot.apply(expected, ops)
    assert [r.json()["ops"] for r in (first, second, third)] == committed
    doc.refresh_from_db()
    # Same position, later commit first: " lin" lands before " ada".
    assert doc.content == expected == "lin hello lin ada"


def test_duplicate_client_op_id_changes_nothing(doc, owner):
    client = client_for(owner)
    first = post_op(client, doc, {"revision": 0, "client_op_id": "same", "ops": [5, "!"]})
    post_op(client, doc, {"revision": 1, "client_op_id": "next", "ops": [6, "?"]})
    again = post_op(client, doc, {"revision": 0, "client_op_id": "same", "ops": [5, "!"]})
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {
        "revision": 1,
        "client_op_id": "same",
        "ops": [5, "!"],
        "duplicate": True,
    }
    doc.refresh_from_db()
    assert (doc.content, doc.revision) == ("hello!?", 2)


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"revision": 0, "ops": [6, "x"]}, "invalid_operation", "does not match document length"),
        ({"revision": 0, "ops": [5, ""]}, "invalid_operation", "empty"),
        ({"revision": 0, "ops": [2.5]}, "invalid_operation", "type float"),
        ({"revision": 0, "ops": {"a": 1}}, "invalid_operation", "must be a list"),
        ('{"revision": 0, "ops": ["\\ud800"]}', "invalid_operation", "surrogate"),
        ({"revision": 0, "ops": [5, "a\x00"]}, "invalid_operation", "NUL"),
        ({"revision": 7, "ops": [5, "x"]}, "invalid_operation", "ahead of the document"),
        (
            {"revision": 0, "operation": "delete", "position": 3, "length": 9},
            "invalid_operation",
            "runs past the end",
        ),
        ({"revision": 0, "edit": {"operation": "jump"}}, "invalid_operation", "unknown operation"),
        ({"revision": 0, "edit": "insert"}, "invalid", "edit"),
        ({"revision": 0}, "invalid", "exactly one way"),
        ({"revision": 0, "ops": [5, "x"], "operation": "insert"}, "invalid", "exactly one way"),
        ({"ops": [5, "x"]}, "invalid", "revision"),
        ({"revision": "0", "ops": [5, "x"]}, "invalid", "revision"),
        ({"revision": -1, "ops": [5, "x"]}, "invalid", "revision"),
        ({"revision": True, "ops": [5, "x"]}, "invalid", "revision"),
        ({"revision": 0, "client_op_id": "x" * 101, "ops": [5, "x"]}, "invalid", "client_op_id"),
    ],
)
def test_bad_operations_are_400_and_change_nothing(doc, owner, body, code, text):
    response = post_op(client_for(owner), doc, body)
    error = assert_error(response, 400, code)
    assert text in error["message"] or text in str(error["fields"]), error
    doc.refresh_from_db()
    assert (doc.content, doc.revision) == ("hello", 0)
    assert not Operation.objects.exists()


def test_operation_errors_carry_the_client_op_id(doc, owner):
    response = post_op(client_for(owner), doc, {"revision": 0, "client_op_id": "z", "ops": [9]})
    assert response.json()["error"]["client_op_id"] == "z"


def test_revision_too_old_after_pruning_is_409(owner, settings):
    settings.SNAPSHOT_EVERY = 2
    document = services.document_create(owner=owner, title="Busy", content="")
    client = client_for(owner)
    for revision in range(4):
        ops = [revision, "x"] if revision else ["x"]
        assert post_op(client, document, {"revision": revision, "ops": ops}).status_code == 201
    services.operations_prune(document_id=document.pk, keep=1)

    response = post_op(client, document, {"revision": 1, "client_op_id": "old", "ops": [1, "y"]})
    error = assert_error(response, 409, "revision_too_old")
    assert "reload" in error["message"]
    assert post_op(client, document, {"revision": 2, "ops": [2, "y"]}).status_code == 201


def test_document_too_large_is_413(doc, owner, settings):
    settings.MAX_DOCUMENT_CHARS = 6
    response = post_op(client_for(owner), doc, {"revision": 0, "ops": [5, "!!"]})
    assert_error(response, 413, "document_too_large")


def test_schema_describes_the_endpoints():
    response = client_for().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/documents/",
        "/api/documents/{ref}/",
        "/api/documents/{ref}/members/",
        "/api/documents/{ref}/members/{username}/",
        "/api/documents/{ref}/operations",
        "/api/documents/{ref}/revisions",
        "/api/documents/{ref}/revisions/{revision}",
        "/api/documents/{ref}/diff",
        "/api/documents/{ref}/restore",
        "/api/documents/{ref}/authorship",
        "/api/documents/{ref}/chat",
        "/api/sessions",
        "/api/sessions/{session_id}/end",
        "/api/tags/",
    ):
        assert path in paths, path
    # The other spelling of each path works but is not listed twice.
    assert "/api/documents/{ref}/operations/" not in paths
    operation = paths["/api/documents/{ref}/operations"]["post"]
    assert {"200", "201", "400", "403", "404", "409", "413"} <= set(operation["responses"])
