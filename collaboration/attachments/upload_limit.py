"""Stop reading an uploaded file as soon as it passes the size limit.

Django writes an upload to a temporary file before any view sees it, whatever its size;
without this, a 5 GB "figure" would fill the disk before being refused. The handler goes
first in the request's upload handlers (views.py and api.py put it there before the body
is read) and skips the file at the first byte past the limit; the view then sees no file
and `exceeded` set, and refuses with the same message as any file over the limit.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest, *, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            self.exceeded = True
            raise SkipFile()
        return raw_data  # on to Django's own handlers, which keep the bytes

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def install(request: HttpRequest, *, max_bytes: int) -> SizeLimitUploadHandler:
    """Puts the limit first among `request`'s upload handlers; call before its body is read."""
    handler = SizeLimitUploadHandler(request, max_bytes=max_bytes)
    request.upload_handlers.insert(0, handler)
    return handler
