"""Read-only Git smart HTTP (upload-pack), served by dulwich's protocol handler.

`advertisement` answers `GET info/refs?service=git-upload-pack`, `upload_pack` the
`POST git-upload-pack` that follows; both write into a spooled temporary file (memory up
to SPOOL_MEMORY, disk beyond) that the view streams out, so a large pack never sits in
memory whole. Pushing (receive-pack) is never offered.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from io import BytesIO
from typing import IO

from dulwich.protocol import ReceivableProtocol
from dulwich.server import DictBackend, UploadPackHandler

from ..errors import InvalidInput
from . import repository

UPLOAD_PACK = "git-upload-pack"
SPOOL_MEMORY = 1024 * 1024
CHUNK = 64 * 1024
MAX_REQUEST_BYTES = 10 * 1024 * 1024  # a clone of one document asks far less


def _run(document_id: int, read, *, advertise: bool) -> IO[bytes]:
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)  # noqa: SIM115 - returned

    def write(data: bytes) -> int:
        out.write(data)
        return len(data)

    proto = ReceivableProtocol(read, write)
    repo = repository.open_or_init(document_id)
    backend = DictBackend({b"/": repo})
    handler = UploadPackHandler(
        backend, [b"/"], proto, stateless_rpc=True, advertise_refs=advertise
    )
    if advertise:
        proto.write_pkt_line(f"# service={UPLOAD_PACK}\n".encode())
        proto.write_pkt_line(None)
    handler.handle()
    out.seek(0)
    return out


def advertisement(document_id: int) -> IO[bytes]:
    """The refs the repository offers (the first answer of a clone or fetch)."""
    return _run(document_id, BytesIO().read, advertise=True)


def request_body(raw: bytes, content_encoding: str) -> bytes:
    """The upload-pack request as sent (Git gzips large ones); InvalidInput if unreadable."""
    if content_encoding.strip().lower() not in ("gzip", "x-gzip"):
        return raw
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(raw, MAX_REQUEST_BYTES)
    except zlib.error as exc:
        raise InvalidInput("The request body is not valid gzip.") from exc
    if inflater.unconsumed_tail:
        raise InvalidInput("The request is too large.")
    return body


def upload_pack(document_id: int, body: bytes) -> IO[bytes]:
    """The pack answering the client's wants and haves."""
    return _run(document_id, BytesIO(body).read, advertise=False)


def chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while data := spool.read(CHUNK):
            yield data
    finally:
        spool.close()
