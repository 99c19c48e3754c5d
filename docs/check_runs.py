"""Regenerate the check-run figures quoted in the docs, at the current defaults.

Recomputes, from the bundled scenarios and through the public API (``simulate.compare``:
variant sets run under common random numbers, ``variant_effects`` for paired effects by
window, ``paired_interval`` for paired 95% intervals of styles), every figure that
these passages quote from check runs:

- docs/scenarios.md, "Behaviour scenarios: a guide for trainers": both tables and the
  bullets under "What to look at in physicians.csv";
- docs/model.md section 3.8: the ``own_baseline_prize`` and ``feedback_letters`` checks,
  the *Reach* paragraph's "at the calibrated defaults" figures, "What it does at the
  defaults" and the bulleted list of the four behaviour scenarios; section 3.9's
  ``org_response`` figures; the section 6 rows of ``habit_weight`` and
  ``reputation_value`` (these reuse figures of the groups above).

Conventions (as in the docs): months count from 1 (month m is period m - 1); "against
no policy" is the same file with ``incentives=[]`` and/or
``peer_pressure.transparency=none``, replication k of each variant seeing the same
patients and physicians; "mean effort / intensity in month m" is the mean over
physicians of ``style_quality_effort`` / ``style_intensity`` in period m - 1 (the
styles in force, as physicians.csv gives them), its difference paired by replication;
figures "over months a-b" are the catalogue metric over that window at organisation
level (``simulate compare``'s effects: flows per month, rates pooled).

Run from the repository root (a full run at the default replications took 70 s on one
worker of a shared two-core machine)::

    python3 docs/check_runs.py --workers 2 --json results/check_runs.json > check_runs.md
    python3 docs/check_runs.py --only value_dashboard --only training_demo -r 2

Each group prints one markdown table: the figure, its value with the paired 95%
interval where there is one, and the text the docs quote today (written from this
script's output at the calibrated defaults of commit cb6f64f, default replications).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from simulate.compare import Comparison, Window, compare, policy_windows, run_comparison
from simulate.compare import unit_window_values as window_table
from simulate.compare.by_phase import relative_interval, variant_effects
from simulate.compare.paired import paired_interval
from simulate.compare.subgroups import Groups, quartile_index, subgroups
from simulate.compare.variant_set import Settings, Variant, VariantSet
from simulate.experiment.replications import with_run_options
from simulate.scenario.loader import resolve_scenario

NO_MONEY = "incentives=[]"
NO_DASHBOARD = "peer_pressure.transparency=none"
EFFORT, INTENSITY = "style_quality_effort", "style_intensity"
SC, MD = "docs/scenarios.md", "docs/model.md"


@dataclass
class Figure:
    """One number the docs quote: its value and paired 95% interval (if any)."""

    label: str
    value: float
    low: float = math.nan
    high: float = math.nan
    quoted: str = ""
    """What the docs say today (to compare)."""


@dataclass
class Group:
    """The figures of one doc passage (or a few that quote the same runs)."""

    name: str
    passages: list[str]
    replications: int
    figures: list[Figure] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, label: str, stats: float | Sequence[float], quoted: str = "") -> None:
        """Add a figure from a value or (value, low, high[, n])."""
        values = [stats] if np.isscalar(stats) else list(stats)[:3]
        self.figures.append(Figure(label, *[float(v) for v in values], quoted=quoted))


# --- running variants -----------------------------------------------------------------


def run_variants(
    name: str, variants: dict[str, tuple[str, ...]], source: str, reps: int, workers: int
) -> Comparison:
    """Run ``source`` with each variant's overrides (the first is the reference), every
    variant's replication k on the same seed (common random numbers)."""
    chosen = []
    for variant, overrides in variants.items():
        resolved = resolve_scenario(source, [*overrides, f"name={variant}"])
        scenario = with_run_options(resolved.scenario, replications=reps)
        chosen.append(Variant(variant, variant, scenario, source))
    vs = VariantSet(name=name, variants=tuple(chosen), settings=Settings(chosen[0].name))
    return run_comparison(vs, workers=workers)


def styles(c: Comparison, variant: str, column: str) -> pd.DataFrame:
    """Mean over physicians of a style column: replication x period."""
    p = c.results[variant].physicians
    return p.groupby(["replication", "period"])[column].mean().unstack("period")


