"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def project(request: HttpRequest) -> dict[str, str]:
    """The project's name, so page titles and headers come from one setting."""
    return {"project_name": settings.PROJECT_NAME}
