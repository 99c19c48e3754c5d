"""The SimPy-free accounting core: the period ledger's layout, the wait histogram and the
metrics computed from ledger sums. The world fills the ledger; the payer, physicians'
expectations and the output tables read it through these functions.
"""

from simulate.accounts.ledger import (
    BASE_PAYMENT_SLICE,
    PAYMENT_COMPONENTS,
    PHYSICIAN_FIELDS,
    TEAM_FIELDS,
    F,
    PeriodLedger,
    T,
)
from simulate.accounts.metrics import METRIC_UNITS, METRICS, compute_metrics, unit_sums

__all__ = [
    "BASE_PAYMENT_SLICE",
    "METRICS",
    "METRIC_UNITS",
    "PAYMENT_COMPONENTS",
    "PHYSICIAN_FIELDS",
    "TEAM_FIELDS",
    "F",
    "PeriodLedger",
    "T",
    "compute_metrics",
    "unit_sums",
]