def style_level(c: Comparison, variant: str, column: str, month: int) -> float:
    """Mean style in ``month`` (from 1), over physicians and replications."""
    return float(styles(c, variant, column)[month - 1].mean())


def style_effect(
    c: Comparison, variant: str, ref: str, column: str, month: int
) -> tuple[float, float, float, int]:
    """Paired difference of the mean style in ``month``: (mean, low, high, pairs)."""
    v, r = styles(c, variant, column)[month - 1], styles(c, ref, column)[month - 1]
    return paired_interval(v.to_numpy(), r.loc[v.index].to_numpy())


def effect(
    c: Comparison,
    variant: str,
    ref: str,
    window: Window,
    level: str = "organisation",
    by: str | None = None,
) -> pd.DataFrame:
    """The library's paired effects of ``variant`` against ``ref`` over ``window``,
    indexed by (unit, subgroup, metric)."""
    scen = {v.name: v.scenario for v in c.variant_set.variants}
    table = variant_effects(
        {ref: scen[ref], variant: scen[variant]},
        {n: c.results[n].replications for n in (ref, variant)},
        ref,
        [window],
        by,
        level,
    )
    return table.set_index(["unit", "subgroup", "metric"])


def ci(row: pd.Series, scale: float = 1.0) -> tuple[float, float, float]:
    """(difference, low, high) of an effects row, times ``scale``."""
    return tuple(scale * float(row[k]) for k in ("difference", "ci_low", "ci_high"))


def rel(row: pd.Series) -> tuple[float, float, float]:
    """(relative %, low, high) of an effects row."""
    return tuple(float(row[k]) for k in ("relative_pct", "relative_ci_low", "relative_ci_high"))


def org(table: pd.DataFrame, metric: str) -> pd.Series:
    """The organisation row of ``metric`` in an :func:`effect` table."""
    return table.loc[("organisation", "", metric)]


def n_physicians(c: Comparison) -> int:
    """Physicians in the (first variant's) scenario."""
    return sum(t.physicians for t in c.variant_set.variants[0].scenario.teams)


def per_physician(row: pd.Series, c: Comparison) -> tuple[float, float, float]:
    """An organisation flow's effect per physician."""
    return ci(row, 1.0 / n_physicians(c))


# --- docs/scenarios.md, first table, and model.md's list of the behaviour scenarios ---

LATE = Window("months_25_36", 25, 36)


def value_dashboard(reps: int, workers: int) -> Group:
    """The flagship against no policy, the dashboard alone and the money alone."""
    g = Group(
        "value_dashboard",
        [f"{SC}:855-861", f"{SC}:865", f"{SC}:884-895", f"{MD}:777-790", f"{MD}:2005"],
        reps,
    )
    c = run_variants(
        "value_dashboard",
        {
            "none": (NO_MONEY, NO_DASHBOARD),
            "policy": (),
            "dashboard_only": (NO_MONEY,),
            "money_only": (NO_DASHBOARD,),
        },
        "value_dashboard",
        reps,
        workers,
    )
    g.add("mean effort, month 12 (policy)", style_level(c, "policy", EFFORT, 12), "0.507")
    g.add("mean effort, month 36 (policy)", style_level(c, "policy", EFFORT, 36), "0.913")
    g.add(
        "effort vs none, month 36",
        style_effect(c, "policy", "none", EFFORT, 36),
        "+0.407 (0.375 to 0.439)",
    )
    g.add("mean intensity, month 12", style_level(c, "policy", INTENSITY, 12), "1.098")
    g.add("mean intensity, month 36", style_level(c, "policy", INTENSITY, 36), "0.905")
    g.add(
        "intensity vs none, month 36",
        style_effect(c, "policy", "none", INTENSITY, 36),
        "−0.190 (−0.217 to −0.164)",
    )
    flagship_late(g, c)
    for variant, quoted in (
        ("dashboard_only", ("+0.416 (0.395 to 0.436)", "−0.184 (−0.211 to −0.157)")),
        ("money_only", ("+0.007 (0.006 to 0.009)", "−0.013 (−0.016 to −0.009)")),
    ):
        g.add(
            f"{variant}: effort vs none, month 36",
            style_effect(c, variant, "none", EFFORT, 36),
            quoted[0],
        )
        g.add(
            f"{variant}: intensity vs none, month 36",
            style_effect(c, variant, "none", INTENSITY, 36),
            quoted[1],
        )
    spread(g, c)
    who_moves(g, c)
    return g


