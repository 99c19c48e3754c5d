"""Unintended consequences and market responses reproduce their theory (multi-replication).

Risk selection (Ma 1994), motivation crowding-out (Frey & Jegen 2001), multitasking
(Holmstrom & Milgrom 1991; Kaarboe & Siciliani 2011), public reporting's referral shift
and the team lead's pull on the norm. Each comparison holds the world and the seeds
fixed (common random numbers) and tests a paired 95% interval.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulate
from simulate.scenario.loader import bundled_dir


def paired_interval(a, b) -> tuple[float, float, float]:
    """Mean of a - b and its t-based 95% interval."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return diff.mean(), diff.mean() - half, diff.mean() + half


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(body).format(bundled=bundled_dir()), encoding="utf-8")
    return path


def organisation(result, metric: str, first: int) -> np.ndarray:
    """Per replication: the organisation's metric pooled over periods >= first."""
    t = result.trajectories
    rows = t[(t["level"] == "organisation") & (t["period"] >= first)]
    return rows.groupby("replication")[metric].mean().to_numpy()


def style(result, column: str, periods: range) -> np.ndarray:
    """Per replication: the physicians' mean style over ``periods``."""
    p = result.physicians
    rows = p[p["period"].isin(list(periods))]
    return rows.groupby("replication")[column].mean().to_numpy()


SELECTION = """
    name: selection_test
    extends: {bundled}/salary.yaml
    replications: 3
    horizon_periods: 10
    warmup_periods: 1
    behaviour:
      model: adaptive
      selection: {{enabled: true}}
    incentives:
      - type: per_unit
        metric: readmission_rate
        risk_adjusted: false
        rate: -100000           # a charge per unit of readmission rate, each quarter
        every: 3
        start_period: 2
"""


@pytest.fixture(scope="module")
def selection_runs(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("selection"), "selection", SELECTION)
    runs = {
        name: simulate.run(path, overrides=overrides, workers=2)
        for name, overrides in {
            "crude": [],
            "adjusted": ["incentives[0].risk_adjusted=true"],
            "none": ["incentives=[]"],
        }.items()
    }
    return runs


def test_unadjusted_outcome_penalty_invites_risk_selection(selection_runs):
    """Ma (1994): paid on a crude outcome, physicians decline high-risk patients."""
    crude, none = selection_runs["crude"], selection_runs["none"]
    declined = style(crude, "style_selection", range(7, 10))
    assert np.all(declined > 0.05)
    mean, low, high = paired_interval(
        organisation(crude, "high_risk_share", 6), organisation(none, "high_risk_share", 6)
    )
    assert high < 0, (mean, low, high)
    assert organisation(crude, "declined", 6).min() > 0
    assert np.all(style(none, "style_selection", range(12)) == 0)


def test_risk_adjusted_penalty_leaves_only_the_reference_rate_to_select_on(selection_runs):
    """With observed/expected risk adjustment a lighter case mix no longer lowers a
    physician's own ratio; what is left is the organisation's crude rate, the reference
    the ratio is multiplied by, which a physician's own selection moves by about 1/N
    (11 physicians here): selection falls to about a tenth of the crude metric's."""
    crude, adjusted = selection_runs["crude"], selection_runs["adjusted"]
    declined_crude = style(crude, "style_selection", range(7, 10))
    declined_adjusted = style(adjusted, "style_selection", range(7, 10))
    assert np.all(declined_adjusted < 0.2 * declined_crude)
    assert declined_adjusted.mean() < 2.0 / 11 * declined_crude.mean()
    assert (
        organisation(adjusted, "declined", 6).sum() < 0.3 * organisation(crude, "declined", 6).sum()
    )


MULTITASKING = """
    name: multitasking_test
    extends: {bundled}/salary.yaml
    replications: 8
    horizon_periods: 10
    warmup_periods: 6
    behaviour:
      model: adaptive
      multitasking: {{enabled: true}}
    incentives:
      - type: per_unit
        metric: readmission_rate   # readmissions are measured; complications are not
        rate: -100000
        every: 3
        start_period: 2
"""


