"""The photo and logo pipeline: what it refuses, what it strips, what it writes."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw

from leadpages.media.images import (
    WIDTHS,
    ImageRejected,
    StoredPhoto,
    photo_path,
    store_logo,
    store_photo,
)

GPS_IFD = 0x8825
CAMERA = "LeadpagesTestCamera"


def _picture(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Return a photo-like RGB image: gradients and grain, so encoders work as on a photo."""
    width, height = size
    red = Image.linear_gradient("L").resize(size)
    green = Image.radial_gradient("L").resize(size)
    # Seeded grain (effect_noise is not reproducible), at low res so it compresses like a photo.
    cells = (max(1, width // 4), max(1, height // 4))
    grain = random.Random(seed).randbytes(cells[0] * cells[1])
    blue = Image.frombytes("L", cells, grain).resize(size, Image.Resampling.BILINEAR)
    image = Image.merge("RGB", (red, green, blue))
    ImageDraw.Draw(image).rectangle(
        (width // 4, height // 4, width // 2, height // 2), fill=(30 + seed, 120, 200)
    )
    return image


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _jpeg_with_metadata(size: tuple[int, int] = (1200, 800), orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0112] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (50.0, 50.0, 46.0), 3: "E", 4: (4.0, 21.0, 8.0)})
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _encode(
        _picture(size),
        "JPEG",
        quality=90,
        exif=exif,
        xmp=b"<x:xmpmeta>owner-secret</x:xmpmeta>",
        comment=b"comment-secret",
        icc_profile=srgb,
    )


def _png_claiming(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims the given size (a decompression bomb's shape)."""
    data = bytearray(_encode(Image.new("RGB", (8, 8), "white"), "PNG"))
    # IHDR: length at 8, type at 12, width and height at 16, CRC over type+data at 29.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _stored_files(upload: Path) -> list[Path]:
    return sorted(path for path in upload.rglob("*") if path.is_file())


def test_metadata_is_stripped_from_every_rendition(tmp_path: Path) -> None:
    source = _jpeg_with_metadata()
    with Image.open(io.BytesIO(source)) as original:
        # The fixture must carry what we claim to strip, or the test proves nothing.
        assert original.getexif().get_ifd(GPS_IFD)[1] == "N"
        assert {"exif", "xmp", "comment", "icc_profile"} <= original.info.keys()

    stored = store_photo(source, tmp_path)

    files = _stored_files(tmp_path)
    assert len(files) == 2 * len(stored.widths)
    for path in files:
        raw = path.read_bytes()
        for secret in (
            b"Exif",
            CAMERA.encode(),
            b"owner-secret",
            b"comment-secret",
            b"ICC_PROFILE",
            b"ICCP",
        ):
            assert secret not in raw, (path.name, secret)
        with Image.open(path) as reopened:
            assert len(reopened.getexif()) == 0
            assert not reopened.getexif().get_ifd(GPS_IFD)
            assert not {"exif", "xmp", "comment", "icc_profile"} & reopened.info.keys()
            assert reopened.mode == "RGB"


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    raw = Image.new("RGB", (1200, 800), (220, 20, 20))
    raw.paste((20, 20, 220), (600, 0, 1200, 800))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise: left becomes top
    source = _encode(raw, "JPEG", quality=92, exif=exif)

    stored = store_photo(source, tmp_path)

    assert (stored.width, stored.height) == (480, 720)
    assert stored.widths == [480]
    with Image.open(photo_path(tmp_path, stored.key, 480, "jpg")) as image:
        assert image.size == (480, 720)
        top_r, _, top_b = image.getpixel((240, 40))
        bottom_r, _, bottom_b = image.getpixel((240, 680))
    assert top_r > 180 > top_b
    assert bottom_b > 180 > bottom_r


def test_widths_follow_the_original_width(tmp_path: Path) -> None:
    stored = store_photo(_encode(_picture((1000, 667)), "PNG"), tmp_path)

    assert stored.widths == [480, 960]
    assert (stored.width, stored.height) == (960, 640)
    for width, height in ((480, 320), (960, 640)):
        for fmt in ("webp", "jpg"):
            with Image.open(photo_path(tmp_path, stored.key, width, fmt)) as image:
                assert image.size == (width, height)
    assert not photo_path(tmp_path, stored.key, 1600, "webp").exists()
    assert not photo_path(tmp_path, stored.key, 1600, "jpg").exists()


def test_large_photo_gets_every_width_and_no_upscale(tmp_path: Path) -> None:
    stored = store_photo(_encode(_picture((3000, 2000)), "JPEG", quality=90), tmp_path)

    assert stored.widths == list(WIDTHS)
    assert (stored.width, stored.height) == (1600, 1067)
    with Image.open(photo_path(tmp_path, stored.key, 1600, "webp")) as image:
        assert image.format == "WEBP"
        assert image.size == (1600, 1067)
    with Image.open(photo_path(tmp_path, stored.key, 1600, "jpg")) as image:
        assert image.format == "JPEG"
        assert image.info.get("progressive") or image.info.get("progression")


def test_same_photo_gives_same_key_and_identical_files(tmp_path: Path) -> None:
    source = _jpeg_with_metadata()
    first = store_photo(source, tmp_path / "a")
    second = store_photo(source, tmp_path / "b")
    again = store_photo(source, tmp_path / "a")

    assert first == second == again
    assert len(first.key) == 20
    assert int(first.key, 16) >= 0
    files_a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in _stored_files(tmp_path / "a")}
    files_b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in _stored_files(tmp_path / "b")}
    assert files_a == files_b
    assert len(files_a) == 2 * len(first.widths)


def test_metadata_does_not_change_the_key_but_pixels_do(tmp_path: Path) -> None:
    pixels = _picture((1000, 667))
    plain = store_photo(_encode(pixels, "PNG"), tmp_path)
    exif = Image.Exif()
    exif[0x010F] = CAMERA
    tagged = store_photo(_encode(pixels, "PNG", exif=exif), tmp_path)
    other = store_photo(_encode(_picture((1000, 667), seed=7), "PNG"), tmp_path)

    assert plain.key == tagged.key
    assert other.key != plain.key


def test_a_pillow_image_is_accepted(tmp_path: Path) -> None:
    stored = store_photo(_picture((1600, 900)), tmp_path)

    assert stored == StoredPhoto(key=stored.key, width=1600, height=900, widths=[480, 960, 1600])


def test_cmyk_jpeg_and_transparent_png_become_rgb(tmp_path: Path) -> None:
    cmyk = _encode(_picture((800, 600)).convert("CMYK"), "JPEG")
    palette = _picture((800, 600)).convert("P")
    palette.info["transparency"] = 0
    for source in (cmyk, _encode(palette, "PNG")):
        stored = store_photo(source, tmp_path)
        with Image.open(photo_path(tmp_path, stored.key, 480, "jpg")) as image:
            assert image.mode == "RGB"


def test_webp_input_is_accepted(tmp_path: Path) -> None:
    stored = store_photo(_encode(_picture((960, 540)), "WEBP", quality=80), tmp_path)

    assert stored.widths == [480, 960]


def _truncated(fmt: str) -> bytes:
    data = _encode(_picture((1200, 800)), fmt)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(b"", "not_image", id="zero-bytes"),
        pytest.param(b"Dear partner,\nthese are the plans.\n" * 20, "not_image", id="text"),
        pytest.param(b"%PDF-1.7\n" + bytes(range(256)) * 8, "not_image", id="pdf"),
        pytest.param(_encode(_picture((800, 600)).convert("P"), "GIF"), "unsupported", id="gif"),
        pytest.param(_encode(_picture((800, 600)), "BMP"), "unsupported", id="bmp"),
        pytest.param(_encode(_picture((800, 600)), "TIFF"), "unsupported", id="tiff"),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
            "unsupported",
            id="svg",
        ),
        pytest.param(_truncated("JPEG"), "corrupt", id="truncated-jpeg"),
        pytest.param(_truncated("PNG"), "corrupt", id="truncated-png"),
        pytest.param(_truncated("WEBP"), "corrupt", id="truncated-webp"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 600, "corrupt", id="jpeg-magic-only"),
        # Beyond Pillow's own hard limit: refused while reading the header.
        pytest.param(_png_claiming(50_000, 50_000), "too_large", id="bomb-50000x50000"),
        # In Pillow's warning band: refused, never decoded.
        pytest.param(_png_claiming(10_000, 10_000), "too_large", id="bomb-10000x10000"),
        # Under Pillow's limits but over ours: only our own check stops it.
        pytest.param(_png_claiming(8_000, 6_000), "too_large", id="bomb-48-megapixels"),
        pytest.param(_encode(_picture((470, 600)), "PNG"), "too_small", id="too-narrow"),
        pytest.param(_encode(_picture((1200, 260)), "PNG"), "too_small", id="too-low"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(
    tmp_path: Path, source: bytes, reason: str
) -> None:
    with pytest.raises(ImageRejected) as refused:
        store_photo(source, tmp_path)

    assert refused.value.reason == reason
    message = str(refused.value)
    assert message[0].isupper()
    assert message.endswith(".")
    assert len(message) < 100
    assert _stored_files(tmp_path) == []


def test_refusal_is_a_value_error_with_a_sentence() -> None:
    with pytest.raises(ValueError, match=r"^The image format is not supported; .*WebP\.$"):
        store_photo(_encode(_picture((800, 600)).convert("P"), "GIF"), "/nonexistent")


def test_an_opened_gif_image_object_is_refused(tmp_path: Path) -> None:
    with (
        Image.open(io.BytesIO(_encode(_picture((800, 600)).convert("P"), "GIF"))) as gif,
        pytest.raises(ImageRejected, match="not supported"),
    ):
        store_photo(gif, tmp_path)


def test_logo_keeps_transparency_and_fits_the_box(tmp_path: Path) -> None:
    # Red hidden under fully transparent pixels: it must not reach the stored file.
    logo = Image.new("RGBA", (800, 300), (255, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((300, 50, 500, 250), fill=(10, 80, 160, 255))
    ImageDraw.Draw(logo).rectangle((560, 100, 760, 200), fill=(10, 80, 160, 128))

    name = store_logo(_encode(logo, "PNG"), tmp_path)

    path = tmp_path / "logos" / name
    assert name.endswith(".png")
    assert len(name) == 20 + len(".png")
    with Image.open(path) as stored:
        assert stored.format == "PNG"
        assert stored.mode == "RGBA"
        assert stored.size == (400, 150)
        assert stored.getpixel((5, 5)) == (0, 0, 0, 0)
        assert stored.getpixel((200, 75))[3] == 255
        assert 100 < stored.getpixel((330, 75))[3] < 160
        assert not {"exif", "xmp", "icc_profile"} & stored.info.keys()
    assert store_logo(_encode(logo, "PNG"), tmp_path) == name


def test_small_logo_is_not_enlarged_and_hidden_colour_is_cleared(tmp_path: Path) -> None:
    # Colour under fully transparent pixels survives a plain copy; it must not be stored.
    logo = Image.new("RGBA", (200, 60), (255, 0, 0, 0))
    ImageDraw.Draw(logo).rectangle((10, 10, 190, 50), fill=(0, 0, 0, 255))

    name = store_logo(logo, tmp_path)

    with Image.open(tmp_path / "logos" / name) as stored:
        assert stored.size == (200, 60)
        assert stored.getpixel((2, 2)) == (0, 0, 0, 0)
        assert stored.getpixel((100, 30)) == (0, 0, 0, 255)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(b"GIF89a" + b"\x00" * 40, "unsupported", id="gif"),
        pytest.param(_truncated("PNG"), "corrupt", id="truncated"),
        pytest.param(_encode(Image.new("RGBA", (90, 40)), "PNG"), "too_small", id="tiny"),
        pytest.param(_png_claiming(20_000, 5_000), "too_large", id="bomb"),
    ],
)
def test_bad_logos_are_refused(tmp_path: Path, source: bytes, reason: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        store_logo(source, tmp_path)

    assert refused.value.reason == reason
    assert _stored_files(tmp_path) == []


@pytest.mark.parametrize(
    ("key", "width", "fmt"),
    [
        ("../../../etc/passwd", 480, "jpg"),
        ("0123456789abcdef012/", 480, "jpg"),
        ("0123456789ABCDEF0123", 480, "jpg"),
        ("0123456789abcdef0123", 481, "jpg"),
        ("0123456789abcdef0123", 480, "png"),
    ],
)
def test_photo_path_refuses_malformed_parts(key: str, width: int, fmt: str) -> None:
    with pytest.raises(ValueError, match=r"not a photo|not a rendition"):
        photo_path("/uploads", key, width, fmt)  # type: ignore[arg-type]


def test_photo_path_layout() -> None:
    assert photo_path("/uploads", "0123456789abcdef0123", 960, "webp") == Path(
        "/uploads/photos/0123456789abcdef0123-960.webp"
    )
