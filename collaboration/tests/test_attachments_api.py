"""Attaching files through the API: what is accepted, what is refused and why (hostile
files included), who may upload, list and delete, and the per-person quota.

Every refusal answers the API's error shape with its own code and a sentence for people,
and leaves nothing behind: no row, and no file anywhere in the test's sandbox (the storage
root sits deep inside it, so a name that climbed out of the root would be found too).
"""

from __future__ import annotations

import io

import pytest
from django.core.files import File
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from accounts.roles import Role
from accounts.tests.factories import UserFactory
from collaboration.attachments import services
from collaboration.attachments.api import UploadThrottle
from collaboration.attachments.models import Attachment
from collaboration.attachments.validation import AttachmentRefused
from collaboration.models import EditPolicy, MemberRole, Visibility
from collaboration.tests.api_helpers import assert_error, client_for
from collaboration.tests.attachments_helpers import (
    attachment_url,
    attachments_url,
    files_under,
    image_bytes,
    notebook_bytes,
    png_claiming,
    raw_multipart,
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


def assert_nothing_stored(sandbox):
    assert files_under(sandbox) == []
    assert not Attachment.objects.exists()


# --- accepted files -----------------------------------------------------------------------


def test_an_editor_attaches_an_image_and_gets_its_markdown_link(owner, document, storage_root):
    response = upload(owner, document, "Loss curve (v2).png", image_bytes((800, 600)))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Loss curve (v2).png"
    assert body["kind"] == "image"
    assert body["content_type"] == "image/png"
    assert (body["width"], body["height"]) == (800, 600)
    assert body["url"] == f"/docs/attention/files/{body['id']}/loss-curve-v2.png"
    assert body["markdown"] == f"![Loss curve (v2).png]({body['url']})"
    assert body["thumbnail_url"] == f"/docs/attention/files/{body['id']}/thumbnail"
    assert body["uploaded_by"] == "olga"
    assert body["can_delete"] is True
    # The image and its thumbnail, under made-up names inside the storage root only.
    stored = files_under(storage_root)
    assert len(stored) == 2
    assert all("loss" not in path.name.lower() for path in stored)
    thumbnail = Image.open(next(p for p in stored if "-thumb" in p.name))
    assert max(thumbnail.size) == 320


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type", "shown_name"),
    [
        ("paper.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "pdf",
         "application/pdf", "paper.pdf"),
        ("results.csv", b"epoch,loss\n1,0.9\n2,0.5\n", "csv", "text/csv", "results.csv"),
        # Starts like a BMP image ("BM"), but is text: a table of car prices.
        ("cars.csv", b"BMW,price\nX5,70000\n", "csv", "text/csv", "cars.csv"),
        ("notes", "Gradient descent: θ ← θ - η∇L\n".encode(), "text", "text/plain", "notes.txt"),
        ("train.ipynb", notebook_bytes(), "notebook", "application/x-ipynb+json", "train.ipynb"),
        ("photo.jpeg", image_bytes(fmt="JPEG"), "image", "image/jpeg", "photo.jpeg"),
        ("anim.gif", image_bytes(fmt="GIF", mode="P", color=3), "image", "image/gif", "anim.gif"),
        ("chart.webp", image_bytes(fmt="WEBP"), "image", "image/webp", "chart.webp"),
        # Judged by content: a PNG called .txt is a PNG, and is named so.
        ("figure.txt", image_bytes(), "image", "image/png", "figure.png"),
    ],
)  # fmt: skip
def test_accepted_kinds_are_recognised_by_their_content(
    owner, document, storage_root, name, data, kind, content_type, shown_name
):
    response = upload(owner, document, name, data, content_type="application/octet-stream")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["content_type"], body["name"]) == (kind, content_type, shown_name)
    link = f"[{shown_name}]({body['url']})"
    assert body["markdown"] == (f"!{link}" if kind == "image" else link)


# --- hostile and broken files -------------------------------------------------------------

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>fetch('/api/auth/me')</script></svg>"
)


@pytest.mark.parametrize(
    ("name", "data", "status", "code", "says"),
    [
        ("cat.png", b"<script>alert(document.cookie)</script>", 415, "unsupported_type",
         "markup"),
        ("figure.svg", SVG_WITH_SCRIPT, 415, "unsupported_type", "SVG"),
        ("figure.txt", SVG_WITH_SCRIPT, 415, "unsupported_type", "SVG"),
        ("page.html", b"<!doctype html><p>hi", 415, "unsupported_type", "HTML"),
        ("bomb.png", png_claiming(20000, 20000), 400, "image_too_large", "pixels"),
        ("empty.png", b"", 400, "empty_file", "empty"),
        ("cut.png", image_bytes((300, 300))[:120], 400, "invalid_image", "damaged"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 200, 415, "unsupported_type", "Accepted are"),
        ("data.zip", b"PK\x03\x04" + b"\x00" * 60, 415, "unsupported_type", "zip"),
        ("report.pdf", b"just some words", 415, "unsupported_type", "not a PDF"),
        ("latin1.txt", "café".encode("latin-1"), 415, "unsupported_type", "UTF-8"),
        ("broken.ipynb", b'{"cells": "nope"}', 400, "invalid_file", "notebook"),
    ],
)  # fmt: skip
def test_hostile_and_broken_files_are_refused_with_a_reason_and_leave_nothing(
    owner, document, storage_root, tmp_path, name, data, status, code, says
):
    response = upload(owner, document, name, data)

    error = assert_error(response, status, code)
    assert says.lower() in error["message"].lower()
    assert_nothing_stored(tmp_path)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's, expected
