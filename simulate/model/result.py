"""What one replication of the world returns: the ledger, the physicians and the tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

EPISODE_LOG_COLUMNS: tuple[str, ...] = (
    "patient",
    "condition",
    "severity",
    "team",
    "physician",
    "kind",
    "queue_join_day",
    "start_day",
    "end_day",
    "wait_days",
    "complication",
    "readmitted",
    "cost",
    "qalys",
    "recovery_days",
    "fee_for_service",
    "bundled",
)


@dataclass
class PatientTally:
    """Where every patient who arrived is at the end of the run (counts)."""

    arrived: int = 0
    finished: int = 0
    """All episodes done (index, and readmission if any)."""
    queued: int = 0
    """Waiting for treatment (index or readmission)."""
    in_treatment: int = 0
    awaiting_readmission: int = 0
    """Discharged and due to be readmitted after the run's end time."""
    turned_away: int = 0
    """Arrived (or returned for readmission) to a full queue and were sent elsewhere."""
    declined: int = 0
    """High-risk patients a physician declined (risk selection), referred elsewhere."""
    queued_wait_days: float = 0.0
    """Days already waited by those still queued at the end (for Little's law)."""

    @property
    def in_system(self) -> int:
        """Patients not yet finished."""
        return self.queued + self.in_treatment + self.awaiting_readmission


@dataclass
class ReplicationResult:
    """One replication's record; arrays are indexed [period, physician or team, field]."""

    replication: int
    physician: np.ndarray
    wait_hist: np.ndarray
    team: np.ndarray
    physician_team: np.ndarray
    traits: dict[str, np.ndarray]
    style: dict[str, np.ndarray]
    """Each style dimension (``STYLE_DIMENSIONS``) in force in each period, [period, physician]."""
    tally: PatientTally = field(default_factory=PatientTally)
    line_items: list = field(default_factory=list, repr=False)
    """Incentive payments (``simulate.incentives.payer.LineItem``) paid within the run."""
    unpaid_line_items: list = field(default_factory=list, repr=False)
    """Incentive line items falling due after the horizon."""
    episode_log: list[tuple] | None = field(default=None, repr=False)
    targeted: np.ndarray | None = field(default=None, repr=False)
    """[period, physician] bool, True where the physician was in a rule's or dashboard's
    target set that period (None: nothing targets physicians)."""
    rule_bindings: list[dict[str, int]] = field(default_factory=list, repr=False)
    """Per incentive rule: how often its cap or gate bound (``Payer.bindings``)."""

    @property
    def intensity(self) -> np.ndarray:
        """Intensity in force in each period, [period, physician]."""
        return self.style["intensity"]

    @property
    def quality_effort(self) -> np.ndarray:
        """Quality effort in force in each period, [period, physician]."""
        return self.style["quality_effort"]
