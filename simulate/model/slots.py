"""A team's treatment slots: a first-come, first-served pool that grants a free slot at once.

It behaves as ``simpy.Resource`` does for its one use here (request, wait in arrival
order, release hands the slot to the longest waiting), but a patient who finds a free
slot and nobody waiting takes it without an event: no request object, no scheduling, no
extra step of the simulation. Only a patient who has to wait gets an event, which fires
when a release hands them the slot.
"""

from __future__ import annotations

from collections import deque

import simpy


class Slots:
    """``capacity`` treatment slots of one team in environment ``env``."""

    __slots__ = ("busy", "capacity", "env", "waiting")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.busy = 0
        """Slots in use, including those handed to a waiting patient not yet resumed."""
        self.waiting: deque[simpy.Event] = deque()
        """The events of patients waiting for a slot, in arrival order."""

    def request(self) -> simpy.Event | None:
        """Take a slot: None when one was free and nobody waits (taken now), else the event
        to yield, which fires when a release hands this patient a slot."""
        if self.busy < self.capacity and not self.waiting:
            self.busy += 1
            return None
        event = self.env.event()
        self.waiting.append(event)
        return event

    def release(self) -> None:
        """Give a slot back: to the longest waiting patient if any, else to the pool."""
        if self.waiting:
            self.waiting.popleft().succeed()
        else:
            self.busy -= 1