def flagship_late(g: Group, c: Comparison) -> None:
    """The flagship against no policy over months 25-36 (organisation)."""
    late = effect(c, "policy", "none", LATE)
    cost = org(late, "cost_per_episode")
    g.add("cost per episode, months 25-36 (policy)", cost["mean"], "17,255")
    g.add("cost per episode, months 25-36 (none)", cost["reference_mean"], "20,339")
    g.add("cost per episode vs none, %", rel(cost), "−15.2% (−18.7% to −11.6%)")
    value = org(late, "value")
    g.add("value, months 25-36 (policy), QALYs per 1,000", value["mean"], "0.0232")
    g.add("value, months 25-36 (none)", value["reference_mean"], "0.0205")
    g.add("value vs none, %", rel(value), "+13.1% (10.1% to 16.2%)")
    readm = org(late, "readmission_rate")
    g.add("readmission rate, months 25-36 (policy), %", 100 * readm["mean"], "7.72%")
    g.add("readmission rate, months 25-36 (none), %", 100 * readm["reference_mean"], "9.93%")
    # "physician income about 1,300 a month lower": the organisation's payment_total
    # (physicians' income) per month, divided by the number of physicians.
    income = org(late, "payment_total")
    g.add(
        "income vs none, per physician per month",
        per_physician(income, c),
        "about −5,000 (3,900 to 6,080 lower)",
    )


def within_team_sd(c: Comparison, variant: str, month: int) -> float:
    """SD of effort between the physicians of a team, mean over replications and teams
    (docs/scenarios.md's snippet: std by replication, period and team, then the mean)."""
    p = c.results[variant].physicians
    p = p[p["period"] == month - 1]
    return float(p.groupby(["replication", "team"])[EFFORT].std().mean())


def spread(g: Group, c: Comparison) -> None:
    """The within-team SD of effort (physicians.csv bullet)."""
    g.add("within-team SD of effort, month 12 (policy)", within_team_sd(c, "policy", 12), "0.148")
    g.add("within-team SD of effort, month 36 (policy)", within_team_sd(c, "policy", 36), "0.064")
    g.add("within-team SD of effort, month 36 (none)", within_team_sd(c, "none", 36), "0.143")


def third_gains(c: Comparison, key: pd.DataFrame) -> tuple[list, list]:
    """Per third of ``key`` (physician's sorting value, by replication; lowest third
    first, thirds as the library's quantiles: floor(3k/n)), each replication's mean
    month-36 effort of the policy run and of the no-policy run (same physicians)."""
    p = c.results["policy"].physicians
    n = c.results["none"].physicians
    at = ["replication", "physician"]
    v = p[p["period"] == 35].set_index(at)[EFFORT]
    r = n[n["period"] == 35].set_index(at)[EFFORT]
    policy, none = [[], [], []], [[], [], []]
    for rep, rows in key.groupby("replication"):
        third = quartile_index(rows["key"].to_numpy(), 3)
        for t in range(3):
            chosen = [(rep, ph) for ph in rows["physician"].to_numpy()[third == t]]
            policy[t].append(v.loc[chosen].mean())
            none[t].append(r.loc[chosen].mean())
    return policy, none


def who_moves(g: Group, c: Comparison) -> None:
    """Month-36 effort gain against no policy by third of peer sensitivity and of
    month-12 effort (physicians.csv bullet; thirds within each replication)."""
    p = c.results["policy"].physicians
    base = p[p["period"] == 0][["replication", "physician", "trait_peer_sensitivity"]]
    key = base.rename(columns={"trait_peer_sensitivity": "key"})
    policy, none = third_gains(c, key)
    g.add(
        "gain, least peer-sensitive third",
        paired_interval(policy[0], none[0]),
        "0.405 (0.341 to 0.468)",
    )
    g.add(
        "gain, most peer-sensitive third",
        paired_interval(policy[2], none[2]),
        "0.456 (0.394 to 0.519)",
    )
    m12 = p[p["period"] == 11][["replication", "physician", EFFORT]]
    policy, none = third_gains(c, m12.rename(columns={EFFORT: "key"}))
    g.add(
        "gain, lowest month-12 effort third",
        paired_interval(policy[0], none[0]),
        "0.536 (0.469 to 0.602)",
    )
    g.add(
        "gain, highest month-12 effort third",
        paired_interval(policy[2], none[2]),
        "0.249 (0.208 to 0.291)",
    )


