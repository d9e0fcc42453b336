"""What may be attached, decided from the bytes: the one place these rules live.

Accepted, by content (the name is only checked against it):
- PNG, JPEG, GIF and WebP images, decoded and encoded again by Pillow. Only the pixels
  survive: EXIF (camera, place), comments, colour profiles and anything after the image
  data (the HTML tail of a polyglot file) are gone. A photo's EXIF rotation is applied
  first, so it still shows the right way up. Animated GIFs and WebPs keep their frames
  (training curves and attention maps are often animations); their pixels, all frames
  together, count against the limit. Images larger than the limit are refused before
  they are decoded (decompression bombs).
- PDF (`%PDF-` at the start), kept as sent, always served as a download.
- CSV and plain text: UTF-8 without NUL characters, kept as sent. Text that starts like
  markup (HTML, SVG, XML) is refused: a browser could run its scripts.
- Jupyter notebooks: JSON with the nbformat keys, kept as sent, served as a download.

Everything else is refused, SVG and HTML included, with a sentence saying why and what to
send instead. No Django here: the service passes the limits in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import unicodedata

import filetype
from PIL import Image, ImageOps, ImageSequence

from .models import NAME_MAX_CHARS, AttachmentKind

ACCEPTED_TEXT = "PNG, JPEG, GIF or WebP images, PDF, CSV, plain text or Jupyter notebooks"

# Sniffed MIME type -> Pillow's format name, the extension files get, and the MIME type served.
IMAGE_FORMATS = {
    "image/png": ("PNG", ".png"),
    "image/jpeg": ("JPEG", ".jpg"),
    "image/gif": ("GIF", ".gif"),
    "image/webp": ("WEBP", ".webp"),
}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp"}
# Names that would open as a page or a script if someone double-clicked the download.
MARKUP_EXTENSIONS = {
    ".htm", ".html", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".svgz", ".xml",
    ".xsl", ".xslt", ".js", ".mjs", ".hta",
}  # fmt: skip
CSV_EXTENSIONS = {".csv", ".tsv"}
MAX_FRAMES = 500
_MARKUP_START = re.compile(rb"^\s*<\s*[!?a-zA-Z]")
_NOTEBOOK_TYPE = "application/x-ipynb+json"

# Refusal codes (the API's `error.code`): each has its own HTTP status in api.py.
UNSUPPORTED_TYPE = "unsupported_type"
TOO_LARGE = "too_large"
EMPTY_FILE = "empty_file"
IMAGE_TOO_LARGE = "image_too_large"
INVALID_IMAGE = "invalid_image"
INVALID_FILE = "invalid_file"
QUOTA_EXCEEDED = "quota_exceeded"


class AttachmentRefused(Exception):
    """The file is not accepted; `message` says why, for the person who sent it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    thumbnail_pixels: int


