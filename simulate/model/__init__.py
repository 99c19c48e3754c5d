"""The SimPy world of patients, physicians and teams.

Imported lazily: ``simulate.model.streams`` (pure functions) loads without SimPy;
``World`` and ``run_replication`` load it on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulate.lazy import lazy_exports

if TYPE_CHECKING:
    from simulate.model.result import PatientTally, ReplicationResult
    from simulate.model.world import World, run_replication

_HOMES = {
    "PatientTally": "simulate.model.result",
    "ReplicationResult": "simulate.model.result",
    "World": "simulate.model.world",
    "run_replication": "simulate.model.world",
}


__getattr__ = lazy_exports(__name__, _HOMES)

__all__ = ["PatientTally", "ReplicationResult", "World", "run_replication"]
