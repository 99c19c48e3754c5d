"""How physicians are labelled in every table, page and target list."""

from __future__ import annotations


def physician_name(team: str, index: int) -> str:
    """Label of a team's ``index``-th physician (0-based), e.g. ``orthopaedics.01``."""
    return f"{team}.{index + 1:02d}"
