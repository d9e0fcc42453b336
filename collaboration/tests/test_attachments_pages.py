"""Attachments as people meet them: files served only to readers of the document, with
headers that keep browsers from running them; images in the rendered text; the document
page's panel and its upload and delete forms (no JavaScript needed); the editor's bar;
files removed with their document; moderators in the admin."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.attachments.models import Attachment
from collaboration.models import EditPolicy, MemberRole, Visibility
from collaboration.services import document_delete
from collaboration.tests.attachments_helpers import (
    files_under,
    image_bytes,
    notebook_bytes,
    upload,
    use_storage_root,
)
from collaboration.tests.factories import DocumentFactory, DocumentMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_root(settings, tmp_path):
    return use_storage_root(settings, tmp_path)


@pytest.fixture
def owner():
    return UserFactory(username="olga")


@pytest.fixture
def document(owner):
    return DocumentFactory(slug="attention", title="Attention", owner=owner)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def page_text(response) -> str:
    return response.content.decode()


# --- serving ------------------------------------------------------------------------------


def test_an_image_is_served_inline_with_headers_that_let_nothing_run(owner, document, storage_root):
    attachment = upload(owner, document, "Loss curve.png", image_bytes((64, 48))).json()

    response = Client().get(attachment["url"])

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="Loss curve.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"].startswith("private")
    assert Image.open(io.BytesIO(body_of(response))).size == (64, 48)


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("paper.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
        ("loss.csv", b"epoch,loss\n1,0.5\n", "text/csv; charset=utf-8"),
        ("notes.txt", b"A note on <script> tags, served as text", "text/plain; charset=utf-8"),
        ("train.ipynb", notebook_bytes(), "application/x-ipynb+json"),
    ],
)
def test_everything_but_images_is_served_as_a_download(
    owner, document, storage_root, name, data, content_type
):
    attachment = upload(owner, document, name, data, "application/octet-stream").json()

    response = Client().get(attachment["url"])

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body_of(response) == data


def test_files_of_a_private_document_are_its_owners_alone(owner, storage_root):
    private = DocumentFactory(owner=owner, visibility=Visibility.PRIVATE, slug="diary")
    attachment = upload(owner, private, "secret.png", image_bytes((800, 600))).json()
    urls = [attachment["url"], attachment["thumbnail_url"]]

    for url in urls:
        assert Client().get(url).status_code == 404
        assert signed_in(UserFactory()).get(url).status_code == 404
        mine = signed_in(owner).get(url)
        assert mine.status_code == 200
        assert mine["X-Content-Type-Options"] == "nosniff"
        assert mine["Content-Disposition"].startswith("inline")


def test_the_read_right_is_checked_on_every_request(owner, storage_root):
    restricted = DocumentFactory(owner=owner, visibility=Visibility.RESTRICTED)
    member = UserFactory()
    membership = DocumentMemberFactory(document=restricted, user=member, role=MemberRole.VIEWER)
    url = upload(owner, restricted, "a.png", image_bytes()).json()["url"]
    client = signed_in(member)
    assert client.get(url).status_code == 200

    membership.delete()

    assert client.get(url).status_code == 404


def test_a_file_is_only_found_through_its_own_document(owner, document, storage_root):
    attachment = upload(owner, document, "a.png", image_bytes()).json()
    other = DocumentFactory(owner=owner, slug="other")

    response = Client().get(attachment["url"].replace("/attention/", "/other/"))

    assert other.pk and response.status_code == 404


def test_a_browser_that_has_the_file_gets_not_modified(owner, document, storage_root):
    url = upload(owner, document, "a.png", image_bytes()).json()["url"]
    etag = Client().get(url)["ETag"]

    again = Client().get(url, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again["X-Content-Type-Options"] == "nosniff"


# --- images in the text -------------------------------------------------------------------


def test_an_image_linked_in_the_text_shows_on_the_document_page(owner, document, storage_root):
    attachment = upload(owner, document, "Attention map.png", image_bytes()).json()
    document.content = f"## Figure\n\n{attachment['markdown']}\n"
    document.save()

    html = page_text(Client().get(document.get_absolute_url()))

    assert f'<img src="{attachment["url"]}" alt="Attention map.png"' in html
    assert Client().get(attachment["url"]).status_code == 200


# --- the document page's panel ------------------------------------------------------------


def test_the_panel_lists_files_with_their_markdown_and_offers_editors_an_upload_form(
    owner, document, storage_root
):
    attachment = upload(owner, document, "results.csv", b"a,b\n1,2\n", "text/csv").json()

    as_owner = page_text(signed_in(owner).get(document.get_absolute_url()))
    as_visitor = page_text(Client().get(document.get_absolute_url()))

    for html in (as_owner, as_visitor):
        assert 'id="attachments"' in html
        assert "results.csv" in html
        assert f'value="[results.csv]({attachment["url"]})"' in html
        assert "not in the text" in html
    assert 'enctype="multipart/form-data"' in as_owner and "You use" in as_owner
    assert 'enctype="multipart/form-data"' not in as_visitor
    assert ">Delete</button>" in as_owner and ">Delete</button>" not in as_visitor


def test_no_panel_for_readers_when_there_are_no_files(document, storage_root):
    assert 'id="attachments"' not in page_text(Client().get(document.get_absolute_url()))


def test_the_upload_form_works_without_javascript_and_checks_csrf(owner, document, storage_root):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    upload_url = reverse("collaboration:attachments:upload", args=[document.slug])
    page = client.get(document.get_absolute_url())
    token = page.cookies["csrftoken"].value
    figure = io.BytesIO(image_bytes())
    figure.name = "figure.png"

    assert client.post(upload_url, {"file": figure}).status_code == 403  # no token: refused
    assert not Attachment.objects.exists()
    figure.seek(0)
    response = client.post(upload_url, {"file": figure, "csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain[-1][0] == f"{document.get_absolute_url()}#attachments"
    html = page_text(response)
    assert "Attached “figure.png”" in html
    assert Attachment.objects.get().name == "figure.png"


def test_a_refused_upload_comes_back_with_the_reason(owner, document, storage_root, settings):
    client = signed_in(owner)
    upload_url = reverse("collaboration:attachments:upload", args=[document.slug])
    svg = io.BytesIO(b"<svg onload='alert(1)'></svg>")
    svg.name = "logo.svg"
    settings.ATTACHMENT_MAX_BYTES = 2000
    big = io.BytesIO(image_bytes() + b"\x00" * 5000)
    big.name = "big.png"

    refused = page_text(client.post(upload_url, {"file": svg}, follow=True))
    too_big = page_text(client.post(upload_url, {"file": big}, follow=True))
    nothing = page_text(client.post(upload_url, {}, follow=True))

    assert (
        "The file was not attached. HTML, SVG and other markup files cannot be attached" in refused
    )
    assert "files may be at most 2 KB" in too_big
    assert "Choose a file to attach first." in nothing
    assert not Attachment.objects.exists()


def test_readers_who_may_not_edit_cannot_upload_through_the_form(owner, storage_root):
    document = DocumentFactory(owner=owner, edit_policy=EditPolicy.MEMBERS)
    figure = io.BytesIO(image_bytes())
    figure.name = "figure.png"
    url = reverse("collaboration:attachments:upload", args=[document.slug])

    response = signed_in(UserFactory()).post(url, {"file": figure})
    anonymous = Client().post(url, {"file": figure})

    assert response.status_code == 403
    assert "not attach files" in page_text(response)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not Attachment.objects.exists()


def test_the_delete_form_removes_the_file_and_its_bytes(
    owner, document, storage_root, django_capture_on_commit_callbacks
):
    attachment = upload(owner, document, "a.png", image_bytes((800, 600))).json()
    url = reverse("collaboration:attachments:delete", args=[document.slug, attachment["id"]])
    assert len(files_under(storage_root)) == 2

    assert signed_in(UserFactory()).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(owner).post(url, follow=True)

    assert "The file was deleted." in page_text(response)
    assert not Attachment.objects.exists()
    assert files_under(storage_root) == []


# --- the editor ---------------------------------------------------------------------------


def test_the_editor_offers_uploads_to_people_who_may_edit(owner, storage_root):
    document = DocumentFactory(owner=owner, edit_policy=EditPolicy.MEMBERS)
    viewer = UserFactory()
    DocumentMemberFactory(document=document, user=viewer, role=MemberRole.VIEWER)
    edit_url = reverse("collaboration:edit", args=[document.slug])

    as_owner = page_text(signed_in(owner).get(edit_url))
    as_viewer = page_text(signed_in(viewer).get(edit_url))

    api_url = reverse("collaboration_api:document-attachments", kwargs={"ref": document.pk})
    match = re.search(r'id="editor-attachments" data-upload-url="([^"]+)"', as_owner)
    assert match and match.group(1) == api_url
    assert 'id="editor-attachments"' not in as_viewer


# --- with the document, and in the admin --------------------------------------------------


def test_deleting_a_document_removes_its_files(
    owner, document, storage_root, django_capture_on_commit_callbacks
):
    upload(owner, document, "a.png", image_bytes((800, 600)))
    upload(owner, document, "b.csv", b"x\n1\n", "text/csv")
    assert len(files_under(storage_root)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document, user=owner)

    assert not Attachment.objects.exists()
    assert files_under(storage_root) == []


def test_moderators_find_and_delete_files_in_the_admin(
    owner, document, storage_root, django_capture_on_commit_callbacks
):
    upload(owner, document, "rude.png", image_bytes())
    attachment = Attachment.objects.get()
    moderator = UserFactory(role=Role.MODERATOR, is_staff=True)
    client = signed_in(moderator)
    changelist = reverse("admin:collaboration_attachment_changelist")

    listing = client.get(changelist, {"q": "rude"})
    assert listing.status_code == 200 and "rude.png" in page_text(listing)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist,
            {"action": "delete_selected", "_selected_action": [attachment.pk], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert files_under(storage_root) == []
