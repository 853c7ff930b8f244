"""Procedural demo photos and logos, drawn locally with Pillow only and deterministic per seed.

Each photo is a small 3D scene (boxes, textured planes, tree sprites) projected through a pinhole
camera, then finished like a photograph: soft shadows, haze, grain and vignetting. The same seed
and kind always give the same project; the view picks the shot.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = ["KINDS", "VIEWS", "render_logo", "render_photo"]

KINDS: tuple[str, ...] = ("residential", "luxury", "industrial")
VIEWS: tuple[int, ...] = (0, 1, 2)

#: Scenes are drawn at up to this multiple of the output size and shrunk: cheap antialiasing.
SUPERSAMPLE = 2
#: Pixel budget of the working canvas; big outputs get less supersampling, not more memory.
WORK_PIXELS = 7_200_000
NEAR = 0.15

Vec = tuple[float, float, float]
RGB = tuple[int, int, int]
Point = tuple[float, float]


def _rng(seed: int) -> random.Random:
    """A seeded generator: pictures must repeat exactly, so this is not for secrets."""
    return random.Random(seed)  # noqa: S311 - reproducible picture noise, not security


def _seed(*parts: object) -> int:
    # crc32 rather than hash(): str hashes are salted per process, seeds must not be.
    return zlib.crc32(":".join(str(p) for p in parts).encode())


# --------------------------------------------------------------------------- small maths


def _add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _mul(a: Vec, k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a: Vec) -> Vec:
    length = math.sqrt(_dot(a, a)) or 1.0
    return (a[0] / length, a[1] / length, a[2] / length)


def _lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> RGB:
    t = min(1.0, max(0.0, t))
    return (
        round(_lerp(a[0], b[0], t)),
        round(_lerp(a[1], b[1], t)),
        round(_lerp(a[2], b[2], t)),
    )


def _scale(colour: Sequence[float], k: float) -> RGB:
    return (
        max(0, min(255, round(colour[0] * k))),
        max(0, min(255, round(colour[1] * k))),
        max(0, min(255, round(colour[2] * k))),
    )


def _jitter(rng: random.Random, colour: Sequence[float], amount: float) -> RGB:
    k = 1 + rng.uniform(-amount, amount)
    return _scale(colour, k)


def _inv3(m: list[list[float]]) -> list[list[float]]:
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    if abs(det) < 1e-12:
        raise ZeroDivisionError("singular plane mapping")
    return [
        [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
        [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
        [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
    ]


def _matmul(a: list[list[float]], b: list[list[float]]) -> list[list[float]]:
    return [[sum(a[r][k] * b[k][c] for k in range(3)) for c in range(3)] for r in range(3)]


# --------------------------------------------------------------------------- noise


def _rect(
    draw: ImageDraw.ImageDraw,
    box: Sequence[float],
    fill: tuple[int, ...] | int | None = None,
    outline: tuple[int, ...] | None = None,
    width: int = 1,
) -> None:
    """Draw a rectangle; skip one that collapsed (textures of far faces have few pixels)."""
    x0, y0, x1, y1 = box
    if x1 < x0 or y1 < y0:
        return
    draw.rectangle((x0, y0, x1, y1), fill=fill, outline=outline, width=width)


def _noise(rng: random.Random, cells: tuple[int, int], size: tuple[int, int]) -> Image.Image:
    """Smooth value noise: random cells blown up with bicubic filtering."""
    small = Image.frombytes("L", cells, rng.randbytes(cells[0] * cells[1]))
    return small.resize(size, Image.Resampling.BICUBIC)


def _fractal(
    rng: random.Random, size: tuple[int, int], base: int, octaves: int, aspect: float = 1.0
) -> Image.Image:
    """Several octaves of value noise, each finer and fainter: clouds, grass, stains."""
    cells = (max(2, base), max(2, round(base * aspect)))
    result = Image.frombytes("L", cells, rng.randbytes(cells[0] * cells[1]))
    weight = 0.42
    for _ in range(octaves - 1):
        cells = (cells[0] * 2, cells[1] * 2)
        if cells[0] > size[0] or cells[1] > size[1]:
            break
        # Grow the sum so far smoothly, then add a finer, fainter octave on top.
        result = result.resize(cells, Image.Resampling.BICUBIC)
        layer = Image.frombytes("L", cells, rng.randbytes(cells[0] * cells[1]))
        result = Image.blend(result, layer, weight)
        weight *= 0.8
    return result.resize(size, Image.Resampling.BICUBIC)


def _grain(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    return Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))


def _curve(image: Image.Image, low: int, high: int) -> Image.Image:
    """Stretch the grey range low..high to 0..255 with a smooth step (soft thresholds)."""
    span = max(1, high - low)

    def step(value: int) -> int:
        t = min(1.0, max(0.0, (value - low) / span))
        return round(255 * t * t * (3 - 2 * t))

    return image.point([step(v) for v in range(256)])


def _tinted(mask: Image.Image, dark: RGB, light: RGB) -> Image.Image:
    """Colour a grey image between two colours."""
    lut: list[int] = []
    for channel in range(3):
        lut.extend(round(_lerp(dark[channel], light[channel], v / 255)) for v in range(256))
    return mask.convert("RGB").point(lut)


# --------------------------------------------------------------------------- camera


@dataclass
class _Camera:
    """A pinhole camera with yaw, pitch and a vertical lens shift (keeps verticals straight)."""

    pos: Vec
    yaw: float
    pitch: float
    fov: float
    size: tuple[int, int]
    shift: float = 0.0
    f: float = field(init=False)
    cx: float = field(init=False)
    cy: float = field(init=False)

    def __post_init__(self) -> None:
        width, height = self.size
        self.f = (width / 2) / math.tan(math.radians(self.fov) / 2)
        self.cx = width / 2
        self.cy = height / 2 + self.shift * height
        self._cy = math.cos(math.radians(self.yaw))
        self._sy = math.sin(math.radians(self.yaw))
        self._cp = math.cos(math.radians(self.pitch))
        self._sp = math.sin(math.radians(self.pitch))

    def rotate(self, d: Vec) -> Vec:
        """World direction to camera space (x right, y up, z forward)."""
        x = d[0] * self._cy - d[2] * self._sy
        z = d[0] * self._sy + d[2] * self._cy
        y = d[1] * self._cp - z * self._sp
        z = d[1] * self._sp + z * self._cp
        return (x, y, z)

    def unrotate(self, c: Vec) -> Vec:
        """_Camera-space direction back to world space."""
        y = c[1] * self._cp + c[2] * self._sp
        z = -c[1] * self._sp + c[2] * self._cp
        x = c[0] * self._cy + z * self._sy
        z = -c[0] * self._sy + z * self._cy
        return (x, y, z)

    def to_cam(self, p: Vec) -> Vec:
        return self.rotate(_sub(p, self.pos))

    def screen(self, c: Vec) -> Point:
        return (self.cx + self.f * c[0] / c[2], self.cy - self.f * c[1] / c[2])

    def project(self, p: Vec) -> Point:
        return self.screen(self.to_cam(p))

    def depth(self, p: Vec) -> float:
        return self.to_cam(p)[2]

    def scale_at(self, p: Vec) -> float:
        """Pixels per metre at a world point."""
        return self.f / max(NEAR, self.depth(p))


def _handheld(cam: _Camera, rng: random.Random, step: float = 1.5, turn: float = 2.5) -> _Camera:
    """Nudge a planned camera a little, so every seed's photographer stood somewhere else."""
    x, y, z = cam.pos
    pos = (x + rng.uniform(-step, step), y, z + rng.uniform(-step, step))
    return replace(cam, pos=pos, yaw=cam.yaw + rng.uniform(-turn, turn))


def _clip_near(points: Sequence[Vec]) -> list[Vec]:
    """Sutherland-Hodgman against the near plane, in camera space."""
    result: list[Vec] = []
    count = len(points)
    for index in range(count):
        a = points[index]
        b = points[(index + 1) % count]
        a_in = a[2] >= NEAR
        b_in = b[2] >= NEAR
        if a_in:
            result.append(a)
        if a_in != b_in:
            t = (NEAR - a[2]) / (b[2] - a[2])
            result.append(_add(a, _mul(_sub(b, a), t)))
    return result


# --------------------------------------------------------------------------- the scene


