"""Updating one project: Copier's update worked out on a copy, applied in one step."""