def test_a_real_decompression_bomb_is_refused_before_it_is_decoded(
    owner, document, storage_root, tmp_path, settings
):
    # A 12000 x 12000 image: 144 million pixels (432 MB decoded) in a few kilobytes.
    bomb = image_bytes((12000, 12000), mode="1", color=0)
    assert len(bomb) < 100_000

    response = upload(owner, document, "bomb.png", bomb)

    error = assert_error(response, 400, "image_too_large")
    assert "12000 x 12000 pixels" in error["message"]
    assert_nothing_stored(tmp_path)


def test_an_oversized_file_is_refused_without_being_kept(
    owner, document, storage_root, tmp_path, settings
):
    settings.ATTACHMENT_MAX_BYTES = 50_000

    response = upload(owner, document, "huge.png", image_bytes() + b"\x00" * 60_000)

    error = assert_error(response, 413, "too_large")
    assert "files may be at most 49 KB" in error["message"]
    assert_nothing_stored(tmp_path)


def test_names_with_folders_are_cut_to_the_file_name_and_stored_under_made_up_names(
    owner, document, storage_root, tmp_path
):
    client = client_for(owner)
    for hostile in ("../../etc/passwd.png", "..\\..\\x.png", "/etc/cron.d/evil.png"):
        body, content_type = raw_multipart(hostile, image_bytes())
        response = client.generic("POST", attachments_url(document), body, content_type)
        assert response.status_code == 201, response.content
        assert "/" not in response.json()["name"] and "\\" not in response.json()["name"]
    # The service itself never trusts a name either (Django's parser already cuts it).
    attachment = services.attachment_upload(
        document=document,
        user=owner,
        upload=File(io.BytesIO(image_bytes()), name="../../../outside.png"),
    )

    assert attachment.name == "outside.png"
    assert sorted(a.name for a in Attachment.objects.all()) == [
        "evil.png",
        "outside.png",
        "passwd.png",
        "x.png",
    ]
    stored = files_under(tmp_path)
    assert len(stored) == 4
    assert all(storage_root in path.parents for path in stored)


def test_a_polyglot_png_loses_its_html_tail_and_its_metadata(owner, document, storage_root):
    out = io.BytesIO()
    metadata = PngInfo()
    metadata.add_text("Author", "secret-author-name")
    Image.new("RGB", (64, 64), (255, 0, 0)).save(out, format="PNG", pnginfo=metadata)
    polyglot = out.getvalue() + b"<html><script>alert('polyglot')</script></html>"

    response = upload(owner, document, "innocent.png", polyglot)

    assert response.status_code == 201, response.content
    (stored,) = files_under(storage_root)
    data = stored.read_bytes()
    assert b"<script" not in data and b"secret-author-name" not in data
    assert Image.open(stored).getpixel((0, 0)) == (255, 0, 0)


# --- who may upload, list and delete ------------------------------------------------------


def test_signed_out_visitors_get_401_and_readers_without_edit_right_403(
    owner, storage_root, tmp_path
):
    document = DocumentFactory(owner=owner, edit_policy=EditPolicy.MEMBERS)
    viewer = UserFactory()
    DocumentMemberFactory(document=document, user=viewer, role=MemberRole.VIEWER)

    assert_error(upload(None, document, "a.png", image_bytes()), 401, "not_authenticated")
    error = assert_error(upload(viewer, document, "a.png", image_bytes()), 403, "forbidden")
    assert "not attach" in error["message"]
    assert_nothing_stored(tmp_path)


def test_a_private_document_is_404_for_everyone_else_even_to_upload(owner, storage_root, tmp_path):
    private = DocumentFactory(owner=owner, visibility=Visibility.PRIVATE)
    stranger = UserFactory()

    assert_error(upload(stranger, private, "a.png", image_bytes()), 404, "not_found")
    assert_error(client_for(stranger).get(attachments_url(private)), 404, "not_found")
    assert_nothing_stored(tmp_path)


