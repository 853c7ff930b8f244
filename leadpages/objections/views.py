"""Objection channels on the public site: the objection page and the one-click link."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("objections", __name__)