def prevention_effort(result, periods: range) -> tuple[np.ndarray, np.ndarray]:
    """Per replication: mean effort on (complication, readmission) prevention."""
    p = result.physicians
    rows = p[p["period"].isin(list(periods))]
    effort, focus = rows["style_quality_effort"], rows["style_focus"]
    split = rows.assign(
        complications=(effort * (1 - focus)).clip(0, 1),
        readmissions=(effort * (1 + focus)).clip(0, 1),
    )
    means = split.groupby("replication")[["complications", "readmissions"]].mean()
    return means["complications"].to_numpy(), means["readmissions"].to_numpy()


def test_paying_for_one_outcome_shifts_effort_away_from_the_other(tmp_path):
    """Multitasking: a readmission charge moves effort off complication prevention."""
    path = write(tmp_path, "multitasking", MULTITASKING)
    on = simulate.run(path, workers=2)
    off = simulate.run(path, overrides=["behaviour.multitasking.enabled=false"], workers=2)
    late = range(5, 10)
    assert np.all(style(on, "style_focus", late) > 0.03)
    assert np.all(off.physicians["style_focus"] == 0)
    comp_on, readm_on = prevention_effort(on, late)
    comp_off, readm_off = prevention_effort(off, late)
    mean, _, high = paired_interval(comp_on, comp_off)
    assert high < 0, mean  # the unmeasured task loses effort
    mean, low, _ = paired_interval(readm_on, readm_off)
    assert low > 0, mean  # the measured one gains
    # and outcomes follow: more complications, fewer readmissions (paired 95% intervals)
    mean, low, _ = paired_interval(
        organisation(on, "complication_rate", 4), organisation(off, "complication_rate", 4)
    )
    assert low > 0, mean
    mean, _, high = paired_interval(
        organisation(on, "readmission_rate", 4), organisation(off, "readmission_rate", 4)
    )
    assert high < 0, mean


def test_focus_stays_even_when_nothing_is_measured(tmp_path):
    """Without incentives the calibrated best response keeps effort split evenly."""
    path = write(tmp_path, "multitasking", MULTITASKING)
    result = simulate.run(path, overrides=["incentives=[]", "replications=2"], workers=2)
    assert np.abs(result.physicians["style_focus"]).max() < 0.02


PUBLIC = """
    name: public_test
    extends: {bundled}/salary.yaml
    replications: 4
    horizon_periods: 10
    warmup_periods: 1
    conditions:
      - name: hip_knee_replacement
        arrival_rate: 5.0
        base_cost: 23000
        treatment_days: 2.9
        complication_rate: 0.025
        readmission_rate: 0.065
        readmission_window_days: 90
        health_gain_qalys: 0.6
        recovery_days: 42
    practice_style:
      intensity: {{dist: normal, mean: 1.2, sd: 0.25}}
    teams:
      - {{name: ortho_a, physicians: 4, nurses: 8, caseload_per_physician: 3}}
      - {{name: ortho_b, physicians: 4, nurses: 8, caseload_per_physician: 3}}
    peer_pressure:
      transparency: public
      referral_shift: 0.5
      publish_every: 1
      window: 3
      start_period: 1
"""


def share_of_the_published_best(result, level: str, flow: str, window: int = 3) -> np.ndarray:
    """Per replication: the share of next period's ``flow`` going to the unit whose value was
    best over the published window (teams among teams; physicians within their team)."""
    t = result.trajectories
    rows = t[t["level"] == level].sort_values(["replication", "unit", "period"])
    group = ["replication"] if level == "team" else ["replication", "team"]
    shares = []
    for rep, frame in rows.groupby("replication"):
        wide = {m: frame.pivot(index="period", columns="unit", values=m) for m in ("cost", "qalys")}
        flows = frame.pivot(index="period", columns="unit", values=flow)
        cost = wide["cost"].rolling(window).sum()
        value = wide["qalys"].rolling(window).sum() / (cost / 1000.0)
        groups = frame.groupby(group[1:])["unit"].unique() if level != "team" else None
        units = [list(g) for g in groups] if groups is not None else [list(flows.columns)]
        per = []
        for period in range(window, flows.index.max()):
            for members in units:
                best = value.loc[period, members].astype(float).idxmax()
                total = flows.loc[period + 1, members].sum()
                if total > 0:
                    per.append(flows.loc[period + 1, best] / total)
        shares.append(np.mean(per))
        del rep
    return np.array(shares)


