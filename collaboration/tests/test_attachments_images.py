"""What survives of an uploaded image (validation.py): the pixels, the right way up, and
for animations every frame with its timing; not the camera, the place, the comments or
anything appended. And names people see: no folders, no tricks, the right extension."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageSequence

from collaboration.attachments import validation
from collaboration.attachments.validation import AttachmentRefused, Limits, clean_name, clean_upload
from collaboration.tests.attachments_helpers import image_bytes

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=40_000_000, thumbnail_pixels=320)
GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112


def photo_with_exif() -> bytes:
    """A 400 x 200 phone photo taken sideways (orientation 6: show it turned 90° clockwise),
    with its camera and where it was taken."""
    exif = Image.Exif()
    exif[MAKE] = "PocketCam"
    exif[MODEL] = "Model Secret-42"
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    image = Image.new("RGB", (400, 200), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_keeps_its_pixels_upright_and_loses_its_camera_and_place():
    original = photo_with_exif()
    assert b"PocketCam" in original

    cleaned = clean_upload(data=original, name="holiday.jpg", limits=LIMITS)

    stored = Image.open(io.BytesIO(cleaned.data))
    assert stored.size == (200, 400)  # turned as the camera asked
    assert (cleaned.width, cleaned.height) == (200, 400)
    assert b"PocketCam" not in cleaned.data and b"Secret-42" not in cleaned.data
    assert not stored.getexif()
    assert "exif" not in stored.info and "icc_profile" not in stored.info


def test_an_animation_keeps_its_frames_and_timing_but_not_its_comment():
    frames = [Image.new("RGB", (60, 40), (40 * i, 0, 0)) for i in range(5)]
    out = io.BytesIO()
    frames[0].save(
        out, format="GIF", save_all=True, append_images=frames[1:], duration=120, loop=0,
        comment=b"tracking-id-1234",
    )  # fmt: skip

    cleaned = clean_upload(data=out.getvalue(), name="training.gif", limits=LIMITS)

    stored = Image.open(io.BytesIO(cleaned.data))
    assert stored.n_frames == 5
    assert [frame.info["duration"] for frame in ImageSequence.Iterator(stored)] == [120] * 5
    reds = [frame.convert("RGB").getpixel((0, 0))[0] for frame in ImageSequence.Iterator(stored)]
    assert reds == [0, 40, 80, 120, 160]
    assert b"tracking-id-1234" not in cleaned.data


def test_an_animation_counts_the_pixels_of_all_its_frames():
    frames = [Image.new("L", (1000, 1000), i) for i in range(50)]  # 50 million pixels in all
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:])

    with pytest.raises(AttachmentRefused) as refused:
        clean_upload(data=out.getvalue(), name="long.gif", limits=LIMITS)

    assert refused.value.code == "image_too_large"
    assert "1000 x 1000 pixels in 50 frames" in refused.value.message


def test_large_images_get_a_thumbnail_small_ones_are_their_own():
    big = clean_upload(data=image_bytes((1600, 400)), name="wide.png", limits=LIMITS)
    transparent = clean_upload(
        data=image_bytes((900, 900), mode="RGBA", color=(0, 0, 0, 0)), name="t.png", limits=LIMITS
    )
    small = clean_upload(data=image_bytes((120, 80)), name="icon.png", limits=LIMITS)

    assert Image.open(io.BytesIO(big.thumbnail)).size == (320, 80)
    assert big.thumbnail_extension == ".jpg"
    assert transparent.thumbnail_extension == ".png"  # transparency kept
    assert Image.open(io.BytesIO(transparent.thumbnail)).mode == "RGBA"
    assert small.thumbnail is None


@pytest.mark.parametrize(
    ("raw", "extension", "shown"),
    [
        ("../../etc/passwd.png", ".png", "passwd.png"),
        ("C:\\Users\\me\\plot.png", ".png", "plot.png"),
        ("\u202egnp.exe", ".png", "gnp.png"),  # right-to-left override: shown "exe.png"
        ("line\nbreak\x00.png", ".png", "linebreak.png"),
        ("...", ".png", "file.png"),
        (".bashrc", "", "bashrc.txt"),
        ("photo.JPEG", ".jpg", "photo.jpeg"),
        ("photo.png", ".jpg", "photo.jpg"),
        ("x" * 300 + ".csv", ".csv", "x" * 146 + ".csv"),
    ],
)
def test_names_are_made_safe_to_show_and_to_download(raw, extension, shown):
    assert clean_name(raw, extension=extension) == shown


def test_sizes_read_as_people_say_them():
    assert validation.megabytes(50_000) == "49 KB"
    assert validation.megabytes(10 * 1024 * 1024) == "10 MB"
    assert validation.megabytes(int(9.5 * 1024 * 1024)) == "9.5 MB"
