"""Helpers shared by the attachments tests (test_attachments_*.py): files made on the fly
(images with metadata, bombs, polyglots), a storage root of the test's own, and uploads."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from collaboration.tests.api_helpers import client_for


def use_storage_root(settings, sandbox: Path) -> Path:
    """Points the attachments storage at a folder deep inside `sandbox` (the test's
    tmp_path), so a name that climbed out of the root ("../../x") would still land in the
    sandbox, where the tests look."""
    root = sandbox / "outer" / "inner" / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root},
        },
    }
    return root


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def image_bytes(size=(40, 30), *, fmt="PNG", mode="RGB", color=(20, 120, 200), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **options)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width x height pixels (a decompression bomb:
    decoding it would allocate width * height * 3 bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


def notebook_bytes() -> bytes:
    return json.dumps(
        {
            "cells": [{"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": []}],
            "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ).encode()


def attachments_url(document) -> str:
    return reverse("collaboration_api:document-attachments", kwargs={"ref": document.pk})


def attachment_url(document, attachment_id: int) -> str:
    return reverse(
        "collaboration_api:document-attachment",
        kwargs={"ref": document.pk, "attachment_id": attachment_id},
    )


def upload(user, document, name: str, data: bytes, content_type: str = "image/png"):
    """POSTs one file to the API as `user` (anonymous when None)."""
    return client_for(user).post(
        attachments_url(document),
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def raw_multipart(filename: str, data: bytes, content_type: str = "image/png") -> tuple[bytes, str]:
    """A multipart body with `filename` exactly as given (Django's test client would keep
    only its last path component)."""
    boundary = "----learnai-test-boundary"
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
