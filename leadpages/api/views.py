"""The partner API under /api/v1/ (being built; see issue 3)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
