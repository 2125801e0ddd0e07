"""The public pages."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    """The home page."""
    return render_template("main/index.html")


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """For load balancers and the container's HEALTHCHECK: the app is serving."""
    return "ok", 200, {"Content-Type": "text/plain"}
