"""Home, document and tag pages: what each visitor sees, and what stays hidden from them."""

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.models import Visibility
from collaboration.tests.factories import (
    DocumentFactory,
    DocumentMemberFactory,
    OperationFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

# The site's urls plus a stand-in editor route, for @pytest.mark.urls(__name__).
urlpatterns = [
    path("docs/<slug:slug>/edit/", lambda request, slug: HttpResponse("editor")),
    path("", include("config.urls")),
]

DOC_TEXT = """## Scaled dot-product attention

Attention weights are $\\mathrm{softmax}(QK^T / \\sqrt{d_k})$.

| Model | Heads |
|---|---|
| base | 8 |

```python
def attention(q, k, v):
    return softmax(q @ k.T) @ v
```

### Multi-head attention

<script>alert("x")</script>
"""


@pytest.fixture
def owner():
    return UserFactory(username="olga", full_name="Olga Owner")


@pytest.fixture
def public_doc(owner):
    return DocumentFactory(
        title="Attention explained",
        owner=owner,
        content=DOC_TEXT,
        tags=[TagFactory(slug="attention", name="Attention")],
    )


@pytest.fixture
def private_doc(owner):
    return DocumentFactory(title="Secret draft", owner=owner, visibility=Visibility.PRIVATE)


@pytest.fixture
def restricted_doc(owner):
    return DocumentFactory(title="Team notes", owner=owner, visibility=Visibility.RESTRICTED)


def _doc_url(doc):
    return reverse("collaboration:document", kwargs={"slug": doc.slug})


def test_home_url_name():
    assert reverse("collaboration:home") == "/"


def test_home_lists_public_documents_and_hides_private_ones(client, public_doc, private_doc):
    response = client.get(reverse("collaboration:home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Attention explained" in body
    assert "Secret draft" not in body
    assert 'href="/tags/attention/"' in body


def test_home_hides_private_documents_from_other_signed_in_users(
    client, public_doc, private_doc, restricted_doc
):
    client.force_login(UserFactory())
    body = client.get(reverse("collaboration:home")).content.decode()
    assert "Attention explained" in body
    assert "Secret draft" not in body
    assert "Team notes" not in body


def test_home_shows_the_owner_their_private_documents(client, owner, private_doc):
    client.force_login(owner)
    assert "Secret draft" in client.get(reverse("collaboration:home")).content.decode()


def test_home_popular_orders_by_edits(client, owner):
    quiet = DocumentFactory(title="Quiet page", owner=owner)
    busy = DocumentFactory(title="Busy page", owner=owner)
    for _ in range(3):
        OperationFactory(document=busy, user=owner)
    OperationFactory(document=quiet, user=owner)
    response = client.get(reverse("collaboration:home"))
    popular = response.context["popular_documents"]
    assert [doc.title for doc in popular[:2]] == ["Busy page", "Quiet page"]


def test_document_page_renders_markdown_and_toc(client, public_doc):
    response = client.get(_doc_url(public_doc))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<h2 id="scaled-dot-product-attention">' in body
    assert '<a href="#scaled-dot-product-attention">Scaled dot-product attention</a>' in body
    assert '<a href="#multi-head-attention">Multi-head attention</a>' in body
    assert "<table>" in body
    assert '<span class="math inline">' in body
    assert '<span class="k">def</span>' in body
    assert '<script>alert("x")</script>' not in body
    assert "Olga Owner" in body
    assert "revision 0" in body
    assert 'href="/tags/attention/"' in body


def test_document_page_shows_last_editor(client, public_doc):
    from django.utils import timezone

    editor = UserFactory(full_name="Eddie Editor")
    public_doc.last_edited_by = editor
    public_doc.last_edited_at = timezone.now()
    public_doc.revision = 7
    public_doc.content_revision = 7  # the stored text is that revision's (no log here)
    public_doc.save()
    body = client.get(_doc_url(public_doc)).content.decode()
    assert "revision 7" in body
    assert "Eddie Editor" in body


@pytest.mark.urls(__name__)
def test_document_page_links_to_the_editor_once_it_is_routed(client, public_doc):
    body = client.get(_doc_url(public_doc)).content.decode()
    assert f'href="/docs/{public_doc.slug}/edit/"' in body


def test_unknown_document_is_404(client):
    assert client.get("/docs/no-such-document/").status_code == 404


def test_private_document_is_404_for_anonymous_and_other_users(client, private_doc):
    assert client.get(_doc_url(private_doc)).status_code == 404
    client.force_login(UserFactory())
    response = client.get(_doc_url(private_doc))
    assert response.status_code == 404
    assert "Secret draft" not in response.content.decode()


def test_private_document_is_visible_to_its_owner(client, owner, private_doc):
    client.force_login(owner)
    response = client.get(_doc_url(private_doc))
    assert response.status_code == 200
    assert "Secret draft" in response.content.decode()


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_moderators_read_private_and_restricted_documents(
    client, private_doc, restricted_doc, role
):
    client.force_login(UserFactory(role=role))
    assert client.get(_doc_url(private_doc)).status_code == 200
    assert client.get(_doc_url(restricted_doc)).status_code == 200


@pytest.mark.parametrize("role", [Role.EXPERT, Role.REVIEWER])
def test_roles_below_moderator_do_not_read_private_documents(client, private_doc, role):
    client.force_login(UserFactory(role=role))
    assert client.get(_doc_url(private_doc)).status_code == 404


def test_restricted_document_is_visible_to_members_only(client, restricted_doc):
    member = UserFactory()
    DocumentMemberFactory(document=restricted_doc, user=member)
    assert client.get(_doc_url(restricted_doc)).status_code == 404

    client.force_login(UserFactory())
    assert client.get(_doc_url(restricted_doc)).status_code == 404

    client.force_login(member)
    response = client.get(_doc_url(restricted_doc))
    assert response.status_code == 200
    assert "Team notes" in response.content.decode()


def test_membership_of_a_private_document_does_not_grant_access(client, private_doc):
    # Private means the owner only; member rows matter for restricted documents.
    member = UserFactory()
    DocumentMemberFactory(document=private_doc, user=member)
    client.force_login(member)
    assert client.get(_doc_url(private_doc)).status_code == 404


def test_tag_page_lists_only_visible_documents(client, owner, public_doc):
    tag = public_doc.tags.get()
    hidden = DocumentFactory(title="Hidden attention", owner=owner, visibility=Visibility.PRIVATE)
    hidden.tags.add(tag)
    response = client.get(reverse("collaboration:tag", kwargs={"slug": "attention"}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Attention explained" in body
    assert "Hidden attention" not in body


def test_unknown_tag_is_404(client):
    assert client.get("/tags/no-such-tag/").status_code == 404
