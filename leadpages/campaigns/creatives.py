"""Ad material from a project's page: photos cut to the platforms' sizes, texts within limits.

Images are cut around each photo's centre of interest (ProjectPhoto.focus_x/focus_y): the
largest crop of the target's shape that holds the focus point, as centred as the borders allow,
then shrunk to the size asked; never enlarged (a smaller source gives a smaller image, noted).
Rendered images are kept under UPLOAD_PATH/creatives/<campaign id>/; the bundle is a ZIP built in
a temporary file, one image at a time.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image

from leadpages.campaigns.models import Campaign
from leadpages.campaigns.results import cell
from leadpages.campaigns.services import tracking_link
from leadpages.media.images import photo_path
from leadpages.projects.models import Project, ProjectPhoto
from leadpages.web.templating import money

#: name -> (width, height): Meta and Google's square, 1.91:1 link-ad, and 9:16 story sizes.
FORMATS: dict[str, tuple[int, int]] = {
    "square": (1080, 1080),
    "landscape": (1200, 628),
    "vertical": (1080, 1920),
}
#: (platform, field) -> the most characters the platform shows without cutting.
LIMITS: dict[tuple[str, str], int] = {
    ("meta", "headline"): 40,
    ("meta", "primary_text"): 125,
    ("meta", "description"): 30,
    ("google", "headline"): 30,
    ("google", "description"): 90,
}
#: Photos of a project that go into a bundle at most (a page shows a handful).
MAX_PHOTOS = 10
ELLIPSIS = "…"
#: Where a text may break: ordinary white space, not the no-break spaces inside amounts.
_BLANKS = re.compile(r"[ \t\r\n\f\v]+")
JPEG_PARAMS: dict[str, Any] = {"quality": 85, "progressive": True, "optimize": True}
#: Fixed entry times make two bundles of the same material byte-identical.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Cut:
    """Where to crop one photo for one format, and the size of the result."""

    #: left, top, right, bottom in the source photo's pixels.
    box: tuple[int, int, int, int]
    size: tuple[int, int]
    asked: tuple[int, int]

    @property
    def is_smaller(self) -> bool:
        """Whether the source was too small for the size asked (the image is not enlarged)."""
        return self.size != self.asked


@dataclass(frozen=True)
class Creative:
    """One image of the bundle: a photo (numbered from 1) in one format."""

    fmt: str
    number: int
    photo: ProjectPhoto
    cut: Cut

    @property
    def name(self) -> str:
        return f"{self.fmt}-{self.number}.jpg"


@dataclass(frozen=True)
class AdText:
    """One text of an ad in one language, with its platform's limit."""

    platform: str
    language: str
    field: str
    text: str
    limit: int

    @property
    def length(self) -> int:
        return len(self.text)


def plan_cut(width: int, height: int, focus_x: float, focus_y: float,
             target: tuple[int, int]) -> Cut:
    """The largest crop of `target`'s shape holding the focus point, centred on it if it can be."""
    target_width, target_height = target
    ratio = target_width / target_height
    if width / height > ratio:
        crop_height, crop_width = height, min(width, round(height * ratio))
    else:
        crop_width, crop_height = width, min(height, round(width / ratio))
    fx = min(max(focus_x, 0.0), 1.0) * width
    fy = min(max(focus_y, 0.0), 1.0) * height
    left = min(max(round(fx - crop_width / 2), 0), width - crop_width)
    top = min(max(round(fy - crop_height / 2), 0), height - crop_height)
    # Never enlarged: a crop narrower than the target stays its own size.
    size = target if crop_width >= target_width else (crop_width, crop_height)
    return Cut(box=(left, top, left + crop_width, top + crop_height), size=size, asked=target)


def source_path(upload_path: str | os.PathLike[str], photo: ProjectPhoto) -> Path | None:
    """The largest stored JPEG of `photo`, or None when it is not on disk."""
    try:
        path = photo_path(upload_path, photo.key, photo.width, "jpg")
    except ValueError:
        return None
    return path if path.is_file() else None


def creatives(upload_path: str | os.PathLike[str], project: Project) -> list[Creative]:
    """Every image a campaign of `project` gets: each usable photo in each format, in order."""
    usable = [photo for photo in project.photos[:MAX_PHOTOS]
              if source_path(upload_path, photo) is not None]
    return [Creative(fmt, number, photo, plan_cut(photo.width, photo.height, photo.focus_x,
                                                   photo.focus_y, size))
            for number, photo in enumerate(usable, start=1)
            for fmt, size in FORMATS.items()]


