"""The SimPy world of patients, physicians and teams, and its period ledger."""

from simulate.model.ledger import PHYSICIAN_FIELDS, TEAM_FIELDS, PeriodLedger
from simulate.model.result import PatientTally, ReplicationResult
from simulate.model.world import World, run_replication

__all__ = [
    "PHYSICIAN_FIELDS",
    "TEAM_FIELDS",
    "PatientTally",
    "PeriodLedger",
    "ReplicationResult",
    "World",
    "run_replication",
]
