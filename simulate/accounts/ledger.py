"""The period ledger: per-period, per-physician and per-team sums kept as the world runs.

Memory is fixed by (periods x physicians x fields), never by the number of patients.
Within a period the world adds to plain Python lists (fast scalar updates); at period
close the lists are copied into numpy arrays and cleared.
"""

from __future__ import annotations

import numpy as np

from simulate.accounts.wait_histogram import N_BINS

CLINICAL_FIELDS: tuple[str, ...] = (
    "episodes",  # index episodes completed (patients treated)
    "readmission_episodes",  # readmission episodes completed by this physician
    "readmissions",  # index episodes followed by a readmission within the window
    "complications",  # index episodes with a complication
    "high_risk_episodes",  # index episodes of high-risk patients
    "cost",  # resource cost of index episodes and their readmissions, and of the
    # organisation's investments in coordination shared among its physicians (currency)
    "recovery_days",  # sum over index episodes (days)
    "qalys",  # health gain of index episodes (QALYs)
    "intensity",  # sum of intensity over index episodes
    "quality_effort",  # sum of quality effort over index episodes
    "treatment_starts",  # episodes (index and readmission) whose treatment began
    "wait_days",  # sum of waits of those treatment starts (days)
    "expected_complications",  # sum over index episodes of the risk given severity alone
    "expected_readmissions",  # the same for readmissions (for risk adjustment)
    "declined",  # high-risk patients declined and referred elsewhere (risk selection)
    "resource_use",  # base cost x cost weight x intensity over index episodes (currency)
)
"""Per-physician sums, in ledger order."""
SCHEME_COMPONENTS: tuple[str, ...] = ("fee_for_service", "capitation", "salary", "bundled")
"""The base payment schemes (gross base payment: what withholds and shares of base take)."""
PAYMENT_COMPONENTS: tuple[str, ...] = (*SCHEME_COMPONENTS, "cost_sharing", "investment")
"""Line-item components of base payment, in ledger order: the four schemes, the share of
the cost of care physicians bear (risk-bearing payment, negative) and their share of the
organisation's investments (organisational response, negative)."""
PHYSICIAN_FIELDS: tuple[str, ...] = (*CLINICAL_FIELDS, *PAYMENT_COMPONENTS, "incentives")
"""Clinical sums, base payment by component, and incentive payments net (currency)."""
F = {name: index for index, name in enumerate(PHYSICIAN_FIELDS)}
BASE_PAYMENT_SLICE = slice(F[SCHEME_COMPONENTS[0]], F[SCHEME_COMPONENTS[-1]] + 1)
"""The base payment schemes within a physician row (gross of borne costs)."""

TEAM_FIELDS: tuple[str, ...] = (
    "arrivals",  # new patients routed to the team
    "queue_entries",  # episodes (index and readmission) that joined the queue
    "queue_area",  # integral of queue length over time (patient-days)
    "turned_away",  # episodes refused because the queue was full (max_queue)
)
T = {name: index for index, name in enumerate(TEAM_FIELDS)}


class PeriodLedger:
    """Sums per period for physicians (``physician``, ``wait_hist``) and teams (``team``)."""

    def __init__(self, n_periods: int, n_physicians: int, n_teams: int) -> None:
        self.n_periods = n_periods
        self.physician = np.zeros((n_periods, n_physicians, len(PHYSICIAN_FIELDS)))
        self.wait_hist = np.zeros((n_periods, n_physicians, N_BINS), dtype=np.int32)
        self.team = np.zeros((n_periods, n_teams, len(TEAM_FIELDS)))
        self.current = [[0.0] * len(PHYSICIAN_FIELDS) for _ in range(n_physicians)]
        """This period's physician sums, indexed [physician][field]."""
        self.current_hist = [[0] * N_BINS for _ in range(n_physicians)]
        self.current_team = [[0.0] * len(TEAM_FIELDS) for _ in range(n_teams)]

    def close(self, period: int) -> None:
        """Move this period's sums into row ``period`` and start the next period at zero."""
        self.physician[period] += np.asarray(self.current)
        self.wait_hist[period] += np.asarray(self.current_hist, dtype=np.int32)
        self.team[period] += np.asarray(self.current_team)
        for rows, zero in ((self.current, 0.0), (self.current_hist, 0), (self.current_team, 0.0)):
            for row in rows:
                row[:] = [zero] * len(row)
