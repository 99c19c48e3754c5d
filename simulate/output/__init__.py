"""Result tables, summary statistics and storage with a manifest."""

from simulate.output.metrics import METRIC_UNITS, METRICS
from simulate.output.store import MANIFEST, write_run, write_table

__all__ = ["MANIFEST", "METRICS", "METRIC_UNITS", "write_run", "write_table"]