def training_demo(reps: int, workers: int) -> Group:
    """The flagship's policy in months 13-30 only, against no policy (48 months)."""
    g = Group("training_demo", [f"{SC}:866", f"{MD}:796-798"], reps)
    c = run_variants(
        "training_demo",
        {"none": (NO_MONEY, NO_DASHBOARD), "policy": ()},
        "training_demo",
        reps,
        workers,
    )
    quotes = {
        30: ("+0.382 (0.334 to 0.431)", "−0.160 (−0.217 to −0.103)"),
        36: ("+0.130", "−0.051"),
        48: ("+0.030 (0.021 to 0.039)", "−0.010"),
    }
    gains = {}
    for month, (effort_q, intensity_q) in quotes.items():
        gains[month] = style_effect(c, "policy", "none", EFFORT, month)
        g.add(f"effort vs none, month {month}", gains[month], effort_q)
        g.add(
            f"intensity vs none, month {month}",
            style_effect(c, "policy", "none", INTENSITY, month),
            intensity_q,
        )
    g.add(
        "share of the month-30 effort gain left in month 48",
        gains[48][0] / gains[30][0],
        "about 8%",
    )
    for window, quoted in (
        (Window("m19_30", 19, 30), "17,585 vs 20,124"),
        (Window("m37_48", 37, 48), "19,566 vs 20,022"),
    ):
        cost = org(effect(c, "policy", "none", window), "cost_per_episode")
        label = f"cost per episode, months {window.first_month}-{window.last_month}"
        g.add(f"{label} (policy)", cost["mean"], quoted)
        g.add(f"{label} (none)", cost["reference_mean"])
    return g


def peer_comparison(reps: int, workers: int) -> Group:
    """Private feedback against no feedback, and with internalisation off (rate 0:
    the figure the docs call 'before internalisation')."""
    g = Group(
        "peer_comparison",
        [f"{SC}:855-861", f"{SC}:867", f"{MD}:737-751", f"{MD}:791-795", f"{MD}:2005"],
        reps,
    )
    c = run_variants(
        "peer_comparison",
        {
            "none": (NO_DASHBOARD,),
            "policy": (),
            "no_internalisation": ("peer_pressure.internalisation.rate=0",),
        },
        "peer_comparison",
        reps,
        workers,
    )
    late = effect(c, "policy", "none", LATE)
    g.add(
        "effort vs none, months 25-36",
        ci(org(late, "quality_effort")),
        "+0.398 (0.380 to 0.416)",
    )
    g.add(
        "effort vs none, month 36",
        style_effect(c, "policy", "none", EFFORT, 36),
        "+0.432 (0.416 to 0.447)",
    )
    g.add("intensity vs none, months 25-36", ci(org(late, "intensity")), "+0.010 (0.003 to 0.018)")
    readm = org(late, "readmission_rate")
    g.add("readmission rate, months 25-36 (policy), %", 100 * readm["mean"], "8.86%")
    g.add("readmission rate, months 25-36 (none), %", 100 * readm["reference_mean"], "11.65%")
    g.add(
        "complication rate vs none, points",
        ci(org(late, "complication_rate"), 100),
        "−1.39 (−1.60 to −1.17)",
    )
    off = org(effect(c, "no_internalisation", "none", LATE), "quality_effort")
    g.add(
        "effort vs none, months 25-36, internalisation.rate 0", ci(off), "+0.395 (0.375 to 0.415)"
    )
    return g


