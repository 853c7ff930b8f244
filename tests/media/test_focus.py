"""The centre of interest found at upload: where the detail of a picture is."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageDraw

from leadpages.media.focus import find_focus


def _with_detail(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    """A smooth sky-like gradient with a busy, sharp-edged pattern inside `box`."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    rng = random.Random(7)
    left, top, right, bottom = box
    for _ in range(400):
        x, y = rng.randrange(left, right - 8), rng.randrange(top, bottom - 8)
        shade = rng.choice([(0, 0, 0), (255, 255, 255), (200, 30, 30)])
        draw.rectangle((x, y, x + rng.randrange(2, 8), y + rng.randrange(2, 8)), fill=shade)
    return image


@pytest.mark.parametrize(("box", "expect_x", "expect_y"), [
    ((880, 40, 1180, 260), "right", "top"),
    ((20, 500, 300, 780), "left", "bottom"),
])
def test_the_focus_lies_in_the_corner_with_the_detail(box: tuple[int, int, int, int],
                                                      expect_x: str, expect_y: str) -> None:
    x, y = find_focus(_with_detail((1200, 800), box))

    assert (x > 0.66) if expect_x == "right" else (x < 0.34)
    assert (y < 0.4) if expect_y == "top" else (y > 0.6)
    # Near the middle of the detailed region, not merely on its side of the picture.
    assert abs(x - (box[0] + box[2]) / 2 / 1200) < 0.12
    assert abs(y - (box[1] + box[3]) / 2 / 800) < 0.12


def test_a_flat_picture_has_its_focus_in_the_middle() -> None:
    assert find_focus(Image.new("RGB", (800, 600), (120, 160, 200))) == (0.5, 0.5)


def test_the_focus_is_the_same_every_time_and_within_the_margins() -> None:
    image = _with_detail((1000, 700), (0, 0, 120, 120))

    first = find_focus(image)

    assert find_focus(image.copy()) == first
    assert all(0.05 <= value <= 0.95 for value in first)
