"""Procedural demo pictures: deterministic, varied, photo-like and light enough to serve."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from leadpages.demo.pictures import KINDS, VIEWS, render_logo, render_photo
from leadpages.media.images import photo_path, store_logo, store_photo

SMALL = (320, 213)
#: Landing pages must stay light: the 960 px WebP of a demo photo may not exceed this.
WEBP_960_BUDGET = 120 * 1024


@cache
def _full(kind: str, view: int) -> Image.Image:
    """One full-size render per shot, shared by the tests that need the real thing."""
    return render_photo(kind, view, seed=11)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_gives_identical_bytes(kind: str) -> None:
    first = render_photo(kind, 1, seed=5, size=SMALL)
    second = render_photo(kind, 1, seed=5, size=SMALL)

    assert first.tobytes() == second.tobytes()
    assert _png(first) == _png(second)


@pytest.mark.parametrize("kind", KINDS)
def test_other_seed_gives_another_picture(kind: str) -> None:
    first = render_photo(kind, 0, seed=5, size=SMALL)
    other = render_photo(kind, 0, seed=6, size=SMALL)

    assert first.tobytes() != other.tobytes()


@pytest.mark.parametrize("kind", KINDS)
def test_the_three_views_are_different_shots(kind: str) -> None:
    shots = [render_photo(kind, view, seed=3, size=SMALL) for view in VIEWS]

    for index, shot in enumerate(shots):
        for other in shots[index + 1 :]:
            # Not just different noise: a different picture.
            assert _mean_difference(shot, other) > 12


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("view", VIEWS)
def test_every_shot_renders_at_full_size_and_is_not_flat(kind: str, view: int) -> None:
    image = _full(kind, view)

    assert image.mode == "RGB"
    assert image.size == (1600, 1067)
    stat = ImageStat.Stat(image)
    assert min(stat.stddev) > 20, stat.stddev
    assert 40 < sum(stat.mean) / 3 < 215, stat.mean
    colours = image.reduce(4).getcolors(maxcolors=1 << 16)
    # getcolors returns None when there are more colours than maxcolors: a rich image.
    assert colours is None or len(colours) > 5000


@pytest.mark.parametrize("size", [(640, 427), (333, 222), (1200, 800)])
def test_requested_size_is_honoured(size: tuple[int, int]) -> None:
    image = render_photo("residential", 0, seed=1, size=size)

    assert image.size == size
    assert image.mode == "RGB"


@pytest.mark.parametrize(
    ("kind", "view", "size"),
    [
        ("castle", 0, SMALL),
        ("residential", 3, SMALL),
        ("residential", -1, SMALL),
        ("luxury", 0, (0, 100)),
        ("luxury", 0, (10_000, 100)),
    ],
)
def test_bad_arguments_are_refused(kind: str, view: int, size: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=r"unknown|out of range"):
        render_photo(kind, view, seed=1, size=size)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("view", VIEWS)
def test_stored_960_webp_is_light(tmp_path: Path, kind: str, view: int) -> None:
    stored = store_photo(_full(kind, view), tmp_path)

    assert stored.widths == [480, 960, 1600]
    webp = photo_path(tmp_path, stored.key, 960, "webp")
    assert 5 * 1024 < webp.stat().st_size < WEBP_960_BUDGET


def test_logo_is_transparent_and_sized() -> None:
    logo = render_logo("Nova Residences", (30, 90, 160), seed=2)

    assert logo.mode == "RGBA"
    assert logo.size == (360, 120)
    alpha = logo.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0
    assert alpha.getpixel((359, 119)) == 0
    histogram = alpha.histogram()
    assert histogram[255] > 2000  # a solid mark and lettering
    assert histogram[0] > 360 * 120 // 3  # and plenty of transparent ground
    opaque = logo.convert("RGB").getcolors(maxcolors=1 << 16) or []
    assert any(colour == (30, 90, 160) for _, colour in opaque)


def test_logo_is_deterministic_and_depends_on_its_inputs() -> None:
    logo = render_logo("Dune Villas", (190, 120, 60), seed=4)

    assert logo.tobytes() == render_logo("Dune Villas", (190, 120, 60), seed=4).tobytes()
    assert logo.tobytes() != render_logo("Dune Villas", (40, 120, 60), seed=4).tobytes()
    assert logo.tobytes() != render_logo("Dune Vilas", (190, 120, 60), seed=4).tobytes()


@pytest.mark.parametrize(
    "name", ["", "X", "Gateway Logistics Park Antwerp North", "Résidence Les Jardins d'Été"]
)
def test_logo_copes_with_any_name(name: str) -> None:
    logo = render_logo(name, (40, 120, 90), seed=1)

    assert logo.size == (360, 120)
    assert logo.getchannel("A").getbbox() is not None


def test_rendered_logo_passes_the_upload_pipeline(tmp_path: Path) -> None:
    name = store_logo(render_logo("Lumen", (160, 40, 60), seed=3), tmp_path)

    with Image.open(tmp_path / "logos" / name) as stored:
        assert stored.mode == "RGBA"
        assert stored.size == (360, 120)