def team_incentives(reps: int, workers: int) -> Group:
    """The team bonus against none by team, as bundled and with monitoring swapped."""
    g = Group("team_incentives", [f"{SC}:868", f"{MD}:799-802"], reps)
    swap = (
        "teams[0].team_based_care.peer_monitoring=0",
        "teams[1].team_based_care.peer_monitoring=1",
    )
    c = run_variants(
        "team_incentives",
        {"none": (NO_MONEY,), "policy": (), "swapped_none": (*swap, NO_MONEY), "swapped": swap},
        "team_incentives",
        reps,
        workers,
    )
    quotes = {("policy", "orthopaedics"): "+0.0085", ("policy", "medicine"): "+0.0011"}
    quotes |= {("swapped", "orthopaedics"): "+0.0014", ("swapped", "medicine"): "+0.0157"}
    for variant, ref in (("policy", "none"), ("swapped", "swapped_none")):
        table = effect(c, variant, ref, LATE, level="team")
        for team in ("orthopaedics", "medicine"):
            row = table.loc[(team, "", "quality_effort")]
            label = f"{variant}: effort vs no bonus, months 25-36, {team}"
            g.add(label, ci(row), quotes[(variant, team)])
    return g


# --- docs/scenarios.md, second table: the files' own variants, months 13-36 -----------


def paired_row(c: Comparison, variant: str, metric: str) -> pd.Series:
    """The comparison table's row (post-warm-up window, paired against the reference)."""
    t = c.comparison
    return t[(t["variant"] == variant) & (t["metric"] == metric)].iloc[0]


def relative(row: pd.Series) -> float:
    """A comparison row's difference as % of the reference mean."""
    return 100 * float(row["difference"]) / float(row["reference_mean"])


def bundle_risk(reps: int, workers: int) -> Group:
    """bundle_risk's variants: capitation (reference), bundle, bundle_risk."""
    g = Group("bundle_risk", [f"{SC}:876"], reps)
    c = compare("bundle_risk", replications=reps, workers=workers)
    same = c.cost_effectiveness.set_index("variant")["same_care_as"]
    g.add(
        "bundle: same care as capitation (1 = yes)",
        float("capitation" in str(same["bundle"])),
        "identical",
    )
    quotes = {
        "intensity": "−0.068 (−0.070 to −0.065)",
        "quality_effort": "+0.008 (0.007 to 0.009)",
    }
    for metric, quoted in quotes.items():
        g.add(f"{metric} vs capitation", ci(paired_row(c, "bundle_risk", metric)), quoted)
    for metric, quoted in (
        ("readmission_rate", "+0.03 (−0.08 to +0.14)"),
        ("complication_rate", "+0.20 (0.12 to 0.28)"),
    ):
        g.add(
            f"{metric} vs capitation, points", ci(paired_row(c, "bundle_risk", metric), 100), quoted
        )
    cost = paired_row(c, "bundle_risk", "cost_per_episode")
    g.add("cost per episode vs capitation", ci(cost), "−1,296 (−1,346 to −1,246)")
    g.add("cost per episode vs capitation, %", relative(cost), "−6.9%")
    qalys = paired_row(c, "bundle_risk", "qalys")
    g.add("QALYs vs capitation, per month", ci(qalys), "−2.9 (−3.1 to −2.6)")
    g.add("QALYs vs capitation, %", relative(qalys), "−2.7%")
    g.add("value vs capitation, %", relative(paired_row(c, "bundle_risk", "value")), "+4.5%")
    income = paired_row(c, "bundle_risk", "payment_total")
    g.add("income vs capitation, organisation per month", ci(income), "+18,700 (4,500 to 33,000)")
    g.add("income vs capitation, per physician per month", ci(income, 1 / n_physicians(c)))
    return g