@dataclasses.dataclass(frozen=True)
class CleanFile:
    """What gets stored: the bytes (re-encoded for images) and what they are."""

    data: bytes
    name: str
    kind: str
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_extension: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def megabytes(size: int) -> str:
    """A size for people: "730 KB", "9.5 MB", "200 MB"."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")


def check_size(size: int, *, max_bytes: int) -> None:
    """Refuses empty files and files over the limit (before anything is read)."""
    if size <= 0:
        raise AttachmentRefused(EMPTY_FILE, "This file is empty (0 bytes): nothing to attach.")
    if size > max_bytes:
        raise too_large(max_bytes, size=size)


def too_large(max_bytes: int, *, size: int | None = None) -> AttachmentRefused:
    """The refusal of a file over the limit; `size` None when the upload was cut off
    before its end (upload_limit.py), so its real size is unknown."""
    what = f"This file is {megabytes(size)};" if size is not None else "This file is too large:"
    return AttachmentRefused(
        TOO_LARGE,
        f"{what} files may be at most {megabytes(max_bytes)}. "
        "Make it smaller (for images: fewer pixels, or JPEG instead of PNG) and try again.",
    )


def clean_upload(*, data: bytes, name: str, limits: Limits) -> CleanFile:
    """The file as it will be stored, or AttachmentRefused saying why not."""
    check_size(len(data), max_bytes=limits.max_bytes)
    extension = _extension(name)
    if extension in MARKUP_EXTENSIONS:
        raise _markup_refusal()
    guess = filetype.guess(data[:8192])
    mime = guess.mime if guess is not None else None
    if _MARKUP_START.match(data[:1024].removeprefix(b"\xef\xbb\xbf")):
        raise _markup_refusal()  # whatever its name says: a "cat.png" that is HTML

    if mime in IMAGE_FORMATS:
        cleaned = _clean_image(data, mime, limits)
    elif extension in IMAGE_EXTENSIONS:
        raise AttachmentRefused(
            UNSUPPORTED_TYPE,
            f"The file is named like an image ({extension}) but its content is not a PNG, "
            "JPEG, GIF or WebP image. Open it in an image editor and export it again.",
        )
    elif mime == "application/pdf":
        cleaned = CleanFile(data, "", AttachmentKind.PDF, "application/pdf", ".pdf")
    elif extension == ".pdf":
        raise AttachmentRefused(
            UNSUPPORTED_TYPE, "The file is named .pdf but its content is not a PDF document."
        )
    elif guess is not None and not _is_utf8_text(data):
        # (Text that merely starts like a format, "BMW,price" like a BMP, is text.)
        raise AttachmentRefused(
            UNSUPPORTED_TYPE,
            f"This file is {guess.mime} (.{guess.extension}), which cannot be attached. "
            f"Accepted are {ACCEPTED_TEXT}.",
        )
    else:
        cleaned = _clean_text(data, extension)

    safe_name = clean_name(name, extension=cleaned.extension)
    return dataclasses.replace(cleaned, name=safe_name)


# --- names --------------------------------------------------------------------------------


def _extension(name: str) -> str:
    base = _basename(name)
    stem, dot, ext = base.rpartition(".")
    return f".{ext.lower()}" if dot and stem.strip(". ") else ""


def _basename(name: str) -> str:
    # Browsers send the bare name, but a client may send "../../etc/passwd.png" or "C:\x.png".
    return (name or "").replace("\\", "/").rsplit("/", 1)[-1]


def clean_name(name: str, *, extension: str) -> str:
    """The name shown and offered for download: no folders, no control or direction
    characters (U+202E makes "gpj.exe" read "exe.jpg"), no leading dots, at most
    NAME_MAX_CHARS, ending in `extension` unless it already ends in an equivalent one."""
    base = unicodedata.normalize("NFC", _basename(name))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    base = " ".join(base.split()).strip(" .")
    current = _extension(base)
    stem = base[: -len(current)] if current else base
    stem = stem.strip(" .") or "file"
    same_kind = current == extension or (
        current in IMAGE_EXTENSIONS and extension == ".jpg" and current in {".jpeg", ".jpe"}
    )
    if extension and not same_kind:
        current = extension
    if not extension:
        current = current or ".txt"
    return stem[: NAME_MAX_CHARS - len(current)] + current


# --- images -------------------------------------------------------------------------------


def _too_large_image(width: int, height: int, frames: int, max_pixels: int) -> AttachmentRefused:
    what = f"{width} x {height} pixels" + (f" in {frames} frames" if frames > 1 else "")
    return AttachmentRefused(
        IMAGE_TOO_LARGE,
        f"This image is {what}; images may have at most {max_pixels // 1_000_000} million "
        "pixels (all frames together). Scale it down and try again.",
    )


# PILLOW_FAILS: on hostile bytes Pillow's decoders and encoders raise whatever fits where
# they fail (OSError, SyntaxError, ValueError, IndexError, RuntimeError from libwebp...).
# Decoding an upload is a boundary: every such failure means "this image cannot be read",
# a refusal for the uploader, never a server error.


def _clean_image(data: bytes, mime: str, limits: Limits) -> CleanFile:
    pillow_format, extension = IMAGE_FORMATS[mime]
    try:
        # Only the decoder of the sniffed format: the bytes cannot pick another one.
        image = Image.open(io.BytesIO(data), formats=[pillow_format])
        width, height = image.size
        frames = getattr(image, "n_frames", 1)  # Pillow's attribute: only animations have it
    except Image.DecompressionBombError as exc:
        raise AttachmentRefused(
            IMAGE_TOO_LARGE,
            "This image has far too many pixels to be shown. Scale it down and try again.",
        ) from exc
    except Exception as exc:  # see PILLOW_FAILS
        raise _unreadable_image() from exc
    if frames > MAX_FRAMES or width * height * frames > limits.max_pixels:
        raise _too_large_image(width, height, frames, limits.max_pixels)
    try:
        if frames > 1:
            encoded, first = _encode_animation(image, pillow_format)
        else:
            first = _normalised(ImageOps.exif_transpose(image), pillow_format)
            encoded = _encode(first, pillow_format)
        thumbnail, thumbnail_extension = _thumbnail(first, limits.thumbnail_pixels)
    except Image.DecompressionBombError as exc:
        raise _too_large_image(width, height, frames, limits.max_pixels) from exc
    except Exception as exc:  # see PILLOW_FAILS
        raise _unreadable_image() from exc
    finally:
        image.close()
    if len(encoded) > limits.max_bytes:
        raise AttachmentRefused(
            TOO_LARGE,
            f"Once cleaned, this image takes {megabytes(len(encoded))}, more than the "
            f"{megabytes(limits.max_bytes)} allowed. Save it as JPEG or with fewer pixels.",
        )
    return CleanFile(
        data=encoded,
        name="",
        kind=AttachmentKind.IMAGE,
        content_type=mime,
        extension=extension,
        width=first.width,
        height=first.height,
        thumbnail=thumbnail,
        thumbnail_extension=thumbnail_extension,
    )


def _unreadable_image() -> AttachmentRefused:
    return AttachmentRefused(
        INVALID_IMAGE,
        "This image could not be read: it may be damaged or cut short. "
        "Open it in an image editor, save it again and retry.",
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _normalised(image: Image.Image, pillow_format: str) -> Image.Image:
    """Decoded pixels in a mode the format can write, with no metadata left on them."""
    image.load()
    alpha = _has_alpha(image)
    if pillow_format == "JPEG":
        wanted = image.mode if image.mode in ("L", "RGB") else "RGB"
    elif image.mode == "P" and not alpha:
        wanted = "P"  # the palette is kept (it is pixels, not metadata)
    elif image.mode in ("1", "L", "RGB", "RGBA") and pillow_format != "GIF":
        wanted = image.mode
    else:
        wanted = "RGBA" if alpha else "RGB"
    clean = image.convert(wanted) if wanted != image.mode else image.copy()
    clean.info = {}  # EXIF, XMP, ICC, comments, text chunks: none of it is written back
    return clean


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    out = io.BytesIO()
    options = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}.get(pillow_format, {})
    image.save(out, format=pillow_format, **options)
    return out.getvalue()


def _encode_animation(image: Image.Image, pillow_format: str) -> tuple[bytes, Image.Image]:
    """Every frame, re-encoded, with its duration and the loop count; nothing else."""
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration") or 100))
        frames.append(_normalised(frame.convert("RGBA"), pillow_format))
    options = {"disposal": 2} if pillow_format == "GIF" else {"quality": 90}
    if "loop" in image.info:  # without it, a GIF plays once
        options["loop"] = int(image.info["loop"] or 0)
    out = io.BytesIO()
    frames[0].save(
        out,
        format=pillow_format,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        **options,
    )
    return out.getvalue(), frames[0]


def _thumbnail(image: Image.Image, pixels: int) -> tuple[bytes | None, str]:
    """A small copy for lists (PNG when it has transparency, else JPEG), or None when the
    image is already that small."""
    if max(image.size) <= pixels:
        return None, ""
    thumb = image.copy()
    thumb.thumbnail((pixels, pixels))
    if _has_alpha(thumb):
        return _encode(thumb.convert("RGBA"), "PNG"), ".png"
    return _encode(thumb.convert("RGB"), "JPEG"), ".jpg"


# --- text, CSV and notebooks --------------------------------------------------------------


def _markup_refusal() -> AttachmentRefused:
    return AttachmentRefused(
        UNSUPPORTED_TYPE,
        "HTML, SVG and other markup files cannot be attached: a browser could run scripts "
        "hidden in them. Export figures as PNG, or paste the text into a .txt file.",
    )


def _clean_text(data: bytes, extension: str) -> CleanFile:
    if b"\x00" in data:
        raise AttachmentRefused(
            UNSUPPORTED_TYPE,
            f"This file is neither text nor a known format. Accepted are {ACCEPTED_TEXT}.",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AttachmentRefused(
            UNSUPPORTED_TYPE,
            "This text file is not in UTF-8. Save it as UTF-8 (most editors offer it in "
            "'Save as') and try again.",
        ) from exc
    if _is_notebook(text):
        return CleanFile(data, "", AttachmentKind.NOTEBOOK, _NOTEBOOK_TYPE, ".ipynb")
    if extension == ".ipynb":
        raise AttachmentRefused(
            INVALID_FILE,
            "This .ipynb file is not a valid Jupyter notebook (JSON with cells and nbformat). "
            "Save it again from Jupyter and retry.",
        )
    if extension in CSV_EXTENSIONS:
        return CleanFile(data, "", AttachmentKind.CSV, "text/csv", extension)
    return CleanFile(data, "", AttachmentKind.TEXT, "text/plain", "")


def _is_utf8_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_notebook(text: str) -> bool:
    if not text.lstrip().startswith("{"):
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return (
        isinstance(value, dict)
        and isinstance(value.get("cells"), list)
        and isinstance(value.get("metadata"), dict)
        and isinstance(value.get("nbformat"), int)
        and isinstance(value.get("nbformat_minor"), int)
    )
