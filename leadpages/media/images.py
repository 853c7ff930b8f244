"""Photo and logo pipeline: refuse what is unsafe, strip all metadata, store light renditions.

Every stored file is re-encoded from decoded pixels only, so nothing an uploader's camera or
editor wrote (EXIF with GPS position, XMP, comments, thumbnails, ICC) reaches a public page.
Files are content-addressed: the same picture always gets the same key and the same files.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

__all__ = [
    "WIDTHS",
    "ImageRejected",
    "StoredPhoto",
    "photo_path",
    "store_logo",
    "store_photo",
]

#: Rendition widths for responsive `srcset`; a photo gets every width it can fill.
WIDTHS: tuple[int, ...] = (480, 960, 1600)
#: Smallest photo accepted (width, height), after EXIF orientation.
MIN_PHOTO_SIZE: tuple[int, int] = (480, 270)
#: Decoded pixel budget; a 40 MP RGB image is ~160 MB in memory, so more is refused unread.
MAX_PIXELS: int = 40_000_000
#: Upload size cap in bytes; the web layer should refuse bigger bodies earlier.
MAX_FILE_BYTES: int = 25 * 1024 * 1024
#: A logo is shrunk to fit this box (never enlarged).
LOGO_BOX: tuple[int, int] = (400, 160)
#: Smallest logo accepted: longer side, shorter side.
MIN_LOGO_SIDES: tuple[int, int] = (100, 20)
#: Hex characters of the SHA-256 kept as the content key.
KEY_LENGTH: int = 20

ACCEPTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
WEBP_PARAMS: dict[str, Any] = {"quality": 72, "method": 6}
JPEG_PARAMS: dict[str, Any] = {"quality": 78, "progressive": True, "optimize": True}
PNG_PARAMS: dict[str, Any] = {"optimize": True}

Reason = Literal["not_image", "unsupported", "too_large", "too_small", "corrupt"]
PhotoFormat = Literal["webp", "jpg"]

# Decoders raise a zoo of exception types on hostile input; all of them mean "corrupt".
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    struct.error,
)
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
# Recognised only to give a better message than "not an image"; never decoded.
_OTHER_IMAGE_MAGIC: tuple[bytes, ...] = (
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x00\x00\x01\x00",
    b"8BPS",
    b"\xff\x0a",
    b"\x00\x00\x00\x0cjP  ",
)
_ISO_BMFF_IMAGE_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"mif1", b"msf1", b"avif", b"avis"}
_KEY_RE = re.compile(rf"[0-9a-f]{{{KEY_LENGTH}}}")
_HASH_STRIP_ROWS = 256


class ImageRejected(ValueError):
    """An upload that cannot be used as a photo or logo; the message says why in one sentence."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        #: Stable code for translating the message or counting rejections.
        self.reason: Reason = reason


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo: its content key, largest rendition size and the widths written."""

    key: str
    width: int
    height: int
    widths: list[int]


def photo_path(upload_path: str | os.PathLike[str], key: str, width: int, fmt: PhotoFormat) -> Path:
    """Return the file path of one rendition of a stored photo."""
    # Keys and widths may come from a URL, so only well-formed values may build a path.
    if not _KEY_RE.fullmatch(key):
        raise ValueError(f"not a photo key: {key!r}")
    if width not in WIDTHS:
        raise ValueError(f"not a rendition width: {width!r}")
    if fmt not in ("webp", "jpg"):
        raise ValueError(f"not a photo format: {fmt!r}")
    return Path(upload_path) / "photos" / f"{key}-{width}.{fmt}"


def store_photo(source: bytes | Image.Image, upload_path: str | os.PathLike[str]) -> StoredPhoto:
    """Validate a photo, strip its metadata and write WebP and JPEG renditions; return them."""
    # A JPEG decodes far faster at 1/2 to 1/8 scale; keep both sides >= the largest width so
    # either orientation still fills it.
    image = _open(source, draft_to=(WIDTHS[-1], WIDTHS[-1]))
    image = _orient(image)
    width, height = image.size
    if width < MIN_PHOTO_SIZE[0] or height < MIN_PHOTO_SIZE[1]:
        raise ImageRejected(
            "too_small",
            f"The image is too small; a photo must be at least "
            f"{MIN_PHOTO_SIZE[0]} by {MIN_PHOTO_SIZE[1]} pixels.",
        )
    reference = _to_rgb(image)
    key = _content_key(reference)
    widths = [w for w in WIDTHS if w <= width]
    folder = Path(upload_path) / "photos"
    size = (width, height)
    for target_width in widths:
        size = (target_width, max(1, round(height * target_width / width)))
        jpg_target = photo_path(upload_path, key, target_width, "jpg")
        webp_target = photo_path(upload_path, key, target_width, "webp")
        # Content-addressed and written atomically: an existing file is already the right one.
        if jpg_target.exists() and webp_target.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        rendition = _resized(reference, size)
        if not webp_target.exists():
            _write_atomic(webp_target, rendition, "WEBP", WEBP_PARAMS)
        if not jpg_target.exists():
            _write_atomic(jpg_target, rendition, "JPEG", JPEG_PARAMS)
    return StoredPhoto(key=key, width=size[0], height=size[1], widths=widths)


def store_logo(source: bytes | Image.Image, upload_path: str | os.PathLike[str]) -> str:
    """Validate a logo, keep its transparency, fit it in 400x160, write a PNG; return its name."""
    image = _orient(_open(source, draft_to=LOGO_BOX))
    longer, shorter = max(image.size), min(image.size)
    if longer < MIN_LOGO_SIDES[0] or shorter < MIN_LOGO_SIDES[1]:
        raise ImageRejected(
            "too_small",
            f"The logo is too small; it must be at least {MIN_LOGO_SIDES[0]} pixels long "
            f"and {MIN_LOGO_SIDES[1]} pixels high.",
        )
    logo = _to_rgba(image)
    if logo.width > LOGO_BOX[0] or logo.height > LOGO_BOX[1]:
        scale = min(LOGO_BOX[0] / logo.width, LOGO_BOX[1] / logo.height)
        fitted = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
        logo = logo.resize(fitted, Image.Resampling.LANCZOS, reducing_gap=3.0)
    logo = _clear_hidden_colour(logo)
    key = _content_key(logo)
    name = f"{key}.png"
    target = Path(upload_path) / "logos" / name
    if not target.exists():
        _write_atomic(target, _pixels_only(logo), "PNG", PNG_PARAMS)
    return name


def _open(source: bytes | Image.Image, *, draft_to: tuple[int, int]) -> Image.Image:
    """Return a fully decoded image, or raise ImageRejected."""
    if isinstance(source, Image.Image):
        # MPO is how Pillow names a JPEG carrying a second (e.g. depth) picture.
        if source.format is not None and source.format not in (*ACCEPTED_FORMATS, "MPO"):
            raise _unsupported()
        _check_pixels(source.size)
        try:
            source.load()
        except _BOMB_ERRORS:
            raise _too_many_pixels() from None
        except _DECODE_ERRORS:
            raise _corrupt() from None
        return source

    data = bytes(source)
    if not data:
        raise ImageRejected("not_image", "The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ImageRejected(
            "too_large",
            f"The file is too large; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MB.",
        )
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone switched on Pillow's global leniency; a truncated upload would pass silently.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES must stay False")
    try:
        # Only the three accepted decoders ever see the bytes: less attack surface.
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            _check_pixels(probe.size)
            probe.verify()  # PNG: checks every chunk's CRC without decoding
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        if image.format == "JPEG" or image.format == "MPO":
            image.draft("RGB", draft_to)
        image.load()  # a full decode is the only reliable test for a truncated file
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise _unidentified(data) from None
    except _BOMB_ERRORS:
        raise _too_many_pixels() from None
    except _DECODE_ERRORS:
        raise _corrupt() from None
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    # Checked from the header, before any pixel is decoded.
    if size[0] * size[1] > MAX_PIXELS:
        raise _too_many_pixels()


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        "too_large",
        f"The image has too many pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels.",
    )


def _unsupported() -> ImageRejected:
    return ImageRejected(
        "unsupported", "The image format is not supported; please use JPEG, PNG or WebP."
    )


def _corrupt() -> ImageRejected:
    return ImageRejected("corrupt", "The image file is damaged or incomplete.")


def _unidentified(data: bytes) -> ImageRejected:
    head = data[:1024]
    # Our own formats' signatures on a file no decoder accepts: damaged, not foreign.
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (
        head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    ):
        return _corrupt()
    is_other_image = head.startswith(_OTHER_IMAGE_MAGIC) or (
        head[4:8] == b"ftyp" and head[8:12] in _ISO_BMFF_IMAGE_BRANDS
    )
    if is_other_image or b"<svg" in head.lower():
        return _unsupported()
    return ImageRejected("not_image", "The file is not an image.")


def _orient(image: Image.Image) -> Image.Image:
    """Turn the pixels the way the camera's EXIF orientation says the picture is seen."""
    try:
        oriented = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:
        # A broken EXIF block is dropped anyway; a picture is better than a refusal here.
        return image
    return oriented if oriented is not None else image


@cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels tagged with a wide-gamut profile (e.g. Display P3) to sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode != "CMYK" and "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        base = image.convert("RGB") if alpha is not None else image
        converted = ImageCms.profileToProfile(base, profile, _srgb_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # An unreadable profile is dropped; the pixels are then taken as sRGB.
        return image
    if converted is None:  # pragma: no cover - only when converting in place
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _to_8bit(image: Image.Image) -> Image.Image:
    # 16-bit greyscale PNGs would clip to white with a plain convert().
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    """Return the image as opaque RGB; transparency is laid on white."""
    image = _to_8bit(_to_srgb(image))
    has_alpha = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _to_rgba(image: Image.Image) -> Image.Image:
    return _to_8bit(_to_srgb(image)).convert("RGBA")


def _clear_hidden_colour(image: Image.Image) -> Image.Image:
    """Blank the colour under fully transparent pixels: it can hold leftovers of the original."""
    transparent = image.getchannel("A").point(lambda a: 255 if a == 0 else 0, mode="1")
    if transparent.getbbox() is None:
        return image
    cleared = image.copy()
    cleared.paste((0, 0, 0, 0), mask=transparent)
    return cleared


def _content_key(image: Image.Image) -> str:
    """Hash the decoded pixels (not the file), so the key ignores metadata and encoders."""
    digest = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
    # Strips keep memory flat for large images instead of one full-size bytes copy.
    for top in range(0, image.height, _HASH_STRIP_ROWS):
        box = (0, top, image.width, min(image.height, top + _HASH_STRIP_ROWS))
        digest.update(image.crop(box).tobytes())
    return digest.hexdigest()[:KEY_LENGTH]


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _pixels_only(image)


def _pixels_only(image: Image.Image) -> Image.Image:
    """Rebuild the image from raw pixels so no metadata object can ride along into the file."""
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _write_atomic(target: Path, image: Image.Image, fmt: str, params: dict[str, Any]) -> None:
    """Encode into a temporary file beside the target, then rename it over the target."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, fmt, **params)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes 0600 files; the web server that serves uploads must be able to read.
        temp.chmod(0o644)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