def org_response(reps: int, workers: int) -> Group:
    """org_response's variants: penalty_only (reference) and org_response."""
    g = Group("org_response", [f"{SC}:877", f"{MD}:1043-1047"], reps)
    c = compare("org_response", replications=reps, workers=workers)
    t = c.results["org_response"].trajectories
    teams = t[t["level"] == "team"]
    paid = teams[teams["payment_investment"] < 0]
    # "Teams start investing in month 10": the first month with an investment paid
    # (period + 1; the decision is at the close of the month before), earliest over
    # teams and replications (10 replications reproduce the docs' month 10).
    first = paid.groupby("replication")["period"].min() + 1
    g.add("first month with an investment paid (earliest)", first.min(), "month 10")
    g.add("first month with an investment paid (mean over replications)", first.mean())
    step_cost = c.variant_set.variants[1].scenario.behaviour.organisational_response.cost_per_period
    last = teams[teams["period"] == teams["period"].max()]
    g.add("steps per team by month 36", -last["payment_investment"].mean() / step_cost, "about 2")
    readm = paired_row(c, "org_response", "readmission_rate")
    g.add("readmission rate vs penalty only, points", ci(readm, 100), "−0.99 (−1.29 to −0.70)")
    g.add("readmission rate, penalty only, %", 100 * readm["reference_mean"], "11.8%")
    g.add(
        "resource cost (investments included) vs penalty only, per month",
        ci(paired_row(c, "org_response", "cost")),
        "−15,900",
    )
    g.add("QALYs vs penalty only, per month", ci(paired_row(c, "org_response", "qalys")), "+0.07")
    invest = paired_row(c, "org_response", "payment_investment")
    g.add("investment spent, organisation per month", -invest["mean"], "5,540")
    penalty = paired_row(c, "org_response", "payment_incentives")
    g.add("penalty avoided, organisation per month", ci(penalty), "2,090")
    return g


# --- docs/model.md section 3.8 ------------------------------------------------------


def share_won(c: Comparison, variant: str) -> float:
    """Share of team-quarters in which the own-baseline prize paid (settlements at the
    close of each ``every``-th period from ``start_period``)."""
    scenario = next(v.scenario for v in c.variant_set.variants if v.name == variant)
    rule = scenario.incentives[0]
    closes = [
        p
        for p in range(rule.start_period, scenario.horizon_periods)
        if (p - rule.start_period + 1) % rule.every == 0
    ]
    pay = c.results[variant].payments
    won = pay[(pay["rule"] == rule.name) & (pay["amount"] > 0)]
    team_quarters = won[["replication", "period", "team"]].drop_duplicates()
    return len(team_quarters) / (len(closes) * len(scenario.teams) * scenario.replications)


def own_baseline_prize(reps: int, workers: int) -> Group:
    """No prize, the prize with colleagues as observed, and as bundled (symmetric)."""
    g = Group("own_baseline_prize", [f"{MD}:549-554"], reps)
    c = run_variants(
        "own_baseline_prize",
        {
            "none": (NO_MONEY,),
            "as_observed": ("behaviour.colleagues=as_observed",),
            "symmetric": (),
        },
        "own_baseline_prize",
        reps,
        workers,
    )
    window = Window("months_13_36", 13, 36)
    quotes = {
        "none": ("1.091", "20,568"),
        "as_observed": ("1.071", "20,360"),
        "symmetric": ("1.029", "19,463"),
    }
    for variant, (intensity, cost) in quotes.items():
        values = window_table(
            c.variant_set.variants[0].scenario, c.results[variant].replications, window
        )
        g.add(f"{variant}: intensity, months 13-36", values["intensity"].mean(), intensity)
        g.add(f"{variant}: cost per episode, months 13-36", values["cost_per_episode"].mean(), cost)
    cost = org(effect(c, "symmetric", "none", window), "cost_per_episode")
    g.add("symmetric: cost per episode vs no prize, %", rel(cost), "−5.4% (−6.0% to −4.8%)")
    g.add("as_observed: share of team-quarters won", share_won(c, "as_observed"), "28%")
    g.add("symmetric: share of team-quarters won", share_won(c, "symmetric"), "56%")
    return g


def feedback_letters(reps: int, workers: int) -> Group:
    """The letters against none over 18 months, recipients' intensity (``--by
    targeted``) over the letters' months (the policy's 'during' window)."""
    g = Group("feedback_letters", [f"{MD}:601-608"], reps)
    c = run_variants(
        "feedback_letters",
        {"none": (NO_DASHBOARD, "horizon_periods=18"), "letters": ("horizon_periods=18",)},
        "feedback_letters",
        reps,
        workers,
    )
    during = next(
        w for w in policy_windows(c.variant_set.variants[1].scenario) if w.name == "during"
    )
    row = effect(c, "letters", "none", during, by="targeted").loc[
        ("organisation", "targeted", "intensity")
    ]
    g.add(
        f"recipients' intensity vs none, months {during.first_month}-{during.last_month}, %",
        rel(row),
        "−5.1% (−7.3% to −3.0%)",
    )
    return g


