"""The access rules: who reads, edits and manages which document."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration import permissions
from collaboration.models import Document, EditPolicy, MemberRole, Visibility
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "outsider", "viewer", "editor", "owner", "moderator", "superuser"]


@pytest.fixture
def people():
    owner = UserFactory(username="owner")
    return {
        "anonymous": AnonymousUser(),
        "outsider": UserFactory(username="outsider"),
        "viewer": UserFactory(username="viewer"),
        "editor": UserFactory(username="editor"),
        "owner": owner,
        "moderator": UserFactory(username="moderator", role=Role.MODERATOR),
        "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
    }


def make_document(people, visibility, edit_policy):
    document = DocumentFactory(
        owner=people["owner"], visibility=visibility, edit_policy=edit_policy
    )
    DocumentMemberFactory(document=document, user=people["viewer"], role=MemberRole.VIEWER)
    DocumentMemberFactory(document=document, user=people["editor"], role=MemberRole.EDITOR)
    return document


# (visibility, edit_policy) -> persona -> (read, edit, manage)
R, E, M = "read", "edit", "manage"
MATRIX = {
    (Visibility.PUBLIC, EditPolicy.OPEN): {
        "anonymous": {R},
        "outsider": {R, E},
        "viewer": {R, E},  # open: every signed-in reader edits, members or not
        "editor": {R, E},
        "owner": {R, E, M},
        "moderator": {R, E, M},
        "superuser": {R, E, M},
    },
    (Visibility.PUBLIC, EditPolicy.MEMBERS): {
        "anonymous": {R},
        "outsider": {R},
        "viewer": {R},
        "editor": {R, E},
        "owner": {R, E, M},
        "moderator": {R, E, M},
        "superuser": {R, E, M},
    },
    (Visibility.RESTRICTED, EditPolicy.MEMBERS): {
        "anonymous": set(),
        "outsider": set(),
        "viewer": {R},
        "editor": {R, E},
        "owner": {R, E, M},
        "moderator": {R, E, M},
        "superuser": {R, E, M},
    },
    (Visibility.RESTRICTED, EditPolicy.OPEN): {
        "anonymous": set(),
        "outsider": set(),
        "viewer": {R, E},
        "editor": {R, E},
        "owner": {R, E, M},
        "moderator": {R, E, M},
        "superuser": {R, E, M},
    },
    (Visibility.PRIVATE, EditPolicy.OPEN): {
        "anonymous": set(),
        "outsider": set(),
        "viewer": set(),  # member rows do not open a private document
        "editor": set(),
        "owner": {R, E, M},
        "moderator": {R, E, M},
        "superuser": {R, E, M},
    },
}


@pytest.mark.parametrize("policy", list(MATRIX), ids=lambda p: f"{p[0]}-{p[1]}")
@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(people, policy, persona):
    document = make_document(people, *policy)
    user = people[persona]
    expected = MATRIX[policy][persona]

    assert permissions.can_read_document(user, document) is (R in expected)
    assert permissions.can_edit_document(user, document) is (E in expected)
    assert permissions.can_manage_document(user, document) is (M in expected)
    access = permissions.document_access(user, document)
    assert (access.can_read, access.can_edit, access.can_manage) == (
        R in expected,
        E in expected,
        M in expected,
    )
    readable = permissions.readable_documents(user).filter(pk=document.pk).exists()
    assert readable is (R in expected)


def test_none_user_is_anonymous(people):
    document = make_document(people, Visibility.PUBLIC, EditPolicy.OPEN)
    assert permissions.can_read_document(None, document)
    assert not permissions.can_edit_document(None, document)
    assert not permissions.can_manage_document(None, document)


def test_inactive_users_lose_everything(people):
    document = make_document(people, Visibility.RESTRICTED, EditPolicy.OPEN)
    for persona in ("owner", "editor", "moderator"):
        user = people[persona]
        user.is_active = False
        user.save()
        assert not permissions.can_read_document(user, document)
        assert not permissions.can_edit_document(user, document)
        assert not permissions.can_manage_document(user, document)


def test_readable_documents_narrows_a_queryset_without_duplicates(people):
    mine = make_document(people, Visibility.PRIVATE, EditPolicy.OPEN)
    shared = make_document(people, Visibility.RESTRICTED, EditPolicy.MEMBERS)
    public = make_document(people, Visibility.PUBLIC, EditPolicy.OPEN)
    # A second member row must not duplicate the document in the results.
    DocumentMemberFactory(document=shared, user=people["outsider"], role=MemberRole.VIEWER)

    assert set(permissions.readable_documents(people["viewer"])) == {shared, public}
    assert set(permissions.readable_documents(people["owner"])) == {mine, shared, public}
    assert set(permissions.readable_documents(AnonymousUser())) == {public}
    assert permissions.readable_documents(people["moderator"]).count() == 3
    narrowed = permissions.readable_documents(
        people["viewer"], Document.objects.filter(pk__in=[mine.pk, shared.pk])
    )
    assert list(narrowed) == [shared]


def test_public_open_document_needs_no_query(people, django_assert_num_queries):
    document = make_document(people, Visibility.PUBLIC, EditPolicy.OPEN)
    with django_assert_num_queries(0):
        assert permissions.can_edit_document(people["outsider"], document)
        assert permissions.can_manage_document(people["owner"], document)


# --- admin ------------------------------------------------------------------------------------


def test_admin_pages_render_and_the_log_is_read_only(people, client):
    from django.contrib.auth.models import Permission

    from collaboration import services
    from collaboration.models import ChatMessage, Operation

    root = people["superuser"]
    document = services.document_create(owner=people["owner"], title="Admin", content="abc")
    services.document_apply_operation(
        document_id=document.pk, user=root, base_revision=0, client_op_id="a", ops=[3, "d"]
    )
    services.chat_message_create(document=document, user=root, message="hello")
    session = services.session_create(document=document, user=root)
    operation = Operation.objects.get()
    message = ChatMessage.objects.get()

    client.force_login(root)
    for url in (
        "/admin/collaboration/document/",
        f"/admin/collaboration/document/{document.pk}/change/",
        "/admin/collaboration/document/add/",
        "/admin/collaboration/operation/",
        f"/admin/collaboration/operation/{operation.pk}/change/",
        "/admin/collaboration/snapshot/",
        "/admin/collaboration/collaborationsession/",
        f"/admin/collaboration/collaborationsession/{session.pk}/change/",
        "/admin/collaboration/chatmessage/",
        "/admin/collaboration/tag/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/collaboration/operation/add/").status_code == 403
    change_page = client.get(f"/admin/collaboration/document/{document.pk}/change/")
    assert b"must go through the commit path" in change_page.content

    # Adding a document in the admin goes through the service: revision 0 and a snapshot.
    response = client.post(
        "/admin/collaboration/document/add/",
        {
            "title": "From admin",
            "owner": people["owner"].pk,
            "visibility": "public",
            "edit_policy": "open",
            "content": "start",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    created = Document.objects.get(title="From admin")
    assert (created.slug, created.revision, created.snapshots.get().content) == (
        "from-admin",
        0,
        "start",
    )

    # A staff moderator may delete chat messages but not touch the operation log.
    moderator = people["moderator"]
    moderator.is_staff = True
    moderator.save()
    moderator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_operation", "view_chatmessage"])
    )
    client.force_login(moderator)
    assert client.get(f"/admin/collaboration/operation/{operation.pk}/delete/").status_code == 403
    assert client.get(f"/admin/collaboration/chatmessage/{message.pk}/delete/").status_code == 200