def find_creative(upload_path: str | os.PathLike[str], project: Project, fmt: str,
                  number: int) -> Creative | None:
    """The creative `fmt` of photo `number`, or None when there is no such thing."""
    return next((c for c in creatives(upload_path, project)
                 if c.fmt == fmt and c.number == number), None)


def render(upload_path: str | os.PathLike[str], creative: Creative) -> Image.Image:
    """The creative's pixels: its photo cropped and shrunk."""
    source = source_path(upload_path, creative.photo)
    if source is None:
        raise FileNotFoundError(f"photo {creative.photo.key} is not stored")
    with Image.open(source, formats=["JPEG"]) as opened:
        image = opened.convert("RGB").crop(creative.cut.box)
    if image.size != creative.cut.size:
        image = image.resize(creative.cut.size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return image


def cached_file(upload_path: str | os.PathLike[str], campaign_id: int,
                creative: Creative) -> Path:
    """The creative's JPEG under creatives/<campaign id>/, rendered the first time it is asked."""
    photo = creative.photo
    # Named by content and focus: a new photo or focus point gets a new file, never a stale one.
    name = (f"{creative.fmt}-{photo.key}-{round(photo.focus_x * 1000)}-"
            f"{round(photo.focus_y * 1000)}.jpg")
    target = Path(upload_path) / "creatives" / str(int(campaign_id)) / name
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            render(upload_path, creative).save(stream, "JPEG", **JPEG_PARAMS)
        temp.chmod(0o644)
        os.replace(temp, target)  # concurrent renders write the same bytes: last one wins
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def shorten(text: str, limit: int) -> str:
    """`text` within `limit` characters: cut at a word boundary with an ellipsis when longer.

    Only a single word longer than the whole limit is cut inside (nothing else would fit).
    No-break spaces (as in "€ 250.000") hold their words together.
    """
    text = _BLANKS.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    room = text[:limit - len(ELLIPSIS) + 1]
    cut = room.rfind(" ")
    kept = room[:cut] if cut > 0 else room[:limit - len(ELLIPSIS)]
    return kept.rstrip(" ,;:.-–—·") + ELLIPSIS


def price_range(project: Project) -> str:
    """The project's price range in the current language, or "" when it has none."""
    low, high = project.price_min, project.price_max
    if low is not None and high is not None:
        return f"{money(Decimal(low), project.currency)} – {money(Decimal(high), project.currency)}"
    if low is not None:
        return _("from %(price)s", price=money(Decimal(low), project.currency))
    if high is not None:
        return _("up to %(price)s", price=money(Decimal(high), project.currency))
    return ""


def ad_text_sources(project: Project, lang: str) -> dict[tuple[str, str], str]:
    """The texts of each platform's fields in `lang` before shortening, from the page's texts."""
    page = project.text(lang)
    if page is None:
        return {}
    with force_locale(lang):
        price = price_range(project)
    title, tagline = page.title.strip(), page.tagline.strip()
    where = " · ".join(part for part in (project.city, price) if part)
    sentence = tagline if not tagline or tagline[-1] in ".!?" else tagline + "."
    body = " ".join(part for part in (sentence, where) if part)
    texts = {
        ("meta", "headline"): title,
        ("meta", "primary_text"): body,
        ("meta", "description"): where or title,
        ("google", "headline"): title,
        ("google", "description"): body,
    }
    return {key: _BLANKS.sub(" ", text).strip() for key, text in texts.items()}


def ad_texts(project: Project) -> list[AdText]:
    """Headline, primary text and description per language and platform, within the limits."""
    texts: list[AdText] = []
    for lang in project.languages:
        for (platform, field), text in ad_text_sources(project, lang).items():
            limit = LIMITS[(platform, field)]
            texts.append(AdText(platform, lang, field, shorten(text, limit), limit))
    return texts


def texts_csv(texts: list[AdText]) -> str:
    """The texts as CSV: platform, language, field, text, length, limit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["platform", "language", "field", "text", "length", "limit"])
    for text in texts:
        writer.writerow([text.platform, text.language, text.field, cell(text.text),
                         text.length, text.limit])
    return out.getvalue()


def links(campaign: Campaign) -> dict[str, str]:
    """The campaign's tracking link per language of its project, and "" for the negotiated one."""
    return {"": tracking_link(campaign),
            **{lang: tracking_link(campaign, lang) for lang in campaign.project.languages}}


def manifest(campaign: Campaign, images: list[Creative], texts: list[AdText]) -> dict[str, Any]:
    """Each asset of the bundle with the tracking link it must carry."""
    by_lang = links(campaign)
    return {
        "campaign": {"name": campaign.name, "code": campaign.code, "channel": campaign.channel,
                     "project": campaign.project.slug},
        "links": by_lang,
        "assets": [
            *({"file": f"images/{c.name}", "kind": "image", "format": c.fmt,
               "width": c.cut.size[0], "height": c.cut.size[1],
               "smaller_than_asked": c.cut.is_smaller, "link": by_lang[""]} for c in images),
            *({"file": "texts.csv", "kind": "text", "platform": t.platform,
               "language": t.language, "field": t.field, "link": by_lang[t.language]}
              for t in texts),
        ],
    }


def readme(campaign: Campaign, images: list[Creative]) -> str:
    """The bundle's README: the campaign, its links, and what to do with them."""
    by_lang = links(campaign)
    lines = [
        f"Campaign: {campaign.name}",
        f"Project: {campaign.project.slug}",
        f"Channel: {campaign.channel}",
        f"Campaign code: {campaign.code}",
        "",
        "Tracking links (every asset of this bundle must link to this campaign's tracking link):",
        f"  any language (the browser's choice): {by_lang['']}",
        *(f"  {lang}: {link}" for lang, link in by_lang.items() if lang),
        "",
        "Each image and text in this bundle belongs to this campaign: use its tracking link as",
        "the ad's destination (the text's language link for texts; manifest.json maps every",
        "asset to its link). Visits and leads are counted for the campaign only through it.",
        "",
        "images/: square 1080x1080 (feed), landscape 1200x628 (Meta link ad, Google 1.91:1),",
        "vertical 1080x1920 (stories, reels), cut around each photo's centre of interest.",
        "texts.csv: headline, primary text and description per platform and language, within",
        "the platforms' limits (length and limit columns).",
    ]
    smaller = [c for c in images if c.cut.is_smaller]
    if smaller:
        lines += ["", "Smaller than asked (the photo is too small; it was not enlarged):"]
        lines += [f"  images/{c.name}: {c.cut.size[0]}x{c.cut.size[1]}" for c in smaller]
    return "\n".join(lines) + "\n"


def _entry(name: str, compress: bool = True) -> ZipInfo:
    info = ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = ZIP_DEFLATED if compress else ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_bundle(upload_path: str | os.PathLike[str], campaign: Campaign,
                 stream: IO[bytes]) -> None:
    """Write the campaign's bundle (a ZIP) to `stream`, one image in memory at a time."""
    images = creatives(upload_path, campaign.project)
    texts = ad_texts(campaign.project)
    with ZipFile(stream, "w") as bundle:
        bundle.writestr(_entry("README.txt"), readme(campaign, images))
        bundle.writestr(_entry("manifest.json"),
                        json.dumps(manifest(campaign, images, texts), indent=2,
                                   ensure_ascii=False) + "\n")
        bundle.writestr(_entry("texts.csv"), texts_csv(texts))
        for creative in images:
            path = cached_file(upload_path, campaign.id, creative)
            # JPEG is compressed already: stored as is.
            with path.open("rb") as source, bundle.open(
                    _entry(f"images/{creative.name}", compress=False), "w") as target:
                shutil.copyfileobj(source, target, 1 << 16)


@dataclass
class Bundle:
    """A bundle in a temporary file; close it (or use `with`) to delete the file."""

    file: IO[bytes]
    filename: str

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.file.close()

    def chunks(self) -> Iterator[bytes]:
        """The ZIP's bytes, in pieces, then the file is closed."""
        try:
            self.file.seek(0)
            while chunk := self.file.read(1 << 16):
                yield chunk
        finally:
            self.file.close()


def build_bundle(upload_path: str | os.PathLike[str], campaign: Campaign) -> Bundle:
    """The campaign's bundle in a temporary file, positioned at its start."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller, who closes it
    try:
        write_bundle(upload_path, campaign, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return Bundle(file, f"{campaign.code}-creatives.zip")