def recipients(c: Comparison, window: Window, groups: Groups) -> tuple[np.ndarray, ...]:
    """Recipients' intensity over ``window`` per replication: (letters, none)."""
    letters = c.variant_set.variants[1].scenario
    out = []
    for name in ("letters", "none"):
        table = window_table(
            letters, c.results[name].replications, window, by="targeted", groups=groups
        )
        chosen = table[table["subgroup"] == "targeted"].sort_values("replication")
        out.append(chosen["intensity"].to_numpy(dtype=float))
    return tuple(out)


def reach_letters(reps: int, workers: int) -> Group:
    """The bundled letters over 36 months: recipients' intensity during and after the
    letters, replication by replication, and the ratio of means with its 95% interval
    (the *Reach* paragraph quotes both for the letters' months, the ratio after them).
    Recipients are those targeted during the letters (the 'during' window); the
    targeting flag ends with the letters, so the same physicians are followed after."""
    g = Group("reach_letters", [f"{MD}:737-742"], reps)
    c = run_variants(
        "feedback_letters",
        {"none": (NO_DASHBOARD,), "letters": ()},
        "feedback_letters",
        reps,
        workers,
    )
    letters = c.variant_set.variants[1].scenario
    windows = {w.name: w for w in policy_windows(letters)}
    groups = subgroups("targeted", letters, c.results["letters"].replications, windows["during"])
    quotes = {
        "during": ("−11.9%", "−1.5%", "−5.6% (−7.9% to −3.3%)"),
        "after": ("", "", "−1.9% (−2.3% to −1.4%)"),
    }
    for name, (low, high, mean) in quotes.items():
        window = windows[name]
        v, r = recipients(c, window, groups)
        pct = 100 * (v / r - 1)
        label = f"recipients' intensity vs none, months {window.first_month}-{window.last_month}, %"
        g.add(f"{label} (min over replications)", pct.min(), low)
        g.add(f"{label} (max over replications)", pct.max(), high)
        g.add(f"{label} (ratio of means)", [100 * x for x in relative_interval(v, r)], mean)
    return g


PHYSICIAN_20 = ("incentives[0].level=physician", "incentives[0].max_share_of_base=0.2")
ENDS_24 = ("incentives[0].end_period=23",)  # last month in force: 24
NO_HABIT = ("behaviour.habit_weight=0",)


def readmission_penalty(reps: int, workers: int) -> Group:
    """'What it does at the defaults': p4p_readmissions under adaptive behaviour, 48
    months, the penalty at physician or team level, capped at 20% or as bundled (3%),
    and the physician-level rule ending after month 24, with and without habit."""
    g = Group("readmission_penalty", [f"{MD}:755-769", f"{MD}:1954"], reps)
    world = ("behaviour.model=adaptive", "horizon_periods=48")
    c = run_variants(
        "readmission_penalty",
        {
            "none": (*world, NO_MONEY),
            "physician_20": (*world, *PHYSICIAN_20),
            "team_20": (*world, "incentives[0].max_share_of_base=0.2"),
            "team_3": world,
            "physician_20_ends_24": (*world, *PHYSICIAN_20, *ENDS_24),
            "none_no_habit": (*world, NO_MONEY, *NO_HABIT),
            "physician_20_ends_24_no_habit": (*world, *PHYSICIAN_20, *ENDS_24, *NO_HABIT),
        },
        "p4p_readmissions",
        reps,
        workers,
    )
    g.add(
        "physician 20%: mean effort, month 12", style_level(c, "physician_20", EFFORT, 12), "0.51"
    )
    g.add(
        "physician 20%: mean effort, month 24", style_level(c, "physician_20", EFFORT, 24), "0.55"
    )
    g.add(
        "physician 20%: mean effort, month 40", style_level(c, "physician_20", EFFORT, 40), "0.55"
    )
    # "raises it only to 0.52" names no month: both are given.
    g.add("team 20%: mean effort, month 24", style_level(c, "team_20", EFFORT, 24), "0.52")
    g.add("team 20%: mean effort, month 40", style_level(c, "team_20", EFFORT, 40), "0.52")
    g.add(
        "team 3%: effort vs none, month 24",
        style_effect(c, "team_3", "none", EFFORT, 24),
        "+0.002 (0.002 to 0.003)",
    )
    g.add(
        "team 3%: effort vs none, month 40",
        style_effect(c, "team_3", "none", EFFORT, 40),
        "+0.002 (0.002 to 0.003)",
    )
    persistence(g, c, "physician_20_ends_24", "none", ("+0.043 (0.039 to 0.047)", "12%", "4%"), "")
    persistence(
        g,
        c,
        "physician_20_ends_24_no_habit",
        "none_no_habit",
        ("", "11%", "4%"),
        ", habit_weight 0",
    )
    return g


