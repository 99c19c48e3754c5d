"""simulate.report: figures and the self-contained HTML value dashboard of a results folder."""

from simulate.report.build import build_report

__all__ = ["build_report"]
