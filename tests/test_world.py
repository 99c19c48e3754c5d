"""The SimPy world (``simulate.model.world``) and its parts: patient draws
(``model.arrivals``), outcome tables (``model.outcome_tables``), conservation of
patients, money and waiting time in the ledger."""

from __future__ import annotations

import numpy as np
import pytest

import simulate
from simulate.accounts.ledger import F, T
from simulate.clinical import outcomes
from simulate.model.arrivals import Draws, patient_draws
from simulate.model.streams import Streams
from simulate.model.world import World

SHORT = ["horizon_periods=3", "warmup_periods=1", "replications=1"]


def world(*overrides: str, name: str = "baseline_ffs") -> World:
    return World(simulate.load_scenario(name, overrides=[*SHORT, *overrides]), 0)


def test_every_patient_is_accounted_for():
    """Arrivals = finished + turned away + declined + still in the system; treatment
    starts = index + readmission episodes + those still in treatment."""
    w = world("teams[0].max_queue=3", "conditions[0].arrival_rate=30.0")
    result = w.run()
    tally = result.tally
    assert tally.turned_away > 0 and tally.queued > 0  # a congested, bounded queue
    assert tally.arrived == tally.finished + tally.turned_away + tally.declined + tally.in_system
    assert result.team[..., T["arrivals"]].sum() == tally.arrived
    assert result.team[..., T["turned_away"]].sum() == tally.turned_away
    physician = result.physician.sum(axis=(0, 1))
    starts = physician[F["episodes"]] + physician[F["readmission_episodes"]] + tally.in_treatment
    assert physician[F["treatment_starts"]] == starts
    assert result.wait_hist.sum() == physician[F["treatment_starts"]]


def test_waiting_time_is_conserved():
    """The queue's area over the run is the waiting of every patient who queued: the
    waits of those who started treatment plus those still queued at the end."""
    result = world("conditions[0].arrival_rate=30.0").run()
    area = result.team[..., T["queue_area"]].sum()
    waited = result.physician[..., F["wait_days"]].sum()
    assert result.tally.queued > 0 and result.tally.queued_wait_days > 0
    assert area == pytest.approx(waited + result.tally.queued_wait_days, rel=1e-9)


def test_episode_log_adds_up_to_the_ledger():
    w = World(simulate.load_scenario("baseline_ffs", overrides=SHORT), 0, episode_log=True)
    result = w.run()
    log = result.episode_log
    index = [row for row in log if row[5] == "index"]
    physician = result.physician.sum(axis=(0, 1))
    assert len(index) == physician[F["episodes"]]
    assert len(log) - len(index) == physician[F["readmission_episodes"]]
    assert sum(row[12] for row in log) == pytest.approx(physician[F["cost"]])  # cost
    assert sum(row[13] for row in index) == pytest.approx(physician[F["qalys"]])
    fees = sum(row[15] for row in log)
    assert fees == pytest.approx(physician[F["fee_for_service"]])


def test_each_patient_gets_named_draws_whatever_the_policy():
    """Patient k of a condition gets the same numbers with or without selection and
    public reporting; those add their own uniforms (1.0 when off)."""
    s = simulate.load_scenario("baseline_ffs", overrides=SHORT)
    routes = (np.array([0]), np.array([1.0]))
    cut = np.array([0.8, 1.0])

    def first(n, **flags):
        draws = patient_draws(s.conditions[0], Streams(s.seed, 0), cut, routes, **flags)
        return [next(draws) for _ in range(n)]

    plain = first(50, selecting=False, public=False)
    chosen = first(50, selecting=True, public=True)
    assert all(isinstance(d, Draws) for d in plain)
    assert {d.select for d in plain} == {1.0} and {d.choice for d in plain} == {1.0}
    assert all(0 <= d.select < 1 and 0 <= d.choice < 1 for d in chosen)
    assert [d.team for d in plain] == [0] * 50  # one team treats the condition
    assert all(0 <= d.team < 1 for d in chosen)  # public: a uniform, routed on arrival
    for a, b in zip(plain, chosen, strict=True):
        assert a._replace(team=0, select=0, choice=0) == b._replace(team=0, select=0, choice=0)
    severe = np.mean([d.severity for d in first(2000, selecting=False, public=False)])
    assert severe == pytest.approx(0.2, abs=0.03)  # the high class's share


def test_outcome_tables_follow_the_style_in_place():
    w = world()
    tables, pop, s = w.tables, w.population, w.scenario
    i, c, k = 1, 0, 1
    condition, severity = s.conditions[c], s.severity.classes[k]
    expected = outcomes.complication_probability(
        condition.complication_rate,
        severity.relative_risk,
        pop.intensity[i],
        pop.quality_effort[i],
        s.clinical,
    )
    assert tables.p_comp[i][c][k] == pytest.approx(float(expected))
    pop.set_style({"intensity": pop.intensity * 1.5})
    tables.refresh(pop)
    assert w.tables is tables  # patients in treatment read the tables in force
    assert tables.intensity[i] == pytest.approx(pop.intensity[i])
    assert tables.p_comp[i][c][k] != pytest.approx(float(expected))


def test_the_world_sets_no_attribute_on_simpy_objects():
    w = world("conditions[0].arrival_rate=30.0")
    w.run()
    for slots in w.slots:
        assert slots.busy <= slots.capacity
        for event in slots.waiting:
            assert not hasattr(event, "joined")