def test_readers_list_the_files_with_their_links_and_only_editors_see_their_storage(
    owner, document, storage_root
):
    upload(owner, document, "a.png", image_bytes())
    upload(owner, document, "b.csv", b"x,y\n1,2\n", "text/csv")

    as_reader = client_for(None).get(attachments_url(document)).json()
    as_owner = client_for(owner).get(attachments_url(document)).json()

    assert [item["name"] for item in as_reader["results"]] == ["b.csv", "a.png"]
    assert as_reader["can_upload"] is False and as_reader["usage"] is None
    assert not any(item["can_delete"] for item in as_reader["results"])
    assert as_owner["usage"]["used_bytes"] == sum(Attachment.objects.values_list("size", flat=True))
    assert as_owner["usage"]["quota_bytes"] == 200 * 1024 * 1024


def test_a_request_without_a_file_says_which_field_is_missing(owner, document, storage_root):
    response = client_for(owner).post(attachments_url(document), {"other": "x"}, format="multipart")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"file": ["Attach a file in the field `file`."]}


def test_a_json_body_is_refused_as_the_wrong_format(owner, document, storage_root):
    response = client_for(owner).post(attachments_url(document), {"file": "x"}, format="json")

    assert_error(response, 415, "unsupported_media_type")


def test_uploader_owner_and_moderator_may_delete_others_may_not(
    owner, document, storage_root, django_capture_on_commit_callbacks
):
    uploader = UserFactory()
    other_editor = UserFactory()
    moderator = UserFactory(role=Role.MODERATOR)
    ids = [upload(uploader, document, f"{n}.png", image_bytes()).json()["id"] for n in range(3)]

    refused = client_for(other_editor).delete(attachment_url(document, ids[0]))
    error = assert_error(refused, 403, "forbidden")
    assert "uploaded this file" in error["message"]
    assert_error(
        client_for(None).delete(attachment_url(document, ids[0])), 401, "not_authenticated"
    )

    with django_capture_on_commit_callbacks(execute=True):
        for user, attachment_id in zip((uploader, owner, moderator), ids, strict=True):
            assert (
                client_for(user).delete(attachment_url(document, attachment_id)).status_code == 204
            )
    assert not Attachment.objects.exists()
    assert files_under(storage_root) == []
    # Deleting again, or a file of another document, is a 404.
    assert_error(client_for(owner).delete(attachment_url(document, ids[0])), 404, "not_found")


def test_an_uploader_who_lost_the_edit_right_may_no_longer_delete(owner, storage_root):
    document = DocumentFactory(owner=owner, edit_policy=EditPolicy.MEMBERS)
    helper = UserFactory()
    membership = DocumentMemberFactory(document=document, user=helper, role=MemberRole.EDITOR)
    attachment_id = upload(helper, document, "a.png", image_bytes()).json()["id"]
    membership.role = MemberRole.VIEWER
    membership.save()

    assert_error(
        client_for(helper).delete(attachment_url(document, attachment_id)), 403, "forbidden"
    )


# --- the quota ----------------------------------------------------------------------------


def test_the_quota_counts_everything_a_person_uploaded_and_says_how_much_is_left(
    owner, document, storage_root, settings, tmp_path
):
    data = image_bytes((100, 100))
    first = upload(owner, document, "one.png", data)
    assert first.status_code == 201
    settings.ATTACHMENT_QUOTA_BYTES = first.json()["size"] + 10
    other_document = DocumentFactory(owner=owner)

    refused = upload(owner, other_document, "two.png", data)

    error = assert_error(refused, 413, "quota_exceeded")
    assert "left" in error["message"]
    assert Attachment.objects.count() == 1
    assert len(files_under(tmp_path)) == 1
    # Someone else's quota is their own.
    assert upload(UserFactory(), document, "three.png", data).status_code == 201


def test_a_refused_file_via_the_service_raises_and_stores_nothing(
    owner, document, storage_root, tmp_path
):
    with pytest.raises(AttachmentRefused) as refused:
        services.attachment_upload(
            document=document, user=owner, upload=File(io.BytesIO(SVG_WITH_SCRIPT), name="x.svg")
        )

    assert refused.value.code == "unsupported_type"
    assert_nothing_stored(tmp_path)


def test_uploads_are_limited_per_person_with_a_time_to_wait(
    owner, document, storage_root, monkeypatch
):
    monkeypatch.setattr(UploadThrottle, "THROTTLE_RATES", {"attachments": "2/min"})
    for n in range(2):
        assert upload(owner, document, f"{n}.png", image_bytes()).status_code == 201

    error = assert_error(upload(owner, document, "3.png", image_bytes()), 429, "throttled")

    assert error["retry_after"] >= 1
    assert upload(UserFactory(), document, "4.png", image_bytes()).status_code == 201
    # Reading is not counted.
    assert client_for(owner).get(attachments_url(document)).status_code == 200
