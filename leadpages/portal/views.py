"""The partner portal under /portal/ (being built; see issue 3)."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")