def test_public_reporting_shifts_patients_toward_better_ranked_teams(tmp_path):
    """Patients who read the report choose the better-valued team and physicians."""
    path = write(tmp_path, "public", PUBLIC)
    public = simulate.run(path, workers=2)
    internal = simulate.run(
        path, overrides=["peer_pressure.transparency=internal_dashboard"], workers=2
    )
    team_public = share_of_the_published_best(public, "team", "arrivals")
    team_internal = share_of_the_published_best(internal, "team", "arrivals")
    mean, low, _ = paired_interval(team_public, team_internal)
    assert low > 0.1, mean  # capacity x (1 +- 0.5): about 0.75 against 0.5
    assert abs(team_internal.mean() - 0.5) < 0.05
    doctor_public = share_of_the_published_best(public, "physician", "episodes")
    doctor_internal = share_of_the_published_best(internal, "physician", "episodes")
    mean, low, _ = paired_interval(doctor_public, doctor_internal)
    assert low > 0, mean  # within teams, the best-valued physician's share of episodes


def member_response(lead_influence: float, lead_factor: float) -> tuple[float, float]:
    """A team member's best-response intensity, and the team's median figure, when the
    team lead shows ``lead_factor`` x the median cost per episode on the dashboard."""
    from simulate.behaviour.adaptive import AdaptiveStyle
    from simulate.model.population import draw_population
    from simulate.model.streams import Streams

    scenario = simulate.load_scenario(
        "capitation",
        overrides=[
            "behaviour.model=adaptive",
            "peer_pressure.transparency=internal_dashboard",
            "peer_pressure.metrics=[cost_per_episode]",
            "peer_pressure.rank_concern=0",
            "peer_pressure.reputation_value=20000",
            f"peer_pressure.lead_influence={lead_influence}",
        ],
    )
    population = draw_population(scenario, Streams(scenario.seed, 0))
    model = AdaptiveStyle(scenario, population, np.random.default_rng(0))
    members = np.flatnonzero(population.team == 0)
    figures = np.full(population.size, 20000.0)
    figures[members[0]] = 20000.0 * lead_factor  # the lead: the team's first physician
    model.peer_pressure.show({"cost_per_episode": figures})
    return float(model.best_responses(None)[members[2], 0])


def test_team_lead_pulls_the_norm_toward_their_own_figures():
    """With lead influence, a member's best response moves toward the lead's figure."""
    alone = member_response(0.0, 0.7)
    led_down = member_response(1.0, 0.7)  # the lead is 30% cheaper than the median
    led_up = member_response(1.0, 1.3)
    assert led_down < alone - 0.02 < alone + 0.02 < led_up
    assert member_response(0.0, 1.3) == alone  # without influence the lead is one of many


def test_lead_norm_weights():
    from simulate.behaviour.peer import lead_norms

    norm, lead = np.array([10.0, 10.0, 10.0, np.nan]), np.array([20.0, 20.0, np.nan, 20.0])
    is_lead = np.array([False, True, False, False])
    assert lead_norms(norm, lead, 0.25, is_lead).tolist() == [12.5, 10.0, 10.0, 20.0]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("behaviour.selection.enabled=true", "needs behaviour.model: adaptive"),
        ("behaviour.crowding_out.enabled=true", "needs behaviour.model: adaptive"),
        ("behaviour.multitasking.max_focus=2", "less than or equal to 1"),
    ],
)
def test_extensions_refuse_what_they_cannot_do(override, message):
    done = subprocess.run(
        [sys.executable, "-m", "simulate", "validate", "baseline_ffs", "--set", override],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_selection_needs_a_high_risk_class():
    with pytest.raises(simulate.ScenarioError, match="no severity class has high_risk"):
        simulate.load_scenario(
            "baseline_ffs",
            overrides=[
                "behaviour.model=adaptive",
                "behaviour.selection.enabled=true",
                "severity.classes=[{name: all, share: 1, relative_risk: 1, cost_weight: 1}]",
            ],
        )