def persistence(
    g: Group, c: Comparison, variant: str, ref: str, quoted: tuple[str, str, str], note: str
) -> None:
    """Effort gain against ``ref`` in month 24 (the rule's last), and the share of it
    left a year (month 36) and two years (month 48) later."""
    gain = {m: style_effect(c, variant, ref, EFFORT, m) for m in (24, 36, 48)}
    g.add(f"ends after month 24{note}: effort vs none, month 24", gain[24], quoted[0])
    g.add(
        f"ends after month 24{note}: share left in month 36", gain[36][0] / gain[24][0], quoted[1]
    )
    g.add(
        f"ends after month 24{note}: share left in month 48", gain[48][0] / gain[24][0], quoted[2]
    )


# --- the report -----------------------------------------------------------------------

GROUPS: dict[str, tuple[Callable[[int, int], Group], int]] = {
    "value_dashboard": (value_dashboard, 10),
    "training_demo": (training_demo, 6),
    "peer_comparison": (peer_comparison, 10),
    "team_incentives": (team_incentives, 10),
    "bundle_risk": (bundle_risk, 10),
    "org_response": (org_response, 10),
    "own_baseline_prize": (own_baseline_prize, 10),
    "feedback_letters": (feedback_letters, 10),
    "reach_letters": (reach_letters, 10),
    "readmission_penalty": (readmission_penalty, 10),
}
"""Each group's function and its default replications (the docs' 10, 6 for
training_demo)."""


def number(x: float) -> str:
    """A figure to 3 significant digits (4 below 1), thousands separated."""
    if math.isnan(x):
        return ""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.4g}" if abs(x) < 1 else f"{x:.3f}"


def markdown(group: Group) -> str:
    """One group as a markdown section."""
    lines = [
        f"## {group.name}",
        "",
        f"Feeds {', '.join(group.passages)}; {group.replications} replications, "
        f"{group.seconds:.0f} s.",
        "",
        "| figure | value | 95% CI | docs quote |",
        "|---|---|---|---|",
    ]
    for f in group.figures:
        interval = "" if math.isnan(f.low) else f"{number(f.low)} to {number(f.high)}"
        lines.append(f"| {f.label} | {number(f.value)} | {interval} | {f.quoted} |")
    return "\n".join(lines) + "\n"


def clean(value: float) -> float | None:
    """JSON has no NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value


def as_json(groups: list[Group]) -> dict:
    """The report as a JSON-ready mapping, one entry per group."""
    out = {}
    for group in groups:
        data = asdict(group)
        data["figures"] = [{k: clean(v) for k, v in f.items()} for f in data["figures"]]
        out[group.name] = data
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen groups, print the markdown report, write the JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--replications", type=int, help="replications of every group")
    parser.add_argument("--only", action="append", choices=list(GROUPS), help="repeatable")
    parser.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--json", help="write the figures to this JSON file")
    args = parser.parse_args(argv)
    groups = []
    for name in args.only or list(GROUPS):
        function, default = GROUPS[name]
        started = time.perf_counter()
        group = function(args.replications or default, args.workers)
        group.seconds = time.perf_counter() - started
        groups.append(group)
        print(markdown(group), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as file:
            json.dump(as_json(groups), file, indent=2, allow_nan=False)
            file.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
