"""Errors the user can act on: each names the file, line and field at fault."""

from __future__ import annotations


class ScenarioError(Exception):
    """A scenario that cannot be used, with where and why.

    The CLI prints ``str(error)`` and exits with status 2; nothing else is shown.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.format())

    def format(self) -> str:
        """One line: ``file:line: field 'a.b[0]': message``."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, f"field '{self.field}'" if self.field else "") if p]
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message
