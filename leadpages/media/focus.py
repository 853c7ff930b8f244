"""Where a photo's centre of interest is: a small, deterministic saliency estimate.

Ad crops (square, vertical, landscape) are cut around this point, so it should sit on the
building rather than on an empty sky. The estimate: on a small greyscale copy, the edge energy
(Pillow's FIND_EDGES), softened so that a region wins over a single sharp pixel; the weighted
centroid of the strongest part of that energy is the focus. Same pixels, same answer.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFilter

#: The copy the energy is measured on: its longer side, in pixels.
SAMPLE_SIDE = 96
#: Only the strongest share of the energy counts, so that texture everywhere (grass, gravel)
#: does not pull the point back to the middle.
TOP_SHARE = 0.1
#: The focus is kept this far from the edges, so that a crop around it still shows context.
MARGIN = 0.05


def find_focus(image: Image.Image) -> tuple[float, float]:
    """The centre of interest of `image` as fractions (x, y) of its width and height."""
    grey = image.convert("L")
    grey.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.BILINEAR)
    width, height = grey.size
    if width < 3 or height < 3:
        return 0.5, 0.5
    edges = grey.filter(ImageFilter.FIND_EDGES)
    # The filter leaves the outermost pixels as they were: the frame is no interest.
    ImageDraw.Draw(edges).rectangle((0, 0, width - 1, height - 1), outline=0, width=1)
    weights = edges.filter(ImageFilter.BoxBlur(2)).tobytes()  # mode L: a byte per pixel
    ranked = sorted(weights, reverse=True)
    cutoff = ranked[max(0, int(len(ranked) * TOP_SHARE) - 1)]
    if cutoff <= 0:
        return 0.5, 0.5  # a flat picture: no place is more interesting than another
    total = sum_x = sum_y = 0.0
    for index, weight in enumerate(weights):
        if weight < cutoff:
            continue
        w = float(weight) ** 2
        total += w
        sum_x += w * (index % width + 0.5)
        sum_y += w * (index // width + 0.5)
    return _clamp(sum_x / total / width), _clamp(sum_y / total / height)


def _clamp(value: float) -> float:
    return round(min(max(value, MARGIN), 1 - MARGIN), 3)
