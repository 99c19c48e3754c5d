"""Queueing theory checks: Erlang C waits, Little's law and patient flow conservation.

The world reduces to an M/M/c queue when there is one condition with exponential
treatment times (``treatment_cv: 1``), no readmissions, one team of ``c`` physicians
with one patient each, and a practice style whose treatment-time factor is exactly 1
(intensity 1, quality effort at ``clinical.reference_quality_effort``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special, stats

import simulate
from simulate.accounts.ledger import F, T
from simulate.clinical import outcomes
from simulate.scenario.models import Clinical, Scenario

SERVERS = 2
"""c: physicians in the team, each treating one patient at a time."""
TREATMENT_DAYS = 1.0
"""1 / mu: mean treatment time (days)."""
REPLICATIONS = 20
WARMUP_PERIODS = 12
HORIZON_PERIODS = {0.5: 80, 0.8: 240, 0.9: 390}
"""Run length per utilisation (30.4-day periods), sized from pilot runs of this design so
the 95% CI half-width is about 5-8% of the Erlang C wait (the variance of the mean wait
grows steeply with utilisation, so busier systems run longer)."""
MAX_RELATIVE_HALF_WIDTH = 0.15
SEED = 20261126


def erlang_c(c: int, a: float) -> float:
    """Erlang C: probability an arrival waits in M/M/c with offered load ``a = lambda / mu``.

    Uses the numerically stable Erlang B recursion ``B_k = a B_{k-1} / (k + a B_{k-1})`` and
    ``C = c B / (c - a (1 - B))``.
    """
    if not 0 < a < c:
        raise ValueError("needs 0 < a < c (a stable queue)")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def erlang_c_mean_wait(c: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue W_q = C(c, a) / (c mu - lambda) of an M/M/c queue (days)."""
    a = arrival_rate / service_rate
    return erlang_c(c, a) / (c * service_rate - arrival_rate)


def mmc_scenario(utilisation: float, horizon: int, *, replications: int = REPLICATIONS):
    """A world that is an M/M/c queue with c = SERVERS at the given utilisation."""
    return Scenario.model_validate(
        {
            "name": f"mmc_{utilisation}",
            "seed": SEED,
            "replications": replications,
            "horizon_periods": horizon,
            "warmup_periods": WARMUP_PERIODS,
            "conditions": [
                {
                    "name": "single",
                    "arrival_rate": utilisation * SERVERS / TREATMENT_DAYS,
                    "base_cost": 1000.0,
                    "treatment_days": TREATMENT_DAYS,
                    "treatment_cv": 1.0,
                    "complication_rate": 0.05,
                    "readmission_rate": 0.0,
                    "health_gain_qalys": 0.1,
                    "recovery_days": 10.0,
                }
            ],
            "severity": {"classes": [{"name": "all", "share": 1.0}]},
            "teams": [
                {"name": "team", "physicians": SERVERS, "nurses": 0, "caseload_per_physician": 1}
            ],
            "practice_style": {"intensity": 1.0, "quality_effort": 0.5},
            "payment": {"salary": {"annual": 100_000.0}},
        }
    )


_RUNS: dict[float, simulate.RunResult] = {}


def mmc_run(utilisation: float) -> simulate.RunResult:
    """The M/M/c run at ``utilisation`` (run once per test session, on 2 workers)."""
    if utilisation not in _RUNS:
        scenario = mmc_scenario(utilisation, HORIZON_PERIODS[utilisation])
        _RUNS[utilisation] = simulate.run(scenario, workers=2)
    return _RUNS[utilisation]


def _summary(result: simulate.RunResult, level: str, metric: str):
    rows = result.summary
    row = rows[(rows["level"] == level) & (rows["metric"] == metric)]
    assert len(row) == 1
    return row.iloc[0]


# ---------------------------------------------------------------- the theory itself
def test_erlang_c_helper_matches_textbook_forms():
    """The helper agrees with M/M/1 (C = rho, W_q = rho / (mu - lambda)) and the explicit sum."""
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c_mean_wait(1, 0.7, 1.0) == pytest.approx(0.7 / 0.3)
    for c, a in [(2, 1.0), (2, 1.8), (5, 4.0), (12, 9.5)]:
        terms = sum(a**k / special.factorial(k) for k in range(c))
        top = a**c / special.factorial(c) * c / (c - a)
        assert erlang_c(c, a) == pytest.approx(top / (terms + top), rel=1e-12)
    # M/M/2: C = 2 rho^2 / (1 + rho), W_q = rho^2 / (mu (1 - rho^2))
    rho = 0.8
    assert erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho))
    assert erlang_c_mean_wait(2, 2 * rho, 1.0) == pytest.approx(rho**2 / (1 - rho**2))


