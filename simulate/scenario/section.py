"""The base of every scenario section: immutable, strict (unknown keys refused, no
infinities), fields read by name or alias."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
"""Names used in paths and tables: letters, digits, '_', '.', '-'; no separators."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, populate_by_name=True
    )
