"""Named random-number streams (common random numbers).

Each stream is keyed by the scenario seed, the replication number and a *name*, never
by position, so adding a stream never shifts another. Two variants of a scenario with
the same seed therefore see the same patients (arrival times, severities and
per-patient uniforms) and differ only through policy.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (independent of PYTHONHASHSEED)."""
    return zlib.crc32(name.encode("utf-8"))


def seed_sequence(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream ``name`` in replication ``replication``."""
    return np.random.SeedSequence(seed, spawn_key=(replication, stream_key(name)))


class Streams:
    """The random-number generators of one replication, created on first use by name."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (PCG64), the same object on every call."""
        generator = self._generators.get(name)
        if generator is None:
            generator = np.random.Generator(
                np.random.PCG64(seed_sequence(self.seed, self.replication, name))
            )
            self._generators[name] = generator
        return generator