def test_mmc_configuration_has_unit_time_factor():
    """The chosen style makes treatment time exactly the condition's (exponential) mean."""
    clinical = Clinical()
    assert clinical.reference_quality_effort == 0.5
    assert float(outcomes.treatment_time_factor(1.0, 0.5, clinical)) == 1.0
    scenario = mmc_scenario(0.8, 24)
    assert scenario.teams[0].capacity == SERVERS


# ---------------------------------------------------------------------- Erlang C
@pytest.mark.parametrize("utilisation", [0.5, 0.8, 0.9])
def test_mean_wait_matches_erlang_c(utilisation):
    """M/M/c: the 95% CI of the organisation's mean wait covers C(c, a) / (c mu - lambda).

    The CI must also be informative: half-width below 15% of the theoretical wait.
    """
    mu = 1.0 / TREATMENT_DAYS
    lam = utilisation * SERVERS * mu
    theory = erlang_c_mean_wait(SERVERS, lam, mu)
    row = _summary(mmc_run(utilisation), "organisation", "mean_wait_days")
    half = (row["ci_high"] - row["ci_low"]) / 2
    detail = (
        f"rho={utilisation}: Erlang C W_q={theory:.4f}, simulated {row['mean']:.4f} "
        f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}], half-width {half / theory:.1%}"
    )
    print(detail)
    assert row["replications"] == REPLICATIONS
    assert half < MAX_RELATIVE_HALF_WIDTH * theory, detail
    assert row["ci_low"] <= theory <= row["ci_high"], detail


@pytest.mark.parametrize("utilisation", [0.5, 0.8, 0.9])
def test_probability_of_waiting_is_erlang_c(utilisation):
    """M/M/c: the share of treatment starts that wait at all (wait-histogram bin 0 holds
    zero waits) has a 95% t-interval across replications covering C(c, a)."""
    result = mmc_run(utilisation)
    warm = result.scenario.warmup_periods
    shares = []
    for replication in result.replications:
        hist = replication.wait_hist[warm:].sum(axis=(0, 1))
        shares.append(1.0 - hist[0] / hist.sum())
    shares = np.array(shares)
    theory = erlang_c(SERVERS, utilisation * SERVERS)
    half = stats.t.ppf(0.975, len(shares) - 1) * shares.std(ddof=1) / np.sqrt(len(shares))
    detail = f"rho={utilisation}: C={theory:.4f}, simulated {shares.mean():.4f} +- {half:.4f}"
    print(detail)
    assert half < 0.05 * theory, detail
    assert abs(shares.mean() - theory) <= half, detail


