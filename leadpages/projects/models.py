"""Projects, their texts per language, their photos and their property categories."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from leadpages.db import Base, utcnow
from leadpages.partners.models import Partner

PROJECT_STATUSES = ("draft", "published", "closed")

project_categories = Table(
    "project_categories",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Category(Base):
    """A coarse property category from the closed list (residential, industrial, luxury, ...)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: The neutral name sent to ad platforms; never suggests income or another sensitive trait.
    export_name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300))


class Project(Base):
    """A real-estate project with one landing page per language."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'closed')", name="status"),
        CheckConstraint("price_min IS NULL OR price_max IS NULL OR price_min <= price_max",
                        name="price_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    street: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(12))
    city: Mapped[str] = mapped_column(String(120))
    #: ISO 3166-1 alpha-2; also the default country for the form's postcode.
    country: Mapped[str] = mapped_column(String(2), default="BE")
    units_total: Mapped[int | None]
    units_available: Mapped[int | None]
    price_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    price_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    #: Codes from leadpages.projects.vocabulary.UNIT_TYPES.
    unit_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_date: Mapped[date | None]
    #: The languages the page is published in; a subset of leadpages.i18n.LANGUAGES.
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["nl", "fr", "en"])
    #: The optional form fields this project asks; codes from leads.forms.OPTIONAL_FIELDS.
    optional_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")
    texts: Mapped[list[ProjectText]] = relationship(
        back_populates="project", cascade="all, delete-orphan"
    )
    photos: Mapped[list[ProjectPhoto]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectPhoto.position"
    )
    categories: Mapped[list[Category]] = relationship(secondary=project_categories)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    def text(self, lang: str) -> ProjectText | None:
        """The texts in `lang`, or None when the page is not written in it."""
        return next((t for t in self.texts if t.language == lang), None)

    def __repr__(self) -> str:
        return f"<Project {self.slug} {self.status}>"


class ProjectText(Base):
    """A project's title and texts in one language."""

    __tablename__ = "project_texts"
    __table_args__ = (UniqueConstraint("project_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(160))
    tagline: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    project: Mapped[Project] = relationship(back_populates="texts")


class ProjectPhoto(Base):
    """A photo, stored once per width and format under the upload folder's `photos/`."""

    __tablename__ = "project_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    #: Content hash naming the files `<key>-<width>.<webp|jpg>`; new content, new name.
    key: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    #: The widths that were rendered, ascending.
    widths: Mapped[list[int]] = mapped_column(JSON)
    #: Alternative text per language.
    alt: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    #: The centre of interest as fractions of width and height, found at upload: crops for ads
    #: are cut around it.
    focus_x: Mapped[float] = mapped_column(default=0.5, server_default="0.5")
    focus_y: Mapped[float] = mapped_column(default=0.5, server_default="0.5")

    project: Mapped[Project] = relationship(back_populates="photos")


class ProjectVersion(Base):
    """A saved state of a project's page: every field and text as it was, kept for good."""

    __tablename__ = "project_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    #: 1, 2, 3... per project.
    number: Mapped[int]
    #: What made this version: "created", "saved", "published", "closed", "photos", ...
    action: Mapped[str] = mapped_column(String(20))
    #: The project's fields, texts per language, photos and categories, as JSON.
    snapshot: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
