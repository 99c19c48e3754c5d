"""Result tables, summary statistics and storage with a manifest."""

from simulate.output.store import MANIFEST, write_run, write_table
from simulate.output.tables import (
    payments_table,
    physicians_table,
    summary_table,
    trajectories_table,
)

__all__ = [
    "MANIFEST",
    "payments_table",
    "physicians_table",
    "summary_table",
    "trajectories_table",
    "write_run",
    "write_table",
]
