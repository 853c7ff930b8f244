"""Creatives: crops around the focus point, exact sizes, texts within limits, the bundle."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from leadpages.campaigns import creatives
from leadpages.campaigns.creatives import FORMATS, LIMITS, plan_cut, shorten


@pytest.mark.parametrize("size", [(1600, 1067), (1600, 2400), (480, 270), (1000, 1000)])
@pytest.mark.parametrize("focus", [(0.5, 0.5), (0.0, 0.0), (1.0, 1.0), (0.9, 0.1),
                                   (0.13, 0.77)])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_crop_holds_the_focus_point_with_the_target_shape(size, focus, fmt):
    width, height = size
    target = FORMATS[fmt]
    cut = plan_cut(width, height, focus[0], focus[1], target)
    left, top, right, bottom = cut.box
    assert 0 <= left < right <= width
    assert 0 <= top < bottom <= height
    assert left <= focus[0] * width <= right
    assert top <= focus[1] * height <= bottom
    # The largest crop: it fills the source in one direction.
    assert right - left == width or bottom - top == height
    assert abs((right - left) / (bottom - top) - target[0] / target[1]) < 0.01
    # Never enlarged: the target size only when the crop is at least as big.
    if right - left >= target[0]:
        assert cut.size == target
        assert not cut.is_smaller
    else:
        assert cut.size == (right - left, bottom - top)
        assert cut.is_smaller


def test_the_crop_is_centred_on_the_focus_when_the_borders_allow():
    cut = plan_cut(1600, 2400, 0.5, 0.6, (1080, 1080))
    left, top, right, bottom = cut.box
    assert (left, right) == (0, 1600)
    assert (top + bottom) / 2 == pytest.approx(0.6 * 2400, abs=1)


@pytest.mark.parametrize(("focus", "seen"), [((0.5, 0.9), True), ((0.5, 0.5), False)])
def test_the_rendered_square_shows_what_is_at_the_focus(app, make_project, make_photo,
                                                        focus, seen):
    project = make_project()
    make_photo(project, size=(1600, 2400), focus=focus, marker=(0.5, 0.9))
    [square] = [c for c in creatives.creatives(app.config["UPLOAD_PATH"], project)
                if c.fmt == "square"]
    image = creatives.render(app.config["UPLOAD_PATH"], square)
    assert image.size == (1080, 1080)
    pixels = image.load()
    red = any(pixels[x, y][0] > 200 and pixels[x, y][1] < 60
              for x in range(0, 1080, 8) for y in range(0, 1080, 8))
    assert red is seen


def test_sizes_are_exact_for_a_large_photo_and_noted_for_a_small_one(app, make_project,
                                                                      make_photo):
    project = make_project()
    make_photo(project, size=(1600, 2400))
    make_photo(project, size=(1600, 1067), replace=False)
    upload = app.config["UPLOAD_PATH"]
    made = {(c.fmt, c.number): c for c in creatives.creatives(upload, project)}
    for fmt, size in FORMATS.items():
        path = creatives.cached_file(upload, 7, made[(fmt, 1)])
        with Image.open(path) as image:
            assert image.size == size
            assert image.format == "JPEG"
    small = made[("vertical", 2)]
    assert small.cut.is_smaller
    assert small.cut.size == (600, 1067)
    with Image.open(creatives.cached_file(upload, 7, small)) as image:
        assert image.size == (600, 1067)


def test_photos_without_files_are_left_out(app, make_project):
    project = make_project()  # the fixture's photo has no file behind it
    assert creatives.creatives(app.config["UPLOAD_PATH"], project) == []


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("Residentie Parkzicht", 30, "Residentie Parkzicht"),
    ("Wonen aan het park in het hart van Gent", 30, "Wonen aan het park in het…"),
    ("Wonen aan het park, in het hart van Gent", 20, "Wonen aan het park…"),
    ("Eén  twee\n drie", 30, "Eén twee drie"),
    ("Onafhankelijkheidsverklaringsdocumenten", 10, "Onafhanke…"),  # one word: cut inside
])
def test_texts_are_cut_at_a_word_boundary(text, limit, expected):
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def _texts(app, project):
    with app.test_request_context():
        return creatives.ad_texts(project)


def test_ad_texts_per_language_are_within_the_limits_and_whole_words(app, make_project):
    project = make_project(city="Sint-Martens-Latem")
    nl = project.text("nl")
    nl.title = "Residentie Parkzicht aan de oevers van de Leie met zicht op het groen"
    nl.tagline = ("Ruime appartementen met twee of drie slaapkamers, een grote tuin en een "
                  "ondergrondse parking, op wandelafstand van het station en de scholen")
    texts = _texts(app, project)
    assert {(t.platform, t.field) for t in texts} == set(LIMITS)
    assert {t.language for t in texts} == {"nl", "fr", "en"}
    cut = 0
    for text in texts:
        assert 0 < text.length <= text.limit == LIMITS[(text.platform, text.field)]
        with app.test_request_context():
            full = creatives.ad_text_sources(project, text.language)[(text.platform, text.field)]
        if text.text != full:
            cut += 1
            kept = text.text.removesuffix("…")
            assert text.text.endswith("…")
            # Whole words only: what is kept is the start of the text, up to where a word ends.
            assert full.startswith(kept)
            assert full[len(kept)] in " ,;:.-–—·", (kept, full)
            assert not kept.endswith("€")
    assert cut >= 3
    headline = next(t for t in texts if (t.language, t.platform, t.field)
                    == ("nl", "google", "headline"))
    assert headline.text == "Residentie Parkzicht aan de…"
    primary = next(t for t in texts if (t.language, t.platform, t.field)
                   == ("en", "meta", "primary_text"))
    assert "Living in the green" in primary.text
    assert "Sint-Martens-Latem" in primary.text
    assert "250,000" in primary.text
    assert "450,000" in primary.text
    dutch_description = next(t for t in texts if (t.language, t.platform, t.field)
                             == ("nl", "meta", "description"))
    assert dutch_description.text.startswith("Sint-Martens-Latem")


def test_the_bundle_holds_every_asset_and_its_tracking_link(app, make_campaign, make_photo):
    campaign = make_campaign(name="Spring open house")
    make_photo(campaign.project, size=(1600, 2400))
    make_photo(campaign.project, size=(1600, 1067), replace=False)
    with app.test_request_context():
        bundle = creatives.build_bundle(app.config["UPLOAD_PATH"], campaign)
        links = creatives.links(campaign)
    with bundle, zipfile.ZipFile(bundle.file) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        readme = archive.read("README.txt").decode()
        rows = list(csv.DictReader(io.StringIO(archive.read("texts.csv").decode())))
        with Image.open(io.BytesIO(archive.read("images/landscape-1.jpg"))) as image:
            assert image.size == (1200, 628)
    assert names == ["README.txt", "manifest.json", "texts.csv",
                     *(f"images/{fmt}-{n}.jpg" for n in (1, 2) for fmt in FORMATS)]
    assert bundle.filename == f"{campaign.code}-creatives.zip"
    # Every asset points to this campaign's tracking link.
    for asset in manifest["assets"]:
        query = parse_qs(urlsplit(asset["link"]).query)
        assert query["c"] == [campaign.code]
        assert asset["link"] in links.values()
    images = [a for a in manifest["assets"] if a["kind"] == "image"]
    assert sorted(a["file"] for a in images) == sorted(n for n in names if n.startswith("images/"))
    assert [a["smaller_than_asked"] for a in images if a["file"] == "images/vertical-2.jpg"] \
        == [True]
    assert {a["link"] for a in manifest["assets"] if a.get("language") == "fr"} == {links["fr"]}
    assert campaign.name in readme
    assert campaign.code in readme
    for link in links.values():
        assert link in readme
    assert "images/vertical-2.jpg: 600x1067" in readme
    assert {(r["platform"], r["field"]) for r in rows} == set(LIMITS)
    for row in rows:
        assert int(row["length"]) == len(row["text"]) <= int(row["limit"])


def test_two_bundles_of_the_same_material_are_identical(app, make_campaign, make_photo):
    campaign = make_campaign()
    make_photo(campaign.project)
    with app.test_request_context():
        first = creatives.build_bundle(app.config["UPLOAD_PATH"], campaign)
        second = creatives.build_bundle(app.config["UPLOAD_PATH"], campaign)
    with first, second:
        assert first.file.read() == second.file.read()