@dataclass
class _Scene:
    """A canvas, its camera and sun, and the drawing primitives of every picture."""

    cam: _Camera
    sun: Vec
    rng: random.Random
    canvas: Image.Image
    light: RGB = (255, 246, 232)
    shade: RGB = (150, 165, 195)
    ambient: float = 0.58
    draw: ImageDraw.ImageDraw = field(init=False)
    shadow: Image.Image = field(init=False)
    items: list[tuple[float, Callable[[], None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.draw = ImageDraw.Draw(self.canvas, "RGBA")
        self.shadow = Image.new("L", self.canvas.size, 0)
        self.sun = _norm(self.sun)

    @property
    def size(self) -> tuple[int, int]:
        return self.canvas.size

    # ---- lighting

    def light_factor(self, normal: Vec) -> tuple[float, RGB]:
        """Brightness and tint of a matte face with this normal, under the sun and the sky."""
        diffuse = max(0.0, _dot(_norm(normal), self.sun))
        sky = 0.5 + 0.5 * max(0.0, normal[1])
        k = self.ambient * (0.82 + 0.18 * sky) + (1 - self.ambient) * diffuse * 1.25
        return k, _mix(self.shade, self.light, diffuse * 1.4)

    def lit(self, colour: Sequence[float], normal: Vec) -> RGB:
        """Colour of a matte face with this normal."""
        k, tint = self.light_factor(normal)
        return (
            max(0, min(255, round(colour[0] * k * tint[0] / 235))),
            max(0, min(255, round(colour[1] * k * tint[1] / 235))),
            max(0, min(255, round(colour[2] * k * tint[2] / 235))),
        )

    # ---- primitives

    def screen_poly(self, points: Sequence[Vec]) -> list[Point]:
        clipped = _clip_near([self.cam.to_cam(p) for p in points])
        return [self.cam.screen(c) for c in clipped]

    def poly(self, points: Sequence[Vec], fill: tuple[int, ...]) -> None:
        flat = self.screen_poly(points)
        if len(flat) >= 3:
            self.draw.polygon(flat, fill=fill)

    def line3(self, a: Vec, b: Vec, fill: tuple[int, ...], width_m: float) -> None:
        ca, cb = self.cam.to_cam(a), self.cam.to_cam(b)
        if ca[2] < NEAR or cb[2] < NEAR:
            return
        width = max(1, round(width_m * self.cam.f / ((ca[2] + cb[2]) / 2)))
        self.draw.line([self.cam.screen(ca), self.cam.screen(cb)], fill=fill, width=width)

    def plane(
        self,
        origin: Vec,
        u: Vec,
        v: Vec,
        texture: Image.Image,
        target: Image.Image | None = None,
        underlay: bool = False,
    ) -> None:
        """Map a texture onto the rectangle origin + s*u + t*v (s, t in 0..1), in perspective."""
        canvas = target or self.canvas
        corners = [origin, _add(origin, u), _add(_add(origin, u), v), _add(origin, v)]
        flat = self.screen_poly(corners)
        if len(flat) < 3:
            return
        width, height = canvas.size
        left = max(0, math.floor(min(p[0] for p in flat)))
        top = max(0, math.floor(min(p[1] for p in flat)))
        right = min(width, math.ceil(max(p[0] for p in flat)))
        bottom = min(height, math.ceil(max(p[1] for p in flat)))
        if right - left < 1 or bottom - top < 1:
            return
        cam = self.cam
        uc, vc, oc = cam.rotate(u), cam.rotate(v), cam.to_cam(origin)
        k = [[cam.f, 0.0, cam.cx], [0.0, -cam.f, cam.cy], [0.0, 0.0, 1.0]]
        m = _matmul(k, [[uc[0], vc[0], oc[0]], [uc[1], vc[1], oc[1]], [uc[2], vc[2], oc[2]]])
        try:
            inverse = _inv3(m)
        except ZeroDivisionError:
            return
        tw, th = texture.size
        source = texture if texture.mode == "RGBA" else texture.convert("RGBA")
        a = _matmul(
            _matmul([[tw, 0.0, 0.0], [0.0, th, 0.0], [0.0, 0.0, 1.0]], inverse),
            [[1.0, 0.0, left], [0.0, 1.0, top], [0.0, 0.0, 1.0]],
        )
        if abs(a[2][2]) < 1e-12:
            return
        coeffs = tuple(a[r][c] / a[2][2] for r in range(3) for c in range(3))[:8]
        box = (right - left, bottom - top)
        warped = source.transform(
            box, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR
        )
        if underlay:
            # A flat base of the texture's mean colour closes hairline seams between faces.
            mean = source.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
            ImageDraw.Draw(canvas).polygon(flat, fill=mean, outline=mean, width=2)
        mask = Image.new("L", box, 0)
        ImageDraw.Draw(mask).polygon([(x - left, y - top) for x, y in flat], fill=255)
        mask = ImageChops.multiply(mask, warped.getchannel("A"))
        canvas.paste(warped.convert("RGB"), (left, top), mask)

    def add(self, anchor: Vec, paint: Callable[[], None], bias: float = 0.0) -> None:
        """Queue an object for painting far to near (painter's algorithm)."""
        self.items.append((self.cam.depth(anchor) + bias, paint))

    def paint_items(self, beyond: float | None = None) -> None:
        """Paint queued objects far to near; with `beyond`, only those farther than that depth."""
        ordered = sorted(self.items, key=lambda item: -item[0])
        keep = [item for item in ordered if beyond is not None and item[0] < beyond]
        for depth, paint in ordered:
            if beyond is None or depth >= beyond:
                paint()
        self.items = keep

    # ---- shadows on the ground

    def ground_shadow(self, points: Sequence[Vec], strength: int = 255) -> None:
        flat = self.screen_poly(points)
        if len(flat) >= 3:
            ImageDraw.Draw(self.shadow).polygon(flat, fill=strength)

    def cast(self, p: Vec, ground: float = 0.0) -> Vec:
        """Where the sun throws point p onto the plane y = ground."""
        t = (p[1] - ground) / max(0.05, self.sun[1])
        return (p[0] - self.sun[0] * t, ground, p[2] - self.sun[2] * t)

    def box_shadow(self, x0: float, x1: float, z0: float, z1: float, top: float) -> None:
        base = [(x0, 0.0, z0), (x1, 0.0, z0), (x1, 0.0, z1), (x0, 0.0, z1)]
        raised = [self.cast((x, top, z)) for x, _, z in base]
        self.ground_shadow(_hull_xz(base + raised))

    def apply_shadow(self, blur: float, darkness: float, tint: RGB = (60, 70, 100)) -> None:
        """Darken the canvas under the shadow mask, softened like a real penumbra."""
        if self.shadow.getbbox() is None:
            return
        small = self.shadow.reduce(4).filter(ImageFilter.GaussianBlur(blur / 4))
        mask = small.resize(self.size, Image.Resampling.BILINEAR)
        mask = mask.point([round(v * darkness) for v in range(256)])
        dark = ImageChops.multiply(self.canvas, Image.new("RGB", self.size, tint))
        dark = Image.blend(dark, self.canvas, 0.35)
        self.canvas.paste(dark, (0, 0), mask)
        self.shadow = Image.new("L", self.size, 0)


def _hull_xz(points: Sequence[Vec]) -> list[Vec]:
    """Convex hull of points on the ground (x, z), as a polygon."""
    pts = sorted({(round(p[0], 4), round(p[2], 4)) for p in points})
    if len(pts) < 3:
        return [(x, 0.0, z) for x, z in pts]

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return [(x, 0.0, z) for x, z in lower[:-1] + upper[:-1]]


# --------------------------------------------------------------------------- light and paint


def _lit_texture(texture: Image.Image, k: float, tint: Sequence[float]) -> Image.Image:
    """Scale a texture's colour by a light factor and tint (per channel lookup table)."""
    lut: list[int] = []
    for channel in range(3):
        gain = k * tint[channel] / 235
        lut.extend(min(255, round(v * gain)) for v in range(256))
    if texture.mode == "RGBA":
        rgb = texture.convert("RGB").point(lut)
        rgb.putalpha(texture.getchannel("A"))
        return rgb
    return texture.point(lut)


def _vgradient(size: tuple[int, int], top: Sequence[float], bottom: Sequence[float]) -> Image.Image:
    column = Image.new("RGB", (1, 64))
    for y in range(64):
        column.putpixel((0, y), _mix(top, bottom, y / 63))
    return column.resize(size, Image.Resampling.BILINEAR)


def _sky(
    scene: _Scene,
    zenith: RGB,
    horizon: RGB,
    glow: RGB,
    glow_power: float,
    clouds: float,
    cloud_light: RGB,
    cloud_dark: RGB,
) -> None:
    """Paint the sky from the camera's own rays, so the horizon and sun glow fit every view."""
    cam = scene.cam
    width, height = scene.size
    grid = (48, 32)
    kx, ky = width / grid[0], height / grid[1]
    sky = Image.new("RGB", grid)
    sun = scene.sun
    data: list[RGB] = []
    for sy in range(grid[1]):
        for sx in range(grid[0]):
            ray = _norm(
                cam.unrotate(((sx * kx - cam.cx) / cam.f, -(sy * ky - cam.cy) / cam.f, 1.0))
            )
            elevation = max(0.0, ray[1])
            t = 1 - (1 - elevation) ** 3.5
            colour = _mix(horizon, zenith, t)
            near_sun = max(0.0, _dot(ray, sun))
            data.append(_mix(colour, glow, glow_power * near_sun**5 * (1 - 0.7 * t)))
    sky.putdata(data)
    # Clouds are soft: compose them at a sixth of the size and enlarge once.
    small_size = (width // 6, height // 6)
    small = sky.resize(small_size, Image.Resampling.BICUBIC)
    if clouds > 0:
        _clouds(scene, small, clouds, cloud_light, cloud_dark)
    scene.canvas.paste(small.resize(scene.size, Image.Resampling.BICUBIC))


def _clouds(scene: _Scene, target: Image.Image, amount: float, light: RGB, dark: RGB) -> None:
    """Cloud noise laid on a plane high above the camera, so it shrinks toward the horizon."""
    cam = scene.cam
    small_size = target.size
    small_cam = _Camera(cam.pos, cam.yaw, cam.pitch, cam.fov, small_size, cam.shift)
    helper = _Scene(small_cam, scene.sun, scene.rng, Image.new("RGB", small_size))
    tex_size = (512, 512)
    density = _fractal(scene.rng, tex_size, 6, 7)
    low = round(_lerp(165, 105, amount))
    coverage = _curve(density, low, low + 55)
    # Far clouds thin out into the haze over the horizon.
    fade = (
        Image.radial_gradient("L")
        .resize(tex_size)
        .point([round(255 * max(0.0, 1 - (v / 175) ** 2)) for v in range(256)])
    )
    coverage = ImageChops.multiply(coverage, fade)
    span = 18000.0
    origin = (cam.pos[0] - span / 2, cam.pos[1] + 1500.0, cam.pos[2] + span / 2)
    layer = Image.new("RGBA", small_size, (0, 0, 0, 0))
    helper.plane(origin, (span, 0.0, 0.0), (0.0, 0.0, -span), coverage.convert("RGBA"), layer)
    alpha = layer.getchannel("R")
    # Cumulus are lit from above: the more cloud sits above a point, the greyer it is.
    above = ImageChops.offset(alpha, 0, max(1, small_size[1] // 40)).filter(
        ImageFilter.GaussianBlur(small_size[1] / 90)
    )
    shade = ImageChops.multiply(alpha, above)
    colour = _tinted(shade, light, dark)
    alpha = alpha.filter(ImageFilter.GaussianBlur(0.7)).point([round(v * 0.92) for v in range(256)])
    target.paste(colour, (0, 0), alpha)


def _texture_ppm(scene: _Scene, corners: Sequence[Vec], cap: float = 90.0) -> float:
    """Texture resolution that matches the face's nearest point on screen, within a budget."""
    nearest = max(scene.cam.scale_at(c) for c in corners)
    width = math.dist(corners[0], corners[1])
    height = math.dist(corners[0], corners[3])
    budget = math.sqrt(2_500_000 / max(0.01, width * height))
    return max(4.0, min(cap, nearest * 0.85, budget))


# --------------------------------------------------------------------------- textures


def _grass(
    rng: random.Random, size: tuple[int, int], base: RGB, stripes: int, fine: float = 0.3
) -> Image.Image:
    """A lawn: patchy greens and straw, mowing stripes and a fine texture of blades."""
    width, height = size
    mottle = _fractal(rng, size, 5, 6)
    image = _tinted(mottle, _scale(base, 0.72), _mix(_scale(base, 1.2), (170, 160, 96), 0.25))
    blades = _grain(rng, (width // 2, height // 2)).resize(size, Image.Resampling.BILINEAR)
    image = Image.blend(image, _tinted(blades, _scale(base, 0.55), _scale(base, 1.35)), fine)
    if stripes:
        band = Image.new("L", (stripes, 1))
        band.putdata([36 if index % 2 else 0 for index in range(stripes)])
        band = band.resize(size, Image.Resampling.BILINEAR)
        lighter = _lit_texture(image, 1.12, (235, 240, 222))
        image.paste(lighter, (0, 0), band)
    return image


def _paving(
    rng: random.Random, size: tuple[int, int], base: RGB, tile: int, joint: RGB | None = None
) -> Image.Image:
    """Concrete or stone paving with joints every `tile` pixels and mottled stains."""
    width, height = size
    image = _tinted(_fractal(rng, size, 8, 4), _scale(base, 0.86), _scale(base, 1.1))
    fine = _grain(rng, size)
    image = Image.blend(image, _tinted(fine, _scale(base, 0.8), _scale(base, 1.15)), 0.18)
    if tile > 3:
        draw = ImageDraw.Draw(image)
        colour = joint or _scale(base, 0.72)
        for x in range(0, width, tile):
            draw.line([(x, 0), (x, height)], fill=colour, width=1)
        for y in range(0, height, tile):
            draw.line([(0, y), (width, y)], fill=colour, width=1)
    return image


def _asphalt(rng: random.Random, size: tuple[int, int], base: RGB) -> Image.Image:
    image = _tinted(_fractal(rng, size, 10, 4), _scale(base, 0.85), _scale(base, 1.12))
    fine = _grain(rng, size)
    return Image.blend(image, _tinted(fine, _scale(base, 0.7), _scale(base, 1.3)), 0.3)


def _bricks(
    rng: random.Random, size: tuple[int, int], ppm: float, base: RGB, mortar: RGB
) -> Image.Image:
    """Stretcher-bond brickwork: per-brick colour variation and mortar courses."""
    width, height = size
    across = max(2, round(width / (0.215 * ppm)))
    courses = max(2, round(height / (0.0675 * ppm)))
    cells = Image.frombytes("L", (across, courses), rng.randbytes(across * courses))
    doubled = cells.resize((across * 2, courses), Image.Resampling.NEAREST)
    staggered = Image.new("L", doubled.size)
    for row in range(courses):
        strip = doubled.crop((0, row, across * 2, row + 1))
        staggered.paste(strip, ((row % 2), row))
    variation = staggered.resize(size, Image.Resampling.NEAREST)
    variation = variation.point([round(110 + v * 0.35) for v in range(256)])
    image = _tinted(variation, _scale(base, 0.7), _scale(base, 1.25))
    stains = _fractal(rng, size, 6, 3)
    image = Image.blend(image, _tinted(stains, _scale(base, 0.8), _scale(base, 1.1)), 0.25)
    course_px = height / courses
    if course_px >= 2.2:
        draw = ImageDraw.Draw(image)
        y = course_px
        while y < height:
            draw.line([(0, round(y)), (width, round(y))], fill=mortar, width=1)
            y += course_px
    elif course_px >= 1.0:
        image = Image.blend(image, Image.new("RGB", size, mortar), 0.18)
    return image


def _render_plaster(rng: random.Random, size: tuple[int, int], base: RGB) -> Image.Image:
    image = _tinted(_fractal(rng, size, 5, 4), _scale(base, 0.93), _scale(base, 1.03))
    return Image.blend(image, _tinted(_grain(rng, size), _scale(base, 0.95), base), 0.2)


def _cladding(
    rng: random.Random, size: tuple[int, int], ppm: float, base: RGB, pitch_m: float = 0.25
) -> Image.Image:
    """Profiled steel sheets: vertical ribs catching the light."""
    width = size[0]
    period = max(2.0, pitch_m * ppm)
    row = Image.new("L", (width, 1))
    profile = []
    for x in range(width):
        phase = (x % period) / period
        profile.append(255 if phase < 0.18 else (140 if phase < 0.3 else 184))
    row.putdata(profile)
    ribs = row.resize(size, Image.Resampling.NEAREST)
    image = _tinted(ribs, _scale(base, 0.7), _scale(base, 1.12))
    streaks = _fractal(rng, size, 8, 3, aspect=0.3)
    return Image.blend(image, _tinted(streaks, _scale(base, 0.85), _scale(base, 1.1)), 0.2)


def _glass(size: tuple[int, int], top: RGB, bottom: RGB, streak: float = 0.25) -> Image.Image:
    """Window glass: the sky reflected at the top, darker below, one diagonal sheen."""
    width, height = size
    image = _vgradient(size, top, bottom)
    if streak > 0 and width > 6 and height > 6:
        sheen = Image.new("L", size, 0)
        draw = ImageDraw.Draw(sheen)
        x = width * 0.55
        draw.polygon(
            [(x, 0), (x + width * 0.3, 0), (x - width * 0.2, height), (x - width * 0.5, height)],
            fill=round(255 * streak),
        )
        image.paste(Image.new("RGB", size, (235, 240, 245)), (0, 0), sheen)
    return image


# --------------------------------------------------------------------------- objects

FACES = ("front", "back", "left", "right", "top", "bottom")
Paint = RGB | Callable[[float, float, float], Image.Image]


def _face_geometry(
    face: str, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float
) -> tuple[Vec, Vec, Vec, Vec]:
    """Origin, u, v (texture top-left, along, down) and outward normal of one box face."""
    if face == "front":
        return (x0, y1, z0), (x1 - x0, 0.0, 0.0), (0.0, y0 - y1, 0.0), (0.0, 0.0, -1.0)
    if face == "back":
        return (x1, y1, z1), (x0 - x1, 0.0, 0.0), (0.0, y0 - y1, 0.0), (0.0, 0.0, 1.0)
    if face == "left":
        return (x0, y1, z1), (0.0, 0.0, z0 - z1), (0.0, y0 - y1, 0.0), (-1.0, 0.0, 0.0)
    if face == "right":
        return (x1, y1, z0), (0.0, 0.0, z1 - z0), (0.0, y0 - y1, 0.0), (1.0, 0.0, 0.0)
    if face == "top":
        return (x0, y1, z1), (x1 - x0, 0.0, 0.0), (0.0, 0.0, z0 - z1), (0.0, 1.0, 0.0)
    return (x0, y0, z0), (x1 - x0, 0.0, 0.0), (0.0, 0.0, z1 - z0), (0.0, -1.0, 0.0)


def _face_visible(scene: _Scene, face: str, bounds: tuple[float, ...]) -> bool:
    x0, x1, y0, y1, z0, z1 = bounds
    px, py, pz = scene.cam.pos
    return {
        "front": pz < z0,
        "back": pz > z1,
        "left": px < x0,
        "right": px > x1,
        "top": py > y1,
        "bottom": py < y0,
    }[face]


Bounds = tuple[float, float, float, float, float, float]


def _boxes(scene: _Scene, parts: Sequence[tuple[Bounds, RGB]]) -> None:
    """Paint several plain boxes in the given order (one object made of parts)."""
    for bounds, colour in parts:
        _box(scene, bounds, {}, colour)


def _box(
    scene: _Scene,
    bounds: tuple[float, float, float, float, float, float],
    paints: dict[str, Paint],
    default: RGB,
    alpha: int = 255,
    hidden: Sequence[str] = ("bottom",),
    unlit: Sequence[str] = (),
) -> None:
    """Paint the faces of an axis-aligned box that the camera sees (at most three)."""
    x0, x1, y0, y1, z0, z1 = bounds
    for face in FACES:
        if face in hidden or not _face_visible(scene, face, bounds):
            continue
        origin, u, v, normal = _face_geometry(face, x0, x1, y0, y1, z0, z1)
        paint = paints.get(face, default)
        corners = [origin, _add(origin, u), _add(_add(origin, u), v), _add(origin, v)]
        if callable(paint):
            width_m = math.sqrt(_dot(u, u))
            height_m = math.sqrt(_dot(v, v))
            ppm = _texture_ppm(scene, corners)
            texture = paint(width_m, height_m, ppm)
            if face not in unlit:
                k, tint = scene.light_factor(normal)
                texture = _lit_texture(texture, k, tint)
            scene.plane(origin, u, v, texture, underlay=True)
        elif face in unlit:
            scene.poly(corners, (*paint, alpha))
        else:
            scene.poly(corners, (*scene.lit(paint, normal), alpha))


def _tree(
    scene: _Scene,
    base: Vec,
    height: float,
    spread: float,
    leaf: RGB,
    seed: int,
    shape: str = "round",
) -> None:
    """A deciduous tree (or a columnar one): trunk, branches and a crown of leafy lobes."""
    rng = _rng(seed)
    crown_mid = height * (0.6 if shape == "round" else 0.56)
    crown_ry = height * (0.38 if shape == "round" else 0.44)
    crown_rx = spread
    ring = [
        scene.cast(
            (
                base[0] + crown_rx * 0.9 * math.cos(a * math.pi / 8),
                crown_mid + crown_ry * 0.9 * math.sin(a * math.pi / 8) * 0.5,
                base[2] + crown_rx * 0.9 * math.sin(a * math.pi / 8),
            )
        )
        for a in range(16)
    ]
    scene.ground_shadow(_hull_xz(ring), 170)
    scene.ground_shadow(
        [
            (base[0] - 0.12, 0, base[2]),
            (base[0] + 0.12, 0, base[2]),
            scene.cast((base[0], crown_mid - crown_ry * 0.5, base[2])),
        ],
        190,
    )

    def paint() -> None:
        cam = scene.cam
        if cam.depth(base) < 1.0:
            return
        s = cam.scale_at(base)
        bx, by = cam.project(base)
        h_px = height * s
        if h_px < 4:
            return
        rx, ry = crown_rx * s, crown_ry * s
        full_w = int(rx * 2.6) + 8
        full_h = int(h_px + ry * 0.25) + 8
        left, top = round(bx - full_w / 2), round(by - full_h + 4)
        # Only the part of the sprite that lands on the canvas is drawn at all.
        canvas_w, canvas_h = scene.size
        x0, y0 = max(0, left), max(0, top)
        x1, y1 = min(canvas_w, left + full_w), min(canvas_h, top + full_h)
        if x1 - x0 < 1 or y1 - y0 < 1:
            return
        width, tall = x1 - x0, y1 - y0
        sprite = Image.new("RGBA", (width, tall), (0, 0, 0, 0))
        draw = ImageDraw.Draw(sprite)
        mid_x = full_w / 2 - (x0 - left)
        ground_y = full_h - 4 - (y0 - top)
        cy = ground_y - crown_mid * s
        bark = (70, 62, 55)
        trunk_w = max(1.0, 0.14 * s)
        draw.polygon(
            [
                (mid_x - trunk_w, ground_y),
                (mid_x + trunk_w, ground_y),
                (mid_x + trunk_w * 0.45, cy),
                (mid_x - trunk_w * 0.45, cy),
            ],
            fill=bark,
        )
        sun = cam.rotate(scene.sun)
        norm = math.hypot(sun[0], sun[1]) or 1.0
        lx, ly = sun[0] / norm, sun[1] / norm
        # Lit from behind the camera the crown glows; against the sun it turns dark.
        front = 0.5 - 0.5 * sun[2]
        dark = _mix(_scale(leaf, 0.46), (30, 44, 60), 0.2)
        mid = _scale(leaf, 0.8 + 0.25 * front)
        bright = _mix(_scale(leaf, 1.25 + 0.3 * front), scene.light, 0.2 + 0.15 * front)
        lobes: list[tuple[float, float, float]] = [(0.0, 0.0, 0.55)]
        for _ in range(rng.randint(6, 9)):
            a = rng.uniform(0, 2 * math.pi)
            r = rng.uniform(0.35, 0.62)
            lobes.append((math.cos(a) * r, math.sin(a) * r, rng.uniform(0.3, 0.46)))
        lobes.sort(key=lambda lobe: -lobe[1])
        branch_w = max(1, round(trunk_w * 0.45))
        for lx_, ly_, _ in lobes:
            start = (mid_x, cy + ry * 0.55)
            draw.line(
                [start, (mid_x + lx_ * rx * 0.8, cy + ly_ * ry * 0.8)], fill=bark, width=branch_w
            )
        scale = (rx + ry) / 2
        for ox, oy, radius in lobes:
            lobe_light = 0.5 + 0.3 * (ox * lx - oy * ly) - 0.22 * oy
            lobe_px = radius * scale
            # Leaf clusters have a real size (~0.5 m): near trees get many small ones.
            clump_px = max(1.5, min(lobe_px * 0.36, 0.42 * s))
            count = max(6, min(240, round(1.6 * (lobe_px / clump_px) ** 2)))
            clumps = []
            for _ in range(count):
                a = rng.uniform(0, 2 * math.pi)
                r = math.sqrt(rng.random())
                dx, dy = math.cos(a) * r, math.sin(a) * r
                size = rng.uniform(0.6, 1.1) * clump_px
                shade = lobe_light + 0.42 * (dx * lx - dy * ly) + rng.uniform(-0.1, 0.1)
                x = mid_x + (ox + dx * radius) * rx
                y = cy + (oy + dy * radius) * ry
                clumps.append((shade, x, y, size))
            clumps.sort()
            for shade, x, y, size in clumps:
                colour = (
                    _mix(dark, mid, shade * 1.6)
                    if shade < 0.62
                    else _mix(mid, bright, (shade - 0.62) * 2.2)
                )
                draw.ellipse((x - size, y - size * 0.86, x + size, y + size * 0.86), fill=colour)
        if width > 30 and tall > 30:
            cell = max(2, round(0.09 * s))
            leaves = _noise(rng, (max(2, width // cell), max(2, tall // cell)), (width, tall))
            shade_map = _tinted(leaves, (170, 170, 165), (255, 255, 250))
            rgb = ImageChops.multiply(sprite.convert("RGB"), shade_map)
            rgb.putalpha(sprite.getchannel("A"))
            sprite = rgb
        scene.canvas.paste(sprite, (x0, y0), sprite)

    scene.add(base, paint)


def _shrub_row(
    scene: _Scene, start: Vec, end: Vec, height: float, depth: float, leaf: RGB, seed: int
) -> None:
    """A clipped hedge: a box with a leafy texture and a soft top."""
    rng = _rng(seed)
    x0, x1 = sorted((start[0], end[0]))
    z0, z1 = sorted((start[2], end[2]))
    if x1 - x0 < depth:
        x0, x1 = x0 - depth / 2, x1 + depth / 2
    if z1 - z0 < depth:
        z0, z1 = z0 - depth / 2, z1 + depth / 2
    scene.box_shadow(x0, x1, z0, z1, height)

    def leafy(width_m: float, height_m: float, ppm: float) -> Image.Image:
        size = (max(2, min(3000, round(width_m * ppm))), max(2, min(2000, round(height_m * ppm))))
        leaves = _fractal(rng, size, max(2, round(width_m * 3)), 4, aspect=height_m / width_m)
        return _tinted(_curve(leaves, 30, 230), _scale(leaf, 0.6), _scale(leaf, 1.35))

    bounds = (x0, x1, 0.0, height, z0, z1)
    centre = ((x0 + x1) / 2, height / 2, (z0 + z1) / 2)
    scene.add(
        centre,
        lambda: _box(scene, bounds, dict.fromkeys(FACES, leafy), leaf),
    )


def _car(scene: _Scene, x: float, z: float, along_x: bool, colour: RGB) -> None:
    """A parked car: body, glasshouse and wheels, enough at photo distance."""
    length, width = 4.5, 1.82
    hx, hz = (length / 2, width / 2) if along_x else (width / 2, length / 2)
    scene.box_shadow(x - hx - 0.15, x + hx + 0.15, z - hz - 0.15, z + hz + 0.15, 0.9)
    glass = (34, 40, 48)

    def wheel(wx: float, wz: float) -> list[Vec]:
        points: list[Vec] = []
        for step in range(12):
            a = step * math.pi / 6
            dx, dy = 0.33 * math.cos(a), 0.33 + 0.33 * math.sin(a)
            points.append((wx + dx, dy, wz) if along_x else (wx, dy, wz + dx))
        return points

    def paint() -> None:
        px, _, pz = scene.cam.pos
        _box(scene, (x - hx, x + hx, 0.28, 0.95, z - hz, z + hz), {}, colour)
        if along_x:
            glass_box = (x - hx + 1.0, x + hx - 0.8, 0.95, 1.42, z - hz + 0.1, z + hz - 0.1)
            side = z - hz - 0.01 if pz < z else z + hz + 0.01
            spots = [(x - hx * 0.62, side), (x + hx * 0.62, side)]
        else:
            glass_box = (x - hx + 0.1, x + hx - 0.1, 0.95, 1.42, z - hz + 1.0, z + hz - 0.8)
            side = x - hx - 0.01 if px < x else x + hx + 0.01
            spots = [(side, z - hz * 0.62), (side, z + hz * 0.62)]
        _box(scene, glass_box, {"top": _scale(colour, 0.95)}, glass)
        for wx, wz in spots:
            scene.poly(wheel(wx, wz), (24, 24, 26, 255))

    scene.add((x, 0.7, z), paint)


# --------------------------------------------------------------------------- finishing


def _finish(
    canvas: Image.Image,
    size: tuple[int, int],
    rng: random.Random,
    warmth: float = 0.0,
    contrast: float = 1.08,
    vignette: float = 0.28,
    grain: float = 5.0,
) -> Image.Image:
    """Shrink, grade and age the render like a photograph: tone curve, vignette, grain."""
    if canvas.size == (size[0] * SUPERSAMPLE, size[1] * SUPERSAMPLE):
        image = canvas.reduce(SUPERSAMPLE)
    elif canvas.size == size:
        image = canvas
    else:
        image = canvas.resize(size, Image.Resampling.LANCZOS)
    lut: list[int] = []
    for channel in range(3):
        shift = (warmth, warmth * 0.35, -warmth)[channel]
        for value in range(256):
            t = value / 255
            curved = t + (contrast - 1) * (t - 0.5) * (1 - abs(2 * t - 1)) * 2
            lut.append(max(0, min(255, round(curved * 255 + shift * (1 - abs(2 * t - 1))))))
    image = image.point(lut)
    radial = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    falloff = radial.point(
        [round(255 * (1 - vignette * min(1.0, v / 200) ** 2.2)) for v in range(256)]
    )
    image = ImageChops.multiply(image, Image.merge("RGB", (falloff, falloff, falloff)))
    # A faint bloom around highlights softens the hard edges of a render like a real lens.
    small = image.reduce(4).filter(ImageFilter.GaussianBlur(3))
    bloom = small.point([max(0, round((v - 150) * 0.55)) for v in range(256)] * 3)
    image = ImageChops.screen(image, bloom.resize(size, Image.Resampling.BILINEAR))
    if grain > 0:
        noise = _grain(rng, size).point([round(128 + (v - 128) * grain / 128) for v in range(256)])
        image = ImageChops.add(image, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)
    return image


# --------------------------------------------------------------------------- facades


@dataclass
class _Opening:
    """A window or door on a facade, in metres from the facade's top-left corner."""

    x: float
    y: float
    w: float
    h: float
    door: bool = False


def _paint_openings(
    image: Image.Image,
    rng: random.Random,
    ppm: float,
    openings: Sequence[_Opening],
    frame: RGB,
    sky_top: RGB,
    sky_bottom: RGB,
    glow: RGB | None = None,
    glow_share: float = 0.0,
    reveal: float = 0.5,
) -> None:
    """Draw recessed windows: reveal shadow, frame, glass reflection, curtains or lamplight."""
    draw = ImageDraw.Draw(image, "RGBA")
    bar = max(1, round(0.06 * ppm))
    for opening in openings:
        x0 = round(opening.x * ppm)
        y0 = round(opening.y * ppm)
        x1 = round((opening.x + opening.w) * ppm)
        y1 = round((opening.y + opening.h) * ppm)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        _rect(draw, (x0, y0, x1, y1), fill=frame)
        gx0, gy0, gx1, gy1 = x0 + bar, y0 + bar, x1 - bar, y1 - bar
        if gx1 - gx0 < 2 or gy1 - gy0 < 2:
            continue
        lit = glow is not None and rng.random() < glow_share
        if lit and glow is not None:
            pane = _vgradient((gx1 - gx0, gy1 - gy0), _scale(glow, 1.05), _scale(glow, 0.7))
        else:
            k = rng.uniform(0.82, 1.12)
            pane = _glass((gx1 - gx0, gy1 - gy0), _scale(sky_top, k), _scale(sky_bottom, k))
        image.paste(pane, (gx0, gy0))
        if not lit and rng.random() < 0.45:
            # Curtains or blinds: real flats rarely show bare glass everywhere.
            share = rng.uniform(0.15, 0.45)
            side = rng.random() < 0.5
            cx0 = gx0 if side else round(gx1 - (gx1 - gx0) * share)
            cx1 = round(gx0 + (gx1 - gx0) * share) if side else gx1
            _rect(draw, (cx0, gy0, cx1, gy1), fill=(228, 222, 208, 120))
        elif not lit and rng.random() < 0.25:
            _rect(
                draw,
                (gx0, gy0, gx1, round(gy0 + (gy1 - gy0) * rng.uniform(0.2, 0.6))),
                fill=(215, 212, 205, 150),
            )
        if opening.w > 1.5:
            mid = (gx0 + gx1) // 2
            _rect(draw, (mid - bar // 2, gy0, mid + bar // 2, gy1), fill=frame)
        if opening.door and opening.h > 1.5:
            rail = round(gy0 + (gy1 - gy0) * 0.55)
            _rect(draw, (gx0, rail - bar // 2, gx1, rail + bar // 2), fill=frame)
        # Recessed frames: the lintel and one jamb throw a thin shadow onto the glass.
        depth = max(1, round(0.1 * ppm * reveal * 2))
        _rect(draw, (x0, y0, x1, y0 + depth), fill=(0, 0, 0, 70))
        _rect(draw, (x0, y0, x0 + depth, y1), fill=(0, 0, 0, 45))
        if not opening.door:
            _rect(draw, (x0 - bar, y1, x1 + bar, y1 + max(1, bar // 2)), fill=(200, 200, 198, 255))


def _protrusion_shadows(
    image: Image.Image,
    scene: _Scene,
    normal: Vec,
    along: Vec,
    ppm: float,
    slabs: Sequence[tuple[float, float, float, float]],
    darkness: int = 110,
) -> None:
    """Shadows that balcony slabs (x0, x1, y, depth in facade metres) throw onto a lit wall."""
    facing = _dot(scene.sun, normal)
    if facing < 0.05:
        return
    draw = ImageDraw.Draw(image, "RGBA")
    for x0, x1, y, depth in slabs:
        drop = depth * scene.sun[1] / facing
        slide = -depth * _dot(scene.sun, along) / facing
        points = [
            (x0 * ppm, y * ppm),
            (x1 * ppm, y * ppm),
            ((x1 + slide) * ppm, (y + drop) * ppm),
            ((x0 + slide) * ppm, (y + drop) * ppm),
        ]
        draw.polygon(points, fill=(10, 15, 30, darkness))


# --------------------------------------------------------------------------- residential


BRICKS: tuple[RGB, ...] = (
    (148, 74, 54),
    (122, 86, 66),
    (178, 158, 134),
    (96, 88, 84),
    (160, 96, 70),
)
FRAMES: tuple[RGB, ...] = ((46, 48, 52), (60, 62, 66), (230, 230, 226))


@dataclass
class _Block:
    """The apartment block of a residential project, decided once per seed."""

    length: float
    depth: float
    storeys: int
    brick: RGB
    frame: RGB
    bay: float
    balcony_bays: list[int]
    leaf: RGB
    plaster: RGB = (234, 232, 226)

    @property
    def main_height(self) -> float:
        return 3.3 + 3.0 * (self.storeys - 2) + 0.6

    @property
    def bays(self) -> int:
        return round(self.length / self.bay)


def _residential_block(rng: random.Random) -> _Block:
    length = rng.choice((36.0, 39.0, 42.0, 45.0))
    bay = length / round(length / 3.6)
    bays = round(length / bay)
    step = rng.choice((2, 3))
    first = rng.randrange(step)
    return _Block(
        length=length,
        depth=rng.uniform(12.5, 14.5),
        storeys=rng.choice((4, 5, 5)),
        brick=_jitter(rng, rng.choice(BRICKS), 0.06),
        frame=rng.choice(FRAMES),
        bay=bay,
        balcony_bays=[b for b in range(bays) if (b - first) % step == 0 and 0 < b < bays - 1],
        leaf=_jitter(rng, rng.choice(((82, 112, 52), (70, 104, 48), (96, 120, 58))), 0.08),
    )


def _block_facade(
    scene: _Scene, block: _Block, face: str, rng: random.Random, sky: tuple[RGB, RGB]
) -> Callable[[float, float, float], Image.Image]:
    """Brick facade with floors of windows; the front gets French windows behind balconies."""
    normal = {"front": (0.0, 0.0, -1.0), "left": (-1.0, 0.0, 0.0), "right": (1.0, 0.0, 0.0)}.get(
        face, (0.0, 0.0, 1.0)
    )
    along = {"front": (1.0, 0.0, 0.0), "left": (0.0, 0.0, -1.0), "right": (0.0, 0.0, 1.0)}.get(
        face, (-1.0, 0.0, 0.0)
    )
    seed = rng.getrandbits(32)

    def paint(width_m: float, height_m: float, ppm: float) -> Image.Image:
        local = _rng(seed)
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = _bricks(local, size, ppm, block.brick, _mix(block.brick, (210, 205, 195), 0.55))
        draw = ImageDraw.Draw(image)
        # Blue-stone plinth and a metal coping: the crisp lines that read as "new build".
        _rect(draw, (0, size[1] - round(0.45 * ppm), size[0], size[1]), fill=(70, 72, 76))
        _rect(draw, (0, 0, size[0], round(0.14 * ppm)), fill=(176, 178, 180))
        bays = (
            max(2, round(width_m / block.bay))
            if face in ("front", "back")
            else max(2, round(width_m / 3.4))
        )
        bay = width_m / bays
        openings: list[_Opening] = []
        slabs: list[tuple[float, float, float, float]] = []
        for storey in range(block.storeys - 1):
            floor = 3.3 + 3.0 * (storey - 1) if storey else 0.0
            top_of_face = height_m
            for index in range(bays):
                cx = (index + 0.5) * bay
                balcony = face == "front" and index in block.balcony_bays and storey > 0
                if storey == 0:
                    if face == "front" and index == bays // 2:
                        w, sill, h = 2.2, 0.0, 2.7
                        door = True
                    else:
                        w, sill, h, door = bay * 0.62, 0.5, 2.3, False
                elif balcony:
                    w, sill, h, door = 2.4, 0.0, 2.45, True
                else:
                    w, sill, h, door = (bay * 0.5 if index % 2 else bay * 0.42), 0.6, 1.85, False
                y_top = top_of_face - (floor + sill + h)
                openings.append(_Opening(cx - w / 2, y_top, w, h, door))
                if balcony:
                    slabs.append((cx - 1.5, cx + 1.5, top_of_face - floor, 1.6))
        _paint_openings(image, local, ppm, openings, block.frame, sky[0], sky[1])
        _protrusion_shadows(image, scene, normal, along, ppm, slabs)
        return image

    return paint


def _setback_facade(
    block: _Block, rng: random.Random, sky: tuple[RGB, RGB], wide: bool
) -> Callable[[float, float, float], Image.Image]:
    """The white penthouse storey: plaster and long glass."""
    seed = rng.getrandbits(32)

    def paint(width_m: float, height_m: float, ppm: float) -> Image.Image:
        local = _rng(seed)
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = _render_plaster(local, size, block.plaster)
        count = max(1, round(width_m / (5.0 if wide else 3.6)))
        span = width_m / count
        openings = [
            _Opening(i * span + span * 0.12, 0.35, span * 0.76, height_m - 0.65, door=True)
            for i in range(count)
        ]
        _paint_openings(image, local, ppm, openings, block.frame, sky[0], sky[1])
        return image

    return paint


def _balcony(scene: _Scene, cx: float, floor: float, depth: float, frame: RGB) -> None:
    """A concrete balcony slab with a glass balustrade, hung on the front facade (z = 0)."""
    x0, x1 = cx - 1.5, cx + 1.5
    slab = (x0, x1, floor - 0.22, floor, -depth, 0.0)

    def paint() -> None:
        _box(scene, slab, {}, (226, 224, 218), hidden=())
        rail_top = floor + 1.05
        glass = (196, 214, 224, 92)
        scene.poly(
            [
                (x0, floor, -depth),
                (x1, floor, -depth),
                (x1, rail_top, -depth),
                (x0, rail_top, -depth),
            ],
            glass,
        )
        for side in (x0, x1):
            scene.poly(
                [
                    (side, floor, 0.0),
                    (side, floor, -depth),
                    (side, rail_top, -depth),
                    (side, rail_top, 0.0),
                ],
                glass,
            )
        rail = (*frame, 255)
        scene.line3((x0, rail_top, -depth), (x1, rail_top, -depth), rail, 0.05)
        scene.line3((x0, rail_top, -depth), (x0, rail_top, 0.0), rail, 0.05)
        scene.line3((x1, rail_top, -depth), (x1, rail_top, 0.0), rail, 0.05)

    scene.add((cx, floor, -depth / 2), paint, bias=-0.5)


def _visible_x(cam: _Camera, z: float) -> tuple[float, float]:
    """The span of x that the camera sees on the line z = const at eye level."""
    xs = []
    for edge in (0.0, cam.size[0]):
        ray = cam.unrotate(((edge - cam.cx) / cam.f, 0.0, 1.0))
        if ray[2] <= 0.05:
            xs.append(cam.pos[0] + math.copysign(1000.0, ray[0]))
        else:
            xs.append(cam.pos[0] + ray[0] / ray[2] * (z - cam.pos[2]))
    return min(xs) - 20.0, max(xs) + 20.0


def _far_facade(colour: RGB, glass: RGB, seed: int) -> Callable[[float, float, float], Image.Image]:
    """A distant building: plain wall with storeys of windows, enough at a few pixels a metre."""

    def paint(width_m: float, height_m: float, ppm: float) -> Image.Image:
        rng = _rng(seed)
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = Image.new("RGB", size, colour)
        draw = ImageDraw.Draw(image)
        storeys = max(1, int(height_m / 3.0))
        for storey in range(storeys):
            y = height_m - (storey + 1) * 3.0 + 0.9
            x = 0.8
            while x < width_m - 1.6:
                tone = _jitter(rng, glass, 0.15)
                _rect(draw, (x * ppm, y * ppm, (x + 1.4) * ppm, (y + 1.5) * ppm), fill=tone)
                x += 2.6
        return image

    return paint


def _background(
    scene: _Scene, rng: random.Random, leaf: RGB, haze: RGB, z: float, buildings: float = 0.18
) -> None:
    """A hazy band of trees and far buildings that closes the horizon."""
    far_leaf = _mix(leaf, haze, 0.3)
    x, x1 = _visible_x(scene.cam, z)
    while x < x1:
        if rng.random() < buildings:
            width = rng.uniform(14, 30)
            tall = rng.uniform(9, 22)
            colour = _mix(
                rng.choice(((200, 196, 188), (170, 150, 132), (150, 150, 152))), haze, 0.35
            )
            depth = z + rng.uniform(15, 40)
            bounds = (x, x + width, 0.0, tall, depth, depth + 12)
            facade = _far_facade(colour, _mix((70, 80, 92), haze, 0.3), rng.getrandbits(32))
            paints: dict[str, Paint] = {"front": facade, "left": facade, "right": facade}
            scene.add(
                (x + width / 2, tall / 2, depth + 6),
                partial(_box, scene, bounds, paints, _mix(colour, (120, 120, 120), 0.4)),
            )
            x += width + rng.uniform(2, 8)
            continue
        _tree(
            scene,
            (x, 0.0, z + rng.uniform(0, 22)),
            rng.uniform(11, 18),
            rng.uniform(3.5, 6.0),
            _jitter(rng, far_leaf, 0.07),
            rng.getrandbits(32),
        )
        x += rng.uniform(4.0, 8.0)


def _feathered(texture: Image.Image, edge: float = 0.12) -> Image.Image:
    """Give a texture soft transparent borders so a detail patch melts into what is under it."""
    width, height = texture.size
    mask = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(mask).rectangle(
        (round(64 * edge), round(64 * edge), round(64 * (1 - edge)), round(64 * (1 - edge))),
        fill=255,
    )
    mask = mask.filter(ImageFilter.GaussianBlur(64 * edge / 2.5)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    result = texture.convert("RGBA")
    result.putalpha(mask)
    return result


def _contact_shadow(
    scene: _Scene, x0: float, x1: float, z0: float, z1: float, reach: float = 0.8
) -> None:
    """The dark seam where a building meets the ground (ambient occlusion)."""
    scene.ground_shadow(
        [
            (x0 - reach, 0, z0 - reach),
            (x1 + reach, 0, z0 - reach),
            (x1 + reach, 0, z1 + reach),
            (x0 - reach, 0, z1 + reach),
        ],
        120,
    )


def _residential(
    view: int, project: random.Random, shot: random.Random, size: tuple[int, int]
) -> Image.Image:
    block = _residential_block(project)
    if view == 2:
        return _living_room(project, shot, size, luxury=False)
    sun = (-0.5, 0.62, -0.62)
    length = block.length
    if view == 0:
        cam = _Camera((-11.0, 1.65, -36.0), yaw=30.0, pitch=0.0, fov=64.0, size=size, shift=0.1)
    else:
        cam = _Camera(
            (length + 10.0, 1.55, -19.0), yaw=-36.0, pitch=0.0, fov=60.0, size=size, shift=0.16
        )
    cam = _handheld(cam, shot)
    scene = _Scene(cam, sun, shot, Image.new("RGB", size))
    sky_top, sky_horizon = (84, 138, 204), (204, 222, 236)
    _sky(
        scene,
        sky_top,
        sky_horizon,
        (255, 246, 228),
        0.45,
        shot.uniform(0.4, 0.65),
        (252, 252, 250),
        (168, 178, 196),
    )
    reflect = (_mix(sky_horizon, (255, 255, 255), 0.2), (62, 74, 88))

    # Ground: a mown lawn, and a finer patch near the lens so the foreground stays crisp.
    grass = _jitter(project, (104, 128, 66), 0.05)
    lawn = _grass(shot, (768, 768), grass, 48)
    scene.plane((-200.0, 0.0, 300.0), (400.0, 0.0, 0.0), (0.0, 0.0, -400.0), lawn)
    cx, _, cz = cam.pos
    near = _feathered(_grass(shot, (1024, 1024), grass, 8, fine=0.45))
    scene.plane((cx - 30.0, 0.0, cz + 45.0), (60.0, 0.0, 0.0), (0.0, 0.0, -55.0), near)
    # A paved strip along the facade and a path from the entrance toward the lens.
    stone = (198, 194, 186)
    scene.plane(
        (-2.0, 0.01, -1.0),
        (length + 4.0, 0.0, 0.0),
        (0.0, 0.0, -2.2),
        _paving(shot, (2000, 90), stone, 14),
    )
    door_x = (round(length / block.bay) // 2 + 0.5) * block.bay
    path_end = (cx + 6.0, 0.0, cz + 4.0) if view == 0 else (cx - 4.0, 0.0, cz + 2.0)
    run = _sub(path_end, (door_x, 0.0, -3.2))
    side = _mul(_norm((run[2], 0.0, -run[0])), 2.6)
    scene.plane(
        _add((door_x, 0.012, -3.2), _mul(side, -0.5)),
        side,
        run,
        _paving(shot, (120, 1600), stone, 40),
    )

    # Distant tree line, hazy, and a neighbouring block behind the trees.
    _background(scene, shot, _scale(block.leaf, 0.9), sky_horizon, 80.0)

    height = block.main_height
    bounds = (0.0, length, 0.0, height, 0.0, block.depth)
    pent = (1.8, length - 1.8, height, height + 3.0, 1.8, block.depth)
    scene.box_shadow(0.0, length, 0.0, block.depth, height)
    scene.box_shadow(pent[0], pent[1], pent[4], pent[5], pent[3])
    _contact_shadow(scene, 0.0, length, 0.0, block.depth)
    front = _block_facade(scene, block, "front", shot, reflect)
    flank = _block_facade(scene, block, "left" if view == 0 else "right", shot, reflect)
    pent_front = _setback_facade(block, shot, reflect, wide=True)
    pent_side = _setback_facade(block, shot, reflect, wide=False)

    def paint_block() -> None:
        roof = (150, 150, 148)
        _box(scene, bounds, {"front": front, "left": flank, "right": flank, "back": flank}, roof)
        _box(
            scene,
            pent,
            {"front": pent_front, "left": pent_side, "right": pent_side},
            (236, 234, 228),
        )
        scene.line3(
            (pent[0] - 0.1, pent[3], pent[4] - 0.3),
            (pent[1] + 0.1, pent[3], pent[4] - 0.3),
            (240, 240, 236, 255),
            0.22,
        )

    scene.add((length / 2, height / 2, block.depth / 2), paint_block)
    for index in block.balcony_bays:
        for storey in range(1, block.storeys - 1):
            floor = 3.3 + 3.0 * (storey - 1)
            _balcony(scene, (index + 0.5) * block.bay, floor, 1.6, block.frame)

    # Young trees and clipped hedges in front of the block.
    spots = [
        (-5.0, -10.0),
        (length * 0.18, -14.0),
        (length * 0.72, -12.0),
        (length + 6.0, -9.0),
        (length * 0.42, -22.0),
        (-14.0, -3.0),
    ]
    for index, (x, z) in enumerate(spots):
        if view == 1 and x > length:
            continue
        _tree(
            scene,
            (x + shot.uniform(-1, 1), 0.0, z + shot.uniform(-1, 1)),
            shot.uniform(7.0, 9.5),
            shot.uniform(2.4, 3.4),
            _jitter(shot, block.leaf, 0.1),
            project.getrandbits(32) + index,
        )
    hedge = _scale(block.leaf, 0.8)
    _shrub_row(
        scene, (1.0, 0.0, -4.2), (door_x - 2.4, 0.0, -4.2), 0.9, 0.8, hedge, shot.getrandbits(32)
    )
    _shrub_row(
        scene,
        (door_x + 2.4, 0.0, -4.2),
        (length - 1.0, 0.0, -4.2),
        0.9,
        0.8,
        hedge,
        shot.getrandbits(32),
    )
    scene.apply_shadow(blur=10.0, darkness=0.6)
    scene.paint_items()
    return scene.canvas


def _planks(
    rng: random.Random, size: tuple[int, int], ppm: float, base: RGB, plank_m: float = 0.19
) -> Image.Image:
    """A wooden floor: staggered planks along x, each its own shade, with a stretched grain."""
    width, height = size
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    row_px = max(2.0, plank_m * ppm)
    gap = _scale(base, 0.62)
    y = 0.0
    while y < height:
        x = -rng.uniform(0, 1.8) * ppm
        while x < width:
            length = rng.uniform(1.1, 2.2) * ppm
            colour = _jitter(rng, base, 0.09)
            _rect(draw, (x, y, x + length, y + row_px), fill=colour)
            draw.line([(x, y), (x, y + row_px)], fill=gap, width=1)
            x += length
        draw.line([(0, y), (width, y)], fill=gap, width=1)
        y += row_px
    grain = _fractal(rng, size, 24, 5, aspect=4.0)
    grain = grain.resize((max(2, width // 6), max(2, height * 2))).resize(size)
    return Image.blend(image, _tinted(grain, _scale(base, 0.7), _scale(base, 1.2)), 0.22)


def _falloff(
    texture: Image.Image, start: float, end: float, horizontal: bool = True
) -> Image.Image:
    """Darken a texture from `start` to `end` across it: light fading away from a window."""
    ramp = Image.new("L", (256, 1) if horizontal else (1, 256))
    ramp.putdata([round(255 * _lerp(start, end, i / 255)) for i in range(256)])
    shade = ramp.resize(texture.size, Image.Resampling.BILINEAR)
    rgb = ImageChops.multiply(texture.convert("RGB"), Image.merge("RGB", (shade, shade, shade)))
    if texture.mode == "RGBA":
        rgb.putalpha(texture.getchannel("A"))
    return rgb


def _wall(
    rng: random.Random,
    size: tuple[int, int],
    ppm: float,
    base: RGB,
    openings: Sequence[tuple[float, float, float, float]],
    frame: RGB,
    mullions: float = 1.6,
) -> Image.Image:
    """An interior wall; openings (x, y, w, h in metres) are cut out so the view shows through."""
    image = _render_plaster(rng, size, base).convert("RGBA")
    draw = ImageDraw.Draw(image)
    bar = max(2, round(0.07 * ppm))
    for x, y, w, h in openings:
        box = (round(x * ppm), round(y * ppm), round((x + w) * ppm), round((y + h) * ppm))
        _rect(draw, box, fill=(*frame, 255))
        inner = (box[0] + bar, box[1] + bar, box[2] - bar, box[3] - bar)
        _rect(draw, inner, fill=(0, 0, 0, 0))
        panes = max(1, round(w / mullions))
        for index in range(1, panes):
            mx = round((x + w * index / panes) * ppm)
            _rect(draw, (mx - bar // 2, box[1], mx + bar // 2, box[3]), fill=(*frame, 255))
    return image


def _artwork(rng: random.Random, size: tuple[int, int], palette: Sequence[RGB]) -> Image.Image:
    """An abstract canvas in a thin frame: soft colour fields, as in any staged flat."""
    width, height = size
    image = Image.new("RGB", size, (238, 234, 226))
    draw = ImageDraw.Draw(image)
    for _ in range(4):
        colour = rng.choice(palette)
        x0 = rng.uniform(0.05, 0.6) * width
        y0 = rng.uniform(0.05, 0.6) * height
        draw.ellipse(
            (x0, y0, x0 + rng.uniform(0.3, 0.6) * width, y0 + rng.uniform(0.3, 0.6) * height),
            fill=colour,
        )
    image = image.filter(ImageFilter.GaussianBlur(max(1, width / 30)))
    ImageDraw.Draw(image).rectangle(
        (0, 0, width - 1, height - 1), outline=(40, 36, 32), width=max(1, width // 60)
    )
    return image


@dataclass
class _Room:
    width: float
    depth: float
    height: float
    floor: RGB
    wall: RGB
    frame: RGB
    fabric: RGB
    accent: RGB
    wood: RGB


def _room_surface(
    scene: _Scene, origin: Vec, u: Vec, v: Vec, normal: Vec, texture: Image.Image
) -> None:
    k, tint = scene.light_factor(normal)
    scene.plane(origin, u, v, _lit_texture(texture, k, tint), underlay=texture.mode == "RGB")


def _sofa(
    scene: _Scene, x0: float, x1: float, z0: float, z1: float, fabric: RGB, accent: RGB, facing: str
) -> None:
    """A sofa along x; `facing` says whether the seat opens toward -z ("front") or +z."""
    back_z = (z1 - 0.22, z1) if facing == "front" else (z0, z0 + 0.22)
    seat_z = (z0, z1 - 0.2) if facing == "front" else (z0 + 0.2, z1)
    scene.ground_shadow(
        [
            (x0 - 0.1, 0, z0 - 0.1),
            (x1 + 0.1, 0, z0 - 0.1),
            (x1 + 0.1, 0, z1 + 0.1),
            (x0 - 0.1, 0, z1 + 0.1),
        ],
        200,
    )
    light = _scale(fabric, 1.08)

    def paint() -> None:
        for lx in (x0 + 0.1, x1 - 0.14):
            for lz in (z0 + 0.1, z1 - 0.14):
                _box(scene, (lx, lx + 0.05, 0.0, 0.12, lz, lz + 0.05), {}, (40, 34, 30))
        _box(scene, (x0, x1, 0.12, 0.42, z0, z1), {}, fabric)
        _box(scene, (x0, x1, 0.42, 0.82, *back_z), {}, fabric)
        seats = max(2, round((x1 - x0 - 0.4) / 0.8))
        span = (x1 - x0 - 0.44) / seats
        for index in range(seats):
            sx = x0 + 0.22 + index * span
            _box(scene, (sx + 0.01, sx + span - 0.01, 0.42, 0.55, *seat_z), {}, light)
        for side in (x0, x1 - 0.22):
            _box(scene, (side, side + 0.22, 0.42, 0.64, z0, z1), {}, fabric)
        pz = (z1 - 0.42, z1 - 0.24) if facing == "front" else (z0 + 0.24, z0 + 0.42)
        _box(scene, (x0 + 0.3, x0 + 0.75, 0.55, 0.95, *pz), {}, accent)
        _box(scene, (x1 - 0.75, x1 - 0.3, 0.55, 0.95, *pz), {}, _scale(accent, 0.85))

    scene.add(((x0 + x1) / 2, 0.4, (z0 + z1) / 2), paint)


def _table(
    scene: _Scene,
    x0: float,
    x1: float,
    z0: float,
    z1: float,
    top: float,
    wood: RGB,
    leg: RGB = (38, 34, 30),
) -> None:
    scene.ground_shadow([(x0, 0, z0), (x1, 0, z0), (x1, 0, z1), (x0, 0, z1)], 150)

    def paint() -> None:
        for lx in (x0 + 0.05, x1 - 0.09):
            for lz in (z0 + 0.05, z1 - 0.09):
                _box(scene, (lx, lx + 0.04, 0.0, top - 0.04, lz, lz + 0.04), {}, leg)
        _box(scene, (x0, x1, top - 0.04, top, z0, z1), {}, wood)

    scene.add(((x0 + x1) / 2, top / 2, (z0 + z1) / 2), paint)


def _exterior_view(
    scene: _Scene, rng: random.Random, ground_y: float, leaf: RGB, luxury: bool
) -> None:
    """What the windows look out on, drawn with the room's own camera so parallax is right."""
    if luxury:
        _sky(
            scene,
            (70, 96, 150),
            (250, 196, 140),
            (255, 214, 150),
            0.9,
            0.35,
            (255, 226, 200),
            (170, 130, 140),
        )
        sand = (214, 190, 150)
        dunes = _tinted(_fractal(rng, (512, 512), 4, 5), _scale(sand, 0.8), _scale(sand, 1.08))
        scene.plane((-300.0, ground_y - 0.5, 400.0), (600.0, 0.0, 0.0), (0.0, 0.0, -400.0), dunes)
        _dunes(scene, rng, sand, (250, 196, 140), 70.0)
        for index in range(14):
            x = -40 + index * 7 + rng.uniform(-2, 2)
            _tree(
                scene,
                (x, ground_y, 55 + rng.uniform(0, 30)),
                rng.uniform(3, 6),
                rng.uniform(1.5, 3.0),
                _jitter(rng, (110, 118, 70), 0.1),
                rng.getrandbits(32),
            )
        deck = _paving(rng, (600, 600), (200, 184, 160), 24)
        scene.plane((-20.0, ground_y, 40.0), (50.0, 0.0, 0.0), (0.0, 0.0, -35.0), deck)
        water = _vgradient((64, 64), (60, 170, 190), (120, 200, 210))
        scene.plane((-6.0, ground_y + 0.01, 22.0), (12.0, 0.0, 0.0), (0.0, 0.0, -6.0), water)
    else:
        _sky(
            scene,
            (92, 146, 210),
            (214, 228, 240),
            (255, 248, 230),
            0.4,
            0.5,
            (252, 252, 250),
            (170, 180, 198),
        )
        lawn = _grass(rng, (512, 512), (104, 128, 66), 24)
        scene.plane((-300.0, ground_y, 400.0), (600.0, 0.0, 0.0), (0.0, 0.0, -400.0), lawn)
        # Tree tops of the park below and the next blocks across it.
        for _ in range(26):
            x = -rng.uniform(14, 70)
            z = rng.uniform(-25, 70)
            _tree(
                scene,
                (x, ground_y, z),
                rng.uniform(10, 15),
                rng.uniform(3.0, 4.8),
                _jitter(rng, leaf, 0.12),
                rng.getrandbits(32),
            )
        for index in range(4):
            z = -30 + index * 30 + rng.uniform(-4, 4)
            bounds = (-110.0, -96.0, ground_y, ground_y + rng.uniform(14, 20), z, z + 24)
            colour = rng.choice(((214, 206, 196), (176, 120, 96), (200, 196, 190)))
            facade = _far_facade(colour, (90, 104, 120), rng.getrandbits(32))
            paints: dict[str, Paint] = {"right": facade, "front": facade, "back": facade}
            scene.add((-103, 8, z + 12), partial(_box, scene, bounds, paints, colour))
    scene.shadow = Image.new("L", scene.size, 0)
    scene.paint_items()
    # Exposed for the room, the view outside burns out a little, as in real interior shots.
    bright = scene.canvas.point([min(255, round(60 + v * 0.82)) for v in range(256)] * 3)
    scene.canvas.paste(bright.filter(ImageFilter.GaussianBlur(1)))


def _living_room(
    project: random.Random, shot: random.Random, size: tuple[int, int], luxury: bool
) -> Image.Image:
    """A staged living room with a large window, seen from a corner as estate agents shoot it."""
    if luxury:
        room = _Room(
            8.5,
            9.0,
            3.2,
            _jitter(project, (206, 196, 182), 0.04),
            (236, 232, 224),
            (40, 38, 36),
            (226, 218, 204),
            (150, 110, 80),
            (92, 66, 48),
        )
    else:
        room = _Room(
            6.4,
            7.2,
            2.7,
            _jitter(
                project, project.choice(((200, 170, 134), (184, 150, 114), (212, 190, 160))), 0.04
            ),
            project.choice(((238, 236, 230), (232, 226, 216), (226, 228, 226))),
            (44, 46, 50),
            project.choice(((150, 150, 148), (118, 128, 140), (176, 164, 148))),
            project.choice(((196, 140, 70), (80, 110, 120), (170, 90, 80))),
            (150, 108, 70),
        )
    cam = _Camera(
        (room.width - 0.7, 1.3, 0.55), yaw=-30.0, pitch=0.0, fov=78.0, size=size, shift=-0.07
    )
    sun = (-1.0, 0.75, -0.3) if not luxury else (-0.45, 0.3, 1.0)
    scene = _Scene(cam, sun, shot, Image.new("RGB", size), ambient=0.86, shade=(226, 222, 216))
    scene.light = (255, 226, 190) if luxury else (255, 250, 240)
    # The view outside is out of focus anyway: render it at half size and enlarge it.
    half = (size[0] // 2, size[1] // 2)
    outside = _Scene(
        _Camera(cam.pos, cam.yaw, cam.pitch, cam.fov, half, cam.shift),
        sun,
        shot,
        Image.new("RGB", half),
    )
    _exterior_view(outside, shot, -0.6 if luxury else -9.0, (84, 114, 56), luxury)
    scene.canvas.paste(outside.canvas.resize(size, Image.Resampling.BICUBIC))
    w, d, h = room.width, room.depth, room.height

    floor_ppm = _texture_ppm(scene, [(0, 0, d), (w, 0, d), (w, 0, 0), (0, 0, 0)], cap=160)
    floor_size = (round(w * floor_ppm), round(d * floor_ppm))
    if luxury:
        floor = _paving(
            shot, floor_size, room.floor, round(1.2 * floor_ppm), _scale(room.floor, 0.9)
        )
    else:
        floor = _planks(shot, floor_size, floor_ppm, room.floor)
    _room_surface(
        scene,
        (0.0, 0.0, d),
        (w, 0.0, 0.0),
        (0.0, 0.0, -d),
        (0.0, 1.0, 0.0),
        _falloff(floor, 1.05, 0.72),
    )
    wall_ppm = 70.0
    ceiling = _render_plaster(shot, (round(w * 40), round(d * 40)), (250, 250, 248))
    # Bounce light from the floor keeps a real ceiling far brighter than its angle suggests.
    _room_surface(
        scene,
        (0.0, h, 0.0),
        (w, 0.0, 0.0),
        (0.0, 0.0, d),
        (0.0, -1.0, 0.0),
        _falloff(ceiling, 1.22, 1.0),
    )
    if luxury:
        back_openings = [(0.4, 0.2, w - 0.8, h - 0.25)]
        left_openings = [(0.6, 0.2, d - 1.2, h - 0.25)]
    else:
        back_openings = []
        left_openings = [(1.0, 0.25, d - 1.8, h - 0.3)]
    back = _wall(
        shot,
        (round(w * wall_ppm), round(h * wall_ppm)),
        wall_ppm,
        room.wall,
        back_openings,
        room.frame,
        2.2,
    )
    if not luxury:
        art = _artwork(
            shot,
            (round(1.6 * wall_ppm), round(1.0 * wall_ppm)),
            (room.accent, (150, 170, 186), (214, 200, 170), (232, 206, 170)),
        )
        back.paste(art, (round((w / 2 + 0.2) * wall_ppm), round(0.55 * wall_ppm)))
    _room_surface(
        scene,
        (0.0, h, d),
        (w, 0.0, 0.0),
        (0.0, -h, 0.0),
        (0.0, 0.0, -1.0),
        _falloff(back, 1.0, 0.82),
    )
    left = _wall(
        shot,
        (round(d * wall_ppm), round(h * wall_ppm)),
        wall_ppm,
        room.wall,
        left_openings,
        room.frame,
        2.0,
    )
    _room_surface(scene, (0.0, h, 0.0), (0.0, 0.0, d), (0.0, -h, 0.0), (1.0, 0.0, 0.0), left)
    right = _wall(
        shot, (round(d * wall_ppm), round(h * wall_ppm)), wall_ppm, room.wall, [], room.frame
    )
    _room_surface(scene, (w, h, d), (0.0, 0.0, -d), (0.0, -h, 0.0), (-1.0, 0.0, 0.0), right)
    # Skirting shadow where walls meet the floor.
    for a, b in (((0, 0, 0), (0, 0, d)), ((0, 0, d), (w, 0, d)), ((w, 0, d), (w, 0, 0))):
        scene.line3(a, b, (0, 0, 0, 40), 0.05)

    if luxury:
        _sunlight(
            scene,
            (0.4 + 0.07, 0.27, d),
            (w - 0.94, 0.0, 0.0),
            (0.0, h - 0.39, 0.0),
            round((w - 0.8) / 2.2),
        )
    else:
        _sunlight(
            scene,
            (0.0, 0.32, 1.07),
            (0.0, 0.0, d - 1.94),
            (0.0, h - 0.44, 0.0),
            round((d - 1.8) / 2.0),
        )
    rug = _tinted(
        _fractal(shot, (400, 300), 30, 3), _scale(room.fabric, 0.85), _scale(room.fabric, 1.15)
    )
    sofa_z1 = d - 0.15
    sofa_z0 = sofa_z1 - 0.95
    sx0, sx1 = w * 0.3, w * 0.3 + (2.6 if not luxury else 3.4)
    scene.plane(
        (sx0 - 0.5, 0.006, sofa_z0 + 0.4),
        (sx1 - sx0 + 1.0, 0.0, 0.0),
        (0.0, 0.0, -2.8),
        _lit_texture(rug, 1.0, (235, 232, 226)),
    )
    _sofa(scene, sx0, sx1, sofa_z0, sofa_z1, room.fabric, room.accent, "front")
    tx = (sx0 + sx1) / 2
    _table(scene, tx - 0.6, tx + 0.6, sofa_z0 - 1.35, sofa_z0 - 0.65, 0.38, room.wood)
    if luxury:
        # A second, deep sofa turned toward the view.
        _sofa(
            scene,
            0.9,
            3.3,
            sofa_z0 - 2.6,
            sofa_z0 - 1.7,
            _scale(room.fabric, 0.92),
            room.accent,
            "back",
        )
    else:
        # An armchair by the window, turned toward the sofa.
        seat = (0.8, 1.6, 0.12, 0.45, sofa_z0 - 1.5, sofa_z0 - 0.7)
        _box_item(scene, seat, room.accent)
        _box_item(scene, (0.8, 0.98, 0.45, 0.85, *seat[4:]), _scale(room.accent, 0.9))
    # A tall plant in the window corner, a lamp beside the sofa, a pendant over the table.
    _tree(scene, (0.55, 0.0, d - 0.55), 1.7, 0.45, (58, 96, 52), shot.getrandbits(32))
    _box_item(scene, (0.38, 0.72, 0.0, 0.4, d - 0.72, d - 0.38), (226, 222, 214))
    _box_item(scene, (0.5, 0.95, 0.0, 0.72, d - 3.0, d - 1.4), (236, 234, 230))
    scene.add((tx, 2.0, sofa_z0 - 1.0), lambda: _pendant(scene, tx, h, sofa_z0 - 1.0, room.frame))
    lamp_x = sx1 + 0.35
    scene.add((lamp_x, 1.0, d - 0.4), lambda: _floor_lamp(scene, lamp_x, d - 0.4))
    scene.apply_shadow(blur=18.0, darkness=0.55, tint=(90, 80, 70))
    scene.paint_items()
    return scene.canvas


def _sunlight(scene: _Scene, origin: Vec, u: Vec, v: Vec, panes: int) -> None:
    """Sun falling through a window (origin + u along, v up) onto the floor, mullions and all."""
    if scene.sun[1] <= 0.05:
        return
    mask = Image.new("L", scene.size, 0)
    draw = ImageDraw.Draw(mask)
    for index in range(panes):
        a = _add(origin, _mul(u, index / panes + 0.012))
        b = _add(origin, _mul(u, (index + 1) / panes - 0.012))
        corners = [a, b, _add(b, v), _add(a, v)]
        flat = scene.screen_poly([scene.cast(p) for p in corners])
        if len(flat) >= 3:
            draw.polygon(flat, fill=255)
    small = mask.reduce(4).filter(ImageFilter.GaussianBlur(2.0))
    mask = small.resize(scene.size, Image.Resampling.BILINEAR).point(
        [round(v * 0.55) for v in range(256)]
    )
    warm = scene.canvas.point(
        [min(255, round(v * 1.45 * c / 255 + 12)) for c in scene.light for v in range(256)]
    )
    scene.canvas.paste(warm, (0, 0), mask)


def _box_item(
    scene: _Scene, bounds: tuple[float, float, float, float, float, float], colour: RGB
) -> None:
    x0, x1, _, y1, z0, z1 = bounds
    if bounds[2] <= 0.2:
        scene.ground_shadow([(x0, 0, z0), (x1, 0, z0), (x1, 0, z1), (x0, 0, z1)], 170)
    scene.add(((x0 + x1) / 2, y1 / 2, (z0 + z1) / 2), lambda: _box(scene, bounds, {}, colour))


def _pendant(scene: _Scene, x: float, ceiling: float, z: float, colour: RGB) -> None:
    scene.line3((x, ceiling, z), (x, 1.75, z), (*colour, 255), 0.012)
    dome = [(x - 0.25, 1.6, z), (x + 0.25, 1.6, z), (x + 0.12, 1.78, z), (x - 0.12, 1.78, z)]
    scene.poly(dome, (*colour, 255))


def _floor_lamp(scene: _Scene, x: float, z: float) -> None:
    scene.line3((x, 0.0, z), (x, 1.45, z), (40, 38, 36, 255), 0.025)
    shade = [(x - 0.22, 1.35, z), (x + 0.22, 1.35, z), (x + 0.16, 1.65, z), (x - 0.16, 1.65, z)]
    scene.poly(shade, (246, 236, 214, 255))


# --------------------------------------------------------------------------- luxury


@dataclass
class _Villa:
    """The villa of a luxury project, decided once per seed."""

    length: float
    depth: float
    overhang: float
    plaster: RGB
    wood: RGB
    frame: RGB
    coastal: bool
    leaf: RGB


def _villa(rng: random.Random) -> _Villa:
    return _Villa(
        length=rng.uniform(20.0, 26.0),
        depth=rng.uniform(10.0, 13.0),
        overhang=rng.uniform(4.0, 7.0),
        plaster=_jitter(rng, rng.choice(((238, 236, 230), (228, 224, 214), (214, 212, 208))), 0.02),
        wood=_jitter(rng, rng.choice(((150, 100, 66), (120, 84, 60), (168, 124, 84))), 0.05),
        frame=rng.choice(((34, 34, 36), (52, 50, 48))),
        coastal=rng.random() < 0.6,
        leaf=_jitter(rng, (96, 110, 64), 0.08),
    )


def _glazing(
    rng: random.Random,
    size: tuple[int, int],
    ppm: float,
    frame: RGB,
    pane_m: float,
    glow: RGB,
    sky: tuple[RGB, RGB],
    solid: Sequence[tuple[float, float, RGB]] = (),
) -> Image.Image:
    """Floor-to-ceiling glass at dusk: a warm lit interior behind thin frames, sky in some panes."""
    width, height = size
    image = _vgradient(size, _scale(glow, 1.08), _scale(glow, 0.5))
    draw = ImageDraw.Draw(image, "RGBA")
    # The room behind: a back wall band, ceiling spots, furniture and plant silhouettes.
    _rect(
        draw, (0, round(height * 0.08), width, round(height * 0.62)), fill=(*_scale(glow, 1.15), 90)
    )
    spot = max(2, round(0.12 * ppm))
    x = rng.uniform(0.5, 1.5) * ppm
    while x < width:
        draw.ellipse(
            (x - spot, height * 0.04 - spot * 0.5, x + spot, height * 0.04 + spot * 0.5),
            fill=(255, 246, 220, 255),
        )
        x += rng.uniform(1.6, 2.6) * ppm
    x = rng.uniform(0, 2) * ppm
    while x < width:
        w = rng.uniform(1.2, 2.8) * ppm
        h = rng.uniform(0.25, 0.32) * height
        _rect(draw, (x, height - h, x + w, height), fill=(*_scale(glow, 0.28), 235))
        x += w + rng.uniform(1.5, 4.0) * ppm
    half = image.reduce(2) if width > 8 and height > 8 else image
    image = half.filter(ImageFilter.GaussianBlur(max(1, ppm * 0.025))).resize(size)
    draw = ImageDraw.Draw(image, "RGBA")
    bar = max(2, round(0.06 * ppm))
    panes = max(1, round(width / (pane_m * ppm)))
    for index in range(panes + 1):
        px = round(index * width / panes)
        if rng.random() < 0.35 and index < panes:
            reflection = _glass((max(2, round(width / panes)), height), sky[0], sky[1], 0.15)
            image.paste(
                Image.blend(image.crop((px, 0, px + reflection.width, height)), reflection, 0.55),
                (px, 0),
            )
        _rect(draw, (px - bar, 0, px + bar, height), fill=(*frame, 255))
    _rect(draw, (0, 0, width, bar * 2), fill=(*frame, 255))
    _rect(draw, (0, height - bar * 2, width, height), fill=(*frame, 255))
    for start, end, colour in solid:
        _rect(draw, (round(start * ppm), 0, round(end * ppm), height), fill=(*colour, 255))
    return image


def _slats(rng: random.Random, size: tuple[int, int], ppm: float, wood: RGB) -> Image.Image:
    """Vertical timber slats with shadowed gaps."""
    width, height = size
    image = Image.new("RGB", size, _scale(wood, 0.45))
    draw = ImageDraw.Draw(image)
    pitch = max(3.0, 0.09 * ppm)
    x = 0.0
    while x < width:
        _rect(draw, (round(x), 0, round(x + pitch * 0.75), height), fill=_jitter(rng, wood, 0.1))
        x += pitch
    grain = _fractal(rng, size, 8, 4, aspect=0.3)
    return Image.blend(image, _tinted(grain, _scale(wood, 0.7), _scale(wood, 1.2)), 0.2)


def _pool_water(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Lit pool water at dusk: bright turquoise with the wobbling lines of caustics."""
    noise = _fractal(rng, size, 10, 4)
    ridges = noise.point([max(0, 255 - 9 * abs(v - 128)) for v in range(256)])
    base = _vgradient(size, (30, 126, 150), (70, 186, 200))
    glow = _tinted(ridges, (0, 0, 0), (110, 140, 120))
    return ImageChops.add(base, glow)


def _reflect(
    scene: _Scene, mask: Image.Image, line: tuple[Point, Point], strength: float, tint: RGB
) -> None:
    """Mirror the picture about a screen line into a masked water surface, softened by ripples."""
    (x0, y0), (x1, y1) = line
    slope = (y1 - y0) / (x1 - x0) if abs(x1 - x0) > 1e-6 else 0.0
    offset = y0 - slope * x0
    half = scene.canvas.reduce(2)
    mirrored = half.transform(
        half.size,
        Image.Transform.AFFINE,
        (1.0, 0.0, 0.0, slope * 2, -1.0, offset),
        Image.Resampling.BILINEAR,
    )
    mirrored = (
        mirrored.filter(ImageFilter.BoxBlur(1))
        .resize((half.width, half.height // 3))
        .resize(half.size)
    )
    mirrored = ImageChops.multiply(mirrored, Image.new("RGB", half.size, tint))
    mirrored = mirrored.resize(scene.size, Image.Resampling.BILINEAR)
    scene.canvas.paste(mirrored, (0, 0), mask.point([round(v * strength) for v in range(256)]))


def _glows(scene: _Scene, points: Sequence[Vec], colour: RGB, radius_m: float) -> None:
    """Small warm lights (garden lamps, spots) with a soft halo of fading rings."""
    draw = ImageDraw.Draw(scene.canvas, "RGBA")
    rings = ((5.0, 10), (3.5, 16), (2.4, 26), (1.6, 48), (1.15, 120), (0.8, 255))
    for point in points:
        c = scene.cam.to_cam(point)
        if c[2] < 1.0:
            continue
        x, y = scene.cam.screen(c)
        r = max(1.5, radius_m * scene.cam.f / c[2])
        for k, alpha in rings:
            tone = colour if k > 1 else _mix(colour, (255, 255, 255), 0.6)
            draw.ellipse((x - r * k, y - r * k, x + r * k, y + r * k), fill=(*tone, alpha))


def _dunes(scene: _Scene, rng: random.Random, sand: RGB, haze: RGB, z: float) -> None:
    """Rolling dunes with marram grass closing the view behind the villa (drawn small)."""
    x0, x1 = _visible_x(scene.cam, z)
    factor = max(1, scene.size[0] // 800)
    small = (scene.size[0] // factor, scene.size[1] // factor)
    picture = Image.new("RGB", small)
    cover = Image.new("L", small, 0)
    for layer_index, (depth, tall) in enumerate(((z + 40, 12.0), (z + 15, 8.0), (z, 5.0))):
        phase = rng.uniform(0, 6.28)
        ridge: list[Vec] = []
        steps = 60
        for index in range(steps + 1):
            x = x0 + (x1 - x0) * index / steps
            y = tall * (
                0.55 + 0.25 * math.sin(x / 23 + phase) + 0.2 * math.sin(x / 9.0 + phase * 2)
            )
            ridge.append((x, y, depth + 6 * math.sin(x / 31 + phase)))
        outline = [*ridge, (x1, -0.5, depth - 30), (x0, -0.5, depth - 30)]
        flat = [(x / factor, y / factor) for x, y in scene.screen_poly(outline)]
        if len(flat) < 3:
            continue
        colour = _mix(sand, haze, 0.45 - layer_index * 0.15)
        grass = _mix((118, 122, 72), haze, 0.45 - layer_index * 0.15)
        mask = Image.new("L", small, 0)
        ImageDraw.Draw(mask).polygon(flat, fill=255)
        texture = _tinted(_fractal(rng, small, 12, 4), _scale(colour, 0.82), _scale(colour, 1.1))
        tufts = _curve(_fractal(rng, small, 240, 2, aspect=0.7), 120, 200)
        texture.paste(
            Image.new("RGB", small, grass), (0, 0), tufts.point([v * 3 // 4 for v in range(256)])
        )
        picture.paste(texture, (0, 0), mask)
        cover.paste(255, (0, 0), mask)
    scene.canvas.paste(
        picture.resize(scene.size, Image.Resampling.BICUBIC),
        (0, 0),
        cover.resize(scene.size, Image.Resampling.BILINEAR),
    )


def _luxury(
    view: int, project: random.Random, shot: random.Random, size: tuple[int, int]
) -> Image.Image:
    villa = _villa(project)
    if view == 2:
        return _living_room(project, shot, size, luxury=True)
    length, depth = villa.length, villa.depth
    sun = (0.85, 0.2, -0.35)
    if view == 0:
        cam = _Camera((-3.0, 1.45, -19.5), yaw=30.0, pitch=0.0, fov=66.0, size=size, shift=0.12)
    else:
        cam = _Camera(
            (length + villa.overhang + 9.0, 1.5, -12.0),
            yaw=-52.0,
            pitch=0.0,
            fov=64.0,
            size=size,
            shift=0.1,
        )
    cam = _handheld(cam, shot)
    scene = _Scene(
        cam,
        sun,
        shot,
        Image.new("RGB", size),
        light=(255, 196, 140),
        shade=(120, 128, 168),
        ambient=0.5,
    )
    zenith, horizon = (58, 82, 138), (248, 184, 128)
    _sky(
        scene,
        zenith,
        horizon,
        (255, 214, 150),
        1.0,
        shot.uniform(0.3, 0.5),
        (255, 212, 178),
        (140, 110, 130),
    )
    glow = (236, 164, 92)
    reflect = ((120, 112, 146), (34, 38, 56))
    sand = (206, 178, 136)

    lawn = _grass(shot, (768, 768), _mix(villa.leaf, (150, 130, 90), 0.15), 0)
    scene.plane((-200.0, 0.0, 300.0), (400.0, 0.0, 0.0), (0.0, 0.0, -400.0), lawn)
    if villa.coastal:
        _dunes(scene, shot, sand, horizon, 55.0)
    else:
        _background(scene, shot, (70, 90, 60), horizon, 60.0, buildings=0.0)
    stone = _jitter(project, (214, 200, 180), 0.03)
    deck = _paving(shot, (1600, 800), stone, 40)
    scene.plane(
        (-6.0, 0.01, 0.0),
        (length + villa.overhang + 10.0, 0.0, 0.0),
        (0.0, 0.0, -15.0),
        deck,
        underlay=True,
    )
    pool = (2.0, length - 2.0, -10.5, -4.5)
    water = _pool_water(shot, (900, 300))
    pool_corners = [
        (pool[0], -0.02, pool[3]),
        (pool[1], -0.02, pool[3]),
        (pool[1], -0.02, pool[2]),
        (pool[0], -0.02, pool[2]),
    ]
    scene.plane(
        pool_corners[0], (pool[1] - pool[0], 0.0, 0.0), (0.0, 0.0, pool[2] - pool[3]), water
    )

    ground = (0.0, length, 0.0, 3.3, 0.0, depth)
    upper = (6.0, length + villa.overhang, 3.6, 6.7, 0.8, depth - 0.6)
    mid_slab = (-0.6, length + villa.overhang + 0.4, 3.3, 3.6, -1.4, depth + 0.2)
    roof = (upper[0] - 0.4, upper[1] + 0.4, 6.7, 6.95, upper[4] - 0.6, upper[5] + 0.4)
    for b in (ground, upper):
        scene.box_shadow(b[0], b[1], b[4], b[5], b[3])
    _contact_shadow(scene, 0.0, length, 0.0, depth, 0.5)

    def glazing(
        solid: Sequence[tuple[float, float, RGB]] = (),
    ) -> Callable[[float, float, float], Image.Image]:
        seed = shot.getrandbits(32)
        return lambda w, h, ppm: _glazing(
            _rng(seed),
            (max(2, round(w * ppm)), max(2, round(h * ppm))),
            ppm,
            villa.frame,
            2.6,
            glow,
            reflect,
            solid,
        )

    def upper_front(w: float, h: float, ppm: float) -> Image.Image:
        size_px = (max(2, round(w * ppm)), max(2, round(h * ppm)))
        image = _render_plaster(shot, size_px, villa.plaster)
        slat_w = round(w * 0.38 * ppm)
        image.paste(_slats(shot, (slat_w, size_px[1]), ppm, villa.wood), (0, 0))
        band = _glazing(
            _rng(7),
            (round(w * 0.56 * ppm), round(h * 0.55 * ppm)),
            ppm,
            villa.frame,
            2.2,
            glow,
            reflect,
        )
        image.paste(band, (round(w * 0.41 * ppm), round(h * 0.2 * ppm)))
        return image

    def plaster(w: float, h: float, ppm: float) -> Image.Image:
        return _render_plaster(
            shot, (max(2, round(w * ppm)), max(2, round(h * ppm))), villa.plaster
        )

    def slats(w: float, h: float, ppm: float) -> Image.Image:
        return _slats(shot, (max(2, round(w * ppm)), max(2, round(h * ppm))), ppm, villa.wood)

    def soffit(w: float, h: float, ppm: float) -> Image.Image:
        # Downlit soffits glow warm at dusk; unlit by the sky, they carry their own light.
        size_px = (max(2, round(w * 8)), max(2, round(h * 8)))
        return _tinted(
            _fractal(shot, size_px, 4, 3),
            _mix(villa.plaster, glow, 0.45),
            _mix(villa.plaster, glow, 0.25),
        )

    def paint_villa() -> None:
        # Back to front by hand: each slab hides part of what is drawn before it.
        _box(scene, roof, {"bottom": soffit}, villa.plaster, hidden=(), unlit=("bottom",))
        # Lit glass glows by itself at dusk, so glazed faces skip the sun and sky shading.
        _box(
            scene,
            upper,
            {"front": upper_front, "right": glazing(), "left": plaster},
            villa.plaster,
            unlit=("right",),
        )
        _box(scene, mid_slab, {"bottom": soffit}, villa.plaster, hidden=(), unlit=("bottom",))
        solid = ((0.0, 3.0, scene.lit(villa.plaster, (0.0, 0.0, -1.0))),)
        _box(scene, ground, {"left": slats}, villa.plaster, hidden=("front", "right", "bottom"))
        _box(
            scene,
            ground,
            {"front": glazing(solid), "right": glazing()},
            villa.plaster,
            hidden=("left", "top", "bottom"),
            unlit=("front", "right"),
        )

    scene.add((length / 2, 3.0, depth / 2), paint_villa)
    # Loungers between pool and house, shrubs and a few trees around the plot.
    for index in range(3):
        lx = pool[0] + 2.0 + index * 2.2
        _box_item(scene, (lx, lx + 0.75, 0.25, 0.4, -3.2, -1.2), (236, 232, 224))
    for index in range(7):
        x = -5.0 + index * (length + 12) / 6 + shot.uniform(-1, 1)
        if view == 1 and x > length + villa.overhang:
            continue
        _tree(
            scene,
            (x, 0.0, depth + 4 + shot.uniform(0, 6)),
            shot.uniform(3.0, 6.5),
            shot.uniform(1.5, 2.6),
            _jitter(shot, villa.leaf, 0.1),
            shot.getrandbits(32),
        )
    _tree(scene, (-7.5, 0.0, -6.0), 7.5, 2.6, _jitter(shot, villa.leaf, 0.1), shot.getrandbits(32))
    _shrub_row(
        scene,
        (-6.0, 0.0, -13.5),
        (-6.0, 0.0, 0.0),
        0.7,
        1.0,
        _scale(villa.leaf, 0.85),
        shot.getrandbits(32),
    )
    scene.apply_shadow(blur=14.0, darkness=0.5, tint=(70, 70, 110))
    near_edge = cam.depth(((pool[0] + pool[1]) / 2, 0.0, pool[3]))
    scene.paint_items(beyond=near_edge - 0.5)
    mask = Image.new("L", scene.size, 0)
    flat = scene.screen_poly(pool_corners)
    if len(flat) >= 3:
        ImageDraw.Draw(mask).polygon(flat, fill=255)
        line = (cam.project((0.0, -0.02, 0.0)), cam.project((length, -0.02, 0.0)))
        _reflect(scene, mask, line, 0.5, (170, 210, 214))
    scene.paint_items()
    lamps = [(x, 0.25, -14.6) for x in range(-4, round(length + 8), 5)]
    _glows(scene, lamps, (255, 214, 150), 0.035)
    _glows(scene, [(x, 3.28, -0.8) for x in range(2, round(length), 3)], (255, 236, 200), 0.05)
    return scene.canvas


# --------------------------------------------------------------------------- industrial


@dataclass
class _Park:
    """The business park of an industrial project, decided once per seed."""

    length: float
    depth: float
    height: float
    cladding: RGB
    accent: RGB
    door: RGB
    docks: int
    leaf: RGB


def _park(rng: random.Random) -> _Park:
    return _Park(
        length=rng.choice((72.0, 84.0, 96.0)),
        depth=rng.choice((40.0, 48.0)),
        height=rng.uniform(11.0, 13.5),
        cladding=_jitter(
            rng, rng.choice(((190, 194, 198), (176, 180, 184), (200, 200, 196))), 0.03
        ),
        accent=rng.choice(((52, 56, 62), (34, 78, 130), (150, 40, 40), (40, 110, 90))),
        door=rng.choice(((200, 204, 208), (60, 100, 150), (90, 94, 100))),
        docks=rng.randint(7, 10),
        leaf=_jitter(rng, (88, 114, 58), 0.08),
    )


def _hall_front(
    scene: _Scene, park: _Park, rng: random.Random, dock_from: float
) -> Callable[[float, float, float], Image.Image]:
    """A warehouse front: ribbed cladding, concrete plinth, fascia band and a row of dock doors."""
    seed = rng.getrandbits(32)

    def paint(width_m: float, height_m: float, ppm: float) -> Image.Image:
        local = _rng(seed)
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = _cladding(local, size, ppm, park.cladding)
        draw = ImageDraw.Draw(image, "RGBA")
        plinth = round(2.4 * ppm)
        concrete = _paving(
            local, (size[0], plinth), (150, 150, 146), round(6 * ppm), (120, 120, 118)
        )
        image.paste(concrete, (0, size[1] - plinth))
        _rect(draw, (0, 0, size[0], round(1.3 * ppm)), fill=(*park.accent, 255))
        # Dirt streaks run down from the roof edge on real cladding.
        streaks = _fractal(local, (max(2, size[0] // 4), max(2, size[1] // 4)), 160, 2, aspect=0.04)
        fade = (
            _vgradient((1, 64), (255, 255, 255), (0, 0, 0))
            .convert("L")
            .resize((max(2, size[0] // 4), max(2, size[1] // 4)))
        )
        streaks = ImageChops.multiply(_curve(streaks, 110, 220), fade)
        image.paste((70, 70, 66), (0, 0), streaks.resize(size).point([v // 7 for v in range(256)]))
        logo_w = min(14.0, width_m * 0.2)
        _rect(
            draw,
            (round(2.0 * ppm), round(0.25 * ppm), round((2.0 + logo_w) * ppm), round(1.05 * ppm)),
            fill=(245, 245, 240, 255),
        )
        pitch = (width_m - dock_from - 2.0) / park.docks
        for index in range(park.docks):
            x = dock_from + index * pitch + (pitch - 3.0) / 2
            top = height_m - 4.6
            # Black dock shelter, the sectional door inside it, bumpers below.
            _rect(
                draw,
                (
                    round((x - 0.35) * ppm),
                    round((top - 0.35) * ppm),
                    round((x + 3.35) * ppm),
                    round((height_m - 1.2) * ppm),
                ),
                fill=(28, 28, 30, 255),
            )
            door = (
                round(x * ppm),
                round(top * ppm),
                round((x + 3.0) * ppm),
                round((height_m - 1.25) * ppm),
            )
            _rect(draw, door, fill=(*park.door, 255))
            panel = max(2, round(0.55 * ppm))
            for y in range(door[1] + panel, door[3], panel):
                draw.line(
                    [(door[0], y), (door[2], y)],
                    fill=(*_scale(park.door, 0.72), 255),
                    width=max(1, round(0.03 * ppm)),
                )
            glass_y = door[1] + panel * 2
            _rect(
                draw,
                (door[0] + panel // 3, glass_y + 2, door[2] - panel // 3, glass_y + panel - 2),
                fill=(70, 80, 92, 255),
            )
            for bx in (x + 0.3, x + 2.4):
                _rect(
                    draw,
                    (
                        round(bx * ppm),
                        round((height_m - 1.2) * ppm),
                        round((bx + 0.3) * ppm),
                        round((height_m - 0.7) * ppm),
                    ),
                    fill=(20, 20, 20, 255),
                )
            _rect(
                draw,
                (
                    round((x + 3.6) * ppm),
                    round((height_m - 1.5) * ppm),
                    round((x + 3.75) * ppm),
                    round(height_m * ppm),
                ),
                fill=(230, 190, 30, 255),
            )
        return image

    return paint


def _hall_side(park: _Park, rng: random.Random) -> Callable[[float, float, float], Image.Image]:
    seed = rng.getrandbits(32)

    def paint(width_m: float, height_m: float, ppm: float) -> Image.Image:
        local = _rng(seed)
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = _cladding(local, size, ppm, park.cladding)
        draw = ImageDraw.Draw(image)
        plinth = round(2.4 * ppm)
        image.paste(
            _paving(local, (size[0], plinth), (150, 150, 146), round(6 * ppm), (120, 120, 118)),
            (0, size[1] - plinth),
        )
        _rect(draw, (0, 0, size[0], round(1.3 * ppm)), fill=park.accent)
        # A strip of high windows lights the hall floor.
        for x in range(3, round(width_m) - 3, 6):
            _rect(
                draw,
                (round(x * ppm), round(3.0 * ppm), round((x + 4.5) * ppm), round(4.1 * ppm)),
                fill=(96, 112, 128),
            )
        return image

    return paint


def _roof(rng: random.Random, size: tuple[int, int], ppm: float, grey: RGB) -> Image.Image:
    """A flat hall roof: membrane, rows of skylights, a walkway."""
    image = _paving(rng, size, grey, 0)
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(round(6 * ppm), height - round(4 * ppm), max(3, round(7.5 * ppm))):
        for x in range(round(4 * ppm), width - round(6 * ppm), max(3, round(9 * ppm))):
            _rect(draw, (x, y, x + round(6 * ppm), y + round(1.6 * ppm)), fill=(208, 214, 218))
    return image


def _glass_wall(
    rng: random.Random,
    size: tuple[int, int],
    ppm: float,
    frame: RGB,
    sky: tuple[RGB, RGB],
    storeys: int,
) -> Image.Image:
    """An office curtain wall: reflective glass in a mullion grid, with spandrel bands."""
    width, height = size
    image = _glass(size, sky[0], sky[1], 0.2)
    draw = ImageDraw.Draw(image, "RGBA")
    bar = max(1, round(0.08 * ppm))
    for x in range(0, width, max(3, round(1.5 * ppm))):
        _rect(draw, (x - bar, 0, x + bar, height), fill=(*frame, 255))
    for storey in range(storeys + 1):
        y = round(height * storey / storeys)
        _rect(draw, (0, y - round(0.45 * ppm), width, y + round(0.15 * ppm)), fill=(*frame, 255))
    for _ in range(int(width / ppm / 3)):
        blind = rng.uniform(0, width)
        _rect(
            draw,
            (blind, height * 0.1, blind + ppm * rng.uniform(0.6, 1.4), height * 0.9),
            fill=(30, 36, 44, 40),
        )
    return image


def _truck(scene: _Scene, x: float, z_back: float, colour: RGB, cab: RGB, with_cab: bool) -> None:
    """A semi-trailer backed onto a dock (its rear at z_back), with or without its tractor."""
    length = 13.6
    z0, z1 = z_back - length, z_back
    scene.box_shadow(x - 1.3, x + 1.3, z0 - (3.6 if with_cab else 0), z1, 2.5)
    scene.ground_shadow(
        [(x - 1.5, 0, z0 - 0.3), (x + 1.5, 0, z0 - 0.3), (x + 1.5, 0, z1), (x - 1.5, 0, z1)], 230
    )

    def trailer_side(width_m: float, height_m: float, ppm: float) -> Image.Image:
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = _vgradient(size, _scale(colour, 1.04), _scale(colour, 0.9))
        draw = ImageDraw.Draw(image)
        for px in range(0, size[0], max(2, round(1.2 * ppm))):
            draw.line([(px, 0), (px, size[1])], fill=_scale(colour, 0.86), width=1)
        _rect(draw, (0, size[1] - max(1, round(0.12 * ppm)), size[0], size[1]), fill=(70, 72, 76))
        _rect(draw, (0, 0, size[0], max(1, round(0.08 * ppm))), fill=_scale(colour, 0.8))
        return image

    def trailer_end(width_m: float, height_m: float, ppm: float) -> Image.Image:
        size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
        image = Image.new("RGB", size, _scale(colour, 0.95))
        draw = ImageDraw.Draw(image)
        draw.line(
            [(size[0] // 2, 0), (size[0] // 2, size[1])],
            fill=(60, 60, 64),
            width=max(1, round(0.04 * ppm)),
        )
        for px in (0.25, 0.75):
            draw.line(
                [(round(size[0] * px), 0), (round(size[0] * px), size[1])],
                fill=(150, 150, 150),
                width=max(1, round(0.05 * ppm)),
            )
        return image

    def paint() -> None:
        wheel = (22, 22, 24)
        # Tyres sit at the sides, so the yard shows through under the chassis.
        axles = [z1 - 3.0, z1 - 4.4, z1 - 5.8] + ([z0 - 3.0, z0 - 0.2] if with_cab else [])
        for wz in axles:
            for side in (-1, 1):
                tyre = sorted((x + side * 1.22, x + side * 0.85))
                _box(scene, (tyre[0], tyre[1], 0.0, 1.0, wz - 0.5, wz + 0.5), {}, wheel)
        if not with_cab:
            # A parked trailer rests on its landing legs.
            for side in (-1, 1):
                leg = sorted((x + side * 0.9, x + side * 0.75))
                _box(scene, (leg[0], leg[1], 0.0, 1.0, z0 + 2.0, z0 + 2.15), {}, (70, 72, 76))
        if with_cab:
            _box(
                scene,
                (x - 1.25, x + 1.25, 0.9, 3.8, z0 - 3.6, z0 - 1.2),
                {"front": lambda w, h, ppm: _cab_face(cab, w, h, ppm)},
                cab,
            )
        _box(
            scene,
            (x - 1.28, x + 1.28, 1.2, 4.0, z0, z1),
            {"left": trailer_side, "right": trailer_side, "front": trailer_end},
            colour,
        )
        _box(scene, (x - 1.28, x + 1.28, 1.0, 1.2, z0, z1), {}, (60, 62, 66))

    scene.add((x, 2.0, (z0 + z1) / 2), paint)


def _cab_face(colour: RGB, width_m: float, height_m: float, ppm: float) -> Image.Image:
    size = (max(2, round(width_m * ppm)), max(2, round(height_m * ppm)))
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    _rect(
        draw,
        (round(0.1 * size[0]), round(0.08 * size[1]), round(0.9 * size[0]), round(0.42 * size[1])),
        fill=(40, 48, 58),
    )
    _rect(
        draw,
        (round(0.15 * size[0]), round(0.62 * size[1]), round(0.85 * size[0]), round(0.8 * size[1])),
        fill=(50, 52, 56),
    )
    return image


def _lamp_post(scene: _Scene, x: float, z: float) -> None:
    def paint() -> None:
        scene.line3((x, 0.0, z), (x, 8.0, z), (70, 74, 78, 255), 0.12)
        scene.line3((x, 8.0, z), (x + 1.2, 8.0, z), (70, 74, 78, 255), 0.1)
        scene.line3((x + 0.9, 7.95, z), (x + 1.5, 7.95, z), (220, 224, 226, 255), 0.16)

    scene.add((x, 4.0, z), paint)


def _industrial(
    view: int, project: random.Random, shot: random.Random, size: tuple[int, int]
) -> Image.Image:
    park = _park(project)
    if view == 2:
        return _warehouse_interior(park, shot, size)
    sun = (-0.45, 0.7, -0.55)
    length, depth, height = park.length, park.depth, park.height
    if view == 0:
        cam = _Camera((-38.0, 30.0, -82.0), yaw=36.0, pitch=-15.0, fov=62.0, size=size)
    else:
        cam = _Camera(
            (length - 2.0, 1.7, -35.0), yaw=-34.0, pitch=0.0, fov=62.0, size=size, shift=0.12
        )
    cam = _handheld(cam, shot)
    scene = _Scene(cam, sun, shot, Image.new("RGB", size))
    sky_top, sky_horizon = (90, 140, 200), (210, 222, 232)
    _sky(
        scene,
        sky_top,
        sky_horizon,
        (255, 248, 232),
        0.35,
        shot.uniform(0.45, 0.7),
        (250, 250, 250),
        (160, 168, 184),
    )
    reflect = (_mix(sky_horizon, (255, 255, 255), 0.2), (70, 84, 100))

    field = _grass(shot, (768, 768), _mix(park.leaf, (150, 150, 100), 0.2), 0)
    scene.plane((-400.0, 0.0, 500.0), (900.0, 0.0, 0.0), (0.0, 0.0, -700.0), field)
    office_x1 = 26.0
    dock_from = office_x1 + 2.0
    # Truck yard in concrete, car park in asphalt with marked bays, and the access road.
    yard = _paving(shot, (1400, 700), (176, 176, 172), 48)
    yard_w = length - dock_from + 8.0
    lines = ImageDraw.Draw(yard)
    dock_pitch = (length - dock_from - 2.0) / park.docks
    for index in range(park.docks + 1):
        lx = round((2.0 + index * dock_pitch) / yard_w * 1400)
        lines.line([(lx, 0), (lx, round(18 / 36 * 700))], fill=(236, 206, 60), width=3)
    scene.plane(
        (dock_from - 2.0, 0.01, 0.0),
        (length - dock_from + 8.0, 0.0, 0.0),
        (0.0, 0.0, -36.0),
        yard,
        underlay=True,
    )
    car_park = _asphalt(shot, (1200, 900), (84, 86, 90))
    draw = ImageDraw.Draw(car_park)
    bays_px = 1200 / (office_x1 + 24.0)
    for row_z in (4.0, 15.0, 20.0):
        y = round(row_z / 36.0 * 900)
        draw.line([(0, y), (1200, y)], fill=(226, 226, 222), width=2)
        for bx in range(0, 1200, max(3, round(2.5 * bays_px))):
            draw.line(
                [(bx, y - round(5 * 900 / 36)), (bx, y + round(5 * 900 / 36))],
                fill=(226, 226, 222),
                width=2,
            )
    scene.plane(
        (-24.0, 0.01, -6.0),
        (office_x1 + 24.0, 0.0, 0.0),
        (0.0, 0.0, -36.0),
        car_park,
        underlay=True,
    )
    road = _asphalt(shot, (2400, 80), (70, 72, 76))
    ImageDraw.Draw(road).line([(0, 40), (2400, 40)], fill=(230, 230, 226), width=2)
    scene.plane((-200.0, 0.012, -44.0), (400.0, 0.0, 0.0), (0.0, 0.0, -8.0), road, underlay=True)
    _background(scene, shot, park.leaf, sky_horizon, 120.0, buildings=0.35)

    # Neighbouring hall across the yard, in a darker cladding.
    neighbour = _Park(
        length * 0.8,
        depth,
        height - 1.0,
        (92, 96, 102),
        park.accent,
        park.door,
        park.docks - 2,
        park.leaf,
    )
    n_bounds = (length + 24.0, length * 1.8 + 24.0, 0.0, neighbour.height, 8.0, 8.0 + depth)
    scene.box_shadow(n_bounds[0], n_bounds[1], n_bounds[4], n_bounds[5], n_bounds[3])
    n_front = _hall_front(scene, neighbour, shot, 4.0)
    n_side = _hall_side(neighbour, shot)
    scene.add(
        ((n_bounds[0] + n_bounds[1]) / 2, 5.0, n_bounds[4] + depth / 2),
        lambda: _box(
            scene,
            n_bounds,
            {
                "front": n_front,
                "left": n_side,
                "right": n_side,
                "top": lambda w, h, ppm: _roof(
                    shot, (max(2, round(w * ppm)), max(2, round(h * ppm))), ppm, (150, 152, 154)
                ),
            },
            (150, 152, 154),
        ),
    )

    bounds = (0.0, length, 0.0, height, 0.0, depth)
    office = (2.0, office_x1, 0.0, 8.4, -7.0, 0.0)
    scene.box_shadow(0.0, length, 0.0, depth, height)
    scene.box_shadow(office[0], office[1], office[4], office[5], office[3])
    _contact_shadow(scene, 0.0, length, 0.0, depth, 0.6)
    front = _hall_front(scene, park, shot, dock_from)
    side = _hall_side(park, shot)

    def roof(w: float, h: float, ppm: float) -> Image.Image:
        return _roof(shot, (max(2, round(w * ppm)), max(2, round(h * ppm))), ppm, (160, 162, 164))

    def curtain(w: float, h: float, ppm: float) -> Image.Image:
        return _glass_wall(
            shot, (max(2, round(w * ppm)), max(2, round(h * ppm))), ppm, (44, 48, 54), reflect, 2
        )

    def paint_hall() -> None:
        _box(
            scene,
            bounds,
            {"front": front, "left": side, "right": side, "top": roof},
            (160, 162, 164),
        )
        _box(scene, office, {"front": curtain, "left": curtain, "right": curtain}, (60, 64, 70))
        _box(
            scene,
            (
                office[0] - 0.2,
                office[1] + 0.2,
                office[3],
                office[3] + 0.5,
                office[4] - 0.2,
                office[5],
            ),
            {},
            park.accent,
        )

    scene.add((length / 2, height / 2, depth / 2), paint_hall)
    if cam.pos[1] > height:
        # Roof plant is only visible from above; from the ground the parapet hides it.
        for index in range(3):
            x = length - 8.0 - index * 7.0
            _box_item(
                scene,
                (x - 1.5, x + 1.5, height, height + 1.6, depth / 2 - 2, depth / 2 + 1),
                (196, 198, 200),
            )
    # Trailers at some docks, cars in some bays, lamps and young trees along the edges.
    pitch = (length - dock_from - 2.0) / park.docks
    for index in range(park.docks):
        if index % 3 != 1 and shot.random() < 0.6:
            x = dock_from + index * pitch + pitch / 2
            _truck(
                scene,
                x,
                -0.6,
                shot.choice(((236, 236, 232), (226, 228, 230), (214, 216, 218), (170, 60, 50))),
                shot.choice(((230, 230, 226), (180, 30, 30), (30, 60, 120))),
                shot.random() < 0.2,
            )
    palette = (
        (230, 230, 228),
        (40, 42, 46),
        (120, 124, 130),
        (170, 172, 176),
        (30, 50, 90),
        (140, 30, 30),
    )
    for row_z, facing in ((-10.0, 1), (-21.0, -1), (-26.0, 1)):
        for bay in range(int((office_x1 + 24.0) / 2.5)):
            if shot.random() < 0.55:
                _car(
                    scene,
                    -24.0 + bay * 2.5 + 1.25,
                    row_z + facing * 2.5 * 0.0,
                    False,
                    shot.choice(palette),
                )
    for x in range(-20, round(length), 18):
        _lamp_post(scene, float(x), -38.5)
    for x in range(-22, round(length) + 10, 9):
        _tree(
            scene,
            (x + shot.uniform(-1, 1), 0.0, -40.5),
            shot.uniform(5.0, 7.5),
            shot.uniform(1.8, 2.6),
            _jitter(shot, park.leaf, 0.1),
            shot.getrandbits(32),
        )
    scene.apply_shadow(blur=10.0, darkness=0.6)
    scene.paint_items()
    return scene.canvas


def _warehouse_interior(park: _Park, shot: random.Random, size: tuple[int, int]) -> Image.Image:
    """Inside the hall: polished concrete, steel frames, racking and daylight from skylights."""
    w, d, h = 60.0, 40.0, park.height
    cam = _Camera((4.0, 1.7, 3.0), yaw=58.0, pitch=0.0, fov=74.0, size=size, shift=-0.08)
    scene = _Scene(
        cam,
        (0.3, 1.0, 0.2),
        shot,
        Image.new("RGB", size),
        ambient=0.86,
        shade=(214, 216, 220),
        light=(250, 250, 248),
    )
    scene.canvas.paste((230, 232, 234), (0, 0, *size))
    floor_ppm = _texture_ppm(scene, [(0, 0, d), (w, 0, d), (w, 0, 0), (0, 0, 0)], cap=40)
    floor_size = (round(w * floor_ppm), round(d * floor_ppm))
    floor = _paving(shot, floor_size, (178, 176, 170), round(6 * floor_ppm), (150, 148, 144))
    # Polished concrete mirrors the skylights as soft bright streaks.
    sheen = _fractal(shot, floor_size, 6, 3)
    floor = Image.blend(floor, _tinted(sheen, (150, 150, 146), (214, 214, 210)), 0.35)
    marks = ImageDraw.Draw(floor)
    for z_line in (6.5, 8.0):
        y = round((d - z_line) * floor_ppm)
        _rect(
            marks, (0, y, floor_size[0], y + max(1, round(0.12 * floor_ppm))), fill=(226, 188, 40)
        )
    glare = Image.new("L", floor_size, 0)
    glare_draw = ImageDraw.Draw(glare)
    for x in range(4, round(w) - 6, 9):
        for z in range(6, round(d) - 4, 8):
            _rect(
                glare_draw,
                (
                    x * floor_ppm,
                    (d - z) * floor_ppm,
                    (x + 6) * floor_ppm,
                    (d - z + 1.6) * floor_ppm,
                ),
                fill=110,
            )
    glare = glare.filter(ImageFilter.GaussianBlur(floor_ppm * 0.8))
    floor.paste((236, 238, 240), (0, 0), glare)
    _room_surface(scene, (0.0, 0.0, d), (w, 0.0, 0.0), (0.0, 0.0, -d), (0.0, 1.0, 0.0), floor)
    ceiling = _roof(shot, (round(w * 12), round(d * 12)), 12, (200, 202, 206))
    ceiling = ceiling.point([min(255, round(v * 1.1)) for v in range(256)] * 3)
    lamp_draw = ImageDraw.Draw(ceiling)
    for x in range(6, round(w), 8):
        for z in (8, 18, 28, 38):
            lamp_draw.ellipse(
                ((x - 0.5) * 12, (z - 0.5) * 12, (x + 0.5) * 12, (z + 0.5) * 12),
                fill=(255, 255, 252),
            )
    _room_surface(scene, (0.0, h, 0.0), (w, 0.0, 0.0), (0.0, 0.0, d), (0.0, -1.0, 0.0), ceiling)
    wall_ppm = 14.0

    def inner(length: float, doors: bool) -> Image.Image:
        size_px = (round(length * wall_ppm), round(h * wall_ppm))
        image = _cladding(shot, size_px, wall_ppm, (214, 216, 218), 0.3)
        draw = ImageDraw.Draw(image)
        _rect(
            draw,
            (0, size_px[1] - round(2.4 * wall_ppm), size_px[0], size_px[1]),
            fill=(170, 170, 166),
        )
        if doors:
            for x in range(6, round(length) - 4, 6):
                _rect(
                    draw,
                    (
                        round(x * wall_ppm),
                        round((h - 4.4) * wall_ppm),
                        round((x + 3) * wall_ppm),
                        round((h - 1.2) * wall_ppm),
                    ),
                    fill=park.door,
                )
                for y in range(
                    round((h - 4.4) * wall_ppm), round((h - 1.2) * wall_ppm), round(0.55 * wall_ppm)
                ):
                    draw.line(
                        [(round(x * wall_ppm), y), (round((x + 3) * wall_ppm), y)],
                        fill=_scale(park.door, 0.75),
                    )
        return image

    _room_surface(
        scene, (0.0, h, d), (w, 0.0, 0.0), (0.0, -h, 0.0), (0.0, 0.0, -1.0), inner(w, False)
    )
    _room_surface(
        scene, (0.0, h, 0.0), (0.0, 0.0, d), (0.0, -h, 0.0), (1.0, 0.0, 0.0), inner(d, False)
    )
    _room_surface(
        scene, (w, h, d), (0.0, 0.0, -d), (0.0, -h, 0.0), (-1.0, 0.0, 0.0), inner(d, True)
    )
    _room_surface(
        scene, (w, h, 0.0), (-w, 0.0, 0.0), (0.0, -h, 0.0), (0.0, 0.0, 1.0), inner(w, True)
    )
    steel = (64, 70, 80)
    upright = (36, 84, 150)
    beam = (236, 120, 30)
    # Steel portal frames across the hall.
    for frame_x in range(12, round(w), 12):
        for column_z in (0.3, d / 2, d - 0.3):
            column = (frame_x - 0.2, frame_x + 0.2, 0.0, h - 0.9, column_z - 0.2, column_z + 0.2)
            scene.add((frame_x, 4.0, column_z), partial(_box, scene, column, {}, steel))
        girder = (frame_x - 0.15, frame_x + 0.15, h - 1.3, h - 0.3, 0.0, d)
        scene.add((frame_x, h - 0.6, d / 2), partial(_box, scene, girder, {}, steel, hidden=()))
    # Pallet racking in long rows, loaded with boxes and wrapped pallets.
    cartons: tuple[RGB, ...] = ((196, 160, 110), (214, 206, 190), (170, 136, 96), (220, 220, 216))
    for row, rack_z in enumerate((12.0, 22.0, 32.0)):
        for bay in range(int((w - 16) / 2.8)):
            x0 = 14.0 + bay * 2.8
            if row == 0 and bay < 2:
                continue
            parts: list[tuple[Bounds, RGB]] = []
            for level in range(4):
                shelf = 0.15 + level * 2.1
                parts.append(
                    ((x0, x0 + 2.7, shelf, shelf + 0.12, rack_z - 0.6, rack_z + 0.6), beam)
                )
                for left, right, top in ((0.15, 1.3, 1.5), (1.4, 2.55, 1.4)):
                    if shot.random() < 0.8:
                        load = (
                            x0 + left,
                            x0 + right,
                            shelf + 0.12,
                            shelf + top,
                            rack_z - 0.55,
                            rack_z + 0.55,
                        )
                        parts.append((load, shot.choice(cartons)))
            for post_z in (rack_z - 0.6, rack_z + 0.5):
                parts.append(((x0 - 0.05, x0 + 0.05, 0.0, 8.6, post_z, post_z + 0.1), upright))
            footprint = [
                (x0, 0.0, rack_z - 0.8),
                (x0 + 2.8, 0.0, rack_z - 0.8),
                (x0 + 2.8, 0.0, rack_z + 0.8),
                (x0, 0.0, rack_z + 0.8),
            ]
            scene.ground_shadow(footprint, 140)
            scene.add((x0 + 1.4, 2.0, rack_z), partial(_boxes, scene, parts))
    scene.apply_shadow(blur=20.0, darkness=0.4, tint=(120, 120, 124))
    scene.paint_items()
    return scene.canvas


# --------------------------------------------------------------------------- public

MAX_SIDE = 2560
LOGO_SIZE = (360, 120)


def render_photo(
    kind: str, view: int, seed: int, size: tuple[int, int] = (1600, 1067)
) -> Image.Image:
    """Render a demo photo of a project of this kind; views 0, 1 and 2 are three shots of it."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; expected 0, 1 or 2")
    width, height = size
    if not (32 <= width <= MAX_SIDE and 32 <= height <= MAX_SIDE):
        raise ValueError(f"size {size!r} out of range 32..{MAX_SIDE}")
    # The project (building, colours) depends on kind and seed only, so the views agree.
    project = _rng(_seed("project", kind, seed))
    shot = _rng(_seed("shot", kind, seed, view))
    factor = max(1.0, min(SUPERSAMPLE, math.sqrt(WORK_PIXELS / (width * height))))
    work = (round(width * factor), round(height * factor))
    builders = {"residential": _residential, "luxury": _luxury, "industrial": _industrial}
    canvas = builders[kind](view, project, shot, work)
    grading = {"residential": 2.0, "luxury": 5.0, "industrial": -1.0}[kind]
    return _finish(canvas, size, shot, warmth=grading)


def _logo_mark(
    draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], colour: RGB, style: int
) -> None:
    """One of a few simple geometric marks, drawn inside box, with negative space cut out."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    dark = (*_scale(colour, 0.7), 255)
    fill = (*colour, 255)
    clear = (0, 0, 0, 0)
    if style == 0:
        # A house: roof and body, with a door cut out.
        draw.polygon(
            [(x0, y0 + h * 0.48), (x0 + w / 2, y0 + h * 0.05), (x1, y0 + h * 0.48)], fill=fill
        )
        _rect(draw, (x0 + w * 0.14, y0 + h * 0.46, x1 - w * 0.14, y1 - h * 0.05), fill=fill)
        _rect(draw, (x0 + w * 0.42, y0 + h * 0.64, x0 + w * 0.58, y1 - h * 0.05), fill=clear)
    elif style == 1:
        # A skyline of three towers.
        for index, (left, top) in enumerate(((0.06, 0.45), (0.36, 0.12), (0.66, 0.3))):
            colour_i = fill if index != 1 else dark
            _rect(
                draw,
                (x0 + w * left, y0 + h * top, x0 + w * (left + 0.27), y1 - h * 0.05),
                fill=colour_i,
            )
    elif style == 2:
        # A disc with a roof chevron in negative space.
        draw.ellipse((x0, y0, x1, y1), fill=fill)
        stroke = max(2, round(w * 0.09))
        draw.line(
            [
                (x0 + w * 0.24, y0 + h * 0.62),
                (x0 + w * 0.5, y0 + h * 0.34),
                (x0 + w * 0.76, y0 + h * 0.62),
            ],
            fill=clear,
            width=stroke,
            joint="curve",
        )
    else:
        # Two interlocking rounded squares.
        radius = w * 0.12
        draw.rounded_rectangle((x0, y0, x0 + w * 0.66, y0 + h * 0.66), radius=radius, fill=fill)
        draw.rounded_rectangle((x0 + w * 0.34, y0 + h * 0.34, x1, y1), radius=radius, fill=dark)


def render_logo(name: str, colour: tuple[int, int, int], seed: int) -> Image.Image:
    """Render a transparent 360x120 logo: a geometric mark in the colour, then the name."""
    rng = _rng(_seed("logo", name, colour, seed))
    scale = 2
    width, height = LOGO_SIZE[0] * scale, LOGO_SIZE[1] * scale
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    rgb: RGB = (colour[0], colour[1], colour[2])
    pad = 14 * scale
    mark = height - 2 * pad
    _logo_mark(draw, (pad, pad, pad + mark, pad + mark), rgb, rng.randrange(4))
    text = " ".join(name.split()) or "Leadpages"
    text_x = pad * 2 + mark
    room = width - text_x - pad
    ink = (*_mix(_scale(rgb, 0.45), (34, 36, 40), 0.5), 255)
    # Shrink the type until the name fits; past a point, break it over two lines.
    lines = [text]
    size = 38 * scale
    font = ImageFont.load_default(size=size)
    while size > 22 * scale and draw.textlength(text, font=font) > room:
        size -= 2 * scale
        font = ImageFont.load_default(size=size)
    if draw.textlength(text, font=font) > room and " " in text:
        words = text.split(" ")
        best = min(
            range(1, len(words)),
            key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))),
        )
        lines = [" ".join(words[:best]), " ".join(words[best:])]
    while size > 10 * scale and max(draw.textlength(line, font=font) for line in lines) > room:
        size -= 2 * scale
        font = ImageFont.load_default(size=size)
    ascent, descent = font.getmetrics() if isinstance(font, ImageFont.FreeTypeFont) else (size, 0)
    line_h = ascent + descent
    top = (height - line_h * len(lines)) / 2
    for index, line in enumerate(lines):
        draw.text((text_x, top + index * line_h), line, font=font, fill=ink, anchor="la")
    underline_y = round(top + line_h * len(lines) + 2 * scale)
    if underline_y < height - pad // 2:
        _rect(
            draw,
            (text_x, underline_y, text_x + min(room, 60 * scale), underline_y + 2 * scale),
            fill=(*rgb, 255),
        )
    return image.reduce(scale)