@pytest.mark.parametrize("utilisation", [0.5, 0.8, 0.9])
def test_p95_wait_matches_erlang_c_tail(utilisation):
    """M/M/c waits have the tail P(W_q > t) = C e^{-(c mu - lambda) t}, so the 95th percentile
    is ln(C / 0.05) / (c mu - lambda). The CI of p95_wait_days must cover it, allowing 2%
    for the histogram's within-bin interpolation."""
    mu = 1.0 / TREATMENT_DAYS
    lam = utilisation * SERVERS * mu
    probability = erlang_c(SERVERS, lam / mu)
    assert probability > 0.05  # otherwise the 95th percentile is zero
    theory = math.log(probability / 0.05) / (SERVERS * mu - lam)
    row = _summary(mmc_run(utilisation), "organisation", "p95_wait_days")
    detail = (
        f"rho={utilisation}: p95 theory {theory:.3f}, simulated {row['mean']:.3f} "
        f"[{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    )
    print(detail)
    assert row["ci_high"] - row["ci_low"] < 0.3 * theory, detail
    assert 0.98 * row["ci_low"] <= theory <= 1.02 * row["ci_high"], detail


@pytest.mark.parametrize("utilisation", [0.5, 0.8, 0.9])
def test_arrival_and_throughput_rates_match_lambda(utilisation):
    """The M/M/c inputs hold in the run: the CI of arrivals per period covers lambda x period,
    and index episodes per period equal it too (flow balance in a stable queue)."""
    result = mmc_run(utilisation)
    lam = utilisation * SERVERS / TREATMENT_DAYS
    period_days = result.scenario.period_days
    arrivals = _summary(result, "organisation", "arrivals")
    episodes = _summary(result, "organisation", "episodes")
    assert arrivals["ci_low"] <= lam * period_days <= arrivals["ci_high"]
    assert episodes["mean"] == pytest.approx(lam * period_days, rel=0.01)


# -------------------------------------------------------------------- Little's law
def count(values) -> int:
    """A ledger count summed over periods and units (sums of whole numbers are exact)."""
    total = float(np.sum(values))
    assert total == round(total)
    return round(total)


def _queue_identity_terms(replication):
    area = replication.team[:, :, T["queue_area"]].sum()
    waits = replication.physician[:, :, F["wait_days"]].sum()
    return area, waits, replication.tally.queued_wait_days


@pytest.fixture(scope="module")
def overloaded_run(short_scenario) -> simulate.RunResult:
    """The short baseline with orthopaedics cut to 12 slots for ~15 slots of demand: the
    queue grows, so patients are still queued (and still in treatment) at the end."""
    scenario = short_scenario("baseline_ffs", "replications=2", "teams[0].caseload_per_physician=2")
    return simulate.run(scenario, workers=1)


@pytest.mark.parametrize("source", ["mmc_0.9", "baseline_short_run", "overloaded_run"])
def test_queue_area_equals_total_waiting_exactly(source, request):
    """Little's law as an identity: the integral of queue length over the run equals the
    sum of all waits, those of treatment starts plus those still queued at the end."""
    result = mmc_run(0.9) if source == "mmc_0.9" else request.getfixturevalue(source)
    for replication in result.replications:
        area, waits, queued_waits = _queue_identity_terms(replication)
        assert area > 0
        assert area == pytest.approx(waits + queued_waits, rel=1e-6, abs=0)
        if replication.tally.queued == 0:
            assert queued_waits == 0
        elif source == "overloaded_run":
            # the end-of-run term is exercised, and large: leaving it out would break the law
            assert queued_waits > 0.01 * area


def test_littles_law_over_the_reporting_window():
    """L = lambda W over the post-warm-up window: time-average queue length equals the rate
    into the queue times the mean wait of treatment starts (only edge effects differ: within 1%)."""
    result = mmc_run(0.9)
    s = result.scenario
    warm = s.warmup_periods
    days = (s.horizon_periods - warm) * s.period_days
    for replication in result.replications:
        team = replication.team[warm:, 0, :]
        phys = replication.physician[warm:]
        queue_length = team[:, T["queue_area"]].sum() / days
        rate_in = team[:, T["queue_entries"]].sum() / days
        mean_wait = phys[:, :, F["wait_days"]].sum() / phys[:, :, F["treatment_starts"]].sum()
        assert queue_length == pytest.approx(rate_in * mean_wait, rel=0.01)

    # The same through the published tables (team rows of the summary).
    length = _summary(result, "team", "mean_queue_length")["mean"]
    arrivals_per_day = _summary(result, "team", "arrivals")["mean"] / s.period_days
    wait = _summary(result, "team", "mean_wait_days")["mean"]
    assert length == pytest.approx(arrivals_per_day * wait, rel=0.01)
    # and the theory: L_q = lambda W_q
    lam = 0.9 * SERVERS / TREATMENT_DAYS
    theory_length = lam * erlang_c_mean_wait(SERVERS, lam, 1.0 / TREATMENT_DAYS)
    queue_row = _summary(result, "organisation", "mean_queue_length")
    assert queue_row["ci_low"] <= theory_length <= queue_row["ci_high"]


def test_trajectory_queue_length_is_time_average_of_ledger(baseline_short_run):
    """Team rows of trajectories: mean_queue_length = queue_area / period_days, per period."""
    result = baseline_short_run
    rows = result.trajectories[result.trajectories["level"] == "team"]
    names = [t.name for t in result.scenario.teams]
    for replication in result.replications:
        mine = rows[rows["replication"] == replication.replication]
        for t, name in enumerate(names):
            got = mine[mine["unit"] == name].sort_values("period")["mean_queue_length"].to_numpy()
            want = replication.team[:, t, T["queue_area"]] / result.scenario.period_days
            np.testing.assert_allclose(got, want, rtol=1e-12)


# ------------------------------------------------------------- patient conservation
@pytest.mark.parametrize("source", ["baseline_short_run", "overloaded_run"])
def test_every_arriving_patient_is_accounted_for(source, request):
    """Conservation of patients (with readmissions on): arrived = finished + queued +
    in treatment + awaiting readmission, and the ledger's flows reproduce every stock."""
    result = request.getfixturevalue(source)
    assert result.scenario.conditions[0].readmission_rate > 0
    readmitted_total = 0
    for rep in result.replications:
        tally = rep.tally
        assert tally.arrived > 0
        assert tally.arrived == (
            tally.finished
            + tally.queued
            + tally.in_treatment
            + tally.awaiting_readmission
            + tally.turned_away
            + tally.declined
        )

        def total(field, rep=rep):
            return count(rep.physician[:, :, F[field]])

        arrivals = count(rep.team[:, :, T["arrivals"]])
        entries = count(rep.team[:, :, T["queue_entries"]])
        index_done, readm_done = total("episodes"), total("readmission_episodes")
        starts, readmitted = total("treatment_starts"), total("readmissions")

        assert arrivals == tally.arrived
        # stocks from flows
        assert tally.queued == entries - starts
        assert tally.in_treatment == starts - index_done - readm_done
        assert tally.finished == (index_done - readmitted) + readm_done
        # every readmitted patient has either re-joined the queue or is still due back
        assert entries - arrivals == readmitted - tally.awaiting_readmission
        # index episodes completed = arrived - those still queued or in treatment for it
        index_in_system = arrivals - index_done
        readm_in_system = (entries - arrivals) - readm_done
        assert index_in_system >= 0
        assert readm_in_system >= 0
        assert index_in_system + readm_in_system == tally.queued + tally.in_treatment
        readmitted_total += readm_done

        # organisation-level arrivals in the trajectories are the same patients
        traj = result.trajectories
        org = traj[(traj["level"] == "organisation") & (traj["replication"] == rep.replication)]
        assert org["arrivals"].sum() == pytest.approx(tally.arrived)
    assert readmitted_total > 0
    if source == "overloaded_run":
        assert all(rep.tally.queued > 0 for rep in result.replications)


def test_index_episode_count_matches_episode_log(short_scenario):
    """With the episode log on, each index episode is one patient who left the index stage:
    distinct patients with an index row = arrived - (still queued or treated for it)."""
    result = simulate.run(
        short_scenario("baseline_ffs", "replications=2"), workers=1, episode_log=True
    )
    log = result.episodes
    for rep in result.replications:
        mine = log[log["replication"] == rep.replication]
        index = mine[mine["kind"] == "index"]
        readm = mine[mine["kind"] == "readmission"]
        assert index["patient"].is_unique
        assert len(index) == count(rep.physician[:, :, F["episodes"]])
        assert len(readm) == count(rep.physician[:, :, F["readmission_episodes"]])
        # readmission rows belong to patients whose index episode flagged a readmission
        flagged = set(index.loc[index["readmitted"].astype(bool), "patient"])
        assert set(readm["patient"]) <= flagged
        assert len(flagged) == count(rep.physician[:, :, F["readmissions"]])
        # the log holds completed episodes: treatment starts minus those still in treatment
        starts = count(rep.physician[:, :, F["treatment_starts"]])
        assert len(mine) == starts - rep.tally.in_treatment
        assert mine["wait_days"].sum() <= rep.physician[:, :, F["wait_days"]].sum() + 1e-9
        # each episode's wait is its start minus its queue join, and treatment follows it
        np.testing.assert_allclose(
            mine["wait_days"], mine["start_day"] - mine["queue_join_day"], rtol=0, atol=1e-9
        )
        assert (mine["end_day"] > mine["start_day"]).all()


def test_an_overloaded_world_is_reported_and_stays_bounded(tmp_path):
    """Utilisation >= 1: `simulate validate` says so with the numbers; a run finishes with
    the queue capped at max_queue, the excess turned away and every patient accounted for."""
    from typer.testing import CliRunner

    from simulate.cli import app

    overload = [
        "conditions[0].arrival_rate=12",
        "teams[0].max_queue=40",
        "horizon_periods=6",
        "warmup_periods=1",
        "replications=2",
    ]
    args = ["validate", "baseline_ffs"] + [x for o in overload for x in ("--set", o)]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())
    assert "demand exceeds capacity" in text and "max_queue (40)" in text
    assert "team orthopaedics: 12 patients/day" in text
    result = simulate.run("baseline_ffs", overrides=overload)
    teams = result.trajectories[result.trajectories["unit"] == "orthopaedics"]
    assert teams["turned_away"].sum() > 0
    assert teams["mean_queue_length"].max() <= 40
    for rep in result.replications:
        tally = rep.tally
        assert tally.turned_away > 0 and tally.queued <= 40 + 40  # both teams' queues
        assert tally.arrived == (
            tally.finished
            + tally.queued
            + tally.in_treatment
            + tally.awaiting_readmission
            + tally.turned_away
            + tally.declined
        )
