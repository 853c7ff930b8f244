"""Campaign fixtures: campaigns, stored photos made with Pillow, and leads through the intake."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from leadpages.campaigns import services as campaigns
from leadpages.campaigns.models import Campaign
from leadpages.leads.models import Lead
from leadpages.leads.services import LeadInput, submit_lead
from leadpages.media.images import store_photo
from leadpages.projects.models import Project, ProjectPhoto


def picture(size: tuple[int, int], marker: tuple[float, float] | None = None) -> Image.Image:
    """A grey picture, with a pure red square around `marker` (fractions) if given."""
    image = Image.new("RGB", size, (128, 128, 128))
    if marker is not None:
        x, y = round(marker[0] * size[0]), round(marker[1] * size[1])
        ImageDraw.Draw(image).rectangle((x - 40, y - 40, x + 40, y + 40), fill=(255, 0, 0))
    return image


@pytest.fixture
def make_photo(app: Flask, session: Session) -> Callable[..., ProjectPhoto]:
    def make(project: Project, size: tuple[int, int] = (1600, 2400),
             focus: tuple[float, float] = (0.5, 0.5),
             marker: tuple[float, float] | None = None, replace: bool = True) -> ProjectPhoto:
        """A real stored photo of `project` (the only one unless `replace=False`)."""
        stored = store_photo(picture(size, marker), app.config["UPLOAD_PATH"])
        photo = ProjectPhoto(key=stored.key, width=stored.width, height=stored.height,
                             widths=stored.widths, alt={}, focus_x=focus[0], focus_y=focus[1],
                             position=0 if replace else len(project.photos))
        if replace:
            project.photos = [photo]
        else:
            project.photos.append(photo)
        session.flush()
        return photo

    return make


@pytest.fixture
def make_campaign(app: Flask, session: Session,
                  make_project: Callable[..., Project]) -> Callable[..., Campaign]:
    def make(project: Project | None = None, name: str = "Spring open house",
             channel: str = "meta", **values: Any) -> Campaign:
        with app.app_context():
            return campaigns.create_campaign(
                session, project or make_project(),
                campaigns.CampaignInput(name=name, channel=channel, **values))

    return make


@pytest.fixture
def make_lead(app: Flask, session: Session) -> Callable[..., Lead]:
    counter = iter(range(1, 10_000))

    def make(project: Project, code: str | None = None, at: datetime | None = None) -> Lead:
        """A lead through the real intake (with its outbox rows), captured at `at`."""
        n = next(counter)
        data = LeadInput(first_name="Jan", last_name=f"Janssens{n}", email=f"jan{n}@example.com",
                         phone=f"+3247012{n:04d}")
        with app.app_context():
            intake = submit_lead(session, project, data, lang="en", campaign_code=code,
                                 source_ip=None)
        if at is not None:
            intake.lead.created_at = at
        session.flush()
        return intake.lead

    return make
