"""Treatment slots (model/slots.py): first come, first served, granted at once when free,
and the same grant times as ``simpy.Resource`` on a random queue."""

from __future__ import annotations

import numpy as np
import simpy

from simulate.model.slots import Slots


def test_free_slots_are_taken_at_once_and_the_rest_wait_in_order():
    env = simpy.Environment()
    slots = Slots(env, capacity=2)
    assert slots.request() is None and slots.request() is None
    third, fourth = slots.request(), slots.request()
    assert slots.busy == 2 and list(slots.waiting) == [third, fourth]
    slots.release()  # handed to the third: still two busy
    assert third.triggered and not fourth.triggered and slots.busy == 2
    slots.release()
    assert fourth.triggered and not slots.waiting
    slots.release()
    slots.release()
    assert slots.busy == 0
    assert slots.request() is None  # free again, no event


def test_a_patient_arriving_while_others_wait_queues_behind_them():
    env = simpy.Environment()
    slots = Slots(env, capacity=1)
    assert slots.request() is None
    waiting = slots.request()
    slots.release()  # handed to the waiting one, who has not resumed yet
    assert waiting.triggered and slots.busy == 1
    assert slots.request() is not None  # no free slot: the newcomer waits


def _grant_times(use_slots: bool, seed: int, capacity: int = 3, n: int = 400) -> list[float]:
    """When each of ``n`` Poisson patients (rate 1/day, service exponential, mean
    ``capacity`` x 0.9 days) starts treatment, with Slots or with simpy.Resource."""
    rng = np.random.default_rng(seed)
    gaps, services = rng.exponential(1.0, n), rng.exponential(capacity * 0.9, n)
    env = simpy.Environment()
    pool = Slots(env, capacity) if use_slots else simpy.Resource(env, capacity)
    starts = [0.0] * n

    def patient(k):
        if use_slots:
            handed = pool.request()
            if handed is not None:
                yield handed
        else:
            request = pool.request()
            yield request
        starts[k] = env.now
        yield env.timeout(services[k])
        pool.release() if use_slots else pool.release(request)

    def arrivals():
        for k in range(n):
            yield env.timeout(gaps[k])
            env.process(patient(k))

    env.process(arrivals())
    env.run()
    return starts


def test_grant_times_equal_simpy_resource():
    for seed in range(3):
        with_slots, with_resource = _grant_times(True, seed), _grant_times(False, seed)
        assert with_slots == with_resource
        arrived = np.cumsum(np.random.default_rng(seed).exponential(1.0, 400))
        queued = int(np.sum(np.array(with_slots) > arrived + 1e-12))
        assert queued > 20  # many patients queued, so the hand-over was exercised
